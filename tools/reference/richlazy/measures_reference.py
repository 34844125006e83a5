"""Independent numpy/scipy references for the rich/lazy measures beyond the paper.

Writes crates/richlazy/tests/data/measures_reference.json (run from the repo root with the
versions in measures_requirements.txt):
- CKA by its HSIC definition (Kornblith et al. 2019): centring matrix C = I - 11^T/p,
  K = X X^T, L = Y Y^T, CKA = tr(K C L C) / sqrt(tr(K C K C) tr(L C L C)); RA uncentred,
- the four effective ranks from numpy's SVD,
- linear separability of labelled point sets with a bias, decided by scipy's HiGHS linear
  program (feasibility of y_i (w.x_i + b) >= 1), not by a QP,
- loader fixtures (crates/richlazy/tests/data/loader/): NPY and safetensors written by numpy and
  the safetensors package, an edge list, and the dense matrices they must load as,
- the simulated manifold capacity (Cohen et al. 2020, as used by Chou et al. 2025) of fixed
  Gaussian class clouds, with numpy's own random projections and dichotomies: the Rust
  estimate must agree within sampling error.
"""
import json
import os

import numpy as np
from safetensors.numpy import save_file
from scipy.optimize import linprog


def cka(x, y):
    p = x.shape[0]
    c = np.eye(p) - np.ones((p, p)) / p
    k, l = x @ x.T, y @ y.T
    hsic = lambda a, b: np.trace(a @ c @ b @ c)
    return hsic(k, l) / np.sqrt(hsic(k, k) * hsic(l, l))


def ra(x, y):
    k, l = x @ x.T, y @ y.T
    return np.sum(k * l) / (np.linalg.norm(k) * np.linalg.norm(l))


def ranks(w):
    s = np.linalg.svd(w, compute_uv=False)
    p = s / s.sum()
    p = p[p > 0]
    return {
        "nuclear": s.sum() / s[0],
        "entropy": float(np.exp(-(p * np.log(p)).sum())),
        "participation": (s**2).sum() ** 2 / (s**4).sum(),
        "stable": (s**2).sum() / s[0] ** 2,
    }


def separable(x, y):
    """x: (m, d) points, y: (m,) labels +-1. Feasible y_i (w.x_i + b) >= 1?"""
    m, d = x.shape
    a_ub = -y[:, None] * np.hstack([x, np.ones((m, 1))])
    r = linprog(np.zeros(d + 1), A_ub=a_ub, b_ub=-np.ones(m), bounds=[(None, None)] * (d + 1), method="highs")
    return bool(r.status == 0)


