//! The primitives. Each module keeps one family's forward, backward and cost side by side.

pub(crate) mod einsum;
pub(crate) mod linear;
pub(crate) mod norm;
pub(crate) mod norm_grouped;
pub(crate) mod pointwise;
pub(crate) mod reduce;
pub(crate) mod shape;
pub(crate) mod softmax;
pub(crate) mod window;

use crate::error::ExecError;
use crate::ir::{AxisId, Circuit, Node, Op, ValueId};
use crate::op_cost::OpCost;
use crate::size::{Bindings, Poly};
use crate::tensor::{Real, Tensor};

/// What an op sees at run time: the circuit, bound sizes, the node.
pub(crate) struct Ctx<'a> {
    pub c: &'a Circuit,
    /// Size of each axis, indexed by axis id.
    pub sizes: &'a [usize],
    pub bindings: &'a Bindings,
    pub node: &'a Node,
}

impl<'a> Ctx<'a> {
    /// The context of `node` under the bound sizes.
    pub fn new(c: &'a Circuit, bound: &'a crate::bound::Bound, node: &'a Node) -> Self {
        Self {
            c,
            sizes: &bound.sizes,
            bindings: &bound.bindings,
            node,
        }
    }
}

impl Ctx<'_> {
    pub fn dim(&self, a: AxisId) -> usize {
        self.sizes[a.ix()]
    }
    pub fn out_axes(&self, i: usize) -> &[AxisId] {
        &self.c.value(self.node.outputs[i]).ty.axes
    }
    pub fn dims(&self, axes: &[AxisId]) -> Vec<usize> {
        axes.iter().map(|a| self.dim(*a)).collect()
    }
}

/// Gradients of one node: per input (None when it gets none), per parameter.
pub(crate) struct Grads<T> {
    pub inputs: Vec<Option<Tensor<T>>>,
    pub params: Vec<Tensor<T>>,
}

pub(crate) fn forward<T: Real>(
    cx: &Ctx,
    xs: &[&Tensor<T>],
    ps: &[&Tensor<T>],
) -> Result<Vec<Tensor<T>>, ExecError> {
    match &cx.node.op {
        Op::Linear { .. } => Ok(vec![linear::forward(cx, xs[0], ps)]),
        Op::Einsum { .. } => Ok(vec![einsum::forward(cx, xs)]),
        Op::Map(_) | Op::Add | Op::Mul | Op::Constant(_) => Ok(vec![pointwise::forward(cx, xs)]),
        Op::Copy(n) => Ok(vec![xs[0].clone(); *n]),
        Op::Save(_) | Op::Load(_) | Op::Permute(_) => Ok(vec![xs[0].clone()]),
        Op::Softmax(_) => Ok(vec![softmax::forward(cx, xs[0])]),
        Op::Norm { .. } => Ok(vec![norm::forward(cx, xs[0], ps)]),
        Op::Reduce(..) => Ok(vec![reduce::forward(cx, xs[0])]),
        Op::Window(_) | Op::WindowT(_) => Ok(vec![window::forward(cx, xs[0])]),
        Op::Concat { .. } | Op::Reshape { .. } => Ok(vec![shape::forward(cx, xs)]),
        Op::Embed { .. } => Ok(vec![shape::embed_forward(cx, xs[0], ps[0])?]),
    }
}

