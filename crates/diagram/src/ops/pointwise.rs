//! Elementwise maps, add/residual, product and constants. Maps store their input (or output)
//! for the backward pass; add stores nothing and sums the broadcast operand's gradient.

use super::{Args, Ctx, Grads, Kernel, elems};
use crate::error::ExecError;
use crate::ir::{Circuit, Func, Node};
use crate::op_cost::OpCost;
use crate::tensor::{Real, Tensor};

fn scale_of(cx: &Ctx, f: &Func) -> f64 {
    match f {
        Func::Scale(c) => *c,
        // Bound::new refused bindings under which this does not evaluate
        Func::ScaleBySize(e, p) => (e.eval(cx.bindings).unwrap_or(1) as f64).powf(*p),
        _ => 1.0,
    }
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7; // 1/√(2π)

/// erf, through libm's f64 (no float type has it in std).
fn erf<T: Real>(x: T) -> T {
    T::of(libm::erf(x.f64()))
}

fn sigmoid<T: Real>(x: T) -> T {
    T::of(1.0) / (T::of(1.0) + (-x).exp())
}

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
        Func::Sigmoid => sigmoid(x),
        Func::Gelu => {
            let u = T::of(GELU_C) * (x + T::of(0.044715) * x * x * x);
            T::of(0.5) * x * (one + u.tanh_fast())
        }
        Func::GeluErf => T::of(0.5) * x * (one + erf(x * T::of(std::f64::consts::FRAC_1_SQRT_2))),
        Func::Silu => x * sigmoid(x),
        Func::Erf => erf(x),
        Func::Exp => x.exp(),
        Func::Square => x * x,
        Func::Sqrt => x.sqrt(),
        Func::Rsqrt => one / x.sqrt(),
        Func::Reciprocal => one / x,
        Func::Sin => x.sin(),
        Func::Cos => x.cos(),
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
        // Φ(x) + x·φ(x)
        Func::GeluErf => {
            let cdf = T::of(0.5) * (one + erf(x * T::of(std::f64::consts::FRAC_1_SQRT_2)));
            cdf + x * T::of(FRAC_1_SQRT_2PI) * (T::of(-0.5) * x * x).exp()
        }
        Func::Silu => {
            let s = sigmoid(x);
            s * (one + x * (one - s))
        }
        Func::Erf => T::of(std::f64::consts::FRAC_2_SQRT_PI) * (-x * x).exp(),
        Func::Exp => y,
        Func::Square => T::of(2.0) * x,
        Func::Sqrt => T::of(0.5) / y,
        Func::Rsqrt => T::of(-0.5) * y * y * y,
        Func::Reciprocal => -y * y,
        Func::Sin => x.cos(),
        Func::Cos => -x.sin(),
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

/// An elementwise map stores its input (and reads its output) for the backward pass.
impl Kernel for Func {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs) = (a.cx, a.xs);
        Ok(vec![map_tensor(self, scale_of(cx, self), xs[0])])
    }

    fn backward<T: Real>(&self, a: &Args<T>, ys: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs) = (a.cx, a.xs);
        let s = scale_of(cx, self);
        let x = xs[0];
        let dv = x.aligned_view(dy);
        let data: Vec<T> = match self {
            Func::Relu => x
                .data
                .iter()
                .zip(dv.iter())
                .map(|(x, g)| if *x > T::default() { *g } else { T::default() })
                .collect(),
            f => {
                let yv = x.aligned_view(ys[0]);
                x.data
                    .iter()
                    .zip(yv.iter())
                    .zip(dv.iter())
                    .map(|((x, y), g)| *g * deriv(f, s, *x, *y))
                    .collect()
            }
        };
        Grads::input(Tensor::with_layout_of(x, data))
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        OpCost {
            ops_fwd: y.scale(map_weight(self)),
            ops_bwd: y.scale(2),
            saved: y,
            ..Default::default()
        }
    }
}

/// `a + b`, the second broadcast; a residual. It stores nothing.
pub(crate) struct Add;

impl Kernel for Add {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let xs = a.xs;
        if xs[1].axes.len() < xs[0].axes.len() {
            let mut y = xs[0].clone();
            y.add_broadcast(xs[1]);
            return Ok(vec![y]);
        }
        Ok(vec![combine(xs[0], xs[1], |a, b| a + b)])
    }

    // the broadcast operand's gradient sums over the axes it was broadcast over
    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let xs = a.xs;
        Grads {
            inputs: vec![Some(dy.clone()), Some(dy.sum_to(&xs[1].axes))],
            params: vec![],
        }
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        OpCost {
            ops_fwd: y.clone(),
            ops_bwd: y,
            ..Default::default()
        }
    }
}

/// `a ⊙ b`, the second broadcast. It stores both operands.
pub(crate) struct Mul;

impl Kernel for Mul {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let xs = a.xs;
        Ok(vec![combine(xs[0], xs[1], |a, b| a * b)])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let xs = a.xs;
        let da = combine(dy, xs[1], |g, b| g * b);
        let db = combine(dy, xs[0], |g, a| g * a).sum_to(&xs[1].axes);
        Grads {
            inputs: vec![Some(da), Some(db)],
            params: vec![],
        }
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        let y = elems(c, n.outputs[0]);
        OpCost {
            ops_fwd: y.clone(),
            ops_bwd: y.scale(3),
            saved: elems(c, n.inputs[0]).plus(&elems(c, n.inputs[1])),
            ..Default::default()
        }
    }
}

/// A constant array over the output's axes: no inputs, no gradient.
pub(crate) struct Constant(pub f64);

impl Kernel for Constant {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let cx = a.cx;
        let axes = cx.out_axes(0).to_vec();
        let dims = cx.dims(&axes);
        Ok(vec![Tensor::full(axes, dims, T::of(self.0))])
    }

    fn backward<T: Real>(&self, _: &Args<T>, _: &[&Tensor<T>], _: &Tensor<T>) -> Grads<T> {
        Grads {
            inputs: vec![],
            params: vec![],
        }
    }

    fn cost(&self, _: &Circuit, _: &Node) -> OpCost {
        OpCost::default()
    }
}

/// Full-count weights per element: cheap maps (one instruction: a multiply, a square root, a
/// division) 1, transcendental 4, the compositions SiLU 5 and GELU 8.
fn map_weight(f: &Func) -> i64 {
    match f {
        Func::Relu
        | Func::Scale(_)
        | Func::ScaleBySize(..)
        | Func::Square
        | Func::Sqrt
        | Func::Rsqrt
        | Func::Reciprocal => 1,
        Func::Tanh | Func::Sigmoid | Func::Exp | Func::Erf | Func::Sin | Func::Cos => 4,
        Func::Silu => 5,
        Func::Gelu | Func::GeluErf => 8,
    }
}