def sep_fraction(manifolds, n, reps, rng):
    """Fraction of reps (random projection to n dims, random balanced dichotomy) that separate."""
    p = len(manifolds)
    big_n = manifolds[0].shape[1]
    ok = 0
    for _ in range(reps):
        pos = rng.choice(p, size=p // 2, replace=False)
        labels = -np.ones(p)
        labels[pos] = 1
        w = rng.standard_normal((big_n, n))
        w /= np.linalg.norm(w, axis=0, keepdims=True)
        xs = np.vstack([m @ w for m in manifolds])
        ys = np.concatenate([np.full(m.shape[0], labels[i]) for i, m in enumerate(manifolds)])
        ok += separable(xs, ys)
    return ok / reps


def capacity(manifolds, reps, rng):
    """P / n_c, n_c interpolated where the separable fraction crosses 0.5 (scan of every n)."""
    p = len(manifolds)
    big_n = manifolds[0].shape[1]
    prev = (1, 0.0)
    for n in range(1, big_n + 1):
        f = sep_fraction(manifolds, n, reps, rng)
        if f >= 0.5:
            n0, f0 = prev
            nc = n0 + (0.5 - f0) * (n - n0) / (f - f0) if f > f0 else n
            return p / nc, nc
        prev = (n, f)
    return None, None


def loader_fixtures(rng):
    d = "crates/richlazy/tests/data/loader"
    os.makedirs(d, exist_ok=True)
    w = rng.standard_normal((4, 4)).round(3)
    np.save(f"{d}/w_f4.npy", w.astype("<f4"))
    save_file({"w_h": w, "w_in": rng.standard_normal((4, 2)).astype(np.float32), "bias": np.ones(4, np.float32)}, f"{d}/three.safetensors")
    save_file({"w": w.astype(np.float16)}, f"{d}/one_f16.safetensors")
    save_file({"v": np.ones(3)}, f"{d}/one_1d.safetensors")
    # an edge list: text ids sort as text; a repeated edge sums; W[post, pre]
    edges = [("c", "a", 0.5), ("a", "b", -1.25), ("b", "b", 2.0), ("c", "a", 0.25), ("a", "c", 3.0)]
    with open(f"{d}/edges.csv", "w") as f:
        f.write("# a toy edge list\nweight,pre,post\n")
        for pre, post, v in edges:
            f.write(f"{v},{pre},{post}\n")
    ids = sorted({x for e in edges for x in e[:2]})
    dense = np.zeros((len(ids), len(ids)))
    for pre, post, v in edges:
        dense[ids.index(post), ids.index(pre)] += v
    # integer ids sort as numbers: 10 after 9
    with open(f"{d}/edges_int.csv", "w") as f:
        f.write("pre,post,weight,synapses\n9,10,1.5,3\n10,2,-2,1\n")
    ints = [2, 9, 10]
    dense_int = np.zeros((3, 3))
    dense_int[ints.index(10), ints.index(9)] += 1.5
    dense_int[ints.index(2), ints.index(10)] += -2
    return {
        "w": w.ravel().tolist(),
        "w_f4": w.astype("<f4").astype(float).ravel().tolist(),
        "w_f16": w.astype(np.float16).astype(float).ravel().tolist(),
        "edges": dense.ravel().tolist(),
        "edges_int": dense_int.ravel().tolist(),
    }


def main():
    rng = np.random.default_rng(20251207)
    out = {"cka": [], "ranks": [], "separable": [], "capacity": []}
    for p, n, offset in [(7, 5, 0.0), (12, 3, 2.0), (5, 9, -1.0)]:
        x = rng.standard_normal((p, n)) + offset
        y = np.maximum(x @ rng.standard_normal((n, n)) + 0.5, 0.0)
        out["cka"].append({"p": p, "n": n, "x": x.ravel().tolist(), "y": y.ravel().tolist(), "cka": cka(x, y), "ra": ra(x, y)})
    for r, c in [(4, 4), (6, 3), (3, 7)]:
        w = rng.standard_normal((r, c))
        w[0] += 3.0  # an outlier singular value
        out["ranks"].append({"rows": r, "cols": c, "w": w.ravel().tolist(), **ranks(w)})
    # separability: random labels on Gaussian points around Cover's capacity 2(d+1)
    for m, d in [(6, 2), (10, 3), (14, 5), (20, 8), (30, 12), (8, 1)]:
        for _ in range(4):
            x = rng.standard_normal((m, d))
            y = rng.choice([-1.0, 1.0], size=m)
            if abs(y.sum()) == m:
                y[0] = -y[0]
            out["separable"].append({"m": m, "d": d, "x": x.ravel().tolist(), "y": y.tolist(), "separable": separable(x, y)})
    # capacity of Gaussian class clouds (P classes, M points each, N dims, radius r)
    for p, m, big_n, radius, reps in [(2, 30, 40, 1.0, 200), (4, 10, 30, 0.5, 200)]:
        centres = rng.standard_normal((p, big_n))
        manifolds = [centres[i] + radius * rng.standard_normal((m, big_n)) for i in range(p)]
        a, nc = capacity(manifolds, reps, rng)
        out["capacity"].append({"p": p, "m": m, "n": big_n, "reps": reps, "points": [mf.ravel().tolist() for mf in manifolds], "capacity": a, "n_c": nc})
    out["loader"] = loader_fixtures(rng)
    with open("crates/richlazy/tests/data/measures_reference.json", "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
