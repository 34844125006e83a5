//! The primitives. Each module keeps one family's forward, backward and cost side by side.

pub(crate) mod einsum;
pub(crate) mod linear;
pub(crate) mod mask;
pub(crate) mod norm;
pub(crate) mod norm_grouped;
pub(crate) mod pointwise;
pub(crate) mod reduce;
pub(crate) mod rmsnorm;
pub(crate) mod rope;
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

impl<T> Grads<T> {
    /// The gradient of a node with one input and no parameters.
    pub fn input(dx: Tensor<T>) -> Self {
        Grads {
            inputs: vec![Some(dx)],
            params: vec![],
        }
    }
}

/// What a kernel reads: the node in its circuit under bound sizes, the node's inputs and
/// its parameters.
pub(crate) struct Args<'a, T> {
    pub cx: &'a Ctx<'a>,
    pub xs: &'a [&'a Tensor<T>],
    pub ps: &'a [&'a Tensor<T>],
}

/// One operation's forward, backward and cost, implemented by its struct in [`crate::ir`]
/// (or, for operations without data, by a unit struct here). The functions below match on
/// [`Op`] once and hand each kernel its own struct: kernels never look at the op again.
///
/// Adding an operation: its struct in `ir::op`, a variant of [`Op`], a module here that
/// implements `Kernel` for the struct, and one line in `with_kernel`.
pub(crate) trait Kernel {
    /// The outputs.
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError>;
    /// The gradients of the inputs and parameters, given the forward's outputs `ys` and the
    /// gradient `dy` of its (single) output.
    fn backward<T: Real>(&self, a: &Args<T>, ys: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T>;
    /// The gradients given every output's gradient (None = zero). Only operations with
    /// several outputs (a split) need more than [`Kernel::backward`] of the first.
    fn backward_all<T: Real>(
        &self,
        a: &Args<T>,
        ys: &[&Tensor<T>],
        dys: &[Option<&Tensor<T>>],
    ) -> Grads<T> {
        match dys[0] {
            Some(dy) => self.backward(a, ys, dy),
            None => Grads {
                inputs: vec![None; a.xs.len()],
                params: a
                    .ps
                    .iter()
                    .map(|p| Tensor::zeros(p.axes.clone(), p.dims.clone()))
                    .collect(),
            },
        }
    }
    /// FLOPs, operation counts and saved elements; [`cost`] adds what is moved and the
    /// parameters, which every operation counts alike.
    fn cost(&self, c: &Circuit, n: &Node) -> OpCost;
}

/// An operation that passes its input through unchanged: save, load, and a transpose
/// (named axes make it free at run time).
pub(crate) struct Identity;

impl Kernel for Identity {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let xs = a.xs;
        Ok(vec![xs[0].clone()])
    }
    fn backward<T: Real>(&self, _: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        Grads::input(dy.clone())
    }
    fn cost(&self, _: &Circuit, _: &Node) -> OpCost {
        OpCost::default()
    }
}

/// Runs `f` with the kernel of the node's operation: the one match on [`Op`]. The copy dot
/// has no kernel: it has several outputs, and its reverse sums their gradients.
fn with_kernel<R>(op: &Op, f: impl KernelFn<R>) -> R {
    match op {
        Op::Linear(k) => f.call(k),
        Op::Einsum(k) => f.call(k),
        Op::Map(k) => f.call(k),
        Op::Add => f.call(&pointwise::Add),
        Op::Mul => f.call(&pointwise::Mul),
        Op::Constant(v) => f.call(&pointwise::Constant(*v)),
        Op::Softmax(k) => f.call(k),
        Op::Norm(k) => f.call(k),
        Op::Reduce(k) => f.call(k),
        Op::Window(k) => f.call(k),
        Op::WindowT(k) => f.call(&window::Transposed(k)),
        Op::Concat(k) => f.call(k),
        Op::Reshape(k) => f.call(k),
        Op::Embed(k) => f.call(k),
        Op::Mask(k) => f.call(k),
        Op::Split(k) => f.call(k),
        Op::Gather(k) => f.call(k),
        Op::RmsNorm(k) => f.call(k),
        Op::Rope(k) => f.call(k),
        Op::TopK(k) => f.call(k),
        Op::Select(k) => f.call(k),
        Op::Sinusoid(k) => f.call(k),
        Op::Save(_) | Op::Load(_) | Op::Permute(_) => f.call(&Identity),
        Op::Copy(n) => f.copy(*n),
    }
}

