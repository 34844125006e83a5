"""Exports the ONNX test models of nc-diagram-onnx and their onnxruntime reference outputs.

Each model is a small, randomly initialised PyTorch module (seeded, no downloads). For each,
this writes into crates/diagram-onnx/tests/data/:
  NAME.onnx              the model, exported by torch.onnx.export (TorchScript exporter, opset 17
                         unless OPSET says otherwise: 13 and 18 cover both attribute forms)
  NAME.ref.safetensors   the inputs (by ONNX input name) and onnxruntime's outputs (by ONNX
                         output name), float32

Versions are pinned in requirements.txt. Run from the repository root:
  python -m venv /tmp/onnxref && /tmp/onnxref/bin/pip install -r tools/reference/onnx/requirements.txt
  /tmp/onnxref/bin/python tools/reference/onnx/make_models.py
"""

import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from safetensors.numpy import save_file
from torch import nn

OUT = os.path.join("crates", "diagram-onnx", "tests", "data")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(48, 32)
        self.fc2 = nn.Linear(32, 32)
        self.fc3 = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return torch.softmax(self.fc3(x), dim=-1)


class GeluMlp(nn.Module):
    """A pre-norm GELU MLP block with a residual: nn.GELU exports as Div, Erf, Add, Mul, Mul,
    which the importer recognises as one exact GELU."""

    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(16)
        self.up = nn.Linear(16, 32)
        self.down = nn.Linear(32, 16)

    def forward(self, x):
        return x + self.down(nn.functional.gelu(self.up(self.norm(x))))


class CumsumMlp(nn.Module):
    """A linear layer, a cumulative sum (CumSum has no translation: this model tests the
    unsupported-operator report and --partial) and a ReLU."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return torch.relu(torch.cumsum(self.fc(x), dim=-1))


class Attention(nn.Module):
    """Multi-head self-attention written out (Linear, Reshape, Transpose, MatMul, Softmax)."""

    def __init__(self, m, heads):
        super().__init__()
        self.h, self.d = heads, m // heads
        self.q, self.k, self.v, self.o = (nn.Linear(m, m) for _ in range(4))

    def forward(self, x):
        b, t, m = x.shape
        split = lambda y: y.reshape(b, t, self.h, self.d).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        a = torch.softmax(q @ k.transpose(-2, -1) / self.d**0.5, dim=-1)
        return self.o((a @ v).transpose(1, 2).reshape(b, t, m))


class VitTiny(nn.Module):
    """ViT-tiny's shape at small size: 4x4 patches of a 16x16 image by a strided conv,
    a learned position embedding, two pre-norm encoder blocks (attention, GELU MLP), a final
    LayerNorm, mean pooling over tokens and a linear head."""

    def __init__(self, m=16, heads=2, depth=2, classes=10):
        super().__init__()
        self.patch = nn.Conv2d(3, m, 4, stride=4)
        self.pos = nn.Parameter(torch.randn(1, 16, m) * 0.1)
        self.blocks = nn.ModuleList()
        for _ in range(depth):
            self.blocks.append(nn.ModuleDict({
                "ln1": nn.LayerNorm(m), "attn": Attention(m, heads),
                "ln2": nn.LayerNorm(m), "mlp": nn.Sequential(nn.Linear(m, 2 * m), nn.GELU(), nn.Linear(2 * m, m)),
            }))
        self.norm = nn.LayerNorm(m)
        self.head = nn.Linear(m, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        for blk in self.blocks:
            x = x + blk["attn"](blk["ln1"](x))
            x = x + blk["mlp"](blk["ln2"](x))
        return self.head(self.norm(x).mean(dim=1))


class ConvRes(nn.Module):
    """Stem conv, one residual block (conv-BN-ReLU-conv-BN plus identity), a strided conv,
    global average pooling and a linear head."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.down = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        x = torch.relu(self.stem(x))
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        x = torch.relu(x + y)
        x = torch.relu(self.down(x))
        x = torch.mean(x, dim=(2, 3))
        return self.head(x)


