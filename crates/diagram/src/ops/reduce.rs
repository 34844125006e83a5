//! Reductions Σ, 𝔼, Max. A sum's backward repeats the gradient; a max routes it to the
//! (first) maximiser.

use super::softmax::rows_layout;
use super::{Args, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{Circuit, Node, Reduce, ReduceKind};
use crate::op_cost::OpCost;
use crate::size::Poly;
use crate::tensor::{Real, Tensor};

impl Kernel for Reduce {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs) = (a.cx, a.xs);
        let x = xs[0];
        let (order, r) = rows_layout(x, &self.over);
        let t = x.to_layout(&order);
        let keep: Vec<_> = order[..order.len() - self.over.len()].to_vec();
        let dims = keep.iter().map(|a| cx.dim(*a)).collect();
        let data = t
            .data
            .chunks(r.max(1))
            .map(|row| match self.kind {
                ReduceKind::Sum => row.iter().fold(T::default(), |s, v| s + *v),
                ReduceKind::Mean => row.iter().fold(T::default(), |s, v| s + *v) / T::of(r as f64),
                ReduceKind::Max => row
                    .iter()
                    .copied()
                    .fold(row[0], |a, b| if b > a { b } else { a }),
            })
            .collect();
        Ok(vec![Tensor::from_vec(keep, dims, data)])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs) = (a.cx, a.xs);
        let x = xs[0];
        let (order, r) = rows_layout(x, &self.over);
        let dims = cx.dims(&order);
        let mut dx = dy.expand(&order, &dims);
        match self.kind {
            ReduceKind::Sum => {}
            ReduceKind::Mean => {
                let s = T::of(1.0 / r as f64);
                dx.data.iter_mut().for_each(|v| *v *= s);
            }
            ReduceKind::Max => {
                let xt = x.to_layout(&order);
                for (drow, xrow) in dx.data.chunks_mut(r.max(1)).zip(xt.data.chunks(r.max(1))) {
                    let mut best = 0;
                    for (i, v) in xrow.iter().enumerate() {
                        if *v > xrow[best] {
                            best = i;
                        }
                    }
                    for (i, d) in drow.iter_mut().enumerate() {
                        if i != best {
                            *d = T::default();
                        }
                    }
                }
            }
        }
        Grads::input(dx)
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let x = elems(c, n.inputs[0]);
        let saved = if self.kind == ReduceKind::Max {
            x.clone()
        } else {
            Poly::default()
        };
        OpCost {
            ops_fwd: x.clone(),
            ops_bwd: x,
            saved,
            ..Default::default()
        }
    }
}
