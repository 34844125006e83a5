//! Pairwise contraction of named tensors, lowered to batched strided GEMM.

use super::{Real, Tensor};
use crate::ir::AxisId;
use nc_core::gemm::{MatMut, MatRef, gemm_internal};

/// Contracts `a` and `b` into a tensor over `out`: axes shared by both and absent from `out`
/// are summed (the cup), axes on one side only and absent from `out` are summed first, and
/// `out` axes on neither side are broadcast (`dims` gives their sizes).
pub fn contract<T: Real>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    out: &[AxisId],
    dims_of: &dyn Fn(AxisId) -> usize,
) -> Tensor<T> {
    contract_like(a, b, out, None, dims_of)
}

/// [`contract`], storing the result in the order `prefer` (outermost first) when that costs
/// less than the copy a consumer would otherwise make.
pub fn contract_like<T: Real>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    out: &[AxisId],
    prefer: Option<&[AxisId]>,
    dims_of: &dyn Fn(AxisId) -> usize,
) -> Tensor<T> {
    // sum out axes only one side has and the output does not keep
    let a_keep: Vec<AxisId> = a
        .axes
        .iter()
        .copied()
        .filter(|x| out.contains(x) || b.pos(*x).is_some())
        .collect();
    let b_keep: Vec<AxisId> = b
        .axes
        .iter()
        .copied()
        .filter(|x| out.contains(x) || a.pos(*x).is_some())
        .collect();
    let a_r;
    let a = if a_keep.len() < a.axes.len() {
        a_r = a.sum_to(&a_keep);
        &a_r
    } else {
        a
    };
    let b_r;
    let b = if b_keep.len() < b.axes.len() {
        b_r = b.sum_to(&b_keep);
        &b_r
    } else {
        b
    };
    let g = Groups::classify(a, b, out);
    let size =
        |t: &Tensor<T>, ax: &[AxisId]| ax.iter().map(|x| t.dim(*x).unwrap_or(1)).product::<usize>();
    let (nb, m, k, n) = (
        size(a, &g.batch),
        size(a, &g.m),
        size(a, &g.k),
        size(b, &g.n),
    );
    let plan = Plan::choose(a, b, &g, prefer, nb * m * n);
    // operands that cannot be read in place are copied into the chosen order
    let a_c;
    let a = if plan.copy_a {
        a_c = a.to_layout(&[&plan.batch[..], &plan.m, &plan.k].concat());
        &a_c
    } else {
        a
    };
    let b_c;
    let b = if plan.copy_b {
        b_c = b.to_layout(&[&plan.batch[..], &plan.k, &plan.n].concat());
        &b_c
    } else {
        b
    };
    let stride = |t: &Tensor<T>, ax: &[AxisId]| t.group_stride(ax).unwrap_or(0);
    let (ab, am, ak) = (
        stride(a, &plan.batch),
        stride(a, &plan.m),
        stride(a, &plan.k),
    );
    let (bb, bk, bn) = (
        stride(b, &plan.batch),
        stride(b, &plan.k),
        stride(b, &plan.n),
    );
    let storage = plan.c_storage();
    let dim_of = |x: AxisId| a.dim(x).or_else(|| b.dim(x)).unwrap_or(1);
    let mut c = Tensor::from_storage(
        storage.clone(),
        &storage,
        &dim_of,
        vec![T::default(); nb * m * n],
    );
    let (cb, cm, cn) = (
        stride(&c, &plan.batch),
        stride(&c, &plan.m),
        stride(&c, &plan.n),
    );
    if m * n > 0 {
        for bi in 0..nb {
            let a_mat = MatRef::strided(&a.data[bi * ab..], m, k, am, ak);
            let b_mat = MatRef::strided(&b.data[bi * bb..], k, n, bk, bn);
            let c_mat = MatMut::strided(&mut c.data[bi * cb..], m, n, cm, cn);
            // shapes and extents agree by construction
            gemm_internal(T::of(1.0), a_mat, b_mat, T::default(), c_mat);
        }
    }
    if out.iter().all(|x| c.pos(*x).is_some()) {
        c
    } else {
        let od: Vec<usize> = out
            .iter()
            .map(|x| c.dim(*x).unwrap_or_else(|| dims_of(*x)))
            .collect();
        c.expand(out, &od)
    }
}

