"""PyTorch peer timings for `neurocircuits richlazy bench --torch-python`: one training iteration of the
paper's default configuration (N=300, batch 32, 8 steps, ReLU, SGD momentum) and one full
recurrent tangent kernel (768 rows) both the original way (autograd per row with torch.cat)
when --original is given and vectorised (torch.func.jacrev). One thread. Prints JSON.
"""
import argparse
import json
import time

import numpy as np
import torch

torch.set_num_threads(1)
N, N_IN, N_OUT, T, B = 300, 3, 3, 8, 32


def forward(w_in, w_h, w_out, x):
    h = torch.zeros(x.shape[1], N)
    ys = []
    for t in range(x.shape[0]):
        h = torch.relu(x[t] @ w_in.T + h @ w_h.T)
        ys.append(h @ w_out.T)
    return torch.stack(ys)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=50)
    ap.add_argument("--original", action="store_true", help="also time the original per-row kernel loop")
    a = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    w_in = ((torch.rand(N, N_IN, generator=g) * 2 - 1) / N_IN ** 0.5).requires_grad_()
    w_h = (torch.randn(N, N, generator=g) * 1.25 / N ** 0.5).requires_grad_()
    w_out = ((torch.rand(N_OUT, N, generator=g) * 2 - 1) / N ** 0.5).requires_grad_()
    opt = torch.optim.SGD([w_in, w_h, w_out], lr=0.003, momentum=0.9)
    x = torch.rand(T, B, N_IN, generator=g)
    labels = torch.randint(0, N_OUT, (T * B,), generator=g)
    times = []
    for i in range(a.reps + 3):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(forward(w_in, w_h, w_out, x).reshape(-1, N_OUT), labels)
        loss.backward()
        opt.step()
        if i >= 3:
            times.append((time.perf_counter() - t0) * 1e3)
    out = {"torch": torch.__version__, "threads": 1, "train_step_ms": float(np.median(times))}

    def y_of(wh):
        return forward(w_in.detach(), wh, w_out.detach(), x).reshape(-1)

    t0 = time.perf_counter()
    j = torch.func.jacrev(y_of)(w_h.detach()).reshape(T * B * N_OUT, -1)
    k = j @ j.T
    out["kernel_vectorised_ms"] = (time.perf_counter() - t0) * 1e3
    if a.original:
        t0 = time.perf_counter()
        y = forward(w_in, w_h, w_out, x)
        df = None
        for t in range(T):
            for b in range(B):
                for kk in range(N_OUT):
                    d1 = torch.unsqueeze(torch.autograd.grad(y[t, b, kk], w_h, retain_graph=True)[0], 0)
                    df = d1 if df is None else torch.cat((df, d1), 0)
        k0 = torch.einsum("bij,aij->ba", df, df)
        out["kernel_original_ms"] = (time.perf_counter() - t0) * 1e3
        out["original_vs_vectorised_maxdiff"] = float((k0 - k).abs().max())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
