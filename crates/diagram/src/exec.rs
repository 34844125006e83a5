//! The executor. A validated [`Circuit`] is compiled into a shape-independent [`Plan`] (order
//! and liveness), then run under bound sizes on f32 or f64 named tensors.

use crate::ir::{AxisId, Circuit, DType, Init, NodeId};
use crate::ops::{self, Ctx};
use crate::size::{Bindings, SizeError};
use crate::tensor::{Real, Tensor, all_finite};
use rand::RngExt;
use thiserror::Error;

/// Why a run failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExecError {
    /// A size could not be evaluated.
    #[error("axis {axis}: {cause}")]
    Size {
        /// The axis.
        axis: String,
        /// The cause (shown in the message, so not a `source`).
        cause: SizeError,
    },
    /// A size is not positive.
    #[error("axis {axis} has size {size}; sizes must be positive")]
    NonPositive {
        /// The axis.
        axis: String,
        /// Its value.
        size: i64,
    },
    /// Wrong number of inputs.
    #[error("the circuit takes {expected} inputs, got {got}")]
    Arity {
        /// Expected count.
        expected: usize,
        /// Given count.
        got: usize,
    },
    /// An input tensor does not fit its wire.
    #[error("input `{input}`: axis {axis} should have size {expected}, got {got}")]
    InputShape {
        /// Input name.
        input: String,
        /// Axis.
        axis: String,
        /// Bound size.
        expected: usize,
        /// Given size (0 when the axis is missing).
        got: usize,
    },
    /// An embedding index out of range.
    #[error("op `{op}`: index {index} is outside the vocabulary of {vocab}")]
    Index {
        /// Node name.
        op: String,
        /// The index.
        index: f64,
        /// Vocabulary size.
        vocab: usize,
    },
    /// An operation produced NaN or infinity.
    #[error("op `{op}` produced a non-finite value in `{value}`")]
    NonFinite {
        /// Node name.
        op: String,
        /// Value name.
        value: String,
    },
    /// A cost or memory count could not be computed (it overflows).
    #[error("cost `{quantity}`: {cause}")]
    Cost {
        /// Which count.
        quantity: &'static str,
        /// The cause (shown in the message, so not a `source`).
        cause: SizeError,
    },
    /// The run would need more memory than allowed.
    #[error(
        "this run needs about {} ({estimate} bytes, the cost model's estimate for the \
         executor's forward and backward pass), over the memory limit of {} ({limit} bytes)",
        crate::cost::human_bytes(*estimate),
        crate::cost::human_bytes(*limit)
    )]
    OverMemory {
        /// Estimated peak bytes.
        estimate: u128,
        /// The limit.
        limit: u128,
    },
    /// An array has more elements than this machine can address.
    #[error("`{value}` would have {elements} elements, more than this machine can address")]
    TooLarge {
        /// The value or parameter.
        value: String,
        /// Its element count (saturated at `u128::MAX`).
        elements: u128,
    },
    /// The checker found a size error.
    #[error("{0}")]
    Check(String),
    /// Output gradients do not match the outputs.
    #[error("{0}")]
    Grad(String),
}

/// Evaluates every axis size under `b`.
pub fn resolve_sizes(c: &Circuit, b: &Bindings) -> Result<Vec<usize>, ExecError> {
    c.axes
        .iter()
        .map(|a| {
            let v = a.size.eval(b).map_err(|cause| ExecError::Size {
                axis: c.axis_label(a.id),
                cause,
            })?;
            if v <= 0 {
                return Err(ExecError::NonPositive {
                    axis: c.axis_label(a.id),
                    size: v,
                });
            }
            Ok(v as usize)
        })
        .collect()
}

/// A shape-independent execution plan: the node order and, for each value, its last use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Nodes in execution order.
    pub order: Vec<NodeId>,
    /// For each value, the position in `order` of its last consumer (`usize::MAX` for outputs).
    pub last_use: Vec<usize>,
}

/// Compiles the plan.
pub fn plan(c: &Circuit) -> Plan {
    let order: Vec<NodeId> = c.nodes.iter().map(|n| n.id).collect();
    let mut last_use = vec![0usize; c.values.len()];
    for (i, n) in c.nodes.iter().enumerate() {
        for v in &n.inputs {
            last_use[v.ix()] = i;
        }
    }
    for v in &c.outputs {
        last_use[v.ix()] = usize::MAX;
    }
    Plan { order, last_use }
}

