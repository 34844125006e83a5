//! The band mask: −∞ outside a band of two axes. It stores nothing; its backward passes the
//! gradient of the kept entries and zeroes the rest.

use super::softmax::rows_layout;
use super::{Args, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{Circuit, Mask, Node, TopK};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};

/// The (row, column) index of every stored element, in storage order: the tensor is dense,
/// so an axis's index is `(position / stride) mod size`.
fn kept<'a, T: Real>(m: &'a Mask, t: &'a Tensor<T>) -> impl Iterator<Item = bool> + 'a {
    let at = |a| {
        t.pos(a)
            .map_or((1, 1), |i| (t.strides[i].max(1), t.dims[i].max(1)))
    };
    let ((sr, nr), (sc, nc)) = (at(m.rows), at(m.cols));
    (0..t.data.len()).map(move |p| m.keeps((p / sr) % nr, (p / sc) % nc))
}

impl Kernel for Mask {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let x = a.xs[0];
        let data = x
            .data
            .iter()
            .zip(kept(self, x))
            .map(|(v, k)| if k { *v } else { T::neg_infinity() })
            .collect();
        Ok(vec![Tensor::with_layout_of(x, data)])
    }

    fn backward<T: Real>(&self, _: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let data = dy
            .data
            .iter()
            .zip(kept(self, dy))
            .map(|(g, k)| if k { *g } else { T::default() })
            .collect();
        Grads::input(Tensor::with_layout_of(dy, data))
    }

    // one select per element each way; FlopCounterMode counts none
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        OpCost {
            ops_fwd: y.clone(),
            ops_bwd: y,
            ..Default::default()
        }
    }
}

/// Whether each entry of `x` (laid out with `over` innermost, rows of `n`) is among its
/// row's `k` largest; ties go to the lower index.
fn top_k<T: Real>(x: &[T], n: usize, k: usize) -> Vec<bool> {
    let mut keep = vec![false; x.len()];
    for (r, row) in x.chunks(n.max(1)).enumerate() {
        let mut idx: Vec<usize> = (0..row.len()).collect();
        idx.sort_by(|&i, &j| {
            row[j]
                .partial_cmp(&row[i])
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        for &i in idx.iter().take(k) {
            keep[r * n + i] = true;
        }
    }
    keep
}

impl Kernel for TopK {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (order, n) = rows_layout(a.xs[0], &[self.over]);
        let mut y = a.xs[0].to_layout(&order);
        for (v, k) in y
            .data
            .iter_mut()
            .zip(top_k(&a.xs[0].to_layout(&order).data, n, self.k))
        {
            if !k {
                *v = T::neg_infinity();
            }
        }
        Ok(vec![y])
    }

    // the selection is piecewise constant: the kept entries pass their gradient
    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (order, n) = rows_layout(a.xs[0], &[self.over]);
        let keep = top_k(&a.xs[0].to_layout(&order).data, n, self.k);
        let mut d = dy.to_layout(&order);
        for (g, k) in d.data.iter_mut().zip(keep) {
            if !k {
                *g = T::default();
            }
        }
        Grads::input(d)
    }

    // a comparison per element and entry kept (k·n per row, a partial selection), then a
    // select; FlopCounterMode counts none
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        OpCost {
            ops_fwd: y.scale(self.k as i64 + 1),
            ops_bwd: y.clone(),
            saved: y,
            ..Default::default()
        }
    }
}
