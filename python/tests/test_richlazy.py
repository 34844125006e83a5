"""Rich/lazy from Python: the CLI's numbers, user matrices, and the measures checked against
numpy (forward pass, finite-difference tangent kernels, SVD)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import releases_gil, run_cli
from neurocircuits import richlazy

RUN = dict(task="DMS", seed=0, iters=40, n=32)


def cli_train(cli, *extra):
    return json.loads(run_cli(cli, "richlazy", "train", "--task", "DMS", "--seed", "0",
                              "--iters", "40", "--n", "32", "--json", *extra))


def test_train_returns_the_clis_dict(cli):
    ours = richlazy.train(rank=5, **RUN)
    assert ours == cli_train(cli, "--rank", "5")
    assert {"ka", "ra", "weight_change", "rank_w0", "track", "config_hash"} <= set(ours)


def test_a_numpy_init_equals_the_same_matrix_from_a_file(cli, tmp_path):
    w = np.random.default_rng(3).normal(size=(32, 32))
    np.save(tmp_path / "w.npy", w)
    ours = richlazy.train(init=w, **RUN)
    theirs = cli_train(cli, "--init", "file", "--matrix", str(tmp_path / "w.npy"))
    for key in ("ka", "ra", "weight_change", "weight_change_rel", "accuracy", "kta", "kta0",
                "rank_w0", "rank_wt", "final_loss", "track"):
        assert ours[key] == theirs[key], key
    assert ours["config"]["init"] == {"kind": "matrix", "n": 32, "values": w.ravel().tolist()}
    with pytest.raises(ValueError, match="expected an 16 x 16 matrix"):
        richlazy.train(init=w, n=16, task="DMS", iters=2)


def test_tasks_are_seeded_batches_with_neurogym_labels():
    a, b = next(richlazy.task("DMS", batch=16, seed=1)), next(richlazy.task("DMS", batch=16, seed=1))
    np.testing.assert_array_equal(a["x"], b["x"])
    assert a["x"].shape == (8, 16, 3) and a["labels"].shape == (8, 16)
    d = a["decision_step"]
    assert set(np.unique(a["labels"][d])) <= {1, 2}
    assert not np.delete(a["labels"], d, axis=0).any()
    c = next(richlazy.task("CXT", batch=4, seed=1))
    assert c["x"].shape == (8, 4, 7)
    with pytest.raises(ValueError, match="unknown task \"XYZ\""):
        richlazy.task("XYZ")


def _net(rng, n_in=3, n=6, n_out=2, scale=0.6):
    return {"w_in": rng.normal(size=(n, n_in)), "w_h": scale * rng.normal(size=(n, n)) / np.sqrt(n),
            "w_out": rng.normal(size=(n_out, n)) / np.sqrt(n)}


def _np_forward(w, x, act=np.tanh, alpha=1.0):
    steps, batch, _ = x.shape
    h = np.zeros((batch, w["w_h"].shape[0]))
    hs, ys = [], []
    for t in range(steps):
        h = act((1 - alpha) * h + alpha * (x[t] @ w["w_in"].T + h @ w["w_h"].T))
        hs.append(h)
        ys.append(h @ w["w_out"].T)
    return np.stack(hs), np.stack(ys)


def _fd_kernel(w, x, alpha=1.0, eps=1e-6):
    """J Jᵀ with J = d(logits at every step) / d W_h by central differences."""
    base = w["w_h"]
    cols = []
    for k in range(base.size):
        d = np.zeros(base.size)
        d[k] = eps
        up = dict(w, w_h=base + d.reshape(base.shape))
        dn = dict(w, w_h=base - d.reshape(base.shape))
        cols.append((_np_forward(up, x, alpha=alpha)[1] - _np_forward(dn, x, alpha=alpha)[1]).ravel() / (2 * eps))
    j = np.stack(cols, axis=1)  # rows ordered (step, trial, logit), as the toolkit's
    return j @ j.T


def test_forward_and_tangent_kernel_match_numpy_and_finite_differences():
    rng = np.random.default_rng(0)
    w = _net(rng)
    x = rng.normal(size=(4, 3, 3))
    h, y = richlazy.rnn_forward(w, x, activation="tanh", alpha=0.7)
    h_ref, y_ref = _np_forward(w, x, alpha=0.7)
    np.testing.assert_allclose(h, h_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-13)
    k = richlazy.tangent_kernel(w, x, activation="tanh")
    k_ref = _fd_kernel(w, x)
    assert k.shape == (4 * 3 * 2,) * 2
    np.testing.assert_allclose(k, k_ref, rtol=1e-6, atol=1e-8)


def test_alignments_match_numpy_definitions():
    rng = np.random.default_rng(1)
    w0 = _net(rng)
    wt = dict(w0, w_h=w0["w_h"] + 0.3 * rng.normal(size=w0["w_h"].shape))
    x = rng.normal(size=(4, 5, 3))
    k0, kt = _fd_kernel(w0, x), _fd_kernel(wt, x)
    ka_ref = np.sum(k0 * kt) / np.linalg.norm(k0) / np.linalg.norm(kt)
    assert richlazy.kernel_alignment(w0, wt, x, activation="tanh") == pytest.approx(ka_ref, rel=1e-6)
    assert richlazy.kernel_alignment(w0, w0, x, activation="tanh") == pytest.approx(1.0, rel=1e-12)
    h0, ht = _np_forward(w0, x)[0][-1], _np_forward(wt, x)[0][-1]
    g0, gt = h0 @ h0.T, ht @ ht.T
    ra_ref = np.sum(g0 * gt) / np.linalg.norm(g0) / np.linalg.norm(gt)
    assert richlazy.representation_alignment(w0, wt, x, activation="tanh") == pytest.approx(ra_ref, rel=1e-12)


def test_effective_rank_matches_numpy_svd():
    m = np.random.default_rng(2).normal(size=(7, 5)) @ np.diag([3, 2, 1, 0.1, 0])
    s = np.linalg.svd(m, compute_uv=False)
    p = s / s.sum()
    p = p[p > 0]
    r = richlazy.effective_rank(m)
    assert r["nuclear"] == pytest.approx(s.sum() / s[0], rel=1e-10)
    assert r["entropy"] == pytest.approx(np.exp(-(p * np.log(p)).sum()), rel=1e-10)
    assert r["stable"] == pytest.approx((s**2).sum() / s[0] ** 2, rel=1e-10)
    assert r["participation"] == pytest.approx((s**2).sum() ** 2 / (s**4).sum(), rel=1e-10)
    with pytest.raises(ValueError, match="not finite"):
        richlazy.effective_rank(np.full((2, 2), np.nan))


def test_bad_weights_raise_value_error():
    rng = np.random.default_rng(0)
    w = _net(rng)
    with pytest.raises(ValueError, match=r"w_h: expected shape \(6, 6\)"):
        richlazy.rnn_forward(dict(w, w_h=np.zeros((5, 5))), np.zeros((2, 1, 3)))
    with pytest.raises(ValueError, match=r"x: expected shape \(steps, batch, 3\)"):
        richlazy.rnn_forward(w, np.zeros((2, 1, 4)))
    with pytest.raises(ValueError, match="missing \\['w_out'\\]"):
        richlazy.rnn_forward({"w_in": w["w_in"], "w_h": w["w_h"]}, np.zeros((2, 1, 3)))


def test_train_releases_the_gil():
    assert releases_gil(lambda: richlazy.train(task="2AF", iters=60, n=64))
