"""PyTorch golden data for the rich/lazy RNN: loss, BPTT gradients, empirical tangent kernels
and optimiser steps, in float64.

Writes crates/richlazy/tests/data/torch_golden.json. The model is BioRNN_RichLazy's CTRNN:
h_t = phi((1-a) h_{t-1} + a (W_in x_t + W_h h_{t-1})), y_t = W_out h_t, no biases, h_0 = 0;
loss = mean cross-entropy over all (step, trial) rows.
"""
import json

import torch

torch.set_default_dtype(torch.float64)
N_IN, N, N_OUT, STEPS, BATCH = 3, 6, 3, 8, 2


def forward(w_in, w_h, w_out, x, alpha, act):
    h = torch.zeros(x.shape[1], N)
    ys = []
    for t in range(x.shape[0]):
        z = (1 - alpha) * h + alpha * (x[t] @ w_in.T + h @ w_h.T)
        h = torch.relu(z) if act == "relu" else torch.tanh(z)
        ys.append(h @ w_out.T)
    return torch.stack(ys)  # (steps, batch, n_out)


def flat(t):
    return [round(float(v), 15) for v in t.reshape(-1)]


def case(seed, alpha, act):
    g = torch.Generator().manual_seed(seed)
    w_in = (torch.rand(N, N_IN, generator=g) * 2 - 1) / N_IN ** 0.5
    w_h = torch.randn(N, N, generator=g) * 1.2 / N ** 0.5
    w_out = (torch.rand(N_OUT, N, generator=g) * 2 - 1) / N ** 0.5
    x = torch.rand(STEPS, BATCH, N_IN, generator=g)
    labels = torch.randint(0, N_OUT, (STEPS, BATCH), generator=g)
    params = [w_in.clone().requires_grad_(), w_h.clone().requires_grad_(), w_out.clone().requires_grad_()]
    y = forward(*params, x, alpha, act)
    loss = torch.nn.functional.cross_entropy(y.reshape(-1, N_OUT), labels.reshape(-1))
    grads = torch.autograd.grad(loss, params)

    # empirical tangent kernel: rows (t, b, k) of dy/dW_h, and of dy/d(all params)
    def y_of(wi, wh, wo):
        return forward(wi, wh, wo, x, alpha, act).reshape(-1)

    jac = torch.autograd.functional.jacobian(y_of, (w_in, w_h, w_out))
    j_h = jac[1].reshape(STEPS * BATCH * N_OUT, -1)
    j_all = torch.cat([j.reshape(STEPS * BATCH * N_OUT, -1) for j in jac], dim=1)

    # optimisers: 3 steps on the same batch
    def run(opt_name):
        ps = [w_in.clone().requires_grad_(), w_h.clone().requires_grad_(), w_out.clone().requires_grad_()]
        opt = (torch.optim.SGD(ps, lr=0.1, momentum=0.9) if opt_name == "sgd"
               else torch.optim.Adam(ps, lr=0.01))
        for _ in range(3):
            opt.zero_grad()
            l = torch.nn.functional.cross_entropy(forward(*ps, x, alpha, act).reshape(-1, N_OUT), labels.reshape(-1))
            l.backward()
            opt.step()
        return [flat(p.detach()) for p in ps]

    return {
        "alpha": alpha, "act": act,
        "w_in": flat(w_in), "w_h": flat(w_h), "w_out": flat(w_out),
        "x": flat(x), "labels": [int(v) for v in labels.reshape(-1)],
        "loss": float(loss),
        "grad_w_in": flat(grads[0]), "grad_w_h": flat(grads[1]), "grad_w_out": flat(grads[2]),
        "kernel_w_h": flat(j_h @ j_h.T), "kernel_all": flat(j_all @ j_all.T),
        "sgd3": run("sgd"), "adam3": run("adam"),
    }


def main():
    out = {"torch": torch.__version__, "n_in": N_IN, "n": N, "n_out": N_OUT, "steps": STEPS, "batch": BATCH,
           "cases": [case(1, 1.0, "relu"), case(2, 0.5, "tanh")]}
    with open("crates/richlazy/tests/data/torch_golden.json", "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
