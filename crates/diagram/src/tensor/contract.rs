//! Pairwise contraction of named tensors, lowered to batched strided GEMM.

use super::{Real, Tensor};
use crate::ir::AxisId;
use nc_core::gemm::{MatMut, MatRef, gemm};

/// Contracts `a` and `b` into a tensor over `out`: axes shared by both and absent from `out`
/// are summed (the cup), axes on one side only and absent from `out` are summed first, and
/// `out` axes on neither side are broadcast (`dims` gives their sizes).
pub fn contract<T: Real>(
    a: &Tensor<T>,
    b: &Tensor<T>,
    out: &[AxisId],
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
    // classify
    let in_b = |x: &AxisId| b.pos(*x).is_some();
    let batch: Vec<AxisId> = a
        .axes
        .iter()
        .copied()
        .filter(|x| in_b(x) && out.contains(x))
        .collect();
    let m_ax: Vec<AxisId> = a.axes.iter().copied().filter(|x| !in_b(x)).collect();
    let k_ax: Vec<AxisId> = a
        .axes
        .iter()
        .copied()
        .filter(|x| in_b(x) && !out.contains(x))
        .collect();
    let n_ax: Vec<AxisId> = b
        .axes
        .iter()
        .copied()
        .filter(|x| a.pos(*x).is_none())
        .collect();
    let size =
        |t: &Tensor<T>, ax: &[AxisId]| ax.iter().map(|x| t.dim(*x).unwrap_or(1)).product::<usize>();
    let (nb, m, k, n) = (
        size(a, &batch),
        size(a, &m_ax),
        size(a, &k_ax),
        size(b, &n_ax),
    );
    // operand A as [batch, M, K] or its transpose [batch, K, M]
    let cat = |p: &[&[AxisId]]| p.concat();
    let (a_t, a_trans) = pick_layout(
        a,
        &cat(&[&batch, &m_ax, &k_ax]),
        &cat(&[&batch, &k_ax, &m_ax]),
    );
    let (b_t, b_trans) = pick_layout(
        b,
        &cat(&[&batch, &k_ax, &n_ax]),
        &cat(&[&batch, &n_ax, &k_ax]),
    );
    let mut c = vec![T::default(); nb * m * n];
    if m * n > 0 {
        for bi in 0..nb {
            let ad = &a_t.data[bi * m * k..(bi + 1) * m * k];
            let bd = &b_t.data[bi * k * n..(bi + 1) * k * n];
            let am = if a_trans {
                MatRef::row_major(ad, k, m).t()
            } else {
                MatRef::row_major(ad, m, k)
            };
            let bm = if b_trans {
                MatRef::row_major(bd, n, k).t()
            } else {
                MatRef::row_major(bd, k, n)
            };
            let cm = MatMut::row_major(&mut c[bi * m * n..(bi + 1) * m * n], m, n);
            // shapes agree by construction
            let _ = gemm(T::from_f64(1.0), am, bm, T::default(), cm);
        }
    }
    let axes = cat(&[&batch, &m_ax, &n_ax]);
    let dims: Vec<usize> = batch
        .iter()
        .map(|x| a.dim(*x).unwrap_or(1))
        .chain(m_ax.iter().map(|x| a.dim(*x).unwrap_or(1)))
        .chain(n_ax.iter().map(|x| b.dim(*x).unwrap_or(1)))
        .collect();
    let t = Tensor::from_vec(axes, dims, c);
    if out.iter().all(|x| t.pos(*x).is_some()) {
        t
    } else {
        let od: Vec<usize> = out
            .iter()
            .map(|x| t.dim(*x).unwrap_or_else(|| dims_of(*x)))
            .collect();
        t.expand(out, &od)
    }
}

/// The tensor in layout `plain`, or in `trans` (no copy) if it already is; returns whether
/// the transposed layout was used.
fn pick_layout<T: Real>(t: &Tensor<T>, plain: &[AxisId], trans: &[AxisId]) -> (Tensor<T>, bool) {
    if t.is_row_major_in(plain) {
        (t.to_layout(plain), false)
    } else if t.is_row_major_in(trans) {
        (t.to_layout(trans), true)
    } else {
        (t.to_layout(plain), false)
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
}