class Basic(nn.Module):
    """ResNet's basic block: two 3×3 convs with BN, a 1×1 projection when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride=stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.short is None else self.short(x)))


class ResNet18(nn.Module):
    """ResNet-18's shape (7×7 stem, 3×3 max-pool, 4 stages of 2 basic blocks, average pool,
    linear head) at width 4 instead of 64."""

    def __init__(self, w=4, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, w, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        blocks, cin = [], w
        for i, cout in enumerate([w, 2 * w, 4 * w, 8 * w]):
            stride = 1 if i == 0 else 2
            blocks += [Basic(cin, cout, stride), Basic(cout, cout, 1)]
            cin = cout
        self.layers = nn.Sequential(*blocks)
        self.avg = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn1(self.conv1(x))))
        x = self.avg(self.layers(x))
        return self.fc(torch.flatten(x, 1))


class Gpt2Block(nn.Module):
    """GPT-2's block at small size: pre-norm LayerNorms, a fused QKV Linear split in three
    with `.split`, causal attention written out (MatMul, Div, masked fill of a lower-triangular
    buffer, Softmax, MatMul), an output projection, a GELU MLP, biases and residuals.
    With `additive`, the mask is a 0/−∞ buffer added to the scores instead of a masked fill."""

    def __init__(self, m=16, heads=2, t=6, additive=False):
        super().__init__()
        self.h, self.d, self.additive = heads, m // heads, additive
        self.ln_1 = nn.LayerNorm(m)
        self.c_attn = nn.Linear(m, 3 * m)
        self.c_proj = nn.Linear(m, m)
        self.ln_2 = nn.LayerNorm(m)
        self.c_fc = nn.Linear(m, 4 * m)
        self.mlp_proj = nn.Linear(4 * m, m)
        if additive:
            self.register_buffer("mask", torch.full((t, t), float("-inf")).triu(1).view(1, 1, t, t))
        else:
            self.register_buffer("bias", torch.tril(torch.ones(t, t)).view(1, 1, t, t))

    def forward(self, x):
        b, t, m = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(m, dim=2)
        heads = lambda y: y.view(b, t, self.h, self.d).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.d)
        if self.additive:
            att = att + self.mask[:, :, :t, :t]
        else:
            att = att.masked_fill(self.bias[:, :, :t, :t] == 0, float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, m)
        x = x + self.c_proj(y)
        return x + self.mlp_proj(nn.functional.gelu(self.c_fc(self.ln_2(x))))


class Gpt2BlockAdditive(Gpt2Block):
    """The GPT-2 block with an additive causal mask (exported at opset 13: LayerNorm written
    out with ReduceMean's axes attribute, Split's sizes as an input)."""

    def __init__(self):
        super().__init__(additive=True)


class UnetUp(nn.Module):
    """A U-Net-style up step: an encoder conv, a strided conv down, a transposed conv up
    (kernel 2, stride 2), concatenation with the skip, a conv, then a grouped transposed
    conv with padding and output padding, a 1×1 head, and the output centred by its spatial
    mean (ReduceMean, whose axes are an input at opset 18)."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Conv2d(3, 4, 3, padding=1)
        self.down = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.dec = nn.Conv2d(8, 4, 3, padding=1)
        self.up2 = nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.head = nn.Conv2d(4, 2, 1)

    def forward(self, x):
        e = torch.relu(self.enc(x))
        d = torch.relu(self.down(e))
        u = torch.cat([self.up(d), e], dim=1)
        y = self.head(torch.tanh(self.up2(torch.relu(self.dec(u)))))
        return y - y.mean(dim=(2, 3), keepdim=True)


def randomise_bn(m, g):
    # non-trivial running statistics, so the import of eval-mode BatchNorm is tested
    for mod in m.modules():
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
            mod.weight.data.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
            mod.bias.data.copy_(torch.randn(mod.num_features, generator=g) * 0.1)


MODELS = {
    "mlp": (Mlp, {"x": (2, 3, 4, 4)}),
    "convres": (ConvRes, {"x": (2, 3, 8, 8)}),
    "resnet18": (ResNet18, {"image": (2, 3, 32, 32)}),
    "gelu_mlp": (GeluMlp, {"x": (2, 5, 16)}),
    "cumsum_mlp": (CumsumMlp, {"x": (2, 8)}),
    "vit_tiny": (VitTiny, {"image": (2, 3, 16, 16)}),
    "gpt2_block": (Gpt2Block, {"x": (2, 6, 16)}),
    "gpt2_block_op13": (Gpt2BlockAdditive, {"x": (2, 6, 16)}),
    "unet_up": (UnetUp, {"x": (2, 3, 8, 8)}),
}

# the opset each model is exported at (17 when not listed)
OPSET = {"gpt2_block": 18, "gpt2_block_op13": 13, "unet_up": 18}

# exported with a named batch dimension (dim_param), the others with fixed shapes
DYNAMIC = {"resnet18": "batch"}


def export(name, seed):
    cls, shapes = MODELS[name]
    torch.manual_seed(seed)
    m = cls().eval()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        randomise_bn(m, g)
    inputs = {k: torch.randn(*s, generator=g) for k, s in shapes.items()}
    path = os.path.join(OUT, f"{name}.onnx")
    torch.onnx.export(
        m,
        tuple(inputs.values()),
        path,
        input_names=list(inputs),
        output_names=["y"],
        opset_version=OPSET.get(name, 17),
        dynamic_axes={k: {0: DYNAMIC[name]} for k in [*inputs, "y"]} if name in DYNAMIC else None,
        dynamo=False,
        do_constant_folding=True,
    )
    model = onnx.load(path)
    onnx.checker.check_model(model)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {k: v.numpy() for k, v in inputs.items()}
    outs = sess.run(None, feeds)
    names = [o.name for o in sess.get_outputs()]
    with torch.no_grad():
        want = m(*inputs.values()).numpy()
    assert np.allclose(outs[0], want, atol=1e-5), f"{name}: onnxruntime disagrees with torch"
    tensors = {f"input.{k}": np.ascontiguousarray(v, dtype=np.float32) for k, v in feeds.items()}
    tensors.update({f"output.{k}": np.ascontiguousarray(v, dtype=np.float32) for k, v in zip(names, outs)})
    save_file(tensors, os.path.join(OUT, f"{name}.ref.safetensors"))
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{name}: {os.path.getsize(path)} bytes, ops {ops}")


def main():
    os.makedirs(OUT, exist_ok=True)
    # each model's seed is fixed by its place in MODELS, whatever is asked for
    for name in sys.argv[1:] or MODELS:
        export(name, 1000 + list(MODELS).index(name))


if __name__ == "__main__":
    main()
