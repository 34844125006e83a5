"""PyTorch references for nc-diagram's zoo: forward outputs, gradients with respect to inputs
and weights, and FlopCounterMode counts. Every model is built independently of the Rust
circuits, from torch.nn modules where one fits (mha and ncap_swimmer are functional; see there
why). Each circuit parameter is a leaf tensor in the circuit's layout, permuted into the
module's layout and fed to it with torch.func.functional_call, so gradients come back in the
circuit's layout.
Weights and inputs come from closed formulas (below) that the Rust test reproduces, so only
results are stored.

Run: /work/pyref/bin/python tools/reference/diagram/make_golden.py
Writes crates/diagram/tests/data/golden.json.

Conventions shared with crates/diagram/tests/golden.rs:
- a parameter named NAME whose layout in the circuit (axis order printed by
  `cargo run -p nc-diagram --example layouts MODEL`) has flat row-major index j holds
  scale(NAME) * sin(0.37 j + phase(NAME)) / sqrt(max(1, numel / last_dim)), where scale is
  1 unless the model's JSON entry lists it under "param_scale";
- real input i has element j = cos(0.23 j + 0.5 i) in its circuit layout; an index input
  (token ids) has element j = (3 j + 1) mod V, V the vocabulary it indexes;
- the loss is sum_j w_j y_j over the output in its circuit layout, w_j = sin(0.11 j + 0.3);
- "bind" overrides the circuit's default sizes.
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call
from torch.utils.flop_counter import FlopCounterMode

torch.set_default_dtype(torch.float64)


def phase(name):
    return len(name) * 0.91 + sum(ord(c) for c in name) * 0.013


def param(name, shape, factor=1.0):
    n = math.prod(shape)
    j = torch.arange(n, dtype=torch.float64)
    scale = factor / math.sqrt(max(1, n // shape[-1]))
    return (torch.sin(0.37 * j + phase(name)) * scale).reshape(shape)


def inp(i, shape):
    j = torch.arange(math.prod(shape), dtype=torch.float64)
    return torch.cos(0.23 * j + 0.5 * i).reshape(shape)


def tokens(shape, vocab):
    j = torch.arange(math.prod(shape))
    return ((3 * j + 1) % vocab).reshape(shape)


def cot(n):
    j = torch.arange(n, dtype=torch.float64)
    return torch.sin(0.11 * j + 0.3)


def summary(t):
    """Full tensor if small (no "idx" then), else 64 evenly spaced samples; sum, sum of squares."""
    f = t.detach().reshape(-1)
    n = f.numel()
    s = {"n": n, "sum": f.sum().item(), "sumsq": (f * f).sum().item()}
    if n <= 512:
        return {**s, "val": f.tolist()}
    idx = [i * n // 64 for i in range(64)]
    return {**s, "idx": idx, "val": [f[i].item() for i in idx]}


def run(forward, inputs, params, to_circuit_out):
    """Output, gradients and FLOPs. forward(inputs, params) gives the output in torch's layout,
    to_circuit_out permutes it into the circuit's; params: name -> leaf in circuit layout."""
    for t in inputs:
        if t.is_floating_point():
            t.requires_grad_(True)
    for t in params.values():
        t.requires_grad_(True)
    y = to_circuit_out(forward(inputs, params))
    loss = (y.reshape(-1) * cot(y.numel())).sum()
    loss.backward()
    res = {
        "output": summary(y),
        "input_grads": [summary(t.grad) if t.is_floating_point() else None for t in inputs],
        "param_grads": {k: summary(v.grad) for k, v in params.items()},
    }
    with FlopCounterMode(display=False) as fc:
        y2 = to_circuit_out(forward(inputs, params))
    fwd = fc.get_total_flops()
    with FlopCounterMode(display=False) as fc:
        (y2.reshape(-1) * cot(y2.numel())).sum().backward()
    bwd = fc.get_total_flops()
    return {**res, "flops_forward": fwd, "flops_backward": bwd}


# ---------------------------------------------------------------------------------------------
# torch.nn references. A `Tie` records, for each parameter of a module, the circuit parameter
# (name, circuit layout) it is made from and how to permute it into the module's layout.


def conv_w(w):  # circuit [ci, kh, kw, co] -> nn.Conv2d [co, ci, kh, kw]
    return w.permute(3, 0, 1, 2)


def lin_w(w):  # circuit [in, out] -> nn.Linear [out, in]
    return w.T


CIRCUIT_SHAPE = {  # torch shape -> circuit shape, per kind
    "id": lambda s: tuple(s),
    "lin": lambda s: (s[1], s[0]),
    "conv": lambda s: (s[1], s[2], s[3], s[0]),
}
TO_TORCH = {"id": lambda w: w, "lin": lin_w, "conv": conv_w}


class Tie:
    """Runs `module` with parameters computed from circuit-layout leaves."""

    def __init__(self, module):
        self.m = module
        self.shapes = {n: tuple(p.shape) for n, p in module.named_parameters()}
        self.P = {}
        self.make = {}

    def leaf(self, cname, cshape):
        assert cname not in self.P, cname
        self.P[cname] = param(cname, cshape)

    def add(self, tname, cname, kind="id"):
        """Torch parameter `tname` is circuit parameter `cname`, permuted according to `kind`."""
        self.leaf(cname, CIRCUIT_SHAPE[kind](self.shapes[tname]))
        self.make[tname] = lambda P: TO_TORCH[kind](P[cname])

    def custom(self, tname, leaves, fn):
        """Torch parameter `tname` is fn(P), built from new circuit leaves {name: shape}."""
        for cname, cshape in leaves.items():
            self.leaf(cname, cshape)
        self.make[tname] = fn

    def forward(self, xs, P):
        assert set(self.make) == set(self.shapes), set(self.shapes) ^ set(self.make)
        weights = {n: f(P) for n, f in self.make.items()}
        for n, w in weights.items():
            assert tuple(w.shape) == self.shapes[n], (n, w.shape, self.shapes[n])
        return functional_call(self.m, weights, tuple(xs))