/// Bound sizes plus the bindings they came from.
#[derive(Clone, Debug)]
pub struct Bound {
    /// Size of each axis.
    pub sizes: Vec<usize>,
    /// The bindings.
    pub bindings: Bindings,
}

impl Bound {
    /// Binds the circuit's sizes.
    /// Refuses circuits with size errors (the checker's `E…` findings).
    ///
    /// Every array must be addressable (its bytes fit in `isize`), so that no later size
    /// arithmetic overflows; whether it fits in memory is [`crate::cost::check_memory`]'s
    /// question.
    pub fn new(c: &Circuit, b: &Bindings) -> Result<Bound, ExecError> {
        let sizes = resolve_sizes(c, b)?;
        let arrays = c
            .values
            .iter()
            .map(|v| (&v.name, &v.ty.axes))
            .chain(c.params.iter().map(|p| (&p.name, &p.axes)));
        for (name, axes) in arrays {
            let n = axes
                .iter()
                .try_fold(1u128, |n, a| n.checked_mul(sizes[a.ix()] as u128))
                .unwrap_or(u128::MAX);
            // 8 bytes per f64 element
            if n > (isize::MAX as u128) / 8 {
                return Err(ExecError::TooLarge {
                    value: name.clone(),
                    elements: n,
                });
            }
        }
        if let Some(d) = crate::check::sizes::run(c, b).into_iter().next() {
            return Err(ExecError::Check(d.to_string()));
        }
        Ok(Bound {
            sizes,
            bindings: b.clone(),
        })
    }
    /// Dims of a list of axes.
    pub fn dims(&self, axes: &[AxisId]) -> Vec<usize> {
        axes.iter().map(|a| self.sizes[a.ix()]).collect()
    }
}

/// Parameter tensors, indexed by [`crate::ir::ParamId`].
pub type Params<T> = Vec<Tensor<T>>;

/// Initialises parameters from a seeded stream (PyTorch-like fan-in uniform).
pub fn init_params<T: Real>(c: &Circuit, bound: &Bound, seed: u64) -> Params<T> {
    c.params
        .iter()
        .map(|p| {
            let dims = bound.dims(&p.axes);
            let n: usize = dims.iter().product();
            let mut rng = nc_core::rng::stream(seed, "diagram-param", p.id.0 as u64);
            let data: Vec<T> = match &p.init {
                Init::Zeros => vec![T::default(); n],
                Init::Ones => vec![T::from_f64(1.0); n],
                Init::Const(v) => vec![T::from_f64(*v); n],
                Init::Normal => (0..n)
                    .map(|_| {
                        T::from_f64(rand_distr::Distribution::sample(
                            &rand_distr::StandardNormal,
                            &mut rng,
                        ))
                    })
                    .collect(),
                Init::FanIn(axes) => {
                    let fan: usize = bound.dims(axes).iter().product();
                    let a = 1.0 / (fan.max(1) as f64).sqrt();
                    (0..n)
                        .map(|_| T::from_f64(rng.random_range(-a..a)))
                        .collect()
                }
            };
            Tensor::from_vec(p.axes.clone(), dims, data)
        })
        .collect()
}

/// Random inputs for the circuit: standard normal reals, uniform indices.
pub fn random_inputs<T: Real>(c: &Circuit, bound: &Bound, seed: u64) -> Vec<Tensor<T>> {
    c.inputs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ty = &c.value(*v).ty;
            let dims = bound.dims(&ty.axes);
            let n: usize = dims.iter().product();
            let mut rng = nc_core::rng::stream(seed, "diagram-input", i as u64);
            // index inputs draw below the smallest vocabulary that consumes them
            let vocab = c
                .nodes
                .iter()
                .filter(|nd| nd.inputs.contains(v))
                .filter_map(|nd| match &nd.op {
                    crate::ir::Op::Embed { vocab, .. } => Some(bound.sizes[vocab.ix()]),
                    _ => None,
                })
                .min()
                .unwrap_or(2);
            let data: Vec<T> = (0..n)
                .map(|_| match ty.dtype {
                    DType::Real => T::from_f64(rand_distr::Distribution::sample(
                        &rand_distr::StandardNormal,
                        &mut rng,
                    )),
                    DType::Index => T::from_f64(rng.random_range(0..vocab) as f64),
                })
                .collect();
            Tensor::from_vec(ty.axes.clone(), dims, data)
        })
        .collect()
}

