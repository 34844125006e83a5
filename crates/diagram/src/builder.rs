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
use crate::parse::signature::{RawTerm, parse_signature};
use crate::size::{Constraint, SizeError, SizeExpr};
use std::collections::BTreeMap;
use thiserror::Error;

/// Why an operation could not be added.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum BuildError {
    /// An operation names an axis its input does not carry.
    #[error("op `{op}` ({kind}): axis {axis} is not on input `{value}`, whose axes are [{has}]")]
    MissingAxis {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The axis.
        axis: String,
        /// The input value.
        value: String,
        /// Its axes.
        has: String,
    },
    /// Two different axes with one name meet where one axis is meant.
    #[error(
        "op `{op}` ({kind}): `{name}` is {first} in one place and {second} in another; axes that share a name are different unless declared the same"
    )]
    AxisConflict {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The shared name.
        name: String,
        /// First axis label.
        first: String,
        /// Second axis label.
        second: String,
    },
    /// An axis would appear twice on one value.
    #[error("op `{op}` ({kind}): axis {axis} would appear twice on the output")]
    DuplicateAxis {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The axis.
        axis: String,
    },
    /// The einsum signature is malformed or does not fit the operands.
    #[error("op `{op}` (einsum): {why}")]
    Signature {
        /// Node name.
        op: String,
        /// What is wrong.
        why: String,
    },
    /// Wrong element type.
    #[error("op `{op}` ({kind}): input `{value}` must hold {expected}")]
    DType {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The value.
        value: String,
        /// Expected element type.
        expected: &'static str,
    },
    /// A load of a label never saved.
    #[error("op `{op}` (load): nothing was saved as `{label}`")]
    UnknownLabel {
        /// Node name.
        op: String,
        /// The label.
        label: String,
    },
    /// Any other malformed operation.
    #[error("op `{op}` ({kind}): {why}")]
    Invalid {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A size expression did not parse.
    #[error(transparent)]
    Size(#[from] SizeError),
    /// A block was closed that is not open, or left open.
    #[error("block nesting: {0}")]
    Blocks(String),
    /// The circuit has no outputs.
    #[error("circuit `{0}` has no outputs")]
    NoOutputs(String),
}

impl BuildError {
    /// The diagnostic code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            BuildError::MissingAxis { .. } => "E101",
            BuildError::AxisConflict { .. } => "E102",
            BuildError::DuplicateAxis { .. } => "E103",
            BuildError::Signature { .. } => "E104",
            BuildError::DType { .. } => "E105",
            BuildError::UnknownLabel { .. } => "E106",
            BuildError::Invalid { .. } => "E107",
            BuildError::Size(_) => "E108",
            BuildError::Blocks(_) => "E109",
            BuildError::NoOutputs(_) => "E110",
        }
    }
}

/// Geometry of one spatial axis of a window, before axes exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowSpec {
    /// Kernel size.
    pub kernel: i64,
    /// Stride.
    pub stride: i64,
    /// Dilation.
    pub dilation: i64,
    /// Zero padding per side.
    pub padding: i64,
}

impl WindowSpec {
    /// Kernel `k`, stride 1, no dilation, no padding.
    pub fn new(kernel: i64) -> Self {
        WindowSpec {
            kernel,
            stride: 1,
            dilation: 1,
            padding: 0,
        }
    }
    /// Kernel `k` with "same" padding (`(k−1)/2`).
    pub fn same(kernel: i64) -> Self {
        WindowSpec {
            kernel,
            stride: 1,
            dilation: 1,
            padding: (kernel - 1) / 2,
        }
    }
    /// With stride.
    pub fn stride(mut self, s: i64) -> Self {
        self.stride = s;
        self
    }
    /// With padding.
    pub fn padding(mut self, p: i64) -> Self {
        self.padding = p;
        self
    }
    /// With dilation.
    pub fn dilation(mut self, d: i64) -> Self {
        self.dilation = d;
        self
    }
    /// The output size of a window over `x`: ⌊(x + 2p − d(k−1) − 1)/s⌋ + 1.
    pub fn output_size(&self, x: &SizeExpr) -> SizeExpr {
        let reach = self.dilation * (self.kernel - 1) + 1 - 2 * self.padding;
        if self.stride == 1 {
            let c = 1 - reach;
            return if c >= 0 {
                x.add(&SizeExpr::Lit(c))
            } else {
                x.sub(&SizeExpr::Lit(-c))
            };
        }
        let num = if reach >= 0 {
            x.sub(&SizeExpr::Lit(reach))
        } else {
            x.add(&SizeExpr::Lit(-reach))
        };
        num.floor_div(&SizeExpr::Lit(self.stride))
            .add(&SizeExpr::Lit(1))
    }
}

