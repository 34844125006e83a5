//! The Rust builder API. Each call type-checks its operation against its input wires (axis
//! identities, element types) and returns the new value, so an ill-typed circuit cannot be
//! built; size relations that need numbers are left to [`crate::check`].
//!
//! ```
//! use nc_diagram::builder::Builder;
//! use nc_diagram::ir::AxisKind;
//! let mut b = Builder::new("tiny");
//! let n = b.axis("n", "n", AxisKind::Batch).unwrap();
//! let i = b.axis("i", "4", AxisKind::Feature).unwrap();
//! let o = b.axis("o", "2", AxisKind::Feature).unwrap();
//! let x = b.input("x", &[n, i]);
//! let y = b.linear("fc", x, &[i], &[o], true).unwrap();
//! b.output(y);
//! let c = b.finish().unwrap();
//! assert_eq!(c.value(y).ty.axes, vec![n, o]);
//! ```

use crate::ir::*;
use crate::size::{Constraint, SizeExpr};
use std::collections::{BTreeMap, HashMap, HashSet};

mod einsum;
mod error;
mod shape;
mod window;

pub use error::BuildError;
pub use window::WindowSpec;

/// Builds a [`Circuit`] one operation at a time.
#[derive(Debug)]
pub struct Builder {
    c: Circuit,
    open: Vec<BlockId>,
    saves: BTreeMap<String, ValueId>,
    // parameters of weight-sharing blocks, by (block name, local name)
    shared_params: BTreeMap<(String, String), ParamId>,
    // names taken by nodes and values, and by parameters, so naming stays linear
    node_names: Names,
    param_names: Names,
}

/// Names in use, with the next `~k` suffix to try per base name.
#[derive(Debug, Default)]
struct Names {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Names {
    /// `base`, or `base~k` with the smallest free `k ≥ 2`. Names are never freed, so the
    /// search resumes where the last one for this base ended.
    fn unique(&mut self, base: &str) -> String {
        let mut k = self.next.get(base).copied().unwrap_or(1);
        let mut name = if k == 1 {
            base.to_string()
        } else {
            format!("{base}~{k}")
        };
        while self.taken.contains(&name) {
            k += 1;
            name = format!("{base}~{k}");
        }
        self.next.insert(base.to_string(), k);
        name
    }
}

pub(crate) type R<T> = Result<T, BuildError>;

impl Builder {
    /// An empty circuit.
    pub fn new(name: &str) -> Self {
        Builder {
            c: Circuit {
                name: name.to_string(),
                sizes: BTreeMap::new(),
                constraints: Vec::new(),
                axes: Vec::new(),
                values: Vec::new(),
                params: Vec::new(),
                nodes: Vec::new(),
                blocks: Vec::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
            },
            open: Vec::new(),
            saves: BTreeMap::new(),
            shared_params: BTreeMap::new(),
            node_names: Names::default(),
            param_names: Names::default(),
        }
    }

    /// The circuit so far.
    pub fn circuit(&self) -> &Circuit {
        &self.c
    }

    /// Declares a size symbol with an optional default value.
    pub fn size(&mut self, name: &str, default: Option<i64>) {
        self.c.sizes.insert(name.to_string(), default);
    }

    /// Adds a constraint on sizes.
    pub fn constraint(&mut self, c: Constraint) {
        self.c.constraints.push(c);
    }

    /// A new axis with a size written as text (`"x // 2"`). Undeclared symbols are declared.
    pub fn axis(&mut self, name: &str, size: &str, kind: AxisKind) -> R<AxisId> {
        let e = SizeExpr::parse(size)?;
        Ok(self.axis_expr(name, e, kind))
    }

    /// A new axis with a size expression.
    pub fn axis_expr(&mut self, name: &str, size: SizeExpr, kind: AxisKind) -> AxisId {
        for s in size.symbols() {
            self.c.sizes.entry(s).or_insert(None);
        }
        let id = AxisId(self.c.axes.len() as u32);
        self.c.axes.push(Axis {
            id,
            name: name.to_string(),
            size,
            kind,
        });
        id
    }

    /// A real-valued circuit input over `axes`.
    pub fn input(&mut self, name: &str, axes: &[AxisId]) -> ValueId {
        let v = self.value(name, axes.to_vec(), DType::Real, None);
        self.c.inputs.push(v);
        v
    }

    /// An index-valued circuit input (token ids).
    pub fn index_input(&mut self, name: &str, axes: &[AxisId]) -> ValueId {
        let v = self.value(name, axes.to_vec(), DType::Index, None);
        self.c.inputs.push(v);
        v
    }