/// A computation generic over the kernel type (closures cannot be), and its copy case.
trait KernelFn<R> {
    fn call<K: Kernel>(self, k: &K) -> R;
    fn copy(self, n: usize) -> R;
}

pub(crate) fn forward<T: Real>(
    cx: &Ctx,
    xs: &[&Tensor<T>],
    ps: &[&Tensor<T>],
) -> Result<Vec<Tensor<T>>, ExecError> {
    struct F<'a, T>(Args<'a, T>);
    impl<T: Real> KernelFn<Result<Vec<Tensor<T>>, ExecError>> for F<'_, T> {
        fn call<K: Kernel>(self, k: &K) -> Result<Vec<Tensor<T>>, ExecError> {
            k.forward(&self.0)
        }
        fn copy(self, n: usize) -> Result<Vec<Tensor<T>>, ExecError> {
            Ok(vec![self.0.xs[0].clone(); n])
        }
    }
    with_kernel(&cx.node.op, F(Args { cx, xs, ps }))
}

/// Reverse derivative. `ys` are the forward outputs, `dys` their gradients (None = zero).
pub(crate) fn backward<T: Real>(
    cx: &Ctx,
    xs: &[&Tensor<T>],
    ps: &[&Tensor<T>],
    ys: &[&Tensor<T>],
    dys: &[Option<&Tensor<T>>],
) -> Grads<T> {
    struct B<'a, T> {
        a: Args<'a, T>,
        ys: &'a [&'a Tensor<T>],
        dys: &'a [Option<&'a Tensor<T>>],
    }
    impl<T: Real> KernelFn<Grads<T>> for B<'_, T> {
        fn call<K: Kernel>(self, k: &K) -> Grads<T> {
            k.backward_all(&self.a, self.ys, self.dys)
        }
        // a copy becomes a sum
        fn copy(self, _: usize) -> Grads<T> {
            let mut acc: Option<Tensor<T>> = None;
            for d in self.dys.iter().flatten() {
                acc = Some(match acc {
                    None => (*d).clone(),
                    Some(a) => a.zip_with(d, |p, q| p + q),
                });
            }
            Grads {
                inputs: vec![acc],
                params: vec![],
            }
        }
    }
    let a = Args { cx, xs, ps };
    with_kernel(&cx.node.op, B { a, ys, dys })
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
            | Op::Split(_)
            | Op::Select(_)
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
            | Op::Split(_)
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
    struct C<'a> {
        c: &'a Circuit,
        n: &'a Node,
    }
    impl KernelFn<OpCost> for C<'_> {
        fn call<K: Kernel>(self, k: &K) -> OpCost {
            k.cost(self.c, self.n)
        }
        // the backward adds the gradients of the copies
        fn copy(self, n: usize) -> OpCost {
            OpCost {
                ops_bwd: elems(self.c, self.n.inputs[0]).scale(n as i64 - 1),
                ..Default::default()
            }
        }
    }
    let mut k = with_kernel(&n.op, C { c, n });
    // every op reads its inputs and parameters and writes its outputs, except those that
    // only pass a value through
    let mut moved = Poly::default();
    if !matches!(n.op, Op::Permute(_) | Op::Save(_) | Op::Load(_)) {
        for v in n.inputs.iter().chain(&n.outputs) {
            moved = moved.plus(&elems(c, *v));
        }
        for p in &n.params {
            moved = moved.plus(&axes_elems(c, &c.param(*p).axes));
        }
    }
    k.moved = moved;
    k.params = n.params.iter().fold(Poly::default(), |acc, p| {
        acc.plus(&axes_elems(c, &c.param(*p).axes))
    });
    k
}