/// Every value computed by a forward pass (the tape the backward pass reads).
#[derive(Clone, Debug)]
pub struct Tape<T> {
    /// Values, indexed by [`crate::ir::ValueId`].
    pub values: Vec<Option<Tensor<T>>>,
}

impl<T: Real> Tape<T> {
    /// Output `i`, stored row-major in its type's axis order.
    pub fn output(&self, c: &Circuit, i: usize) -> Option<Tensor<T>> {
        let v = c.outputs.get(i)?;
        self.values[v.ix()]
            .as_ref()
            .map(|t| t.to_layout(&c.value(*v).ty.axes))
    }
}

/// Runs the circuit forward, keeping every value for the backward pass.
pub fn forward<T: Real>(
    c: &Circuit,
    bound: &Bound,
    params: &Params<T>,
    inputs: &[Tensor<T>],
) -> Result<Tape<T>, ExecError> {
    if inputs.len() != c.inputs.len() {
        return Err(ExecError::Arity {
            expected: c.inputs.len(),
            got: inputs.len(),
        });
    }
    let mut values: Vec<Option<Tensor<T>>> = vec![None; c.values.len()];
    for (v, t) in c.inputs.iter().zip(inputs) {
        let val = c.value(*v);
        for a in &val.ty.axes {
            let want = bound.sizes[a.ix()];
            let got = t.dim(*a).unwrap_or(0);
            if got != want {
                return Err(ExecError::InputShape {
                    input: val.name.clone(),
                    axis: c.axis_label(*a),
                    expected: want,
                    got,
                });
            }
        }
        values[v.ix()] = Some(t.clone());
    }
    // values checked (or implied) finite; the circuit's inputs are not checked themselves
    let mut finite = vec![false; c.values.len()];
    for node in &c.nodes {
        let cx = Ctx::new(c, bound, node);
        let xs: Vec<&Tensor<T>> = node
            .inputs
            .iter()
            .map(|v| values[v.ix()].as_ref())
            .collect::<Option<_>>()
            .ok_or_else(|| {
                ExecError::Grad(format!("op `{}` reads a value not yet computed", node.name))
            })?;
        let ps: Vec<&Tensor<T>> = node.params.iter().map(|p| &params[p.ix()]).collect();
        let ys = ops::forward(&cx, &xs, &ps)?;
        // copies of values already known finite need no second scan
        let implied =
            ops::forward_keeps_finite(&node.op) && node.inputs.iter().all(|v| finite[v.ix()]);
        for (v, y) in node.outputs.iter().zip(ys) {
            finite[v.ix()] = true;
            if !implied && !all_finite(&y.data) {
                return Err(ExecError::NonFinite {
                    op: node.name.clone(),
                    value: c.value(*v).name.clone(),
                });
            }
            values[v.ix()] = Some(y);
        }
    }
    Ok(Tape { values })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builder::{Builder, WindowSpec};
    use crate::ir::AxisKind;

    /// A copy-like op whose input was never checked (a circuit input) is still scanned, so
    /// the first op that outputs a NaN is the one blamed.
    #[test]
    fn a_nan_input_is_blamed_on_its_first_consumer() {
        let mut b = Builder::new("nan");
        let n = b.axis("n", "2", AxisKind::Batch).unwrap();
        let m = b.axis("m", "3", AxisKind::Spatial).unwrap();
        let o = b.axis("o", "2", AxisKind::Feature).unwrap();
        let x = b.input("x", &[n, m]);
        let (y, k) = b.window("win", x, &[(m, WindowSpec::new(1))]).unwrap();
        let y = b.linear("lin", y, &[m, k[0].1], &[o], false).unwrap();
        b.output(y);
        let c = b.finish().unwrap();
        let bound = Bound::new(&c, &c.default_bindings()).unwrap();
        let p = init_params::<f64>(&c, &bound, 0);
        let mut x = random_inputs::<f64>(&c, &bound, 0);
        x[0].data[1] = f64::NAN;
        let err = forward(&c, &bound, &p, &x).unwrap_err();
        assert!(
            matches!(&err, ExecError::NonFinite { op, .. } if op.contains("win")),
            "{err}"
        );
    }
}