    /// Marks a value as a circuit output.
    pub fn output(&mut self, v: ValueId) {
        self.c.outputs.push(v);
    }

    /// A parameter. Inside a weight-sharing block, later iterations reuse the first one's.
    pub fn param(&mut self, name: &str, axes: &[AxisId], init: Init) -> ParamId {
        let key = self
            .open
            .last()
            .map(|b| &self.c.blocks[b.ix()])
            .filter(|b| b.share_weights)
            .map(|b| (b.name.clone(), name.to_string()));
        if let Some(k) = &key
            && let Some(p) = self.shared_params.get(k)
        {
            let p = *p;
            self.c.params[p.ix()].shared = true;
            return p;
        }
        let full = self.param_names.unique(&self.scoped(name));
        self.param_names.taken.insert(full.clone());
        let id = ParamId(self.c.params.len() as u32);
        self.c.params.push(Param {
            id,
            name: full,
            axes: axes.to_vec(),
            init,
            shared: false,
        });
        if let Some(k) = key {
            self.shared_params.insert(k, id);
        }
        id
    }

    /// Declares that a parameter is meant to be shared by several operations.
    pub fn share(&mut self, p: ParamId) {
        self.c.params[p.ix()].shared = true;
    }

    /// Opens an instance of a named block (iteration `iteration` of `repeat`).
    pub fn begin_block(
        &mut self,
        name: &str,
        iteration: u32,
        repeat: u32,
        share_weights: bool,
    ) -> BlockId {
        let id = BlockId(self.c.blocks.len() as u32);
        self.c.blocks.push(Block {
            id,
            name: name.to_string(),
            parent: self.open.last().copied(),
            iteration,
            repeat,
            share_weights,
            nodes: Vec::new(),
        });
        self.open.push(id);
        id
    }

    /// Closes the innermost open block.
    pub fn end_block(&mut self) -> R<()> {
        self.open
            .pop()
            .map(|_| ())
            .ok_or_else(|| BuildError::Blocks("end of block with none open".into()))
    }

    /// Finishes the circuit.
    pub fn finish(self) -> R<Circuit> {
        if !self.open.is_empty() {
            return Err(BuildError::Blocks(format!(
                "{} block(s) left open",
                self.open.len()
            )));
        }
        if self.c.outputs.is_empty() {
            return Err(BuildError::NoOutputs(self.c.name.clone()));
        }
        // inputs and parameters are made without a check: an axis listed twice is caught here
        let arrays = self.c.values.iter().map(|v| (&v.name, "value", &v.ty.axes));
        let params = self.c.params.iter().map(|p| (&p.name, "param", &p.axes));
        for (name, kind, axes) in arrays.chain(params) {
            self.no_dups(name, kind, axes)?;
        }
        Ok(self.c)
    }

    // ----------------------------------------------------------------- helpers

    fn scoped(&self, name: &str) -> String {
        match self.open.last() {
            None => name.to_string(),
            Some(b) => {
                let mut path = Vec::new();
                let mut cur = Some(*b);
                while let Some(id) = cur {
                    let blk = &self.c.blocks[id.ix()];
                    path.push(if blk.repeat > 1 {
                        format!("{}[{}]", blk.name, blk.iteration)
                    } else {
                        blk.name.clone()
                    });
                    cur = blk.parent;
                }
                path.reverse();
                format!("{}.{}", path.join("."), name)
            }
        }
    }

    fn value(
        &mut self,
        name: &str,
        axes: Vec<AxisId>,
        dtype: DType,
        producer: Option<NodeId>,
    ) -> ValueId {
        let id = ValueId(self.c.values.len() as u32);
        self.node_names.taken.insert(name.to_string());
        self.c.values.push(Value {
            id,
            name: name.to_string(),
            ty: ArrayType { axes, dtype },
            producer,
        });
        id
    }

    fn label(&self, a: AxisId) -> String {
        self.c.axis_label(a)
    }

    fn axes_of(&self, v: ValueId) -> &[AxisId] {
        &self.c.values[v.ix()].ty.axes
    }

    fn need_axes(&self, op: &str, kind: &'static str, v: ValueId, axes: &[AxisId]) -> R<()> {
        for a in axes {
            if !self.axes_of(v).contains(a) {
                return Err(self.missing(op, kind, v, *a));
            }
        }
        Ok(())
    }

