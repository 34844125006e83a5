//! The band mask: −∞ outside a band of two axes. It stores nothing; its backward passes the
//! gradient of the kept entries and zeroes the rest.

use super::{Args, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{Circuit, Mask, Node};
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
