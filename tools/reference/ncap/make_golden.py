"""Golden data for nc-ncap: PyTorch forward and backward passes of the NCAP circuit and the
MLP baselines, in float64, written to crates/ncap/tests/data/.

Weights and inputs come from closed-form formulas (`fill`) that the Rust tests reproduce, so the
files only hold outputs and gradients. Large weight gradients are stored as a few projections
onto formula vectors plus their first entries, to keep the files small.

Run: python tools/reference/ncap/make_golden.py   (versions pinned in requirements.txt)
"""

import json
import math
import os

import torch

torch.set_default_dtype(torch.float64)
OUT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "crates", "ncap", "tests", "data")


def fill(n, a, b, scale):
    """Deterministic values v_k = scale * sin(a * k + b), k = 0..n-1 (mirrored in Rust)."""
    return torch.tensor([scale * math.sin(a * k + b) for k in range(n)])


def linear_stack(sizes, tag):
    """nn.Linear layers whose weights and biases are filled by formula (layer l uses b = tag + l)."""
    layers = []
    for l in range(len(sizes) - 1):
        fi, fo = sizes[l], sizes[l + 1]
        lin = torch.nn.Linear(fi, fo)
        with torch.no_grad():
            lin.weight.copy_(fill(fo * fi, 0.37, tag + l, 1.5 / math.sqrt(fi)).reshape(fo, fi))
            lin.bias.copy_(fill(fo, 0.91, tag + l + 0.5, 0.3))
        layers.append(lin)
    return layers


def flat_grad(layers):
    out = []
    for lin in layers:
        out.append(lin.weight.grad.reshape(-1))
        out.append(lin.bias.grad.reshape(-1))
    return torch.cat(out)


def summarise(g):
    """First 64 entries and projections onto 3 formula vectors."""
    n = g.numel()
    proj = [float(torch.dot(g, fill(n, 0.113 * (j + 1), 0.2 * j, 1.0))) for j in range(3)]
    return {"n": n, "head": g[:64].tolist(), "proj": proj, "norm": float(g.norm())}


def mlp_forward(layers, acts, x):
    for lin, act in zip(layers, acts):
        x = lin(x)
        if act == "tanh":
            x = torch.tanh(x)
        elif act == "relu":
            x = torch.relu(x)
    return x


def gaussian_actor():
    obs, act, batch = 24, 5, 6
    layers = linear_stack([obs, 64, 64, act], 0.1)
    log_scale = torch.nn.Parameter(fill(act, 0.7, 0.3, 0.8))
    x = fill(batch * obs, 0.53, 0.2, 2.0).reshape(batch, obs)
    a = fill(batch * act, 0.29, 1.1, 0.9).reshape(batch, act)
    adv = fill(batch, 1.3, 0.4, 1.0)
    loc = mlp_forward(layers, ["tanh", "tanh", "tanh"], x)
    scale = torch.clamp(torch.nn.functional.softplus(log_scale) + 1e-8, 1e-4, 1.0)
    logp = torch.distributions.Normal(loc, scale).log_prob(a).sum(-1)
    loss = -(logp * adv).mean()
    loss.backward()
    g = flat_grad(layers)
    return {
        "obs": obs, "act": act, "batch": batch, "loc": loc.detach().reshape(-1).tolist(),
        "scale": scale.detach().tolist(), "loss": float(loss), "grad": summarise(g),
        "grad_last_layer": torch.cat([layers[2].weight.grad.reshape(-1), layers[2].bias.grad]).tolist(),
        "grad_log_scale": log_scale.grad.tolist(),
    }


def ddpg():
    obs, act, batch = 24, 5, 4
    actor = linear_stack([obs, 256, 256, act], 2.1)
    critic = linear_stack([obs + act, 256, 256, 1], 3.7)
    x = fill(batch * obs, 0.41, 0.9, 1.5).reshape(batch, obs)
    a = fill(batch * act, 0.67, 0.1, 0.8).reshape(batch, act)
    y = fill(batch, 0.77, 0.6, 2.0)
    # critic: MSE to a fixed target
    q = mlp_forward(critic, ["relu", "relu", "id"], torch.cat([x, a], -1)).squeeze(-1)
    closs = ((q - y) ** 2).mean()
    closs.backward()
    gc = flat_grad(critic)
    for lin in critic:
        lin.weight.grad = None
        lin.bias.grad = None
    # actor: maximise Q(s, pi(s)) through the critic
    pi = mlp_forward(actor, ["relu", "relu", "tanh"], x)
    aloss = -mlp_forward(critic, ["relu", "relu", "id"], torch.cat([x, pi], -1)).mean()
    aloss.backward()
    ga = flat_grad(actor)
    return {
        "obs": obs, "act": act, "batch": batch, "q": q.detach().tolist(), "critic_loss": float(closs),
        "critic_grad": summarise(gc), "pi": pi.detach().reshape(-1).tolist(), "actor_loss": float(aloss),
        "actor_grad": summarise(ga),
    }


