//! Softmax over chosen axes. The backward stores the output y: dx = y ⊙ (dy − ⟨dy, y⟩).

use super::{Args, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{AxisId, Circuit, Node, Softmax};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};

/// Layout with the normalised axes innermost, and the row length.
pub(crate) fn rows_layout<T: Real>(t: &Tensor<T>, inner: &[AxisId]) -> (Vec<AxisId>, usize) {
    let mut order: Vec<AxisId> = t
        .axes
        .iter()
        .copied()
        .filter(|a| !inner.contains(a))
        .collect();
    order.extend(inner);
    let r = inner.iter().map(|a| t.dim(*a).unwrap_or(1)).product();
    (order, r)
}

impl Kernel for Softmax {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let xs = a.xs;
        let (order, r) = rows_layout(xs[0], &self.over);
        let mut y = xs[0].to_layout(&order);
        for row in y.data.chunks_mut(r.max(1)) {
            let m = row
                .iter()
                .copied()
                .fold(row[0], |a, b| if b > a { b } else { a });
            let mut s = T::default();
            for v in row.iter_mut() {
                *v = (*v - m).exp();
                s += *v;
            }
            for v in row.iter_mut() {
                *v /= s;
            }
        }
        Ok(vec![y])
    }

    fn backward<T: Real>(&self, _: &Args<T>, ys: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (order, r) = rows_layout(ys[0], &self.over);
        let y = ys[0].to_layout(&order);
        let mut dx = dy.to_layout(&order);
        for (drow, yrow) in dx.data.chunks_mut(r.max(1)).zip(y.data.chunks(r.max(1))) {
            let dot = drow
                .iter()
                .zip(yrow)
                .fold(T::default(), |s, (d, y)| s + *d * *y);
            for (d, y) in drow.iter_mut().zip(yrow) {
                *d = *y * (*d - dot);
            }
        }
        Grads::input(dx)
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        // max, subtract, exp, sum, divide
        OpCost {
            ops_fwd: y.scale(5),
            ops_bwd: y.scale(4),
            saved: y,
            ..Default::default()
        }
    }
}