/// The axes of a pairwise contraction by role: batch (both sides, kept), M (A only), K
/// (both sides, summed), N (B only).
struct Groups {
    batch: Vec<AxisId>,
    m: Vec<AxisId>,
    k: Vec<AxisId>,
    n: Vec<AxisId>,
}

impl Groups {
    fn classify<T: Real>(a: &Tensor<T>, b: &Tensor<T>, out: &[AxisId]) -> Groups {
        let in_b = |x: &AxisId| b.pos(*x).is_some();
        Groups {
            batch: a
                .axes
                .iter()
                .copied()
                .filter(|x| in_b(x) && out.contains(x))
                .collect(),
            m: a.axes.iter().copied().filter(|x| !in_b(x)).collect(),
            k: a.axes
                .iter()
                .copied()
                .filter(|x| in_b(x) && !out.contains(x))
                .collect(),
            n: b.axes
                .iter()
                .copied()
                .filter(|x| a.pos(*x).is_none())
                .collect(),
        }
    }
}

/// The orders in which each group is read and whether an operand must be copied first.
struct Plan {
    batch: Vec<AxisId>,
    m: Vec<AxisId>,
    k: Vec<AxisId>,
    n: Vec<AxisId>,
    copy_a: bool,
    copy_b: bool,
    /// Whether C is stored with N outside M.
    c_nm: bool,
}

impl Plan {
    fn c_storage(&self) -> Vec<AxisId> {
        if self.c_nm {
            [&self.batch[..], &self.n, &self.m].concat()
        } else {
            [&self.batch[..], &self.m, &self.n].concat()
        }
    }