/// Reverse derivative. `ys` are the forward outputs, `dys` their gradients (None = zero).
pub(crate) fn backward<T: Real>(
    cx: &Ctx,
    xs: &[&Tensor<T>],
    ps: &[&Tensor<T>],
    ys: &[&Tensor<T>],
    dys: &[Option<&Tensor<T>>],
) -> Grads<T> {
    let none = || Grads {
        inputs: vec![None; xs.len()],
        params: ps
            .iter()
            .map(|p| Tensor::zeros(p.axes.clone(), p.dims.clone()))
            .collect(),
    };
    // copy becomes a sum
    if let Op::Copy(_) = cx.node.op {
        let mut acc: Option<Tensor<T>> = None;
        for d in dys.iter().flatten() {
            acc = Some(match acc {
                None => (*d).clone(),
                Some(a) => a.zip_with(d, |p, q| p + q),
            });
        }
        return Grads {
            inputs: vec![acc],
            params: vec![],
        };
    }
    let Some(dy) = dys[0] else { return none() };
    match &cx.node.op {
        Op::Linear { .. } => linear::backward(cx, xs[0], ps, dy),
        Op::Einsum { .. } => einsum::backward(cx, xs, dy),
        Op::Map(_) | Op::Add | Op::Mul | Op::Constant(_) => pointwise::backward(cx, xs, ys[0], dy),
        Op::Save(_) | Op::Load(_) | Op::Permute(_) => Grads {
            inputs: vec![Some(dy.clone())],
            params: vec![],
        },
        Op::Softmax(_) => Grads {
            inputs: vec![Some(softmax::backward(cx, ys[0], dy))],
            params: vec![],
        },
        Op::Norm { .. } => norm::backward(cx, xs[0], ps, dy),
        Op::Reduce(..) => Grads {
            inputs: vec![Some(reduce::backward(cx, xs[0], ys[0], dy))],
            params: vec![],
        },
        Op::Window(_) | Op::WindowT(_) => Grads {
            inputs: vec![Some(window::backward(cx, xs[0], dy))],
            params: vec![],
        },
        Op::Concat { .. } | Op::Reshape { .. } => Grads {
            inputs: shape::backward(cx, xs, dy),
            params: vec![],
        },
        Op::Embed { .. } => Grads {
            inputs: vec![None],
            params: vec![shape::embed_backward(cx, xs[0], ps[0], dy)],
        },
        Op::Copy(_) => unreachable_copy(),
    }
}

fn unreachable_copy<T>() -> Grads<T> {
    Grads {
        inputs: vec![],
        params: vec![],
    }
}

/// Whether the op's forward only copies, selects or zeroes its inputs' elements, so finite
/// inputs give finite outputs and the executor need not scan them again.
pub(crate) fn forward_keeps_finite(op: &Op) -> bool {
    matches!(
        op,
        Op::Window(_)
            | Op::Copy(_)
            | Op::Save(_)
            | Op::Load(_)
            | Op::Permute(_)
            | Op::Reshape { .. }
            | Op::Concat { .. }
            | Op::Map(crate::ir::Func::Relu)
    )
}

/// Like [`forward_keeps_finite`] for the backward: the input gradients only copy, select or
/// zero the output gradients (★ᵀ's backward unfolds; ★'s folds, which adds).
pub(crate) fn backward_keeps_finite(op: &Op) -> bool {
    matches!(
        op,
        Op::WindowT(_)
            | Op::Save(_)
            | Op::Load(_)
            | Op::Permute(_)
            | Op::Reshape { .. }
            | Op::Concat { .. }
            | Op::Map(crate::ir::Func::Relu)
    )
}

/// Number of elements of a value, as a polynomial in sizes.
pub(crate) fn elems(c: &Circuit, v: ValueId) -> Poly {
    axes_elems(c, &c.value(v).ty.axes)
}

pub(crate) fn axes_elems(c: &Circuit, axes: &[AxisId]) -> Poly {
    Poly::product_of(axes.iter().map(|a| &c.axis(*a).size))
}

/// Symbolic cost of one node.
pub(crate) fn cost(c: &Circuit, n: &Node) -> OpCost {
    let mut k = match &n.op {
        Op::Linear { .. } => linear::cost(c, n),
        Op::Einsum { .. } => einsum::cost(c, n),
        Op::Map(_)
        | Op::Add
        | Op::Mul
        | Op::Constant(_)
        | Op::Copy(_)
        | Op::Save(_)
        | Op::Load(_)
        | Op::Permute(_) => pointwise::cost(c, n),
        Op::Softmax(_) => softmax::cost(c, n),
        Op::Norm { .. } => norm::cost(c, n),
        Op::Reduce(..) => reduce::cost(c, n),
        Op::Window(_) | Op::WindowT(_) => window::cost(c, n),
        Op::Concat { .. } | Op::Reshape { .. } | Op::Embed { .. } => shape::cost(c, n),
    };
    // every op reads its inputs and parameters and writes its outputs
    let mut moved = Poly::default();
    for v in n.inputs.iter().chain(&n.outputs) {
        moved = moved.plus(&elems(c, *v));
    }
    for p in &n.params {
        moved = moved.plus(&axes_elems(c, &c.param(*p).axes));
    }
    if matches!(n.op, Op::Permute(_) | Op::Save(_) | Op::Load(_)) {
        moved = Poly::default();
    }
    k.moved = moved;
    k.params = n.params.iter().fold(Poly::default(), |acc, p| {
        acc.plus(&axes_elems(c, &c.param(*p).axes))
    });
    k
}
