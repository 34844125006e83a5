//! Position encodings. Rotary: a rotation of each (j, j + d/2) pair by a position-dependent
//! angle; the backward rotates the gradient back (the transpose of a rotation). Sinusoidal:
//! the transformer's fixed table of sines and cosines, a constant.

use super::{Args, Ctx, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{Circuit, Node, Rope, Sinusoid};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};

/// `x` rotated by `sign ·` each pair's angle, laid out with `pos`, `dim` innermost.
fn rotate<T: Real>(r: &Rope, cx: &Ctx, x: &Tensor<T>, sign: f64) -> Result<Tensor<T>, ExecError> {
    let d = cx.dim(r.dim);
    if !d.is_multiple_of(2) {
        return Err(ExecError::Check(format!(
            "op `{}` (rope): the rotated axis {} has odd size {d}; rotary pairs need an even one",
            cx.node.name,
            cx.c.axis_label(r.dim)
        )));
    }
    let (np, half) = (cx.dim(r.pos), d / 2);
    let mut order: Vec<_> = x
        .axes
        .iter()
        .copied()
        .filter(|a| *a != r.pos && *a != r.dim)
        .collect();
    order.extend([r.pos, r.dim]);
    let mut y = x.to_layout(&order);
    // cos and sin of every (position, pair), computed in f64
    let mut table = Vec::with_capacity(np * half);
    for p in 0..np {
        for j in 0..half {
            let angle = p as f64 * r.base.powf(-2.0 * j as f64 / d as f64) * sign;
            table.push((T::of(angle.cos()), T::of(angle.sin())));
        }
    }
    for (i, row) in y.data.chunks_mut(d.max(1)).enumerate() {
        let p = i % np.max(1);
        let (lo, hi) = row.split_at_mut(half);
        for (j, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            let (c, s) = table[p * half + j];
            let (u, v) = (*a, *b);
            *a = u * c - v * s;
            *b = v * c + u * s;
        }
    }
    Ok(y)
}

impl Kernel for Rope {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        Ok(vec![rotate(self, a.cx, a.xs[0], 1.0)?])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        // the forward refused an odd size, so this rotation succeeds
        let dx = rotate(self, a.cx, dy, -1.0).unwrap_or_else(|_| dy.clone());
        Grads::input(dx)
    }

    // four multiplies and two adds per pair, i.e. 3 per element, each way (the table of
    // angles is not counted)
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        OpCost {
            ops_fwd: y.scale(3),
            ops_bwd: y.scale(3),
            ..Default::default()
        }
    }
}

impl Kernel for Sinusoid {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let cx = a.cx;
        let (np, d) = (cx.dim(self.pos), cx.dim(self.dim));
        if !d.is_multiple_of(2) {
            return Err(ExecError::Check(format!(
                "op `{}` (sinusoid): the feature axis {} has odd size {d}; sines and cosines \
                 come in pairs, so it needs an even one",
                cx.node.name,
                cx.c.axis_label(self.dim)
            )));
        }
        let mut data = Vec::with_capacity(np * d);
        for p in 0..np {
            for j in 0..d {
                let angle = p as f64 * self.base.powf(-2.0 * (j / 2) as f64 / d as f64);
                data.push(T::of(if j % 2 == 0 { angle.sin() } else { angle.cos() }));
            }
        }
        Ok(vec![Tensor::from_vec(
            vec![self.pos, self.dim],
            vec![np, d],
            data,
        )])
    }

    // a constant: no input, no gradient
    fn backward<T: Real>(&self, _: &Args<T>, _: &[&Tensor<T>], _: &Tensor<T>) -> Grads<T> {
        Grads {
            inputs: vec![],
            params: vec![],
        }
    }

    // a power and a sine or cosine per entry (4 each, as the transcendental maps)
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        OpCost {
            ops_fwd: elems(c, n.outputs[0]).scale(8),
            ..Default::default()
        }
    }
}