    /// The cheapest orders, in elements copied: an operand that is not readable as
    /// [batch][rows][cols] with one stride per group costs its size, and a result stored
    /// other than `prefer` costs its size (the copy its consumer would make).
    fn choose<T: Real>(
        a: &Tensor<T>,
        b: &Tensor<T>,
        g: &Groups,
        prefer: Option<&[AxisId]>,
        c_len: usize,
    ) -> Plan {
        let (sa, sb) = (a.storage_order(), b.storage_order());
        let sp = prefer.unwrap_or(&[]);
        let cands = |group: &[AxisId], orders: &[&[AxisId]]| -> Vec<Vec<AxisId>> {
            let mut v: Vec<Vec<AxisId>> = Vec::new();
            for o in orders.iter().copied().chain([group]) {
                let f: Vec<AxisId> = o.iter().copied().filter(|x| group.contains(x)).collect();
                if f.len() == group.len() && !v.contains(&f) {
                    v.push(f);
                }
            }
            v
        };
        let batch_c = cands(&g.batch, &[&sa, &sb, sp]);
        let m_c = cands(&g.m, &[&sa, sp]);
        let k_c = cands(&g.k, &[&sa, &sb]);
        let n_c = cands(&g.n, &[&sb, sp]);
        let big = |t: &Tensor<T>| t.data.len();
        let readable =
            |t: &Tensor<T>, gs: [&[AxisId]; 3]| gs.iter().all(|x| t.group_stride(x).is_some());
        let nontrivial = |t: &[AxisId]| -> Vec<AxisId> {
            t.iter()
                .copied()
                .filter(|x| a.dim(*x).or_else(|| b.dim(*x)).unwrap_or(1) > 1)
                .collect()
        };
        let want = prefer.map(nontrivial);
        let mut best: Option<(usize, Plan)> = None;
        for bo in &batch_c {
            for mo in &m_c {
                for ko in &k_c {
                    let copy_a = !readable(a, [bo, mo, ko]);
                    for no in &n_c {
                        let copy_b = !readable(b, [bo, ko, no]);
                        for c_nm in [false, true] {
                            let plan = Plan {
                                batch: bo.clone(),
                                m: mo.clone(),
                                k: ko.clone(),
                                n: no.clone(),
                                copy_a,
                                copy_b,
                                c_nm,
                            };
                            let mut cost =
                                usize::from(copy_a) * big(a) + usize::from(copy_b) * big(b);
                            if let Some(w) = &want {
                                let have = nontrivial(&plan.c_storage());
                                let w: Vec<AxisId> =
                                    w.iter().copied().filter(|x| have.contains(x)).collect();
                                if w != have {
                                    cost += c_len;
                                }
                            } else if c_nm {
                                // without a preference, keep the natural [batch][M][N]
                                continue;
                            }
                            if best.as_ref().is_none_or(|(c, _)| cost < *c) {
                                best = Some((cost, plan));
                            }
                        }
                    }
                }
            }
        }
        // at least the logical orders are always candidates
        best.map(|(_, p)| p).unwrap_or_else(|| Plan {
            batch: g.batch.clone(),
            m: g.m.clone(),
            k: g.k.clone(),
            n: g.n.clone(),
            copy_a: true,
            copy_b: true,
            c_nm: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ax(i: u32) -> AxisId {
        AxisId(i)
    }

    // naive reference: out[y,x,h] = Σ_k a[y,k,h] b[x,k,h]
    #[test]
    fn attention_scores_match_naive() {
        let (y, x, k, h) = (3, 4, 5, 2);
        let a: Vec<f64> = (0..y * k * h).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..x * k * h).map(|i| (i as f64 * 0.11).cos()).collect();
        let ta = Tensor::from_vec(vec![ax(0), ax(2), ax(3)], vec![y, k, h], a.clone());
        let tb = Tensor::from_vec(vec![ax(1), ax(2), ax(3)], vec![x, k, h], b.clone());
        let c =
            contract(&ta, &tb, &[ax(0), ax(1), ax(3)], &|_| 0).to_layout(&[ax(0), ax(1), ax(3)]);
        for yi in 0..y {
            for xi in 0..x {
                for hi in 0..h {
                    let want: f64 = (0..k)
                        .map(|ki| a[(yi * k + ki) * h + hi] * b[(xi * k + ki) * h + hi])
                        .sum();
                    let got = c.data[(yi * x + xi) * h + hi];
                    assert!((want - got).abs() < 1e-12);
                }
            }
        }
    }

    #[test]
    fn one_sided_sum_and_broadcast() {
        // a[i,j] summed over j, times b[k], broadcast over new axis z
        let a = Tensor::from_vec(
            vec![ax(0), ax(1)],
            vec![2, 3],
            vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0],
        );
        let b = Tensor::from_vec(vec![ax(2)], vec![2], vec![1.0, 10.0]);
        let c = contract(&a, &b, &[ax(0), ax(2), ax(9)], &|_| 2).to_layout(&[ax(0), ax(2), ax(9)]);
        assert_eq!(c.data, vec![6.0, 6.0, 60.0, 60.0, 15.0, 15.0, 150.0, 150.0]);
    }

    #[test]
    fn reads_strided_operands_in_place_and_honours_a_preferred_layout() {
        // x[b, h, w, c] stored channels-last, weight[c, n]: y[b, h, w, n]
        let (b, h, w, c, n) = (2, 3, 4, 5, 6);
        let xs: Vec<f64> = (0..b * h * w * c).map(|i| (i as f64 * 0.3).sin()).collect();
        let ws: Vec<f64> = (0..c * n).map(|i| (i as f64 * 0.7).cos()).collect();
        let x = Tensor::from_vec(vec![ax(0), ax(1), ax(2), ax(3)], vec![b, h, w, c], xs)
            .to_layout(&[ax(3), ax(0), ax(1), ax(2)]);
        let wt = Tensor::from_vec(vec![ax(3), ax(4)], vec![c, n], ws);
        let out = [ax(0), ax(1), ax(2), ax(4)];
        let plain = contract(&x, &wt, &out, &|_| 0).to_layout(&out);
        let prefer = [ax(4), ax(2), ax(1), ax(0)];
        let y = contract_like(&x, &wt, &out, Some(&prefer), &|_| 0);
        assert!(y.is_row_major_in(&prefer));
        let y = y.to_layout(&out);
        for (p, q) in plain.data.iter().zip(&y.data) {
            assert!((p - q).abs() < 1e-12);
        }
        // against a naive sum
        let xr = x.to_layout(&[ax(0), ax(1), ax(2), ax(3)]);
        for (i, v) in plain.data.iter().enumerate() {
            let (pos, j) = (i / n, i % n);
            let want: f64 = (0..c)
                .map(|k| xr.data[pos * c + k] * wt.data[k * n + j])
                .sum();
            assert!((want - v).abs() < 1e-12);
        }
    }
}