/// Builds a [`Circuit`] one operation at a time.
#[derive(Debug)]
pub struct Builder {
    c: Circuit,
    open: Vec<BlockId>,
    saves: BTreeMap<String, ValueId>,
    // parameters of weight-sharing blocks, by (block name, local name)
    shared_params: BTreeMap<(String, String), ParamId>,
}

type R<T> = Result<T, BuildError>;

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
        let full = self.unique_param_name(&self.scoped(name));
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

    fn unique_param_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 2;
        while self.c.params.iter().any(|p| p.name == name) {
            name = format!("{base}~{k}");
            k += 1;
        }
        name
    }

    fn unique_node_name(&self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 2;
        while self.c.nodes.iter().any(|n| n.name == name)
            || self.c.values.iter().any(|v| v.name == name)
        {
            name = format!("{base}~{k}");
            k += 1;
        }
        name
    }

    fn value(
        &mut self,
        name: &str,
        axes: Vec<AxisId>,
        dtype: DType,
        producer: Option<NodeId>,
    ) -> ValueId {
        let id = ValueId(self.c.values.len() as u32);
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
        let name = self.unique_node_name(&self.scoped(name));
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

    /// Einsum contraction with an einops-like signature.
    pub fn einsum(&mut self, name: &str, signature: &str, operands: &[ValueId]) -> R<ValueId> {
        let op = self.scoped_name(name);
        let sig = parse_signature(signature).map_err(|e| BuildError::Signature {
            op: op.clone(),
            why: e.to_string(),
        })?;
        if sig.operands.len() != operands.len() {
            return Err(BuildError::Signature {
                op,
                why: format!(
                    "signature has {} operands but {} were given",
                    sig.operands.len(),
                    operands.len()
                ),
            });
        }
        for v in operands {
            self.need_real(&op, "einsum", *v)?;
        }
        // names seen so far ↦ identity, to catch same-name-different-axis
        let mut seen: BTreeMap<String, AxisId> = BTreeMap::new();
        fn note(b: &Builder, seen: &mut BTreeMap<String, AxisId>, op: &str, a: AxisId) -> R<()> {
            let n = b.c.axes[a.ix()].name.clone();
            match seen.get(&n) {
                Some(&prev) if prev != a => Err(BuildError::AxisConflict {
                    op: op.to_string(),
                    kind: "einsum",
                    name: n,
                    first: format!("axis {}", b.label(prev)),
                    second: format!("axis {}", b.label(a)),
                }),
                _ => {
                    seen.insert(n, a);
                    Ok(())
                }
            }
        }
        let mut ops_terms: Vec<Vec<EinTerm>> = Vec::new();
        let mut broadcast: Vec<AxisId> = Vec::new();
        for (j, (raw, &v)) in sig.operands.iter().zip(operands).enumerate() {
            let axes = self.axes_of(v).to_vec();
            let by_name = |n: &str| -> R<AxisId> {
                let hits: Vec<AxisId> = axes
                    .iter()
                    .copied()
                    .filter(|a| self.c.axes[a.ix()].name == n)
                    .collect();
                match hits.len() {
                    1 => Ok(hits[0]),
                    0 => Err(BuildError::Signature {
                        op: op.clone(),
                        why: format!(
                            "operand {j} (`{}`) has no axis `{n}`; its axes are [{}]",
                            self.c.values[v.ix()].name,
                            axes.iter()
                                .map(|a| self.label(*a))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }),
                    _ => Err(BuildError::Signature {
                        op: op.clone(),
                        why: format!("operand {j} has several axes named `{n}`"),
                    }),
                }
            };
            let mut terms = Vec::new();
            let mut claimed = Vec::new();
            for t in raw {
                if let RawTerm::Name(n) = t {
                    claimed.push(by_name(n)?);
                }
            }
            for t in raw {
                let term = match t {
                    RawTerm::Name(n) => {
                        let a = by_name(n)?;
                        EinTerm {
                            axis: a,
                            parts: vec![a],
                        }
                    }
                    RawTerm::Group { merged, parts } => {
                        let a = match merged {
                            Some(m) => by_name(m)?,
                            None => {
                                let left: Vec<AxisId> = axes
                                    .iter()
                                    .copied()
                                    .filter(|a| !claimed.contains(a))
                                    .collect();
                                if left.len() != 1 {
                                    return Err(BuildError::Signature {
                                        op: op.clone(),
                                        why: format!(
                                            "operand {j}: cannot tell which axis the group ({}) is; name it as `m:({})`",
                                            parts.join(" "),
                                            parts.join(" ")
                                        ),
                                    });
                                }
                                left[0]
                            }
                        };
                        claimed.push(a);
                        let ps = parts
                            .iter()
                            .map(|p| self.axis_by_name(&op, p, &seen))
                            .collect::<R<Vec<_>>>()?;
                        EinTerm { axis: a, parts: ps }
                    }
                };
                for p in &term.parts {
                    note(self, &mut seen, &op, *p)?;
                }
                terms.push(term);
            }
            for a in axes.iter().filter(|a| !claimed.contains(a)) {
                if !broadcast.contains(a) {
                    broadcast.push(*a);
                }
            }
            ops_terms.push(terms);
        }
        let mut out_terms = Vec::new();
        for t in &sig.output {
            let term = match t {
                RawTerm::Name(n) => {
                    let a = *seen.get(n).ok_or_else(|| BuildError::Signature {
                        op: op.clone(),
                        why: format!("output axis `{n}` is on no operand"),
                    })?;
                    EinTerm {
                        axis: a,
                        parts: vec![a],
                    }
                }
                RawTerm::Group {
                    merged: Some(m),
                    parts,
                } => {
                    let ps = parts
                        .iter()
                        .map(|p| {
                            seen.get(p).copied().ok_or_else(|| BuildError::Signature {
                                op: op.clone(),
                                why: format!("output axis `{p}` is on no operand"),
                            })
                        })
                        .collect::<R<Vec<_>>>()?;
                    EinTerm {
                        axis: self.axis_by_name(&op, m, &BTreeMap::new())?,
                        parts: ps,
                    }
                }
                RawTerm::Group {
                    merged: None,
                    parts,
                } => {
                    return Err(BuildError::Signature {
                        op,
                        why: format!(
                            "output group ({}) must name its axis, as `m:({})`",
                            parts.join(" "),
                            parts.join(" ")
                        ),
                    });
                }
            };
            out_terms.push(term);
        }
        let mut out: Vec<AxisId> = broadcast.clone();
        out.extend(out_terms.iter().map(|t| t.axis));
        for t in ops_terms.iter().flatten() {
            if broadcast.contains(&t.axis) || t.parts.iter().any(|p| broadcast.contains(p)) {
                return Err(BuildError::Signature {
                    op,
                    why: format!(
                        "axis {} is named on one operand but left implicit on another",
                        self.label(t.axis)
                    ),
                });
            }
        }
        self.no_dups(&op, "einsum", &out)?;
        Ok(self.push(
            name,
            Op::Einsum {
                signature: signature.to_string(),
                operands: ops_terms,
                output: out_terms,
            },
            operands.to_vec(),
            vec![out],
            vec![],
        )[0])
    }

    fn axis_by_name(&self, op: &str, n: &str, prefer: &BTreeMap<String, AxisId>) -> R<AxisId> {
        if let Some(a) = prefer.get(n) {
            return Ok(*a);
        }
        let hits: Vec<AxisId> = self
            .c
            .axes
            .iter()
            .filter(|a| a.name == n)
            .map(|a| a.id)
            .collect();
        match hits.len() {
            1 => Ok(hits[0]),
            0 => Err(BuildError::Signature {
                op: op.into(),
                why: format!("no axis named `{n}` exists"),
            }),
            _ => Err(BuildError::Signature {
                op: op.into(),
                why: format!("several axes are named `{n}`; the group is ambiguous"),
            }),
        }
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
        Ok(self.push(name, Op::Softmax(axes.to_vec()), vec![x], vec![out], vec![])[0])
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
            Op::Norm {
                stats: stats.to_vec(),
                affine_axes: affine_axes.to_vec(),
                affine,
                eps,
            },
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
            Op::Reduce(kind, axes.to_vec()),
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

    /// Window ★ over the given spatial axes. Returns the value and, per spatial axis, its
    /// (output position, kernel offset) axes. A size-preserving window keeps the input axis.
    pub fn window(
        &mut self,
        name: &str,
        x: ValueId,
        spatial: &[(AxisId, WindowSpec)],
    ) -> R<(ValueId, Vec<(AxisId, AxisId)>)> {
        let op = self.scoped_name(name);
        self.need_real(&op, "window", x)?;
        let ids: Vec<AxisId> = spatial.iter().map(|s| s.0).collect();
        self.need_axes(&op, "window", x, &ids)?;
        let mut was = Vec::new();
        for (a, s) in spatial {
            if s.kernel < 1 || s.stride < 1 || s.dilation < 1 || (s.padding < 0 && s.kernel != 1) {
                return Err(BuildError::Invalid {
                    op,
                    kind: "window",
                    why: format!(
                        "kernel {}, stride {}, dilation {}, padding {} on axis {} are not valid",
                        s.kernel,
                        s.stride,
                        s.dilation,
                        s.padding,
                        self.label(*a)
                    ),
                });
            }
            let ax = self.c.axes[a.ix()].clone();
            let osize = s.output_size(&ax.size);
            let output = if osize == ax.size {
                *a
            } else {
                self.axis_expr(&format!("{}'", ax.name), osize, ax.kind)
            };
            let kernel = self.axis_expr(
                &format!("k{}", ax.name),
                SizeExpr::Lit(s.kernel),
                AxisKind::Kernel,
            );
            was.push(WindowAxis {
                input: *a,
                output,
                kernel,
                stride: s.stride,
                dilation: s.dilation,
                padding: s.padding,
            });
        }
        let v = self.window_with(name, x, &was)?;
        Ok((v, was.iter().map(|w| (w.output, w.kernel)).collect()))
    }

    /// Window ★ with fully specified axes (the checker verifies their sizes).
    pub fn window_with(&mut self, name: &str, x: ValueId, axes: &[WindowAxis]) -> R<ValueId> {
        let op = self.scoped_name(name);
        let mut out = Vec::new();
        for a in self.axes_of(x) {
            match axes.iter().find(|w| w.input == *a) {
                Some(w) => out.extend([w.output, w.kernel]),
                None => out.push(*a),
            }
        }
        self.need_axes(
            &op,
            "window",
            x,
            &axes.iter().map(|w| w.input).collect::<Vec<_>>(),
        )?;
        self.no_dups(&op, "window", &out)?;
        Ok(self.push(name, Op::Window(axes.to_vec()), vec![x], vec![out], vec![])[0])
    }

    /// Transposed window ★ᵀ: `(…, output, kernel) → (…, input)` per [`WindowAxis`].
    pub fn window_t(&mut self, name: &str, x: ValueId, axes: &[WindowAxis]) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_real(&op, "window_t", x)?;
        let need: Vec<AxisId> = axes.iter().flat_map(|w| [w.output, w.kernel]).collect();
        self.need_axes(&op, "window_t", x, &need)?;
        let mut out = Vec::new();
        for a in self.axes_of(x) {
            if let Some(w) = axes.iter().find(|w| w.output == *a) {
                out.push(w.input);
            } else if !axes.iter().any(|w| w.kernel == *a) {
                out.push(*a);
            }
        }
        self.no_dups(&op, "window_t", &out)?;
        Ok(self.push(name, Op::WindowT(axes.to_vec()), vec![x], vec![out], vec![])[0])
    }

    /// Convolution = window ★ then a learned linear map over channels × kernel offsets.
    /// With `groups > 1`, `c_in` and `c_out` are split into a group axis that the channel map
    /// is broadcast over. Returns the value and the new spatial axes.
    #[allow(clippy::too_many_arguments)]
    pub fn conv(
        &mut self,
        name: &str,
        x: ValueId,
        c_in: AxisId,
        c_out: AxisId,
        spatial: &[(AxisId, WindowSpec)],
        groups: i64,
        bias: bool,
    ) -> R<(ValueId, Vec<AxisId>)> {
        let (w, pairs) = self.window(&format!("{name}.win"), x, spatial)?;
        let mut kernels: Vec<AxisId> = pairs.iter().map(|p| p.1).collect();
        let y = if groups == 1 {
            let mut ins = vec![c_in];
            ins.append(&mut kernels);
            self.linear(name, w, &ins, &[c_out], bias)?
        } else {
            let g = self.axis_expr("g", SizeExpr::Lit(groups), AxisKind::Head);
            let gi_size = self.c.axes[c_in.ix()]
                .size
                .exact_div(&SizeExpr::Lit(groups));
            let go_size = self.c.axes[c_out.ix()]
                .size
                .exact_div(&SizeExpr::Lit(groups));
            let ci_name = format!("{}/g", self.c.axes[c_in.ix()].name);
            let co_name = format!("{}/g", self.c.axes[c_out.ix()].name);
            let gi = self.axis_expr(&ci_name, gi_size, AxisKind::Feature);
            let go = self.axis_expr(&co_name, go_size, AxisKind::Feature);
            let split = self.reshape(&format!("{name}.split"), w, &[c_in], &[g, gi])?;
            let mut ins = vec![gi];
            ins.append(&mut kernels);
            // the channel map is indexed by the group axis: one weight per group
            let ins_w = self.weight_inputs(&ins, &[go]);
            let mut waxes = vec![g];
            waxes.extend(&ins_w);
            waxes.push(go);
            let wp = self.param(&format!("{name}.W"), &waxes, Init::FanIn(ins.clone()));
            let bp =
                bias.then(|| self.param(&format!("{name}.b"), &[g, go], Init::FanIn(ins.clone())));
            let y = self.grouped_linear(name, split, &[g], &ins, &[go], wp, bp)?;
            self.reshape(&format!("{name}.merge"), y, &[g, go], &[c_out])?
        };
        Ok((y, pairs.iter().map(|p| p.0).collect()))
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
        let lin = Op::Linear {
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            groups: groups.to_vec(),
            bias: b.is_some(),
        };
        Ok(self.push(name, lin, vec![x], vec![out], params)[0])
    }

    /// Convolution whose output spatial axes are given (so two branches can share them).
    #[allow(clippy::too_many_arguments)]
    pub fn conv_to(
        &mut self,
        name: &str,
        x: ValueId,
        c_in: AxisId,
        c_out: AxisId,
        spatial: &[(AxisId, AxisId, WindowSpec)],
        bias: bool,
    ) -> R<ValueId> {
        let mut was = Vec::new();
        for (i, o, s) in spatial {
            let nm = self.c.axes[i.ix()].name.clone();
            let kernel =
                self.axis_expr(&format!("k{nm}"), SizeExpr::Lit(s.kernel), AxisKind::Kernel);
            was.push(WindowAxis {
                input: *i,
                output: *o,
                kernel,
                stride: s.stride,
                dilation: s.dilation,
                padding: s.padding,
            });
        }
        let w = self.window_with(&format!("{name}.win"), x, &was)?;
        let mut ins = vec![c_in];
        ins.extend(was.iter().map(|w| w.kernel));
        self.linear(name, w, &ins, &[c_out], bias)
    }

    /// Center crop: axis `input` loses `offset` positions on each side, giving `output`.
    pub fn crop(
        &mut self,
        name: &str,
        x: ValueId,
        spatial: &[(AxisId, AxisId, i64)],
    ) -> R<ValueId> {
        let mut was = Vec::new();
        for (i, o, off) in spatial {
            let nm = self.c.axes[i.ix()].name.clone();
            let kernel = self.axis_expr(&format!("k{nm}"), SizeExpr::Lit(1), AxisKind::Kernel);
            was.push(WindowAxis {
                input: *i,
                output: *o,
                kernel,
                stride: 1,
                dilation: 1,
                padding: -off,
            });
        }
        let w = self.window_with(name, x, &was)?;
        let ks: Vec<AxisId> = was.iter().map(|w| w.kernel).collect();
        self.reduce(&format!("{name}.squeeze"), w, ReduceKind::Sum, &ks)
    }

    /// Transposed convolution (up-sampling): a linear map `c_in → c_out × kernel offsets`,
    /// then ★ᵀ onto the given result axes, then a bias over `c_out` (as PyTorch's).
    /// `spatial` lists (position axis on `x`, result axis, kernel, stride).
    pub fn up_conv(
        &mut self,
        name: &str,
        x: ValueId,
        c_in: AxisId,
        c_out: AxisId,
        spatial: &[(AxisId, AxisId, i64, i64)],
        bias: bool,
    ) -> R<ValueId> {
        let mut outs = vec![c_out];
        let mut was = Vec::new();
        for (pos, res, k, s) in spatial {
            let nm = self.c.axes[res.ix()].name.clone();
            let kernel = self.axis_expr(&format!("k{nm}"), SizeExpr::Lit(*k), AxisKind::Kernel);
            outs.push(kernel);
            was.push(WindowAxis {
                input: *res,
                output: *pos,
                kernel,
                stride: *s,
                dilation: 1,
                padding: 0,
            });
        }
        let z = self.linear(name, x, &[c_in], &outs, false)?;
        let y = self.window_t(&format!("{name}.win_t"), z, &was)?;
        if !bias {
            return Ok(y);
        }
        let b = self.learned_init(&format!("{name}.bias"), &[c_out], Init::FanIn(outs.clone()))?;
        self.add(&format!("{name}.add_bias"), y, b)
    }

    /// Renames an axis (a reshape of one axis into another of the same size).
    pub fn rename(&mut self, name: &str, x: ValueId, from: AxisId, to: AxisId) -> R<ValueId> {
        self.reshape(name, x, &[from], &[to])
    }

    /// Concatenates values along `axes[i]` of input `i` into the new axis `output`.
    pub fn concat(
        &mut self,
        name: &str,
        xs: &[ValueId],
        axes: &[AxisId],
        output: AxisId,
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        if xs.len() != axes.len() || xs.is_empty() {
            return Err(BuildError::Invalid {
                op,
                kind: "concat",
                why: format!("{} values but {} axes", xs.len(), axes.len()),
            });
        }
        for (v, a) in xs.iter().zip(axes) {
            self.need_real(&op, "concat", *v)?;
            self.need_axes(&op, "concat", *v, &[*a])?;
        }
        let rest = |b: &Builder, v: ValueId, a: AxisId| -> Vec<AxisId> {
            let mut r: Vec<AxisId> = b.axes_of(v).iter().copied().filter(|x| *x != a).collect();
            r.sort();
            r
        };
        let r0 = rest(self, xs[0], axes[0]);
        for (v, a) in xs.iter().zip(axes).skip(1) {
            if rest(self, *v, *a) != r0 {
                return Err(BuildError::Invalid {
                    op,
                    kind: "concat",
                    why: format!(
                        "`{}` and `{}` differ in axes other than the concatenated one",
                        self.c.values[xs[0].ix()].name,
                        self.c.values[v.ix()].name
                    ),
                });
            }
        }
        let out: Vec<AxisId> = self
            .axes_of(xs[0])
            .iter()
            .map(|a| if *a == axes[0] { output } else { *a })
            .collect();
        self.no_dups(&op, "concat", &out)?;
        Ok(self.push(
            name,
            Op::Concat {
                inputs: axes.to_vec(),
                output,
            },
            xs.to_vec(),
            vec![out],
            vec![],
        )[0])
    }

    /// Row-major reshape of axes `from` (adjacent or not) into `to`, placed where `from[0]` was.
    pub fn reshape(
        &mut self,
        name: &str,
        x: ValueId,
        from: &[AxisId],
        to: &[AxisId],
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        self.need_axes(&op, "reshape", x, from)?;
        let mut out = Vec::new();
        for a in self.axes_of(x) {
            if *a == from[0] {
                out.extend_from_slice(to);
            } else if !from.contains(a) {
                out.push(*a);
            }
        }
        self.no_dups(&op, "reshape", &out)?;
        let dt = self.c.values[x.ix()].ty.dtype;
        let v = self.push(
            name,
            Op::Reshape {
                from: from.to_vec(),
                to: to.to_vec(),
            },
            vec![x],
            vec![out],
            vec![],
        )[0];
        self.c.values[v.ix()].ty.dtype = dt;
        Ok(v)
    }

    /// Transpose into the given axis order (a wire crossing).
    pub fn permute(&mut self, name: &str, x: ValueId, order: &[AxisId]) -> R<ValueId> {
        let op = self.scoped_name(name);
        let mut a = order.to_vec();
        let mut b = self.axes_of(x).to_vec();
        a.sort();
        b.sort();
        if a != b {
            return Err(BuildError::Invalid {
                op,
                kind: "permute",
                why: "the order must list each input axis once".into(),
            });
        }
        Ok(self.push(
            name,
            Op::Permute(order.to_vec()),
            vec![x],
            vec![order.to_vec()],
            vec![],
        )[0])
    }

    /// Embedding lookup; creates the table over `vocab × features`.
    pub fn embed(
        &mut self,
        name: &str,
        idx: ValueId,
        vocab: AxisId,
        features: &[AxisId],
    ) -> R<ValueId> {
        let op = self.scoped_name(name);
        if self.c.values[idx.ix()].ty.dtype != DType::Index {
            return Err(BuildError::DType {
                op,
                kind: "embed",
                value: self.c.values[idx.ix()].name.clone(),
                expected: "indices",
            });
        }
        let mut taxes = vec![vocab];
        taxes.extend_from_slice(features);
        let t = self.param(&format!("{name}.table"), &taxes, Init::Normal);
        let mut out = self.axes_of(idx).to_vec();
        out.extend_from_slice(features);
        self.no_dups(&op, "embed", &out)?;
        Ok(self.push(
            name,
            Op::Embed {
                vocab,
                features: features.to_vec(),
            },
            vec![idx],
            vec![out],
            vec![t],
        )[0])
    }

    /// A constant array over `axes`.
    pub fn constant(&mut self, name: &str, axes: &[AxisId], value: f64) -> R<ValueId> {
        Ok(self.push(
            name,
            Op::Constant(value),
            vec![],
            vec![axes.to_vec()],
            vec![],
        )[0])
    }

    /// A learned array over `axes` entering as a value (a positional embedding, a class token).
    pub fn learned(&mut self, name: &str, axes: &[AxisId]) -> R<ValueId> {
        self.learned_init(name, axes, Init::Normal)
    }

    /// A learned array with a given initialisation.
    pub fn learned_init(&mut self, name: &str, axes: &[AxisId], init: Init) -> R<ValueId> {
        let p = self.param(&format!("{name}.value"), axes, init);
        let one = self.push(
            &format!("{name}.one"),
            Op::Constant(1.0),
            vec![],
            vec![vec![]],
            vec![],
        )[0];
        let w = self.linear_with(name, one, &[], axes, p, None)?;
        Ok(w)
    }

    /// Saves `x` under `label` (`→C_λ`).
    pub fn save(&mut self, label: &str, x: ValueId) -> R<ValueId> {
        let axes = self.axes_of(x).to_vec();
        let v = self.push(
            &format!("save {label}"),
            Op::Save(label.to_string()),
            vec![x],
            vec![axes],
            vec![],
        )[0];
        self.saves.insert(label.to_string(), v);
        Ok(v)
    }

    /// Loads what was saved under `label` (`C_λ→`).
    pub fn load(&mut self, label: &str) -> R<ValueId> {
        let op = self.scoped_name(&format!("load {label}"));
        let s = *self
            .saves
            .get(label)
            .ok_or_else(|| BuildError::UnknownLabel {
                op,
                label: label.to_string(),
            })?;
        let axes = self.axes_of(s).to_vec();
        Ok(self.push(
            &format!("load {label}"),
            Op::Load(label.to_string()),
            vec![s],
            vec![axes],
            vec![],
        )[0])
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
