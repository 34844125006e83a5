"""PyTorch peer of crates/diagram/benches/exec.rs: forward + backward of multi-head attention
(zoo:mha, Fig. 21, bias-free; m=128, k=16, h=4, y=20, x=22) and the identity ResNet as drawn
(zoo:resnet, Fig. 26: b=2, 3x32x32, widths 16/64/128/256, N=3, pre-activation bottlenecks,
314,698 parameters), float32, one thread.

Run: python tools/reference/diagram/torch_bench.py [--model mha|resnet|all]
     [--repeats N] [--json]
`neurocircuits diagram bench --torch-python PATH` runs it with --json in the same run as our
timing and prints the ratio; by hand, compare with `cargo bench -p nc-diagram --bench exec`.
With --json, one line per model: {"model", "median_s", "min_s", "repeats", "params", "torch"}.
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)


class MHA(nn.Module):
    def __init__(self, m=128, k=16, h=4):
        super().__init__()
        self.k, self.h = k, h
        self.q, self.kk, self.v = (nn.Linear(m, k * h, bias=False) for _ in range(3))
        self.o = nn.Linear(k * h, m, bias=False)

    def forward(self, X, Z):
        k, h = self.k, self.h
        q = self.q(X).reshape(-1, k, h)
        kk = self.kk(Z).reshape(-1, k, h)
        v = self.v(Z).reshape(-1, k, h)
        a = torch.softmax(torch.einsum("ykh,xkh->yxh", q, kk) / math.sqrt(k), dim=1)
        return self.o(torch.einsum("yxh,xkh->ykh", a, v).reshape(X.shape[0], k * h))


def bn_relu(c):
    return nn.Sequential(nn.BatchNorm2d(c), nn.ReLU())


class Component(nn.Module):
    """1x1 (stride s) n0->nb, BN-ReLU, 3x3 nb->nb, BN-ReLU, 1x1 nb->n1 (all biased)."""

    def __init__(self, n0, n1, s):
        super().__init__()
        nb = n1 // 4
        self.f = nn.Sequential(
            nn.Conv2d(n0, nb, 1, stride=s), bn_relu(nb),
            nn.Conv2d(nb, nb, 3, padding=1), bn_relu(nb),
            nn.Conv2d(nb, n1, 1))

    def forward(self, x):
        return self.f(x)


class Block(nn.Module):
    def __init__(self, n0, n1, s, depth):
        super().__init__()
        self.pre = bn_relu(n0)
        self.first = Component(n0, n1, s)
        self.shortcut = nn.Conv2d(n0, n1, 1, stride=s)
        self.rest = nn.ModuleList(nn.Sequential(bn_relu(n1), Component(n1, n1, 1)) for _ in range(depth - 1))

    def forward(self, x):
        a = self.pre(x)
        x = self.first(a) + self.shortcut(a)
        for r in self.rest:
            x = x + r(x)
        return x


class ResNet(nn.Module):
    def __init__(self, n=16, depth=3):
        super().__init__()
        self.stem = nn.Conv2d(3, n, 3, padding=1)
        self.blocks = nn.Sequential(Block(n, 4 * n, 1, depth), Block(4 * n, 8 * n, 2, depth), Block(8 * n, 16 * n, 2, depth))
        self.final = bn_relu(16 * n)
        self.head = nn.Linear(16 * n, 10)

    def forward(self, x):
        x = self.final(self.blocks(self.stem(x)))
        x = F.avg_pool2d(x, 8).mean(dim=(2, 3))
        return torch.softmax(self.head(x), dim=-1)


def bench(name, model, inputs, reps, as_json):
    params = sum(p.numel() for p in model.parameters())
    for t in inputs:
        t.requires_grad_(True)
    y = model(*inputs)
    w = torch.sin(0.11 * torch.arange(y.numel(), dtype=y.dtype) + 0.3).reshape(y.shape)

    def step():
        model.zero_grad(set_to_none=True)
        for t in inputs:
            t.grad = None
        (model(*inputs) * w).sum().backward()

    for _ in range(3):
        step()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    times.sort()
    med = times[len(times) // 2]
    if as_json:
        print(json.dumps({"model": name, "median_s": med, "min_s": times[0], "repeats": reps,
                          "params": params, "torch": torch.__version__}), flush=True)
    else:
        print(f"{name}: params {params}, forward+backward median {med * 1e3:.3f} ms "
              f"(min {times[0] * 1e3:.3f}) over {reps} runs, torch {torch.__version__}, 1 thread")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=["mha", "resnet", "all"], default="all")
    ap.add_argument("--repeats", type=int, default=None,
                    help="timed runs per model (default: mha 200, resnet 30)")
    ap.add_argument("--json", action="store_true", help="print one JSON line per model")
    args = ap.parse_args()
    if args.repeats is not None and args.repeats < 1:
        ap.error("--repeats must be at least 1")
    if args.model in ("mha", "all"):
        mha = MHA()
        assert sum(p.numel() for p in mha.parameters()) == 32_768
        bench("mha", mha, [torch.randn(20, 128), torch.randn(22, 128)], args.repeats or 200, args.json)
    if args.model in ("resnet", "all"):
        net = ResNet()
        assert sum(p.numel() for p in net.parameters()) == 314_698
        bench("resnet", net.train(), [torch.randn(2, 3, 32, 32)], args.repeats or 30, args.json)


if __name__ == "__main__":
    main()