def encoder_layer(m, h):
    """The zoo's pre-norm block: LN eps 1e-5, MHA with biases, tanh-GELU MLP of width 4m."""
    act = nn.GELU(approximate="tanh")
    return nn.TransformerEncoderLayer(m, h, 4 * m, dropout=0.0, activation=act, batch_first=True, norm_first=True)


def tie_encoder_layer(tie, tprefix, cprefix, m, h):
    """nn.MultiheadAttention packs heads head-major (feature h*k + kk); the circuit keeps (k, h)."""
    k = m // h
    heads_w = lambda w: w.permute(2, 1, 0).reshape(h * k, m)  # [m, k, h] -> [(h k), m]
    heads_b = lambda b_: b_.T.reshape(h * k)  # [k, h] -> [(h k)]
    qkv = [cprefix + n for n in ("LQ", "LK", "LV")]
    tie.custom(tprefix + "self_attn.in_proj_weight", {n + ".W": (m, k, h) for n in qkv},
               lambda P: torch.cat([heads_w(P[n + ".W"]) for n in qkv]))
    tie.custom(tprefix + "self_attn.in_proj_bias", {n + ".b": (k, h) for n in qkv},
               lambda P: torch.cat([heads_b(P[n + ".b"]) for n in qkv]))
    tie.custom(tprefix + "self_attn.out_proj.weight", {cprefix + "LO.W": (k, h, m)},
               lambda P: P[cprefix + "LO.W"].permute(1, 0, 2).reshape(h * k, m).T)
    tie.add(tprefix + "self_attn.out_proj.bias", cprefix + "LO.b")
    for t, c in [("norm1", "ln1"), ("norm2", "ln2")]:
        tie.add(f"{tprefix}{t}.weight", f"{cprefix}{c}.gain")
        tie.add(f"{tprefix}{t}.bias", f"{cprefix}{c}.shift")
    for t, c in [("linear1", "up"), ("linear2", "down")]:
        tie.add(f"{tprefix}{t}.weight", f"{cprefix}{c}.W", "lin")
        tie.add(f"{tprefix}{t}.bias", f"{cprefix}{c}.b")


def mlp():
    b = 2
    tie = Tie(nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                            nn.Linear(512, 10), nn.Softmax(-1)))
    for t, c in [("1", "L1"), ("3", "L2"), ("5", "L3")]:
        tie.add(t + ".weight", c + ".W", "lin")
        tie.add(t + ".bias", c + ".b")
    x = inp(0, (b, 28, 28))
    return {"bind": {"b": b}, **run(tie.forward, [x], tie.P, lambda y: y)}


def mha():
    """Functional: nn.MultiheadAttention projects queries to its embed_dim = m, while the
    circuit's heads have k·h ≠ m, so no module fits."""
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

    return {"bind": {"m": m, "k": k, "h": h, "y": y, "x": x}, **run(f, [X, Z], P, lambda t: t)}


class ConvFamily(nn.Module):
    """Strided, dilated, grouped (4), depthwise and transposed convolutions, as the circuit."""

    def __init__(self, c):
        super().__init__()
        self.strided = nn.Conv2d(c, 2 * c, 3, stride=2, padding=1)
        self.dilated = nn.Conv2d(2 * c, 2 * c, 3, dilation=2, padding=2)
        self.grouped = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=4)
        self.depthwise = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c, bias=False)
        self.transposed = nn.ConvTranspose2d(2 * c, c, 2, stride=2)

    def forward(self, x):
        x = F.relu(self.strided(x))
        x = F.relu(self.dilated(x))
        x = F.relu(self.grouped(x))
        return self.transposed(torch.tanh(self.depthwise(x)))