    fn missing(&self, op: &str, kind: &'static str, v: ValueId, a: AxisId) -> BuildError {
        // an axis of the same name but another identity deserves the sharper message
        if let Some(other) = self
            .axes_of(v)
            .iter()
            .find(|b| self.c.axes[b.ix()].name == self.c.axes[a.ix()].name)
        {
            return BuildError::AxisConflict {
                op: op.to_string(),
                kind,
                name: self.c.axes[a.ix()].name.clone(),
                first: format!("axis {}", self.label(*other)),
                second: format!("axis {}", self.label(a)),
            };
        }
        BuildError::MissingAxis {
            op: op.to_string(),
            kind,
            axis: self.label(a),
            value: self.c.values[v.ix()].name.clone(),
            has: self
                .axes_of(v)
                .iter()
                .map(|a| self.label(*a))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    fn need_real(&self, op: &str, kind: &'static str, v: ValueId) -> R<()> {
        if self.c.values[v.ix()].ty.dtype != DType::Real {
            return Err(BuildError::DType {
                op: op.into(),
                kind,
                value: self.c.values[v.ix()].name.clone(),
                expected: "reals",
            });
        }
        Ok(())
    }

    fn no_dups(&self, op: &str, kind: &'static str, axes: &[AxisId]) -> R<()> {
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].contains(a) {
                return Err(BuildError::DuplicateAxis {
                    op: op.into(),
                    kind,
                    axis: self.label(*a),
                });
            }
        }
        Ok(())
    }

    /// Appends a node whose output types are already inferred; returns its outputs.
    fn push(
        &mut self,
        name: &str,
        op: Op,
        inputs: Vec<ValueId>,
        outs: Vec<Vec<AxisId>>,
        params: Vec<ParamId>,
    ) -> Vec<ValueId> {
        let name = self.node_names.unique(&self.scoped(name));
        self.node_names.taken.insert(name.clone());
        let id = NodeId(self.c.nodes.len() as u32);
        let n_out = outs.len();
        let outputs: Vec<ValueId> = outs
            .into_iter()
            .enumerate()
            .map(|(i, axes)| {
                let vname = if n_out == 1 {
                    name.clone()
                } else {
                    format!("{name}.{i}")
                };
                self.value(&vname, axes, DType::Real, Some(id))
            })
            .collect();
        for b in &self.open {
            self.c.blocks[b.ix()].nodes.push(id);
        }
        self.c.nodes.push(Node {
            id,
            name,
            op,
            inputs,
            outputs: outputs.clone(),
            params,
            block: self.open.last().copied(),
        });
        outputs
    }

    fn scoped_name(&self, name: &str) -> String {
        self.scoped(name)
    }

    // ----------------------------------------------------------------- operations

    /// Learned linear map `inputs → outputs` over `x`, creating its weight (and bias).
    pub fn linear(
        &mut self,
        name: &str,
        x: ValueId,
        inputs: &[AxisId],
        outputs: &[AxisId],
        bias: bool,
    ) -> R<ValueId> {
        let mut waxes = self.weight_inputs(inputs, outputs);
        let fan = waxes.clone();
        waxes.extend_from_slice(outputs);
        let w = self.param(&format!("{name}.W"), &waxes, Init::FanIn(fan.clone()));
        let b = bias.then(|| self.param(&format!("{name}.b"), outputs, Init::FanIn(fan)));
        self.linear_with(name, x, inputs, outputs, w, b)
    }

    /// The weight's input axes: an input axis that is also an output (`L: m → m`) gets a twin
    /// axis of the same size, so the weight has two distinct axes.
    pub fn weight_inputs(&mut self, inputs: &[AxisId], outputs: &[AxisId]) -> Vec<AxisId> {
        inputs
            .iter()
            .map(|a| {
                if outputs.contains(a) {
                    let ax = self.c.axes[a.ix()].clone();
                    self.axis_expr(&format!("{}_in", ax.name), ax.size, ax.kind)
                } else {
                    *a
                }
            })
            .collect()
    }

    /// Linear map with given parameters (reusing one is weight sharing: declare it with
    /// [`Builder::share`] or the checker warns).
    pub fn linear_with(
        &mut self,
        name: &str,
        x: ValueId,
        inputs: &[AxisId],
        outputs: &[AxisId],
        w: ParamId,
        b: Option<ParamId>,
    ) -> R<ValueId> {
        self.grouped_linear(name, x, &[], inputs, outputs, w, b)
    }

