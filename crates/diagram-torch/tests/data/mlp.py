"""The circuit `mlp` as a PyTorch module, written by `neurocircuits diagram export --torch`.

Sizes: b=2.
Every tensor is laid out in the order of the axes listed in its comment; the axes:
    b             2  batch (b)
    h            28  spatial (28)
    w            28  spatial (28)
    p           784  feature (784)
    f1          512  feature (512)
    f2          512  feature (512)
    o            10  feature (10)
"""

import torch
import torch.nn.functional as F
from torch import nn
from pathlib import Path


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


class Mlp(nn.Module):
    """`mlp`: 1 inputs, 1 outputs, 7 operations."""

    # circuit parameter name -> attribute
    PARAMS = {
        "L1.W": "L1_W",
        "L1.b": "L1_b",
        "L2.W": "L2_W",
        "L2.b": "L2_b",
        "L3.W": "L3_W",
        "L3.b": "L3_b",
    }
    WEIGHTS = Path(__file__).parent / "params.safetensors"

    def __init__(self):
        super().__init__()
        self.L1_W = nn.Parameter(torch.empty(784, 512))  # [p f1]
        self.L1_b = nn.Parameter(torch.empty(512))  # [f1]
        self.L2_W = nn.Parameter(torch.empty(512, 512))  # [f1 f2]
        self.L2_b = nn.Parameter(torch.empty(512))  # [f2]
        self.L3_W = nn.Parameter(torch.empty(512, 10))  # [f2 o]
        self.L3_b = nn.Parameter(torch.empty(10))  # [o]
        self.reset_parameters()
        load_safetensors(self, self.WEIGHTS)

    def reset_parameters(self):
        """The circuit's initialisation (PyTorch's random stream, not the executor's)."""
        with torch.no_grad():
            nn.init.uniform_(self.L1_W, -784 ** -0.5, 784 ** -0.5)  # fan-in [p]
            nn.init.uniform_(self.L1_b, -784 ** -0.5, 784 ** -0.5)  # fan-in [p]
            nn.init.uniform_(self.L2_W, -512 ** -0.5, 512 ** -0.5)  # fan-in [f1]
            nn.init.uniform_(self.L2_b, -512 ** -0.5, 512 ** -0.5)  # fan-in [f1]
            nn.init.uniform_(self.L3_W, -512 ** -0.5, 512 ** -0.5)  # fan-in [f2]
            nn.init.uniform_(self.L3_b, -512 ** -0.5, 512 ** -0.5)  # fan-in [f2]

    def forward(self, x):
        """x [b h w] -> softmax [b o]"""
        flatten = x.reshape(2, 784)  # flatten (reshape) [b p]
        L1 = torch.einsum("bp,pf->bf", flatten, self.L1_W) + self.L1_b[None, :]  # L1 (linear) [b f1]
        relu1 = torch.relu(L1)  # relu1 (map) [b f1]
        L2 = torch.einsum("bf,fF->bF", relu1, self.L2_W) + self.L2_b[None, :]  # L2 (linear) [b f2]
        relu2 = torch.relu(L2)  # relu2 (map) [b f2]
        L3 = torch.einsum("bf,fo->bo", relu2, self.L3_W) + self.L3_b[None, :]  # L3 (linear) [b o]
        softmax_ = torch.softmax(L3, dim=1)  # softmax (softmax) [b o]
        return softmax_
