//! The window ★ (an unlearned linear map unfolding spatial axes into output position × kernel
//! offset, like im2col) and its transpose ★ᵀ. Each is the other's backward.

use super::{Ctx, elems};
use crate::cost::OpCost;
use crate::ir::{AxisId, Circuit, Node, Op, WindowAxis};
use crate::tensor::{Real, Tensor};

/// For each (output, kernel) spatial element, row-major over `[o1, k1, o2, k2, …]`, the offset
/// of the input element it reads within `[i1, i2, …]`, or None in the padding.
fn table(cx: &Ctx, ws: &[WindowAxis]) -> Vec<Option<usize>> {
    let mut tab: Vec<Option<usize>> = vec![Some(0)];
    for w in ws {
        let (ni, no, nk) = (
            cx.dim(w.input) as i64,
            cx.dim(w.output) as i64,
            cx.dim(w.kernel) as i64,
        );
        let mut next = Vec::with_capacity(tab.len() * (no * nk) as usize);
        for base in &tab {
            for o in 0..no {
                for k in 0..nk {
                    let i = w.stride * o + w.dilation * k - w.padding;
                    next.push(match base {
                        Some(b) if (0..ni).contains(&i) => Some(b * ni as usize + i as usize),
                        _ => None,
                    });
                }
            }
        }
        tab = next;
    }
    tab
}

fn layouts(
    x_axes: &[AxisId],
    ws: &[WindowAxis],
    transposed: bool,
) -> (Vec<AxisId>, Vec<AxisId>, Vec<AxisId>) {
    let spatial_in: Vec<AxisId> = ws.iter().map(|w| w.input).collect();
    let spatial_out: Vec<AxisId> = ws.iter().flat_map(|w| [w.output, w.kernel]).collect();
    let skip = if transposed {
        &spatial_out
    } else {
        &spatial_in
    };
    let rest: Vec<AxisId> = x_axes
        .iter()
        .copied()
        .filter(|a| !skip.contains(a))
        .collect();
    (rest, spatial_in, spatial_out)
}

/// Gathers `[rest, o, k]` from `[rest, i]`.
fn unfold<T: Real>(cx: &Ctx, x: &Tensor<T>, ws: &[WindowAxis]) -> Tensor<T> {
    let (rest, si, so) = layouts(&x.axes, ws, false);
    let xt = x.to_layout(&[rest.clone(), si.clone()].concat());
    let tab = table(cx, ws);
    let isz: usize = cx.dims(&si).iter().product();
    let outer: usize = cx.dims(&rest).iter().product();
    let mut out = Vec::with_capacity(outer * tab.len());
    for o in 0..outer {
        let src = &xt.data[o * isz..(o + 1) * isz];
        out.extend(tab.iter().map(|t| t.map_or(T::default(), |s| src[s])));
    }
    let axes = [rest, so].concat();
    let dims = cx.dims(&axes);
    Tensor::from_vec(axes, dims, out)
}

/// Scatters `[rest, o, k]` back onto `[rest, i]`, summing overlaps.
fn fold<T: Real>(cx: &Ctx, y: &Tensor<T>, ws: &[WindowAxis]) -> Tensor<T> {
    let (rest, si, so) = layouts(&y.axes, ws, true);
    let yt = y.to_layout(&[rest.clone(), so].concat());
    let tab = table(cx, ws);
    let isz: usize = cx.dims(&si).iter().product();
    let outer: usize = cx.dims(&rest).iter().product();
    let mut out = vec![T::default(); outer * isz];
    for o in 0..outer {
        let src = &yt.data[o * tab.len()..(o + 1) * tab.len()];
        let dst = &mut out[o * isz..(o + 1) * isz];
        for (t, v) in tab.iter().zip(src) {
            if let Some(s) = t {
                dst[*s] += *v;
            }
        }
    }
    let axes = [rest, si].concat();
    let dims = cx.dims(&axes);
    Tensor::from_vec(axes, dims, out)
}

pub(crate) fn forward<T: Real>(cx: &Ctx, x: &Tensor<T>) -> Tensor<T> {
    match &cx.node.op {
        Op::Window(ws) => unfold(cx, x, ws),
        Op::WindowT(ws) => fold(cx, x, ws),
        _ => x.clone(),
    }
}

/// ★ and ★ᵀ are transposes of each other, so each backward is the other's forward.
pub(crate) fn backward<T: Real>(cx: &Ctx, dy: &Tensor<T>) -> Tensor<T> {
    match &cx.node.op {
        Op::Window(ws) => fold(cx, dy, ws),
        Op::WindowT(ws) => unfold(cx, dy, ws),
        _ => dy.clone(),
    }
}

pub(crate) fn cost(c: &Circuit, n: &Node) -> OpCost {
    let big = if matches!(n.op, Op::Window(_)) {
        elems(c, n.outputs[0])
    } else {
        elems(c, n.inputs[0])
    };
    // ★ copies, ★ᵀ adds: one operation per unfolded element either way
    OpCost {
        ops_fwd: big.clone(),
        ops_bwd: big,
        ..Default::default()
    }
}
