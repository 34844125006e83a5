//! RMSNorm. The backward stores the input: with `r = √(mean(x²) + eps)` over a row of `n`,
//! `dx = g⊙dy/r − x·Σ(g⊙dy⊙x)/(n·r³)` and `dg = Σ_rows dy⊙x/r`.

use super::softmax::rows_layout;
use super::{Args, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{Circuit, Node, RmsNorm};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};

/// `1/r` of each row of `x` (laid out with the normalised axes innermost, rows of `n`).
fn inv_rms<T: Real>(x: &[T], n: usize, eps: f64) -> Vec<T> {
    x.chunks(n.max(1))
        .map(|row| {
            let ms = row.iter().fold(T::default(), |s, v| s + *v * *v) / T::of(n as f64);
            T::of(1.0) / (ms + T::of(eps)).sqrt()
        })
        .collect()
}

impl Kernel for RmsNorm {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (x, g) = (a.xs[0], a.ps[0].to_layout(&self.over));
        let (order, n) = rows_layout(x, &self.over);
        let mut y = x.to_layout(&order);
        let inv = inv_rms(&y.data, n, self.eps);
        for (row, ir) in y.data.chunks_mut(n.max(1)).zip(inv) {
            for (v, gj) in row.iter_mut().zip(&g.data) {
                *v = *v * ir * *gj;
            }
        }
        Ok(vec![y])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let g = a.ps[0].to_layout(&self.over);
        let (order, n) = rows_layout(a.xs[0], &self.over);
        let x = a.xs[0].to_layout(&order);
        let d = dy.to_layout(&order);
        let inv = inv_rms(&x.data, n, self.eps);
        let mut dx = x.clone();
        let mut dg = vec![T::default(); n];
        let rows = x.data.chunks(n.max(1)).zip(d.data.chunks(n.max(1)));
        for ((xr, dr), (out, ir)) in rows.zip(dx.data.chunks_mut(n.max(1)).zip(inv)) {
            let dot = xr
                .iter()
                .zip(dr)
                .zip(&g.data)
                .fold(T::default(), |s, ((x, d), g)| s + *g * *d * *x);
            let c = dot * ir * ir * ir / T::of(n as f64);
            for j in 0..xr.len() {
                out[j] = g.data[j] * dr[j] * ir - xr[j] * c;
                dg[j] += dr[j] * xr[j] * ir;
            }
        }
        let gain = Tensor::from_vec(g.axes.clone(), g.dims.clone(), dg);
        Grads {
            inputs: vec![Some(dx)],
            params: vec![gain],
        }
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        // square-and-add, then the two products (a root per row is not counted)
        OpCost {
            ops_fwd: y.scale(3),
            ops_bwd: y.scale(6),
            saved: elems(c, n.inputs[0]),
            ..Default::default()
        }
    }
}
