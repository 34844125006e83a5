//! Learned linear maps `L`/`L₊`: forward, backward (the transpose), cost.

use super::{Args, Grads, Kernel, axes_elems, elems};
use crate::error::ExecError;
use crate::ir::{Circuit, Linear, Node};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor, contract, contract_like};
use std::borrow::Cow;

/// The input with its contracted axes renamed to the weight's (twin) input axes (borrowed
/// when no axis needs a new name).
fn as_weight_input<'a, T: Real>(
    op: &Linear,
    x: &'a Tensor<T>,
    w: &Tensor<T>,
) -> Cow<'a, Tensor<T>> {
    let (inputs, groups) = (&op.inputs, &op.groups);
    let renamed = inputs
        .iter()
        .enumerate()
        .any(|(i, a)| x.pos(*a).is_some() && w.axes[groups.len() + i] != *a);
    if !renamed {
        return Cow::Borrowed(x);
    }
    let mut t = x.clone();
    for (i, a) in inputs.iter().enumerate() {
        if let Some(p) = t.pos(*a) {
            t.axes[p] = w.axes[groups.len() + i];
        }
    }
    Cow::Owned(t)
}

fn from_weight_input<T: Real>(op: &Linear, mut t: Tensor<T>, w: &Tensor<T>) -> Tensor<T> {
    for (i, a) in op.inputs.iter().enumerate() {
        if let Some(p) = t.pos(w.axes[op.groups.len() + i]) {
            t.axes[p] = *a;
        }
    }
    t
}

impl Kernel for Linear {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs, ps) = (a.cx, a.xs, a.ps);
        let out = cx.out_axes(0);
        let x = as_weight_input(self, xs[0], ps[0]);
        let mut y = contract(&x, ps[0], out, &|a| cx.dim(a));
        if let Some(b) = ps.get(1) {
            y.add_broadcast(b);
        }
        Ok(vec![y])
    }

    /// The backward of a linear map is its transpose; the weight gradient sums over the axes
    /// the map was broadcast over.
    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs, ps) = (a.cx, a.xs, a.ps);
        let xr = as_weight_input(self, xs[0], ps[0]);
        // the input's gradient is stored like the input, so a window's fold reads it in order
        let xr_storage = xr.storage_order();
        let dx = contract_like(dy, ps[0], &xr.axes, Some(&xr_storage), &|a| cx.dim(a));
        let dx = from_weight_input(self, dx, ps[0]);
        let dw = contract(&xr, dy, &ps[0].axes, &|a| cx.dim(a));
        let mut params = vec![dw];
        if let Some(b) = ps.get(1) {
            params.push(dy.sum_to(&b.axes));
        }
        Grads {
            inputs: vec![Some(dx)],
            params,
        }
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let x = elems(c, n.inputs[0]);
        // a learned array entering as a value (constant 1 times the weight) is a read, not a
        // matmul
        if c.value(n.inputs[0]).ty.axes.is_empty() {
            let y = elems(c, n.outputs[0]);
            return OpCost {
                ops_fwd: y.clone(),
                ops_bwd: y,
                ..Default::default()
            };
        }
        let mac = x.times(&axes_elems(c, &self.outputs));
        let mm = mac.scale(2);
        let y = elems(c, n.outputs[0]);
        let b = if self.bias {
            y.clone()
        } else {
            Default::default()
        };
        OpCost {
            flops_fwd: mm.clone(),
            flops_bwd: mm.scale(2),
            ops_fwd: mm.plus(&b),
            ops_bwd: mm.scale(2).plus(&b),
            saved: x,
            ..Default::default()
        }
    }
}