def conv():
    b, c, H = 1, 8, 8
    tie = Tie(ConvFamily(c))
    for n in ["strided", "dilated"]:
        tie.add(n + ".weight", n + ".W", "conv")
        tie.add(n + ".bias", n + ".b")

    def grouped_w(W):  # [g, ci/g, kh, kw, co/g] -> [co, ci/g, kh, kw], groups outermost
        g, ci, kh, kw, co = W.shape
        return W.permute(0, 4, 1, 2, 3).reshape(g * co, ci, kh, kw)

    tie.custom("grouped.weight", {"grouped.W": (4, 2 * c // 4, 3, 3, 2 * c // 4)}, lambda P: grouped_w(P["grouped.W"]))
    tie.custom("grouped.bias", {"grouped.b": (4, 2 * c // 4)}, lambda P: P["grouped.b"].reshape(-1))
    tie.custom("depthwise.weight", {"depthwise.W": (2 * c, 1, 3, 3, 1)}, lambda P: grouped_w(P["depthwise.W"]))
    tie.add("transposed.weight", "transposed.W")  # [ci, co, kh, kw] in both
    tie.add("transposed.bias", "transposed.bias.value")
    x = inp(0, (b, c, H, H))
    out = lambda t: t.permute(0, 2, 3, 1)  # circuit [b, H, W, c5]
    return {"bind": {"b": b, "c": c, "H": H}, **run(tie.forward, [x], tie.P, out)}


def transformer_block():
    b, t, m, h = 2, 3, 8, 2
    tie = Tie(encoder_layer(m, h))
    tie_encoder_layer(tie, "", "", m, h)
    x = inp(0, (b, t, m))
    return {"bind": {"b": b, "t": t, "m": m, "h": h}, **run(tie.forward, [x], tie.P, lambda y: y)}


def sdpa():
    """F.scaled_dot_product_attention on 2-D inputs (PyTorch's math path)."""
    y, x, k = 3, 4, 5
    Q, K, V = inp(0, (y, k)), inp(1, (x, k)), inp(2, (x, k))
    f = lambda xs, P: F.scaled_dot_product_attention(*xs)
    return {"bind": {"y": y, "x": x, "k": k}, **run(f, [Q, K, V], {}, lambda t: t)}


class Decoder(nn.Module):
    """Token embedding + learned positions, pre-norm encoder layers (no mask), LN, unembedding."""

    def __init__(self, v, t, m, h, depth):
        super().__init__()
        self.embed = nn.Embedding(v, m)
        self.pos = nn.Parameter(torch.zeros(t, m))
        self.layers = nn.ModuleList(encoder_layer(m, h) for _ in range(depth))
        self.norm = nn.LayerNorm(m)
        self.unembed = nn.Linear(m, v, bias=False)

    def forward(self, ids):
        x = self.embed(ids) + self.pos
        for layer in self.layers:
            x = layer(x)
        return self.unembed(self.norm(x))


def transformer():
    b, t, m, h, v, depth = 2, 3, 8, 2, 7, 2
    tie = Tie(Decoder(v, t, m, h, depth))
    tie.add("embed.weight", "embed.table")  # [v, m] in both
    tie.add("pos", "pos.value")
    for i in range(depth):
        tie_encoder_layer(tie, f"layers.{i}.", f"Block[{i}].", m, h)
    tie.add("norm.weight", "ln_f.gain")
    tie.add("norm.bias", "ln_f.shift")
    tie.add("unembed.weight", "unembed.W", "lin")
    ids = tokens((b, t), v)
    return {"bind": {"b": b, "t": t, "m": m, "h": h, "v": v}, **run(tie.forward, [ids], tie.P, lambda y: y)}


class ViT(nn.Module):
    """p×p patches by a stride-p nn.Conv2d, learned positions, encoder layers, LN, mean, head."""

    def __init__(self, c, m, h, o, tokens_, depth, p=8):
        super().__init__()
        self.patch = nn.Conv2d(c, m, p, stride=p)
        self.pos = nn.Parameter(torch.zeros(tokens_, m))
        self.layers = nn.ModuleList(encoder_layer(m, h) for _ in range(depth))
        self.norm = nn.LayerNorm(m)
        self.head = nn.Linear(m, o)

    def forward(self, img):
        x = self.patch(img).flatten(2).transpose(1, 2) + self.pos  # tokens row-major over the grid
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x).mean(1))


def vit():
    b, c, H, m, h, o, depth = 2, 2, 16, 8, 2, 3, 2
    tie = Tie(ViT(c, m, h, o, (H // 8) ** 2, depth))
    tie.add("patch.weight", "patch_embed.W", "conv")
    tie.add("patch.bias", "patch_embed.b")
    tie.add("pos", "pos.value")
    for i in range(depth):
        tie_encoder_layer(tie, f"layers.{i}.", f"Block[{i}].", m, h)
    tie.add("norm.weight", "ln_f.gain")
    tie.add("norm.bias", "ln_f.shift")
    tie.add("head.weight", "head.W", "lin")
    tie.add("head.bias", "head.b")
    x = inp(0, (b, c, H, H))
    return {"bind": {"b": b, "c": c, "H": H, "m": m, "h": h, "o": o}, **run(tie.forward, [x], tie.P, lambda y: y)}


class VisualAttention(nn.Module):
    """Q, K, V by 3×3 stride-3 nn.Conv2d (heads head-major in the channels), SDPA over the
    grid's tokens, heads merged (k, h) k-major, output by a 3×3 stride-3 nn.ConvTranspose2d."""

    def __init__(self, c, k, h):
        super().__init__()
        self.k, self.h = k, h
        self.q, self.kk, self.v = (nn.Conv2d(c, h * k, 3, stride=3) for _ in range(3))
        self.out = nn.ConvTranspose2d(k * h, c, 3, stride=3)

    def forward(self, x):
        b = x.shape[0]
        q = self.q(x)
        gh, gw = q.shape[2:]
        # [b, h, L, k], transposed: the last axis is not contiguous, so SDPA takes its math path
        # (plain batched products) rather than the fused kernel (see golden.rs on FLOPs)
        heads = lambda t: t.reshape(b, self.h, self.k, gh * gw).transpose(2, 3)
        o = F.scaled_dot_product_attention(heads(q), heads(self.kk(x)), heads(self.v(x)))
        o = o.permute(0, 3, 1, 2).reshape(b, self.k * self.h, gh, gw)
        return self.out(o)


def visual_attention():
    b, c, k, h, H = 2, 3, 2, 2, 11  # 11 = 3·3 + 2: the floor drops two rows and columns
    tie = Tie(VisualAttention(c, k, h))
    for t, n in [("q", "LQ"), ("kk", "LK"), ("v", "LV")]:
        # circuit [c, kH, kW, k, h] -> [(h k), c, kH, kW]
        tie.custom(t + ".weight", {n + ".W": (c, 3, 3, k, h)},
                   lambda P, n=n: P[n + ".W"].permute(4, 3, 0, 1, 2).reshape(h * k, c, 3, 3))
        tie.custom(t + ".bias", {n + ".b": (k, h)}, lambda P, n=n: P[n + ".b"].T.reshape(h * k))
    tie.add("out.weight", "LO.W")  # [(k h), c, 3, 3] in both
    tie.add("out.bias", "LO.bias.value")
    x = inp(0, (b, c, H, H))
    out = lambda y: y.permute(0, 2, 3, 1)  # circuit [b, H2, W2, c]
    return {"bind": {"b": b, "c": c, "k": k, "h": h, "H": H}, **run(tie.forward, [x], tie.P, out)}


def rnn_cell():
    b, i, n = 2, 3, 4
    tie = Tie(nn.RNNCell(i, n))
    tie.add("weight_ih", "W_x.W", "lin")
    tie.add("weight_hh", "W_h.W", "lin")
    tie.add("bias_ih", "W_x.b")
    # nn.RNNCell has two biases that only enter as a sum; the circuit has one
    tie.custom("bias_hh", {}, lambda P: torch.zeros(n))
    x, hx = inp(0, (b, i)), inp(1, (b, n))
    return {"bind": {"b": b, "i": i, "n": n}, **run(tie.forward, [x, hx], tie.P, lambda y: y)}


def ncap_swimmer():
    """No torch.nn module fits: the original NCAP equations, functional. Sign constraints on
    the weights (excitatory relu(w), inhibitory -relu(-w)), graded = clamp to [0, 1]."""
    b, n = 2, 5
    # The closed-form w_prop is negative: flip it so every weight has its biological sign and
    # the proprioceptive path is live (a negative excitatory weight silences it). Shrink
    # w_contra so that ipsilateral excitation wins on the head, whose two sides are driven
    # alike: otherwise both head muscles clamp to 0 and osc, w_osc, w_contra get no gradient.
    scales = {"B-neurons.w_prop": -1.0, "muscles.w_contra": 0.25}
    names = ["B-neurons.w_osc", "B-neurons.w_prop", "muscles.w_ipsi", "muscles.w_contra"]
    P = {nm: param(nm, (1,), scales.get(nm, 1.0)) for nm in names}
    osc, q = inp(0, (b, 1, 2)), inp(1, (b, n))  # osc in (0, 1]: cos(0.23 j) for j < 4

    def f(xs, P):
        osc, q = xs
        graded = lambda u: u.clamp(0, 1)
        exc, inh = lambda w: F.relu(w), lambda w: -F.relu(-w)
        w_osc, w_prop, w_ipsi, w_contra = (P[nm] for nm in names)
        qh = {0: graded(q), 1: graded(-q)}  # dorsal, ventral proprioception
        bn = {s: graded(torch.cat([exc(w_osc) * osc[:, :, s], exc(w_prop) * qh[s][:, :-1]], 1)) for s in (0, 1)}
        m = {s: graded(exc(w_ipsi) * bn[s] + inh(w_contra) * bn[1 - s]) for s in (0, 1)}
        return m[0] - m[1]

    return {"bind": {"b": b, "n": n}, "param_scale": scales, **run(f, [osc, q], P, lambda y: y)}


class Residual(nn.Module):
    """Pre-activation residual unit: a = ReLU(BN(x)); 1×1 (stride s), BN-ReLU, 3×3, BN-ReLU,
    1×1; plus a strided 1×1 projection of `a` (first unit of a stage) or x itself."""

    def __init__(self, c0, c1, s, project):
        super().__init__()
        nb = c1 // 4
        self.pre = nn.BatchNorm2d(c0)
        self.conv1, self.bn1 = nn.Conv2d(c0, nb, 1, stride=s), nn.BatchNorm2d(nb)
        self.conv3, self.bn2 = nn.Conv2d(nb, nb, 3, padding=1), nn.BatchNorm2d(nb)
        self.conv1b = nn.Conv2d(nb, c1, 1)
        self.shortcut = nn.Conv2d(c0, c1, 1, stride=s) if project else None

    def forward(self, x):
        a = F.relu(self.pre(x))
        r = self.conv1b(F.relu(self.bn2(self.conv3(F.relu(self.bn1(self.conv1(a)))))))
        return r + (self.shortcut(a) if self.shortcut is not None else x)


class ResNet(nn.Module):
    """Fig. 26 as drawn; BatchNorm2d in training mode (batch statistics), as the circuit."""

    def __init__(self, n, depth=3):
        super().__init__()
        self.stem = nn.Conv2d(3, n, 3, padding=1)
        widths = [(n, 4 * n, 1), (4 * n, 8 * n, 2), (8 * n, 16 * n, 2)]
        self.stages = nn.ModuleList(
            nn.Sequential(Residual(c0, c1, s, True), *[Residual(c1, c1, 1, False) for _ in range(depth - 1)])
            for c0, c1, s in widths)
        self.bn = nn.BatchNorm2d(16 * n)
        self.pool = nn.AvgPool2d(8)
        self.head = nn.Linear(16 * n, 10)

    def forward(self, x):
        x = self.stem(x)
        for st in self.stages:
            x = st(x)
        x = self.pool(F.relu(self.bn(x))).mean((2, 3))  # 8×8 pools, then the mean over them
        return torch.softmax(self.head(x), -1)


def resnet():
    b, H, n, depth = 2, 32, 4, 3  # 32 is the smallest size the circuit allows (32 | H)
    tie = Tie(ResNet(n, depth).train())
    tie.add("stem.weight", "stem.W", "conv")
    tie.add("stem.bias", "stem.b")
    stages = ["Block(1,N)", "Block(2,N)", "Block(2,N)'"]
    for i, st in enumerate(stages):
        for j in range(depth):
            t = f"stages.{i}.{j}."
            # the circuit names a stage's identity units Identity[j], with ~2, ~3 on repeats
            pre, suf = (st + ".", "") if j == 0 else (f"Identity[{j - 1}].", "" if i == 0 else f"~{i + 1}")
            for tn, cn in [("pre", "pre.bn"), ("bn1", "act1.bn"), ("bn2", "act2.bn")]:
                tie.add(t + tn + ".weight", pre + cn + ".gain" + suf)
                tie.add(t + tn + ".bias", pre + cn + ".shift" + suf)
            for tn in ["conv1", "conv3", "conv1b"] + (["shortcut"] if j == 0 else []):
                tie.add(t + tn + ".weight", pre + tn + ".W" + suf, "conv")
                tie.add(t + tn + ".bias", pre + tn + ".b" + suf)
    tie.add("bn.weight", "final.bn.gain")
    tie.add("bn.bias", "final.bn.shift")
    tie.add("head.weight", "head.W", "lin")
    tie.add("head.bias", "head.b")
    x = inp(0, (b, 3, H, H))
    return {"bind": {"b": b, "H": H, "n": n}, **run(tie.forward, [x], tie.P, lambda y: y)}


def double_conv(ci, co, pad):
    return nn.Sequential(nn.Conv2d(ci, co, 3, padding=pad), nn.ReLU(), nn.Conv2d(co, co, 3, padding=pad), nn.ReLU())


def tie_double_conv(tie, t, c):
    for ti, cn in [("0", "conv_a"), ("2", "conv_b")]:
        tie.add(f"{t}.{ti}.weight", f"{c}.{cn}.W", "conv")
        tie.add(f"{t}.{ti}.bias", f"{c}.{cn}.b")


def tie_up(tie, t, c):  # nn.ConvTranspose2d's [in, out, kh, kw] is the circuit's layout
    tie.add(t + ".weight", c + ".up.W")
    tie.add(t + ".bias", c + ".up.bias.value")


class UNetDrawn(nn.Module):
    """Fig. 27 as drawn: same-padded double 3×3 convs, 2×2 max-pools, channels c·2^i, three up
    blocks concatenating [skip C4, C3, C2; upsampled], C1 unused, final 1×1 to 2 classes."""

    def __init__(self, c):
        super().__init__()
        ch = [1] + [c * 2 ** i for i in range(1, 6)]
        self.down = nn.ModuleList(double_conv(ch[l - 1], ch[l], 1) for l in range(1, 5))
        self.pool = nn.MaxPool2d(2)
        self.middle = double_conv(ch[4], ch[5], 1)
        self.middle_up = nn.ConvTranspose2d(ch[5], ch[4], 2, stride=2)
        self.up_convs = nn.ModuleList(double_conv(2 * ch[l], ch[l], 1) for l in (4, 3, 2))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(ch[l], ch[l - 1], 2, stride=2) for l in (4, 3, 2))
        self.final = nn.Conv2d(ch[1], 2, 1)

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = self.pool(x)
        x = self.middle_up(self.middle(x))
        for conv, up, l in zip(self.up_convs, self.ups, (4, 3, 2)):
            x = up(conv(torch.cat([skips[l - 1], x], 1)))
        return self.final(x)


def unet(b=2, X=16, c=4):
    # X = 16: four 2×2 pools down to 1×1; at c < 4 the closed-form weights leave the last
    # double conv dead (every ReLU off), so no gradient would reach the encoder
    tie = Tie(UNetDrawn(c))
    for l in range(4):
        tie_double_conv(tie, f"down.{l}", f"Down[{l}]")
    tie_double_conv(tie, "middle", "Middle")
    tie_up(tie, "middle_up", "Middle")
    for j in range(3):
        tie_double_conv(tie, f"up_convs.{j}", f"Up[{j}]")
        tie_up(tie, f"ups.{j}", f"Up[{j}]")
    tie.add("final.weight", "final.W", "conv")
    tie.add("final.bias", "final.b")
    x = inp(0, (b, 1, X, X))
    out = lambda y: y.permute(0, 2, 3, 1)  # circuit [b, x1, w1, y]
    return {"bind": {"b": b, "X": X, "c": c}, **run(tie.forward, [x], tie.P, out)}


class UNetRonneberger(nn.Module):
    """Ronneberger et al. 2015: valid double 3×3 convs, 2×2 max-pools, widths c…16c, 2×2
    up-convs, centre-cropped skips concatenated [skip, up], final 1×1 to 2 classes."""

    def __init__(self, c):
        super().__init__()
        ch = [1] + [c * 2 ** i for i in range(5)]
        self.down = nn.ModuleList(double_conv(ch[l], ch[l + 1], 0) for l in range(4))
        self.pool = nn.MaxPool2d(2)
        self.bottom = double_conv(ch[4], ch[5], 0)
        self.ups = nn.ModuleList(nn.ConvTranspose2d(ch[l + 1], ch[l], 2, stride=2) for l in (4, 3, 2, 1))
        self.up_convs = nn.ModuleList(double_conv(2 * ch[l], ch[l], 0) for l in (4, 3, 2, 1))
        self.final = nn.Conv2d(ch[1], 2, 1)

    def forward(self, x):
        skips = []
        for d in self.down:
            x = d(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, conv, skip in zip(self.ups, self.up_convs, reversed(skips)):
            x = up(x)
            o = (skip.shape[-1] - x.shape[-1]) // 2
            crop = skip[:, :, o:o + x.shape[-2], o:o + x.shape[-1]]
            x = conv(torch.cat([crop, x], 1))
        return self.final(x)


def unet_ronneberger(b=1, S=188, c=8):
    # S = 16 s + 124 with s ≥ 4 at the bottom for every up level to stay positive: 188 is the
    # smallest (output 4×4); the crops are 4, 16, 40, 88 at every S. At c < 8 the
    # closed-form weights leave the last double conv dead, so no gradient would flow
    tie = Tie(UNetRonneberger(c))
    for l in range(4):
        tie_double_conv(tie, f"down.{l}", f"Down[{l}]")
    tie_double_conv(tie, "bottom", "Bottom")
    for j in range(4):
        tie_up(tie, f"ups.{j}", f"Up[{j}]")
        tie_double_conv(tie, f"up_convs.{j}", f"Up[{j}]")
    tie.add("final.weight", "final.W", "conv")
    tie.add("final.bias", "final.b")
    x = inp(0, (b, 1, S, S))
    out = lambda y: y.permute(0, 2, 3, 1)  # circuit [b, H…, W…, classes]
    return {"bind": {"b": b, "S": S, "c": c}, **run(tie.forward, [x], tie.P, out)}


# ---------------------------------------------------------------------------------------------
# Single operations: a small circuit in the text format (loaded by golden.rs) beside the torch
# function it must compute. Real input i is shift_i + scale_i * cos(0.23 j + 0.5 i), so that
# sqrt, rsqrt and reciprocal see positive inputs and the others both signs.


def op_case(ncd, f, shapes, affine, bind):
    xs = [a + s * inp(i, shape) for i, (shape, (a, s)) in enumerate(zip(shapes, affine))]
    xs = [x.detach() for x in xs]
    return {"ncd": ncd, "bind": bind, "inputs": affine, **run(lambda xs, P: f(*xs), xs, {}, lambda y: y)}


def unary(name, f, positive=False):
    ncd = f"circuit {name}\nsize n = 5\nsize m = 8\ninput x [n m]\ny = {name} x\noutput y\n"
    return op_case(ncd, f, [(5, 8)], [[2.5, 2.0] if positive else [0.0, 3.0]], {"n": 5, "m": 8})


def ops():
    gelu_tanh = nn.GELU(approximate="tanh")
    cases = {
        "sqrt": unary("sqrt", torch.sqrt, True),
        "rsqrt": unary("rsqrt", torch.rsqrt, True),
        "reciprocal": unary("reciprocal", torch.reciprocal, True),
        "silu": unary("silu", F.silu),
        "gelu_erf": unary("gelu_erf", nn.GELU()),
        "gelu": unary("gelu", gelu_tanh),
        "erf": unary("erf", torch.erf),
        "sin": unary("sin", torch.sin),
        "cos": unary("cos", torch.cos),
        # a gate: the product of two wires, the second broadcast over n
        "mul": op_case("circuit mul\nsize n = 5\nsize m = 8\ninput x [n m]\ninput g [m]\n"
                       "y = mul x g\noutput y\n", torch.mul, [(5, 8), (8,)], [[0.0, 1.0], [0.5, 1.0]],
                       {"n": 5, "m": 8}),
    }
    # causal and banded (one diagonal each side) masks before a softmax over the keys s; the
    # input is laid out [s t] in the circuit, so the row (query) axis t is the inner one
    def masked(keep):
        t = 5
        i, j = torch.arange(t)[:, None], torch.arange(t)[None, :]  # [query, key]
        def f(x):  # x: [s, t]
            z = x.T.masked_fill(~keep(i, j), float("-inf"))
            return torch.softmax(z, dim=1).T
        return f
    for name, spec, keep in [("mask_causal", "causal", lambda i, j: j <= i),
                             ("mask_band", "below 1 above 1", lambda i, j: (j - i).abs() <= 1)]:
        cases[name] = op_case(f"circuit {name}\nsize t = 5\ninput x [s=t t]\n"
                              f"y = mask x t s {spec} ; softmax over s\noutput y\n",
                              masked(keep), [(5, 5)], [[0.0, 2.0]], {"t": 5})
    # a fused projection split in three; parts 0 and 2 meet in a product, part 1 is unused
    # (its gradient is zero)
    def split3(x):
        a, _, c = x.split(4, dim=1)
        return torch.einsum("tq,tv->qv", a, c)
    cases["split"] = op_case("circuit split\nsize m = 4\ninput x [t=3 f=3*m]\n"
                             "y = split x f -> q=m k=m v=m\n"
                             "z = einsum \"t q, t v -> q v\" y.0 y.2\noutput z\n",
                             split3, [(3, 12)], [[0.0, 1.0]], {"m": 4})
    # gather along the vocabulary-like axis v of a computed value; index j is (3 j + 1) mod 5
    cases["gather"] = {"ncd": "circuit gather\nsize v = 5\ninput x [f=4 v]\ninput ids [t=6] index\n"
                              "y = tanh x ; gather v at ids\noutput y\n",
                       "bind": {"v": 5}, "inputs": [[0.0, 2.0]],
                       **run(lambda xs, P: torch.tanh(xs[0]).index_select(1, xs[1]).T,
                             [(2.0 * inp(0, (4, 5))).detach(), tokens((6,), 5)], {}, lambda y: y)}
    # RMSNorm over (c, m) jointly, eps 1e-5, gain "y.gain" [c m] (closed-form like every param)
    g = {"y.gain": param("y.gain", (2, 4))}
    x = (inp(0, (3, 2, 4)) * 2.0).detach()
    cases["rmsnorm"] = {"ncd": "circuit rmsnorm\ninput x [n=3 c=2 m=4]\ny = rmsnorm x over c m eps 1e-5\noutput y\n",
                        "bind": {}, "inputs": [[0.0, 2.0]],
                        **run(lambda xs, P: F.rms_norm(xs[0], (2, 4), P["y.gain"], 1e-5), [x], g, lambda y: y)}
    # RoPE along k by the positions of t, on a [t h k] input (base 100 to turn faster)
    cases["rope"] = op_case("circuit rope\ninput x [t=5 h=2 k=6]\ny = rope x t k base 100\noutput y\n",
                            lambda x: rope_ref(x.transpose(0, 1), 100.0).transpose(0, 1), [(5, 2, 6)],
                            [[0.0, 1.0]], {})
    # Mixtral's routing weights: softmax of the router logits over 5 experts, the top 2
    # kept and renormalised, scattered back (zeros elsewhere); the circuit writes topk + softmax
    def routing(x):  # x [t, e]
        w = torch.softmax(x, dim=1)
        top, idx = w.topk(2, dim=1)
        return torch.zeros_like(w).scatter(1, idx, top / top.sum(1, keepdim=True))
    cases["topk"] = op_case("circuit topk\ninput x [t=6 e=5]\ny = topk x over e 2 ; softmax over e\noutput y\n",
                            routing, [(6, 5)], [[0.0, 2.0]], {})
    # position 2 of the middle axis t of a [b t m] value, which the output loses
    cases["select"] = op_case("circuit select\ninput x [b=2 t=4 m=3]\ny = tanh x ; select t 2\noutput y\n",
                              lambda x: torch.tanh(x).select(1, 2), [(2, 4, 3)], [[0.0, 2.0]], {})
    # the transformer's sinusoidal positions (base 100 to turn faster) scaling the input, so
    # the gradient reads the table too
    cases["sinusoid"] = op_case("circuit sinusoid\ninput x [t=5 m=6]\np = sinusoid [t m] base 100\n"
                                "y = mul x p\noutput y\n",
                                lambda x: x * sinusoid_ref(5, 6, 100.0), [(5, 6)], [[0.0, 1.0]], {})
    return cases


def sinusoid_ref(t, d, base=10000.0):
    """The Annotated Transformer's PositionalEncoding table: sin on even, cos on odd features."""
    pe = torch.zeros(t, d)
    position = torch.arange(t, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64) * (-math.log(base) / d))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def gpt2_block():
    """Functional, in GPT-2's own layouts (Conv1D weights [in, out], as the circuit's): LN,
    fused QKV split in three, heads head-major (view(b, t, h, k)), causal attention written
    out (matmul, masked_fill(-inf), softmax, matmul: the math path), tanh GELU, biases."""
    b, t, m, h = 2, 4, 8, 2
    k = m // h
    shapes = {"ln_1.gain": (m,), "ln_1.shift": (m,), "c_attn.W": (m, 3 * m), "c_attn.b": (3 * m,),
              "c_proj.W": (m, m), "c_proj.b": (m,), "ln_2.gain": (m,), "ln_2.shift": (m,),
              "c_fc.W": (m, 4 * m), "c_fc.b": (4 * m,), "mlp_proj.W": (4 * m, m), "mlp_proj.b": (m,)}
    P = {n: param(n, sh) for n, sh in shapes.items()}

    def f(xs, P):
        x = xs[0]
        a = F.layer_norm(x, (m,), P["ln_1.gain"], P["ln_1.shift"], 1e-5)
        q, kk, v = (a @ P["c_attn.W"] + P["c_attn.b"]).split(m, dim=2)
        heads = lambda z: z.view(b, t, h, k).transpose(1, 2)  # [b, h, t, k]
        q, kk, v = heads(q), heads(kk), heads(v)
        sc = (q @ kk.transpose(-1, -2)) / math.sqrt(k)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        att = torch.softmax(sc.masked_fill(~causal, float("-inf")), dim=-1)
        o = (att @ v).transpose(1, 2).reshape(b, t, m)
        x = x + (o @ P["c_proj.W"] + P["c_proj.b"])
        a = F.layer_norm(x, (m,), P["ln_2.gain"], P["ln_2.shift"], 1e-5)
        u = F.gelu(a @ P["c_fc.W"] + P["c_fc.b"], approximate="tanh")
        return x + (u @ P["mlp_proj.W"] + P["mlp_proj.b"])

    x = inp(0, (b, t, m))
    return {"bind": {"b": b, "t": t, "m": m, "h": h}, **run(f, [x], P, lambda y: y)}


def rope_ref(x, base=10000.0):
    """Rotate-half RoPE (HF LLaMA's apply_rotary_pos_emb) on x [..., t, d]."""
    t, d = x.shape[-2], x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, d, 2, dtype=torch.float64) / d))
    freqs = torch.outer(torch.arange(t, dtype=torch.float64), inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * emb.cos() + torch.cat([-x2, x1], dim=-1) * emb.sin()


def llama_block():
    """Functional LLaMA block (HF LlamaDecoderLayer's math): RMSNorm eps 1e-5, q/k/v without
    bias, RoPE on q and k, repeat_kv for grouped-query heads, causal softmax written out,
    o_proj, RMSNorm, SwiGLU (down(silu(gate) * up)). Weights in the circuit's layouts."""
    b, t, m, h, g, f = 2, 4, 16, 4, 2, 12
    k, r = m // h, h // g
    shapes = {"input_norm.gain": (m,), "q_proj.W": (m, h, k), "k_proj.W": (m, g, k), "v_proj.W": (m, g, k),
              "o_proj.W": (h, k, m), "post_norm.gain": (m,), "gate_proj.W": (m, f), "up_proj.W": (m, f),
              "down_proj.W": (f, m)}
    P = {n: param(n, sh) for n, sh in shapes.items()}

    def f_(xs, P):
        x = xs[0]
        a = F.rms_norm(x, (m,), P["input_norm.gain"], 1e-5)
        heads = lambda z, n: (z @ P[n].reshape(m, -1)).view(b, t, -1, k).transpose(1, 2)  # [b, heads, t, k]
        q = rope_ref(heads(a, "q_proj.W"))
        kk = rope_ref(heads(a, "k_proj.W")).repeat_interleave(r, dim=1)  # repeat_kv
        v = heads(a, "v_proj.W").repeat_interleave(r, dim=1)
        sc = (q @ kk.transpose(-1, -2)) / math.sqrt(k)
        causal = torch.ones(t, t, dtype=torch.bool).tril()
        att = torch.softmax(sc.masked_fill(~causal, float("-inf")), dim=-1)
        o = (att @ v).transpose(1, 2).reshape(b, t, h * k)
        x = x + o @ P["o_proj.W"].reshape(h * k, m)
        a = F.rms_norm(x, (m,), P["post_norm.gain"], 1e-5)
        return x + (F.silu(a @ P["gate_proj.W"]) * (a @ P["up_proj.W"])) @ P["down_proj.W"]

    x = inp(0, (b, t, m))
    return {"bind": {"b": b, "t": t, "m": m, "h": h, "g": g, "f": f}, **run(f_, [x], P, lambda y: y)}


def moe_block():
    """Mixtral's sparse MoE block (HF MixtralSparseMoeBlock's math) after an RMSNorm, with a
    residual: router logits, softmax, top 2, renormalised; each expert runs only on the
    tokens routed to it (index_select, SwiGLU w2(silu(w1 x) * w3 x), scaled by the routing
    weight, index_add back). Weights in the circuit's layouts: expert j's w1 is gate_proj.W[:, j]."""
    t, m, e, f, k = 6, 8, 4, 6, 2
    shapes = {"norm.gain": (m,), "router.W": (m, e), "gate_proj.W": (m, e, f), "up_proj.W": (m, e, f),
              "down_proj.W": (e, f, m)}
    P = {n: param(n, sh) for n, sh in shapes.items()}
    x = inp(0, (t, m))

    def f_(xs, P):
        x = xs[0]
        h = F.rms_norm(x, (m,), P["norm.gain"], 1e-5)
        probs = torch.softmax(h @ P["router.W"], dim=1)
        w, sel = probs.topk(k, dim=1)
        w = w / w.sum(dim=1, keepdim=True)
        out = torch.zeros_like(h)
        for j in range(e):
            tok, slot = torch.where(sel == j)
            if tok.numel() == 0:
                continue
            xe = h.index_select(0, tok)
            y = (F.silu(xe @ P["gate_proj.W"][:, j]) * (xe @ P["up_proj.W"][:, j])) @ P["down_proj.W"][j]
            out = out.index_add(0, tok, y * w[tok, slot, None])
        return x + out

    # the routing must not hang on a near tie (the k-th and (k+1)-th probabilities of a
    # token), and every expert must get a token so that each weight gradient is exercised
    with torch.no_grad():
        probs = torch.softmax(F.rms_norm(x, (m,), P["norm.gain"], 1e-5) @ P["router.W"], dim=1)
        top = probs.topk(k + 1, dim=1).values
        margin = (top[:, k - 1] - top[:, k]).min().item()
        hit = probs.topk(k, dim=1).indices.unique().numel()
    assert margin > 1e-3, f"moe_block: routing margin {margin}"
    assert hit == e, f"moe_block: only {hit} of {e} experts routed to"
    print(f"moe_block: smallest routing margin {margin:.3g}, {hit} of {e} experts hit")
    return {"bind": {"t": t, "m": m, "e": e, "f": f}, **run(f_, [x], P, lambda y: y)}


def param_counts():
    """Parameters of the independently built modules at the zoo's default (paper) sizes."""
    with torch.device("meta"):
        mods = {
            "mlp": nn.Sequential(nn.Linear(784, 512), nn.Linear(512, 512), nn.Linear(512, 10)),
            # m = 128 → k·h = 64: four bias-free projections (nn.MultiheadAttention needs k·h = m)
            "mha": nn.ModuleList([nn.Linear(128, 64, bias=False) for _ in range(3)] + [nn.Linear(64, 128, bias=False)]),
            "resnet": ResNet(16),
            # LLaMA block at m = 64, h = 4, g = 2 (k = 16), f = 128: bias-free projections, two RMSNorms
            "llama_block": nn.ModuleList([nn.Linear(64, 64, bias=False), nn.Linear(64, 32, bias=False),
                                          nn.Linear(64, 32, bias=False), nn.Linear(64, 64, bias=False),
                                          nn.Linear(64, 128, bias=False), nn.Linear(64, 128, bias=False),
                                          nn.Linear(128, 64, bias=False), nn.RMSNorm(64), nn.RMSNorm(64)]),
            # GPT-2 block at m = 64: two LayerNorms, c_attn, c_proj, c_fc, mlp c_proj
            "gpt2_block": nn.ModuleList([nn.LayerNorm(64), nn.Linear(64, 192), nn.Linear(64, 64), nn.LayerNorm(64),
                                         nn.Linear(64, 256), nn.Linear(256, 64)]),
            # Mixtral MoE block at m = 32, e = 4 experts of hidden f = 64: RMSNorm, bias-free
            # router, per expert w1, w3 (m → f) and w2 (f → m) without bias
            "moe_block": nn.ModuleList([nn.RMSNorm(32), nn.Linear(32, 4, bias=False)]
                                       + [nn.Linear(32, 64, bias=False) for _ in range(8)]
                                       + [nn.Linear(64, 32, bias=False) for _ in range(4)]),
            "unet": UNetDrawn(64),
            "unet_ronneberger": UNetRonneberger(64),
        }
        return {k: sum(p.numel() for p in m.parameters()) for k, m in mods.items()}


def main():
    builders = [mlp, mha, conv, transformer_block, gpt2_block, llama_block, moe_block, sdpa, transformer, vit, visual_attention, rnn_cell,
                ncap_swimmer, resnet, unet, unet_ronneberger]
    out = {"torch": torch.__version__, "param_counts": param_counts(), "models": {f.__name__: f() for f in builders},
           "ops": ops()}
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "..", "crates", "diagram", "tests", "data", "golden.json")
    with open(path, "w") as fh:
        json.dump(out, fh, separators=(",", ":"))
    print("wrote", os.path.normpath(path), os.path.getsize(path), "bytes")
    for k, v in out["models"].items():
        print(f"  {k:18} fwd {v['flops_forward']:>12} bwd {v['flops_backward']:>12}")


if __name__ == "__main__":
    main()
