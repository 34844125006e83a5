"""Rich and lazy learning in rate RNNs (Liu et al., ICLR 2024).

- :func:`task`: seeded neurogym-0.0.2 tasks (``2AF``, ``DMS``, ``CXT``) as numpy batches;
- :func:`train`: one training run, returning the dict ``neurocircuits richlazy train --json``
  prints (kernel and representation alignment, weight change, effective ranks, ...);
- measures on your own network, as long as it has the toolkit's rate-RNN form
  ``h_t = phi((1 - alpha) h_{t-1} + alpha (W_in x_t + W_h h_{t-1}))``, ``y_t = W_out h_t``,
  ``h_0 = 0``, no biases, weights in PyTorch's ``nn.Linear`` layout (``W_in``: N x n_in,
  ``W_h``: N x N, ``W_out``: n_out x N): :func:`kernel_alignment`,
  :func:`representation_alignment`, :func:`tangent_kernel`, :func:`rnn_forward`, and
  :func:`effective_rank` for any matrix.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from . import _native
from ._util import Bar, count as _count

__all__ = [
    "task",
    "train",
    "rnn_forward",
    "tangent_kernel",
    "kernel_alignment",
    "representation_alignment",
    "effective_rank",
]

Weights = Union[Mapping[str, Any], Sequence[Any]]

_INIT_KINDS = ("lowrank", "gaussian", "orthogonal", "aligned", "dale", "celltypes", "smallworld", "v1")


def task(name: str, batch: int = 32, seed: int = 0) -> Iterator[dict[str, Any]]:
    """An endless, seeded stream of trial batches of task ``name`` (``"2AF"``, ``"DMS"`` or
    ``"CXT"``): ``next(stream)`` gives ``{"x": (steps, batch, n_in), "labels": (steps,
    batch), "decision_step", "n_out", "loss_steps"}``. Timing, noise and labels follow
    neurogym 0.0.2 (dt = 100 ms, 8 steps); the stream of ``seed`` is the one
    ``richlazy train --seed`` trains on."""
    return _native.TaskStream(str(name), _count(batch, "batch", 1), _count(seed, "seed"))


def train(
    task: str = "2AF",
    rank: Optional[int] = None,
    seed: int = 0,
    iters: int = 10_000,
    init: Union[None, str, "os.PathLike[str]", np.ndarray] = None,
    *,
    n: Optional[int] = None,
    gain: float = 1.25,
    lr: float = 0.003,
    tanh: bool = False,
    kernel_all: bool = False,
    spectral: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Trains one RNN on ``task`` with BPTT and returns what ``neurocircuits richlazy train
    --task T --rank R --seed S --iters I --json`` prints: ``ka``, ``ra``, ``weight_change``,
    ``sign_similarity``, ``accuracy``, ``kta``, effective ranks, ``track`` (measures at 10
    checkpoints) and the full ``config`` with its hash.

    ``init``: None (``W_h(0)``: rank-``rank`` truncation of the Gaussian ``W_0``, default full
    rank), your own N x N numpy matrix (rescaled to ``W_0``'s Frobenius norm), the path of a
    CSV or NPY matrix, or one of ``lowrank``, ``gaussian``, ``orthogonal``, ``aligned``,
    ``dale``, ``celltypes``, ``smallworld``, ``v1`` (mouse V1 cell-class statistics). ``n``: hidden units (300; a matrix sets it).
    ``gain``, ``lr`` (SGD, momentum 0.9), ``tanh``, ``kernel_all`` (kernel over all weights),
    ``spectral`` (match the spectral norm) as the CLI's options.
    """
    seed = _count(seed, "seed")
    iters = _count(iters, "iters", 1)
    if rank is not None:
        rank = _count(rank, "rank", 1)
    kw: dict[str, Any] = {}
    if init is None:
        kind = "lowrank"
    elif isinstance(init, np.ndarray):
        m = np.ascontiguousarray(init, dtype=np.float64)
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise ValueError(f"init: expected a square matrix, got shape {m.shape}")
        if n is None:
            n = m.shape[0]
        kind, kw["matrix"] = "matrix", m
    elif isinstance(init, os.PathLike) or (isinstance(init, str) and init not in _INIT_KINDS):
        kind, kw["path"] = "file", os.fspath(init)
    elif isinstance(init, str):
        kind = init
    else:
        raise ValueError(f"init must be None, a matrix, a path or one of {_INIT_KINDS}, got {init!r}")
    n = 300 if n is None else _count(n, "n", 1)
    bar = Bar(iters, str(task), "iteration") if progress else None
    try:
        return _native.richlazy_train(
            str(task), seed, iters, kind, rank, kw.get("matrix"), kw.get("path"), n,
            float(gain), float(lr), bool(tanh), bool(kernel_all), bool(spectral), bar,
        )
    finally:
        if bar is not None:
            bar.close()


