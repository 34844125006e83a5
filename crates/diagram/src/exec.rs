//! The executor: runs a validated [`Circuit`] forward under bound sizes on f32 or f64 named
//! tensors.
//!
//! Nodes run in the circuit's stored order, which the builder keeps an execution order, and
//! every value stays on the [`Tape`] because the backward pass reads them. (What a forward
//! pass alone would keep live is the cost model's [`crate::cost::Liveness`].)

pub use crate::bound::{Bound, resolve_sizes};
pub use crate::error::ExecError;
use crate::ir::{Circuit, DType, Embed, Init, Op};
use crate::ops::{self, Ctx};
use crate::tensor::{Real, Tensor, all_finite};
use rand::RngExt;

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
                Init::Ones => vec![T::of(1.0); n],
                Init::Const(v) => vec![T::of(*v); n],
                Init::Normal => (0..n)
                    .map(|_| {
                        T::of(rand_distr::Distribution::sample(
                            &rand_distr::StandardNormal,
                            &mut rng,
                        ))
                    })
                    .collect(),
                Init::FanIn(axes) => {
                    let fan: usize = bound.dims(axes).iter().product();
                    let a = 1.0 / (fan.max(1) as f64).sqrt();
                    (0..n).map(|_| T::of(rng.random_range(-a..a))).collect()
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
                    crate::ir::Op::Embed(Embed { vocab, .. }) => Some(bound.sizes[vocab.ix()]),
                    crate::ir::Op::Gather(g) if nd.inputs.get(1) == Some(v) => {
                        Some(bound.sizes[g.axis.ix()])
                    }
                    _ => None,
                })
                .min()
                .unwrap_or(2);
            let data: Vec<T> = (0..n)
                .map(|_| match ty.dtype {
                    DType::Real => T::of(rand_distr::Distribution::sample(
                        &rand_distr::StandardNormal,
                        &mut rng,
                    )),
                    DType::Index => T::of(rng.random_range(0..vocab) as f64),
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
        // a mask writes −∞ on purpose (for the softmax after it): its readers scan instead
        let masks = matches!(node.op, Op::Mask(_));
        for (v, y) in node.outputs.iter().zip(ys) {
            finite[v.ix()] = !masks;
            if !implied && !masks && !all_finite(&y.data) {
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