    /// Elementwise function.
    pub fn map(&mut self, name: &str, x: ValueId, f: Func) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "map", x)?;
        let axes = self.axes_of(x).to_vec();
        Ok(self.push(name, Op::Map(f), vec![x], vec![axes], vec![])[0])
    }

    /// ReLU.
    pub fn relu(&mut self, name: &str, x: ValueId) -> R<ValueId> {
        self.map(name, x, Func::Relu)
    }

    fn binary(&mut self, name: &str, op_: Op, a: ValueId, b: ValueId) -> R<ValueId> {
        let op = self.scoped_name(name);
        let kind = op_.kind();
        self.need_real(&op, kind, a)?;
        self.need_real(&op, kind, b)?;
        let bx = self.axes_of(b).to_vec();
        for ax in &bx {
            if !self.axes_of(a).contains(ax) {
                return Err(self.missing(&op, kind, a, *ax));
            }
        }
        let axes = self.axes_of(a).to_vec();
        Ok(self.push(name, op_, vec![a, b], vec![axes], vec![])[0])
    }

    /// `a + b`; `b` may lack some of `a`'s axes (it is broadcast). A residual connection.
    pub fn add(&mut self, name: &str, a: ValueId, b: ValueId) -> R<ValueId> {
        self.binary(name, Op::Add, a, b)
    }

    /// `a ⊙ b`, broadcasting `b` like [`Builder::add`].
    pub fn mul(&mut self, name: &str, a: ValueId, b: ValueId) -> R<ValueId> {
        self.binary(name, Op::Mul, a, b)
    }

    /// Softmax normalised over `axes`.
    pub fn softmax(&mut self, name: &str, x: ValueId, axes: &[AxisId]) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "softmax", x)?;
        self.need_axes(&op, "softmax", x, axes)?;
        let out = self.axes_of(x).to_vec();
        Ok(self.push(
            name,
            Op::Softmax(Softmax {
                over: axes.to_vec(),
            }),
            vec![x],
            vec![out],
            vec![],
        )[0])
    }

    /// A band mask over `rows` × `cols` (see [`Mask`]): entries whose offset `col − row` lies
    /// outside `[−below, above]` become −∞. Causal: `below = None`, `above = Some(0)`.
    pub fn mask(
        &mut self,
        name: &str,
        x: ValueId,
        rows: AxisId,
        cols: AxisId,
        below: Option<i64>,
        above: Option<i64>,
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "mask", x)?;
        self.need_axes(&op, "mask", x, &[rows, cols])?;
        self.no_dups(&op, "mask", &[rows, cols])?;
        let out = self.axes_of(x).to_vec();
        let m = Mask {
            rows,
            cols,
            below,
            above,
        };
        Ok(self.push(name, Op::Mask(m), vec![x], vec![out], vec![])[0])
    }

    /// General normalisation (see [`Op::Norm`]).
    pub fn norm(
        &mut self,
        name: &str,
        x: ValueId,
        stats: &[AxisId],
        affine_axes: &[AxisId],
        affine: bool,
        eps: f64,
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "norm", x)?;
        self.need_axes(&op, "norm", x, stats)?;
        self.need_axes(&op, "norm", x, affine_axes)?;
        let mut params = Vec::new();
        if affine {
            params.push(self.param(&format!("{name}.gain"), affine_axes, Init::Ones));
            params.push(self.param(&format!("{name}.shift"), affine_axes, Init::Zeros));
        }
        let out = self.axes_of(x).to_vec();
        Ok(self.push(
            name,
            Op::Norm(Norm {
                stats: stats.to_vec(),
                affine_axes: affine_axes.to_vec(),
                affine,
                eps,
            }),
            vec![x],
            vec![out],
            params,
        )[0])
    }

    /// Layer norm over `features` (affine, ε = 1e-5 as PyTorch).
    pub fn layer_norm(&mut self, name: &str, x: ValueId, features: &[AxisId]) -> R<ValueId> {
        self.norm(name, x, features, features, true, 1e-5)
    }

    /// Batch norm (training statistics) with affine parameters over `channels`.
    pub fn batch_norm(&mut self, name: &str, x: ValueId, channels: &[AxisId]) -> R<ValueId> {
        let stats: Vec<AxisId> = self
            .axes_of(x)
            .iter()
            .copied()
            .filter(|a| !channels.contains(a))
            .collect();
        self.norm(name, x, &stats, channels, true, 1e-5)
    }

    /// Reduction over `axes`.
    pub fn reduce(
        &mut self,
        name: &str,
        x: ValueId,
        kind: ReduceKind,
        axes: &[AxisId],
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "reduce", x)?;
        self.need_axes(&op, "reduce", x, axes)?;
        let out: Vec<AxisId> = self
            .axes_of(x)
            .iter()
            .copied()
            .filter(|a| !axes.contains(a))
            .collect();
        Ok(self.push(
            name,
            Op::Reduce(Reduce {
                kind,
                over: axes.to_vec(),
            }),
            vec![x],
            vec![out],
            vec![],
        )[0])
    }

    /// Explicit copy into `n` wires.
    pub fn copy(&mut self, name: &str, x: ValueId, n: usize) -> R<Vec<ValueId>> {
        let axes = self.axes_of(x).to_vec();
        Ok(self.push(name, Op::Copy(n), vec![x], vec![axes; n], vec![]))
    }

    /// A linear map whose weight is indexed (not shared) along the `groups` axes of `x`:
    /// weight over `groups ++ inputs ++ outputs`, bias over `groups ++ outputs`.
    #[allow(clippy::too_many_arguments)]
    pub fn grouped_linear(
        &mut self,
        name: &str,
        x: ValueId,
        groups: &[AxisId],
        inputs: &[AxisId],
        outputs: &[AxisId],
        w: ParamId,
        b: Option<ParamId>,
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "linear", x)?;
        self.need_axes(&op, "linear", x, inputs)?;
        self.need_axes(&op, "linear", x, groups)?;
        self.no_dups(&op, "linear", inputs)?;
        let mut out: Vec<AxisId> = self
            .axes_of(x)
            .iter()
            .copied()
            .filter(|a| !inputs.contains(a))
            .collect();
        out.extend_from_slice(outputs);
        self.no_dups(&op, "linear", &out)?;
        let wa = &self.c.params[w.ix()].axes;
        let (ng, ni) = (groups.len(), inputs.len());
        let fits = wa.len() == ng + ni + outputs.len()
            && wa[..ng] == *groups
            && wa[ng + ni..] == *outputs
            && wa[ng..ng + ni]
                .iter()
                .zip(inputs)
                .all(|(t, a)| t == a || (!self.axes_of(x).contains(t) && !outputs.contains(t)));
        if !fits {
            return Err(BuildError::Invalid {
                op,
                kind: "linear",
                why: format!(
                    "weight `{}` has axes that do not match groups ++ inputs ++ outputs",
                    self.c.params[w.ix()].name
                ),
            });
        }
        if let Some(b) = b {
            let mut baxes = groups.to_vec();
            baxes.extend_from_slice(outputs);
            if self.c.params[b.ix()].axes != baxes {
                return Err(BuildError::Invalid {
                    op,
                    kind: "linear",
                    why: format!(
                        "bias `{}` has axes that do not match groups ++ outputs",
                        self.c.params[b.ix()].name
                    ),
                });
            }
        }
        let mut params = vec![w];
        params.extend(b);
        let lin = Op::Linear(Linear {
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            groups: groups.to_vec(),
            bias: b.is_some(),
        });
        Ok(self.push(name, lin, vec![x], vec![out], params)[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_output_size_formula() {
        let s = WindowSpec::new(3).stride(3);
        let e = s.output_size(&SizeExpr::sym("x"));
        assert_eq!(e.to_string(), "(x - 3)//3 + 1");
        let b = [("x".to_string(), 16)].into_iter().collect();
        assert_eq!(e.eval(&b).unwrap(), 5);
        assert_eq!(
            WindowSpec::same(3).output_size(&SizeExpr::sym("x")),
            SizeExpr::sym("x")
        );
    }

    #[test]
    fn linear_missing_axis_is_named() {
        let mut b = Builder::new("t");
        let n = b.axis("n", "2", AxisKind::Batch).unwrap();
        let c0 = b.axis("c0", "3", AxisKind::Feature).unwrap();
        let c1 = b.axis("c1", "4", AxisKind::Feature).unwrap();
        let x = b.input("x", &[n, c0]);
        let e = b.linear("conv2", x, &[c1], &[c1], true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "op `conv2` (linear): axis c1 is not on input `x`, whose axes are [n, c0]"
        );
        assert_eq!(e.code(), "E101");
    }

    #[test]
    fn same_name_different_axes_conflict() {
        let mut b = Builder::new("t");
        let y = b.axis("y", "2", AxisKind::Token).unwrap();
        let x = b.axis("x", "3", AxisKind::Token).unwrap();
        let k1 = b.axis("k", "4", AxisKind::Feature).unwrap();
        let k2 = b.axis("k", "4", AxisKind::Feature).unwrap();
        let q = b.input("q", &[y, k1]);
        let kk = b.input("kk", &[x, k2]);
        let e = b.einsum("scores", "y k, x k -> y x", &[q, kk]).unwrap_err();
        assert_eq!(e.code(), "E102");
        assert!(
            e.to_string()
                .contains("`k` is axis k#2 in one place and axis k#3 in another"),
            "{e}"
        );
    }
}
