"""PyTorch references for nc-diagram's zoo: forward outputs, gradients with respect to inputs
and weights, and FlopCounterMode counts, from torch.nn modules built independently of the Rust
circuits. Weights and inputs come from closed formulas (below) that the Rust test reproduces,
so only results are stored.

Run: /work/pyref/bin/python tools/reference/diagram/make_golden.py
Writes crates/diagram/tests/data/golden.json.

Conventions shared with crates/diagram/tests/golden.rs:
- a parameter named NAME whose layout in the circuit (axis order printed by
  `cargo run -p nc-diagram --example layouts MODEL`) has flat row-major index j holds
  sin(0.37 j + phase(NAME)) / sqrt(max(1, numel / last_dim));
- input i has element j = cos(0.23 j + 0.5 i) in its circuit layout;
- the loss is sum_j w_j y_j over the output in its circuit layout, w_j = sin(0.11 j + 0.3).
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

torch.set_default_dtype(torch.float64)


def phase(name):
    return len(name) * 0.91 + sum(ord(c) for c in name) * 0.013


def param(name, shape):
    n = math.prod(shape)
    j = torch.arange(n, dtype=torch.float64)
    scale = 1.0 / math.sqrt(max(1, n // shape[-1]))
    return (torch.sin(0.37 * j + phase(name)) * scale).reshape(shape)


def inp(i, shape):
    j = torch.arange(math.prod(shape), dtype=torch.float64)
    return torch.cos(0.23 * j + 0.5 * i).reshape(shape)


def cot(n):
    j = torch.arange(n, dtype=torch.float64)
    return torch.sin(0.11 * j + 0.3)


def summary(t):
    """Full tensor if small, else 64 evenly spaced samples, plus sum and sum of squares."""
    f = t.detach().reshape(-1)
    n = f.numel()
    idx = list(range(n)) if n <= 512 else [i * n // 64 for i in range(64)]
    return {"n": n, "sum": f.sum().item(), "sumsq": (f * f).sum().item(), "idx": idx, "val": [f[i].item() for i in idx]}


def run(name, forward, inputs, params, to_circuit_out, grads_in_circuit_layout):
    """forward(inputs, params) -> output in torch layout; params: dict name -> tensor (circuit layout)."""
    for t in inputs:
        t.requires_grad_(True)
    for t in params.values():
        t.requires_grad_(True)
    y = to_circuit_out(forward(inputs, params))
    loss = (y.reshape(-1) * cot(y.numel())).sum()
    loss.backward()
    res = {
        "output": summary(y),
        "input_grads": [summary(t.grad) for t in inputs],
        "param_grads": {k: summary(v.grad) for k, v in params.items()},
    }
    with FlopCounterMode(display=False) as fc:
        y2 = to_circuit_out(forward(inputs, params))
    fwd = fc.get_total_flops()
    with FlopCounterMode(display=False) as fc:
        (y2.reshape(-1) * cot(y2.numel())).sum().backward()
    bwd = fc.get_total_flops()
    return {**res, "flops_forward": fwd, "flops_backward": bwd}


def mlp():
    b = 2
    P = {}
    for n, (i, o) in {"L1": (784, 512), "L2": (512, 512), "L3": (512, 10)}.items():
        P[n + ".W"] = param(n + ".W", (i, o))  # circuit layout [in, out]
        P[n + ".b"] = param(n + ".b", (o,))
    x = inp(0, (b, 28, 28))

    def f(xs, P):
        h = xs[0].reshape(b, 784)
        h = F.relu(F.linear(h, P["L1.W"].T, P["L1.b"]))
        h = F.relu(F.linear(h, P["L2.W"].T, P["L2.b"]))
        return torch.softmax(F.linear(h, P["L3.W"].T, P["L3.b"]), dim=-1)

    return {"bind": {"b": b}, **run("mlp", f, [x], P, lambda y: y, None)}


def mha():
    m, k, h, y, x = 8, 3, 2, 3, 4
    P = {n: param(n, (m, k, h)) for n in ["LQ.W", "LK.W", "LV.W"]}
    P["LO.W"] = param("LO.W", (k, h, m))
    X, Z = inp(0, (y, m)), inp(1, (x, m))

    def f(xs, P):
        lin = lambda t, W: F.linear(t, W.reshape(m, k * h).T).reshape(t.shape[0], k, h)  # '(k h) -> k h'
        q, kk, v = lin(xs[0], P["LQ.W"]), lin(xs[1], P["LK.W"]), lin(xs[1], P["LV.W"])
        s = torch.einsum("ykh,xkh->yxh", q, kk) / math.sqrt(k)
        a = torch.softmax(s, dim=1)
        o = torch.einsum("yxh,xkh->ykh", a, v)
        return F.linear(o.reshape(y, k * h), P["LO.W"].reshape(k * h, m).T)

    return {"bind": {"m": m, "k": k, "h": h, "y": y, "x": x}, **run("mha", f, [X, Z], P, lambda t: t, None)}


def conv():
    b, c, H = 1, 8, 8
    P = {
        "strided.W": param("strided.W", (c, 3, 3, 2 * c)),
        "strided.b": param("strided.b", (2 * c,)),
        "dilated.W": param("dilated.W", (2 * c, 3, 3, 2 * c)),
        "dilated.b": param("dilated.b", (2 * c,)),
        "grouped.W": param("grouped.W", (4, 2 * c // 4, 3, 3, 2 * c // 4)),
        "grouped.b": param("grouped.b", (4, 2 * c // 4)),
        "depthwise.W": param("depthwise.W", (2 * c, 1, 3, 3, 1)),
        "transposed.W": param("transposed.W", (2 * c, c, 2, 2)),
        "transposed.bias.value": param("transposed.bias.value", (c,)),
    }
    x = inp(0, (b, c, H, H))

    def grouped_w(W):  # [g, ci/g, kh, kw, co/g] -> [co, ci/g, kh, kw]
        g, ci, kh, kw, co = W.shape
        return W.permute(0, 4, 1, 2, 3).reshape(g * co, ci, kh, kw)

    def f(xs, P):
        t = F.relu(F.conv2d(xs[0], P["strided.W"].permute(3, 0, 1, 2), P["strided.b"], stride=2, padding=1))
        t = F.relu(F.conv2d(t, P["dilated.W"].permute(3, 0, 1, 2), P["dilated.b"], dilation=2, padding=2))
        t = F.relu(F.conv2d(t, grouped_w(P["grouped.W"]), P["grouped.b"].reshape(-1), padding=1, groups=4))
        t = torch.tanh(F.conv2d(t, grouped_w(P["depthwise.W"]), None, padding=1, groups=2 * c))
        return F.conv_transpose2d(t, P["transposed.W"], P["transposed.bias.value"], stride=2)

    # circuit output layout [b, H, W, c5]
    return {"bind": {"b": b, "c": c, "H": H}, **run("conv", f, [x], P, lambda t: t.permute(0, 2, 3, 1), None)}


def transformer_block():
    b, t, m, h = 2, 3, 8, 2
    k, f = m // h, 4 * m
    P = {}
    for ln in ["ln1", "ln2"]:
        P[ln + ".gain"] = param(ln + ".gain", (m,))
        P[ln + ".shift"] = param(ln + ".shift", (m,))
    for n in ["LQ", "LK", "LV"]:
        P[n + ".W"] = param(n + ".W", (m, k, h))
        P[n + ".b"] = param(n + ".b", (k, h))
    P["LO.W"] = param("LO.W", (k, h, m))
    P["LO.b"] = param("LO.b", (m,))
    P["up.W"] = param("up.W", (m, f))
    P["up.b"] = param("up.b", (f,))
    P["down.W"] = param("down.W", (f, m))
    P["down.b"] = param("down.b", (m,))
    x = inp(0, (b, t, m))

    def f_(xs, P):
        x = xs[0]
        n1 = F.layer_norm(x, (m,), P["ln1.gain"], P["ln1.shift"], eps=1e-5)
        lin = lambda u, n: F.linear(u, P[n + ".W"].reshape(m, k * h).T, P[n + ".b"].reshape(-1)).reshape(b, t, k, h)
        q, kk, v = lin(n1, "LQ"), lin(n1, "LK"), lin(n1, "LV")
        s_ = torch.einsum("btkh,bskh->btsh", q, kk) / math.sqrt(k)
        a = torch.softmax(s_, dim=2)
        o = torch.einsum("btsh,bskh->btkh", a, v).reshape(b, t, k * h)
        x = x + F.linear(o, P["LO.W"].reshape(k * h, m).T, P["LO.b"])
        n2 = F.layer_norm(x, (m,), P["ln2.gain"], P["ln2.shift"], eps=1e-5)
        u = F.gelu(F.linear(n2, P["up.W"].T, P["up.b"]), approximate="tanh")
        return x + F.linear(u, P["down.W"].T, P["down.b"])

    return {"bind": {"b": b, "t": t, "m": m, "h": h}, **run("transformer_block", f_, [x], P, lambda y: y, None)}


def main():
    out = {"torch": torch.__version__, "models": {"mlp": mlp(), "mha": mha(), "conv": conv(), "transformer_block": transformer_block()}}
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "..", "crates", "diagram", "tests", "data", "golden.json")
    with open(path, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
    print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
