"""The circuit `llama_block` as a PyTorch module, written by `neurocircuits diagram export --torch`.

Sizes: b=2, f=12, g=2, h=4, m=16, t=4.
Every tensor is laid out in the order of the axes listed in its comment; the axes:
    b             2  batch (b)
    t             4  token (t)
    s             4  token (t)
    m            16  feature (m)
    h             4  head (h)
    g             2  head (g)
    r             2  head (h/g)
    k             4  feature (m/h)
    f            12  feature (f)
"""

import torch
import torch.nn.functional as F
from torch import nn
from pathlib import Path


def rope(x, pos_dim, dim, base):
    """Rotary embedding, rotate-half form: entry j < d/2 pairs with j + d/2, and the pair at
    position p turns by the angle p * base^(-2j/d)."""
    x = x.movedim((pos_dim, dim), (-2, -1))
    n, d = x.shape[-2], x.shape[-1]
    j = torch.arange(d // 2, dtype=torch.float64, device=x.device)
    angle = torch.arange(n, dtype=torch.float64, device=x.device)[:, None] * base ** (-2 * j / d)
    cos, sin = torch.cos(angle).to(x.dtype), torch.sin(angle).to(x.dtype)
    a, b = x[..., : d // 2], x[..., d // 2 :]
    y = torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)
    return y.movedim((-2, -1), (pos_dim, dim))


def band(rows, cols, below, above, device=None):
    """True where col - row lies in [-below, above] (None: unbounded); causal: above = 0."""
    d = torch.arange(cols, device=device)[None, :] - torch.arange(rows, device=device)[:, None]
    keep = torch.ones(rows, cols, dtype=torch.bool, device=device)
    if below is not None:
        keep &= d >= -below
    if above is not None:
        keep &= d <= above
    return keep


def load_safetensors(module, path):
    """Fills the module's parameters from a safetensors file, each by its circuit name."""
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    with torch.no_grad():
        for name, attr in module.PARAMS.items():
            p = getattr(module, attr)
            if name not in tensors:
                raise KeyError(f"{path}: no tensor `{name}` (parameter `{attr}`)")
            t = tensors[name]
            if tuple(t.shape) != tuple(p.shape):
                raise ValueError(
                    f"{path}: tensor `{name}` has shape {tuple(t.shape)}, "
                    f"parameter `{attr}` needs {tuple(p.shape)}"
                )
            p.copy_(t)


class LlamaBlock(nn.Module):
    """`llama_block`: 1 inputs, 1 outputs, 22 operations."""

    # circuit parameter name -> attribute
    PARAMS = {
        "input_norm.gain": "input_norm_gain",
        "q_proj.W": "q_proj_W",
        "k_proj.W": "k_proj_W",
        "v_proj.W": "v_proj_W",
        "o_proj.W": "o_proj_W",
        "post_norm.gain": "post_norm_gain",
        "gate_proj.W": "gate_proj_W",
        "up_proj.W": "up_proj_W",
        "down_proj.W": "down_proj_W",
    }
    WEIGHTS = Path(__file__).parent / "params.safetensors"

    def __init__(self):
        super().__init__()
        self.input_norm_gain = nn.Parameter(torch.empty(16))  # [m]
        self.q_proj_W = nn.Parameter(torch.empty(16, 4, 4))  # [m h k]
        self.k_proj_W = nn.Parameter(torch.empty(16, 2, 4))  # [m g k]
        self.v_proj_W = nn.Parameter(torch.empty(16, 2, 4))  # [m g k]
        self.o_proj_W = nn.Parameter(torch.empty(4, 4, 16))  # [h k m]
        self.post_norm_gain = nn.Parameter(torch.empty(16))  # [m]
        self.gate_proj_W = nn.Parameter(torch.empty(16, 12))  # [m f]
        self.up_proj_W = nn.Parameter(torch.empty(16, 12))  # [m f]
        self.down_proj_W = nn.Parameter(torch.empty(12, 16))  # [f m]
        self.reset_parameters()
        load_safetensors(self, self.WEIGHTS)

    def reset_parameters(self):
        """The circuit's initialisation (PyTorch's random stream, not the executor's)."""
        with torch.no_grad():
            nn.init.ones_(self.input_norm_gain)
            nn.init.uniform_(self.q_proj_W, -16 ** -0.5, 16 ** -0.5)  # fan-in [m]
            nn.init.uniform_(self.k_proj_W, -16 ** -0.5, 16 ** -0.5)  # fan-in [m]
            nn.init.uniform_(self.v_proj_W, -16 ** -0.5, 16 ** -0.5)  # fan-in [m]
            nn.init.uniform_(self.o_proj_W, -16 ** -0.5, 16 ** -0.5)  # fan-in [h k]
            nn.init.ones_(self.post_norm_gain)
            nn.init.uniform_(self.gate_proj_W, -16 ** -0.5, 16 ** -0.5)  # fan-in [m]
            nn.init.uniform_(self.up_proj_W, -16 ** -0.5, 16 ** -0.5)  # fan-in [m]
            nn.init.uniform_(self.down_proj_W, -12 ** -0.5, 12 ** -0.5)  # fan-in [f]

    def forward(self, x):
        """x [b t m] -> residual2 [b t m]"""
        input_norm = x * torch.rsqrt(x.square().mean((2,), keepdim=True) + 1e-5) * self.input_norm_gain[None, None, :]  # input_norm (rmsnorm) [b t m]
        q_proj = torch.einsum("btm,mhk->bthk", input_norm, self.q_proj_W)  # q_proj (linear) [b t h k]
        k_proj = torch.einsum("btm,mgk->btgk", input_norm, self.k_proj_W)  # k_proj (linear) [b t g k]
        v_proj = torch.einsum("btm,mgk->btgk", input_norm, self.v_proj_W)  # v_proj (linear) [b t g k]
        rope_q = rope(q_proj, 1, 3, 10000.0)  # rope_q (rope) [b t h k]
        rope_k = rope(k_proj, 1, 3, 10000.0)  # rope_k (rope) [b t g k]
        keys = rope_k  # keys (reshape) [b s g k]
        values = v_proj  # values (reshape) [b s g k]
        scores = torch.einsum("btgrk,bsgk->btsgr", rope_q.reshape(2, 4, 2, 2, 4), keys)  # scores (einsum) [b t s g r]
        scale = scores * 0.5  # scale (map) [b t s g r]; 0.5 = (m/h)^-0.5
        causal = scale.masked_fill(~(band(4, 4, None, 0, scale.device))[None, :, :, None, None], float("-inf"))  # causal (mask) [b t s g r]
        softmax_ = torch.softmax(causal, dim=2)  # softmax (softmax) [b t s g r]
        mix = torch.einsum("btsgr,bsgk->btgrk", softmax_, values).reshape(2, 4, 4, 4)  # mix (einsum) [b t h k]
        o_proj = torch.einsum("bthk,hkm->btm", mix, self.o_proj_W)  # o_proj (linear) [b t m]
        residual1 = x + o_proj  # residual1 (add) [b t m]
        post_norm = residual1 * torch.rsqrt(residual1.square().mean((2,), keepdim=True) + 1e-5) * self.post_norm_gain[None, None, :]  # post_norm (rmsnorm) [b t m]
        gate_proj = torch.einsum("btm,mf->btf", post_norm, self.gate_proj_W)  # gate_proj (linear) [b t f]
        silu = F.silu(gate_proj)  # silu (map) [b t f]
        up_proj = torch.einsum("btm,mf->btf", post_norm, self.up_proj_W)  # up_proj (linear) [b t f]
        swiglu = silu * up_proj  # swiglu (mul) [b t f]
        down_proj = torch.einsum("btf,fm->btm", swiglu, self.down_proj_W)  # down_proj (linear) [b t m]
        residual2 = residual1 + down_proj  # residual2 (add) [b t m]
        return residual2