def ncap_forward(p, cfg, joints, t, n):
    """Independent float64 torch version of the NCAP equations (research note section 1.2)."""
    signs = cfg["signs"]
    exc = (lambda w: w.clamp(min=0)) if signs else (lambda w: w)
    inh = (lambda w: w.clamp(max=0)) if signs else (lambda w: w)
    limit = 2 * math.pi / (n + 1)
    q = torch.clamp(joints / limit, -1, 1)
    qd, qv = q.clamp(0, 1), -q.clamp(-1, 0)
    period = 60
    od, ov = (1.0, 0.0) if (t % period) < period // 2 else (0.0, 1.0)
    names = cfg["names"]

    def w(name_shared, name_unshared):
        return p[names.index(name_shared if cfg["sharing"] else name_unshared)]

    out = []
    for i in range(n):
        bd = torch.zeros(())
        bv = torch.zeros(())
        if i > 0:
            bd = bd + qd[i - 1] * exc(w("bneuron_prop", f"bneuron_d_prop_{i}"))
            bv = bv + qv[i - 1] * exc(w("bneuron_prop", f"bneuron_v_prop_{i}"))
        else:
            bd = bd + od * exc(w("bneuron_osc", f"bneuron_d_osc_{i}"))
            bv = bv + ov * exc(w("bneuron_osc", f"bneuron_v_osc_{i}"))
        bd, bv = bd.clamp(0, 1), bv.clamp(0, 1)
        md = (bd * exc(w("muscle_ipsi", f"muscle_d_d_{i}")) + bv * inh(w("muscle_contra", f"muscle_d_v_{i}"))).clamp(0, 1)
        mv = (bv * exc(w("muscle_ipsi", f"muscle_v_v_{i}")) + bd * inh(w("muscle_contra", f"muscle_v_d_{i}"))).clamp(0, 1)
        out.append(md - mv)
    return torch.stack(out)


def ncap_names(sharing, n):
    if sharing:
        return ["bneuron_prop", "bneuron_osc", "muscle_ipsi", "muscle_contra"]
    names = []
    for i in range(n):
        if i > 0:
            names += [f"bneuron_d_prop_{i}", f"bneuron_v_prop_{i}"]
        if i == 0:
            names += [f"bneuron_d_osc_{i}", f"bneuron_v_osc_{i}"]
        names += [f"muscle_d_d_{i}", f"muscle_d_v_{i}", f"muscle_v_v_{i}", f"muscle_v_d_{i}"]
    return names


def ncap_cases():
    n = 5
    limit = 2 * math.pi / (n + 1)
    cases = []
    # boundary cases: a zero excitatory weight, pre-activations exactly at 1, angles at the limit
    specials = [
        ("111", [1.0, 1.0, 1.0, -1.0], [0.5 * limit, -limit, 1.3 * limit, 0.0, -0.2 * limit], 0),
        ("111", [0.0, 1.0, 2.0, 0.0], [0.3, -0.4, 0.2, 0.1, -0.3], 45),
        ("111", [1.6, 0.9, 1.9, -0.4], [0.3, -0.4, 0.2, 0.1, -0.3], 31),
        ("111", [-0.5, 2.0, 0.5, 0.3], [0.6, -0.1, -0.9, 0.4, 0.2], 29),
        ("101", [-0.7, 0.8, 1.2, 0.6], [0.6, -0.1, -0.9, 0.4, 0.2], 10),
        ("101", [0.9, -0.6, -1.1, -0.8], [-0.4, 0.5, 0.3, -0.7, 0.1], 70),
    ]
    for code, params, joints, t in specials:
        cases.append((code, params, joints, t))
    for k in range(6):
        code = ["011", "001"][k % 2]
        m = len(ncap_names(False, n))
        params = fill(m, 0.61 + 0.1 * k, 0.3 * k, 1.4).tolist()
        joints = fill(n, 0.83, 0.5 * k, 1.2 * limit).tolist()
        cases.append((code, params, joints, 17 * k))
    out = []
    for code, params, joints, t in cases:
        cfg = {"sharing": code[0] == "1", "signs": code[1] == "1", "names": ncap_names(code[0] == "1", n)}
        p = torch.tensor(params, requires_grad=True)
        c = fill(n, 1.1, 0.7, 1.0)
        torque = ncap_forward(p, cfg, torch.tensor(joints), t, n)
        (torque * c).sum().backward()
        out.append({"code": code, "params": params, "joints": joints, "t": t,
                    "torque": torque.detach().tolist(), "grad": p.grad.tolist()})
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    data = {
        "torch": torch.__version__,
        "gaussian_actor": gaussian_actor(),
        "ddpg": ddpg(),
        "ncap": ncap_cases(),
    }
    path = os.path.join(OUT, "torch_golden.json")
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
