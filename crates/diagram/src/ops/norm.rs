//! Normalisation over chosen axes (layer norm, batch norm with batch statistics).
//! Forward: x̂ = (x − μ)/√(σ² + ε), y = g·x̂ + b. Backward needs x̂ and 1/σ.

use super::softmax::rows_layout;
use super::{Ctx, Grads, elems};
use crate::cost::OpCost;
use crate::ir::{Circuit, Node, Op};
use crate::tensor::{Real, Tensor};

struct Stats<T> {
    order: Vec<crate::ir::AxisId>,
    xhat: Vec<T>,
    inv: Vec<T>,
    r: usize,
}

fn stats<T: Real>(cx: &Ctx, x: &Tensor<T>) -> Stats<T> {
    let Op::Norm { stats, eps, .. } = &cx.node.op else {
        unreachable_norm()
    };
    let (order, r) = rows_layout(x, stats);
    let t = x.to_layout(&order);
    let mut xhat = t.data;
    let mut inv = Vec::new();
    let rn = T::from_f64(r as f64);
    for row in xhat.chunks_mut(r.max(1)) {
        let mean = row.iter().fold(T::default(), |s, v| s + *v) / rn;
        let var = row
            .iter()
            .fold(T::default(), |s, v| s + (*v - mean) * (*v - mean))
            / rn;
        let iv = T::from_f64(1.0) / (var + T::from_f64(*eps)).sqrt();
        for v in row.iter_mut() {
            *v = (*v - mean) * iv;
        }
        inv.push(iv);
    }
    Stats {
        order,
        xhat,
        inv,
        r,
    }
}

fn unreachable_norm() -> ! {
    panic!("norm kernel called on another op")
}

pub(crate) fn forward<T: Real>(cx: &Ctx, x: &Tensor<T>, ps: &[&Tensor<T>]) -> Tensor<T> {
    let s = stats(cx, x);
    let dims = cx.dims(&s.order);
    let mut y = Tensor::from_vec(s.order.clone(), dims.clone(), s.xhat);
    if ps.len() == 2 {
        let g = ps[0].expand(&s.order, &dims);
        let b = ps[1].expand(&s.order, &dims);
        for ((v, g), b) in y.data.iter_mut().zip(&g.data).zip(&b.data) {
            *v = *v * *g + *b;
        }
    }
    y
}

pub(crate) fn backward<T: Real>(
    cx: &Ctx,
    x: &Tensor<T>,
    ps: &[&Tensor<T>],
    dy: &Tensor<T>,
) -> Grads<T> {
    let s = stats(cx, x);
    let dims = cx.dims(&s.order);
    let dy = dy.to_layout(&s.order);
    let xhat = Tensor::from_vec(s.order.clone(), dims.clone(), s.xhat);
    let mut params = Vec::new();
    // dx̂ = dy·g
    let mut dxh = dy.clone();
    if ps.len() == 2 {
        let g = ps[0].expand(&s.order, &dims);
        for (d, g) in dxh.data.iter_mut().zip(&g.data) {
            *d *= *g;
        }
        params.push(dy.zip_with(&xhat, |a, b| a * b).sum_to(&ps[0].axes));
        params.push(dy.sum_to(&ps[1].axes));
    }
    let rn = T::from_f64(s.r as f64);
    let r = s.r.max(1);
    for ((d, xh), iv) in dxh.data.chunks_mut(r).zip(xhat.data.chunks(r)).zip(&s.inv) {
        let sd = d.iter().fold(T::default(), |a, v| a + *v);
        let sdx = d.iter().zip(xh).fold(T::default(), |a, (v, h)| a + *v * *h);
        for (v, h) in d.iter_mut().zip(xh) {
            *v = *iv * (rn * *v - sd - *h * sdx) / rn;
        }
    }
    Grads {
        inputs: vec![Some(dxh)],
        params,
    }
}

pub(crate) fn cost(c: &Circuit, n: &Node) -> OpCost {
    let Op::Norm { affine, .. } = &n.op else {
        return OpCost::default();
    };
    let x = elems(c, n.inputs[0]);
    let w = if *affine { 9 } else { 7 };
    OpCost {
        ops_fwd: x.scale(w),
        ops_bwd: x.scale(w + 3),
        saved: x,
        ..Default::default()
    }
}
