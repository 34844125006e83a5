//! Elementwise maps, add/residual, product and constants. Maps store their input (or output)
//! for the backward pass; add stores nothing and sums the broadcast operand's gradient.

use super::{Ctx, Grads, elems};
use crate::ir::{Circuit, Func, Node, Op};
use crate::op_cost::OpCost;
use crate::size::Poly;
use crate::tensor::{Real, Tensor};

fn scale_of(cx: &Ctx, f: &Func) -> f64 {
    match f {
        Func::Scale(c) => *c,
        Func::ScaleBySize(e, p) => (e.eval(cx.bindings).unwrap_or(1) as f64).powf(*p),
        _ => 1.0,
    }
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)

fn apply<T: Real>(f: &Func, s: f64, x: T) -> T {
    let one = T::of(1.0);
    match f {
        Func::Relu => {
            if x > T::default() {
                x
            } else {
                T::default()
            }
        }
        Func::Tanh => x.tanh_fast(),
        Func::Sigmoid => one / (one + (-x).exp()),
        Func::Gelu => {
            let u = T::of(GELU_C) * (x + T::of(0.044715) * x * x * x);
            T::of(0.5) * x * (one + u.tanh_fast())
        }
        Func::Exp => x.exp(),
        Func::Square => x * x,
        Func::Scale(_) | Func::ScaleBySize(..) => T::of(s) * x,
    }
}

/// f′ from the input `x` and output `y`.
fn deriv<T: Real>(f: &Func, s: f64, x: T, y: T) -> T {
    let one = T::of(1.0);
    match f {
        Func::Relu => {
            if x > T::default() {
                one
            } else {
                T::default()
            }
        }
        Func::Tanh => one - y * y,
        Func::Sigmoid => y * (one - y),
        Func::Gelu => {
            let c = T::of(GELU_C);
            let k = T::of(0.044715);
            let t = (c * (x + k * x * x * x)).tanh_fast();
            let half = T::of(0.5);
            half * (one + t) + half * x * (one - t * t) * c * (one + T::of(3.0) * k * x * x)
        }
        Func::Exp => y,
        Func::Square => T::of(2.0) * x,
        Func::Scale(_) | Func::ScaleBySize(..) => T::of(s),
    }
}

/// `f` applied elementwise, with the common cases matched once outside the loop.
fn map_tensor<T: Real>(f: &Func, s: f64, x: &Tensor<T>) -> Tensor<T> {
    match f {
        Func::Relu => x.map_values(|v| if v > T::default() { v } else { T::default() }),
        Func::Scale(_) | Func::ScaleBySize(..) => {
            let s = T::of(s);
            x.map_values(|v| s * v)
        }
        _ => x.map_values(|v| apply(f, s, v)),
    }
}

/// `a ∘ b` elementwise in `a`'s layout; `b` may lack axes (it is broadcast).
fn combine<T: Real>(a: &Tensor<T>, b: &Tensor<T>, f: impl Fn(T, T) -> T) -> Tensor<T> {
    let bv = a.aligned_view(b);
    Tensor::with_layout_of(
        a,
        a.data
            .iter()
            .zip(bv.iter())
            .map(|(x, y)| f(*x, *y))
            .collect(),
    )
}

pub(crate) fn forward<T: Real>(cx: &Ctx, xs: &[&Tensor<T>]) -> Tensor<T> {
    match &cx.node.op {
        Op::Map(f) => map_tensor(f, scale_of(cx, f), xs[0]),
        Op::Add if xs[1].axes.len() < xs[0].axes.len() => {
            let mut y = xs[0].clone();
            y.add_broadcast(xs[1]);
            y
        }
        Op::Add => combine(xs[0], xs[1], |a, b| a + b),
        Op::Mul => combine(xs[0], xs[1], |a, b| a * b),
        Op::Constant(c) => {
            let axes = cx.out_axes(0).to_vec();
            let dims = cx.dims(&axes);
            Tensor::full(axes, dims, T::of(*c))
        }
        _ => xs[0].clone(),
    }
}

pub(crate) fn backward<T: Real>(
    cx: &Ctx,
    xs: &[&Tensor<T>],
    y: &Tensor<T>,
    dy: &Tensor<T>,
) -> Grads<T> {
    let inputs = match &cx.node.op {
        Op::Map(f) => {
            let s = scale_of(cx, f);
            let x = xs[0];
            let dv = x.aligned_view(dy);
            let data: Vec<T> = match f {
                Func::Relu => x
                    .data
                    .iter()
                    .zip(dv.iter())
                    .map(|(x, g)| if *x > T::default() { *g } else { T::default() })
                    .collect(),
                _ => {
                    let yv = x.aligned_view(y);
                    x.data
                        .iter()
                        .zip(yv.iter())
                        .zip(dv.iter())
                        .map(|((x, y), g)| *g * deriv(f, s, *x, *y))
                        .collect()
                }
            };
            vec![Some(Tensor::with_layout_of(x, data))]
        }
        // the broadcast operand's gradient sums over the axes it was broadcast over
        Op::Add => vec![Some(dy.clone()), Some(dy.sum_to(&xs[1].axes))],
        Op::Mul => {
            let da = combine(dy, xs[1], |g, b| g * b);
            let db = combine(dy, xs[0], |g, a| g * a).sum_to(&xs[1].axes);
            vec![Some(da), Some(db)]
        }
        _ => vec![None; xs.len()],
    };
    Grads {
        inputs,
        params: vec![],
    }
}

/// Full-count weights per element: cheap maps 1, transcendental 4, GELU 8.
fn map_weight(f: &Func) -> i64 {
    match f {
        Func::Relu | Func::Scale(_) | Func::ScaleBySize(..) | Func::Square => 1,
        Func::Tanh | Func::Sigmoid | Func::Exp => 4,
        Func::Gelu => 8,
    }
}

pub(crate) fn cost(c: &Circuit, n: &Node) -> OpCost {
    let y = || n.outputs.first().map(|v| elems(c, *v)).unwrap_or_default();
    match &n.op {
        Op::Map(f) => OpCost {
            ops_fwd: y().scale(map_weight(f)),
            ops_bwd: y().scale(2),
            saved: y(),
            ..Default::default()
        },
        Op::Add => OpCost {
            ops_fwd: y(),
            ops_bwd: y(),
            ..Default::default()
        },
        Op::Mul => OpCost {
            ops_fwd: y(),
            ops_bwd: y().scale(3),
            saved: elems(c, n.inputs[0]).plus(&elems(c, n.inputs[1])),
            ..Default::default()
        },
        // copy: the backward adds the gradients of the copies
        Op::Copy(k) => OpCost {
            ops_bwd: elems(c, n.inputs[0]).scale(*k as i64 - 1),
            ..Default::default()
        },
        _ => OpCost {
            ops_fwd: Poly::default(),
            ..Default::default()
        },
    }
}
