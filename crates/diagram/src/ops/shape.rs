//! Concatenation, reshape and embedding lookup.

use super::{Ctx, elems};
use crate::error::ExecError;
use crate::ir::{AxisId, Circuit, Node, Op};
use crate::op_cost::OpCost;
use crate::size::Poly;
use crate::tensor::{Real, Tensor};

fn rest_of(axes: &[AxisId], skip: &[AxisId]) -> Vec<AxisId> {
    axes.iter().copied().filter(|a| !skip.contains(a)).collect()
}

pub(crate) fn forward<T: Real>(cx: &Ctx, xs: &[&Tensor<T>]) -> Tensor<T> {
    match &cx.node.op {
        Op::Concat { inputs, output } => {
            let rest = rest_of(&xs[0].axes, &[inputs[0]]);
            let mut data = Vec::new();
            for (x, a) in xs.iter().zip(inputs) {
                data.extend(x.to_layout(&[vec![*a], rest.clone()].concat()).data);
            }
            let axes = [vec![*output], rest].concat();
            let dims = cx.dims(&axes);
            Tensor::from_vec(axes, dims, data)
        }
        Op::Reshape { from, to } => relabel(cx, xs[0], from, to),
        _ => xs[0].clone(),
    }
}

/// Row-major reinterpretation of `from` as `to` (both innermost).
fn relabel<T: Real>(cx: &Ctx, x: &Tensor<T>, from: &[AxisId], to: &[AxisId]) -> Tensor<T> {
    let rest = rest_of(&x.axes, from);
    let t = x.to_layout(&[rest.clone(), from.to_vec()].concat());
    let axes = [rest, to.to_vec()].concat();
    let dims = cx.dims(&axes);
    Tensor::from_vec(axes, dims, t.data)
}

pub(crate) fn backward<T: Real>(
    cx: &Ctx,
    xs: &[&Tensor<T>],
    dy: &Tensor<T>,
) -> Vec<Option<Tensor<T>>> {
    match &cx.node.op {
        Op::Concat { inputs, output } => {
            let rest = rest_of(&dy.axes, &[*output]);
            let t = dy.to_layout(&[vec![*output], rest.clone()].concat());
            let inner: usize = cx.dims(&rest).iter().product();
            let mut off = 0;
            xs.iter()
                .zip(inputs)
                .map(|(_, a)| {
                    let n = cx.dim(*a) * inner;
                    let axes = [vec![*a], rest.clone()].concat();
                    let g = Tensor::from_vec(
                        axes.clone(),
                        cx.dims(&axes),
                        t.data[off..off + n].to_vec(),
                    );
                    off += n;
                    Some(g)
                })
                .collect()
        }
        Op::Reshape { from, to } => vec![Some(relabel(cx, dy, to, from))],
        _ => vec![Some(dy.clone())],
    }
}

pub(crate) fn embed_forward<T: Real>(
    cx: &Ctx,
    idx: &Tensor<T>,
    table: &Tensor<T>,
) -> Result<Tensor<T>, ExecError> {
    let Op::Embed { vocab, features } = &cx.node.op else {
        return Ok(idx.clone());
    };
    let t = table.to_layout(&[vec![*vocab], features.clone()].concat());
    let nv = cx.dim(*vocab);
    let f: usize = cx.dims(features).iter().product();
    let mut data = Vec::with_capacity(idx.len() * f);
    for v in &idx.data {
        let i = v.f64();
        if !(i >= 0.0 && i < nv as f64 && i.fract() == 0.0) {
            return Err(ExecError::Index {
                op: cx.node.name.clone(),
                index: i,
                vocab: nv,
            });
        }
        data.extend_from_slice(&t.data[i as usize * f..(i as usize + 1) * f]);
    }
    let axes = [idx.axes.clone(), features.clone()].concat();
    let dims = cx.dims(&axes);
    Ok(Tensor::from_vec(axes, dims, data))
}

pub(crate) fn embed_backward<T: Real>(
    cx: &Ctx,
    idx: &Tensor<T>,
    table: &Tensor<T>,
    dy: &Tensor<T>,
) -> Tensor<T> {
    let Op::Embed { vocab, features } = &cx.node.op else {
        return table.clone();
    };
    let order = [vec![*vocab], features.clone()].concat();
    let mut g = Tensor::zeros(order.clone(), cx.dims(&order));
    let f: usize = cx.dims(features).iter().product();
    let d = dy.to_layout(&[idx.axes.clone(), features.clone()].concat());
    for (j, v) in idx.data.iter().enumerate() {
        let i = v.f64() as usize;
        for k in 0..f {
            g.data[i * f + k] += d.data[j * f + k];
        }
    }
    g
}

pub(crate) fn cost(c: &Circuit, n: &Node) -> OpCost {
    match &n.op {
        Op::Embed { .. } => OpCost {
            saved: elems(c, n.inputs[0]),
            ops_bwd: elems(c, n.outputs[0]),
            ..Default::default()
        },
        _ => OpCost {
            ops_fwd: Poly::default(),
            ..Default::default()
        },
    }
}