def _weights(w: Weights, what: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(W_in, W_h, W_out)`` from a dict with those keys (``w_in``, ``w_h``, ``w_out``) or
    a sequence of three matrices."""
    if isinstance(w, Mapping):
        missing = [k for k in ("w_in", "w_h", "w_out") if k not in w]
        if missing:
            raise ValueError(f"{what}: missing {missing}; expected keys w_in, w_h, w_out")
        parts = [w["w_in"], w["w_h"], w["w_out"]]
    else:
        parts = list(w)
        if len(parts) != 3:
            raise ValueError(f"{what}: expected (w_in, w_h, w_out), got {len(parts)} items")
    out = []
    for name, p in zip(("w_in", "w_h", "w_out"), parts):
        a = np.ascontiguousarray(p, dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(f"{what}.{name}: expected a matrix, got shape {a.shape}")
        out.append(a)
    return out[0], out[1], out[2]


def _x(x: Any) -> np.ndarray:
    a = np.ascontiguousarray(x, dtype=np.float64)
    if a.ndim != 3:
        raise ValueError(f"x: expected shape (steps, batch, n_in), got {a.shape}")
    return a


def rnn_forward(
    weights: Weights, x: Any, activation: str = "relu", alpha: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """States ``(steps, batch, N)`` and logits ``(steps, batch, n_out)`` of the rate RNN on
    inputs ``x`` ``(steps, batch, n_in)``."""
    return _native.rnn_forward(*_weights(weights, "weights"), _x(x), activation, float(alpha))


def tangent_kernel(
    weights: Weights,
    x: Any,
    steps: Optional[Sequence[int]] = None,
    params: str = "recurrent",
    activation: str = "relu",
    alpha: float = 1.0,
) -> np.ndarray:
    """The empirical tangent kernel ``J Jᵀ`` of the logits at ``steps`` (default all) with
    respect to ``W_h`` (or all weights with ``params="all"``); rows ordered (step, trial,
    logit)."""
    st = None if steps is None else [int(s) for s in steps]
    return _native.rnn_tangent_kernel(
        *_weights(weights, "weights"), _x(x), st, params, activation, float(alpha)
    )


def kernel_alignment(
    weights_0: Weights,
    weights_t: Weights,
    x: Any,
    steps: Optional[Sequence[int]] = None,
    params: str = "recurrent",
    activation: str = "relu",
    alpha: float = 1.0,
) -> float:
    """Tangent kernel alignment between two networks (e.g. before and after training) on
    inputs ``x``: the cosine between their tangent kernels (the paper's KA; 1 = lazy)."""
    k0 = tangent_kernel(weights_0, x, steps, params, activation, alpha)
    kt = tangent_kernel(weights_t, x, steps, params, activation, alpha)
    return _native.matrix_cosine(k0, kt)


def representation_alignment(
    weights_0: Weights,
    weights_t: Weights,
    x: Any,
    step: Optional[int] = None,
    activation: str = "relu",
    alpha: float = 1.0,
) -> float:
    """Representation alignment: the cosine between the Gram matrices ``H Hᵀ`` of the two
    networks' states at ``step`` (default: the last) over the trials of ``x`` (the paper's
    RA, read at the decision step)."""
    xs = _x(x)
    s = xs.shape[0] - 1 if step is None else int(step)
    if not 0 <= s < xs.shape[0]:
        raise ValueError(f"step must be in [0, {xs.shape[0]}), got {step}")
    h0, _ = rnn_forward(weights_0, xs, activation, alpha)
    ht, _ = rnn_forward(weights_t, xs, activation, alpha)
    return _native.gram_alignment(np.ascontiguousarray(h0[s]), np.ascontiguousarray(ht[s]))


def effective_rank(matrix: Any) -> dict[str, float]:
    """Effective ranks of a matrix: ``nuclear`` (Σσ/σ₁), ``entropy`` (Roy-Vetterli),
    ``participation`` ((Σσ²)²/Σσ⁴) and ``stable`` (‖W‖_F²/σ₁²)."""
    a = np.ascontiguousarray(matrix, dtype=np.float64)
    if a.ndim != 2:
        raise ValueError(f"matrix: expected 2 dimensions, got shape {a.shape}")
    return _native.effective_rank(a)
