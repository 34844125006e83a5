//! ONNX graph → typed circuit: wires, the node loop, inputs, outputs and weights.
//!
//! Every ONNX tensor becomes a [`Wire`]: a circuit value with its dimensions listed in ONNX
//! order ([`Dim`]: an axis, or a size-1 dimension the circuit does not carry), or a constant
//! known at import time (initialisers, `Constant`, folded `Shape` arithmetic). Transposes only
//! reorder that list, because circuit axes are named; operators that change axes create new
//! axes with readable names by role.

mod convt;
mod einsum;
mod elementwise;
mod fuse;
mod layers;
mod names;
mod ops;
mod select;
mod shape;

use crate::data::{Const, decode};
use crate::error::{ImportError, Unsupported};
use crate::proto::{AttributeProto, DimValue, GraphProto, ModelProto, NodeProto, ValueInfoProto};
use names::Namer;
use nc_diagram::builder::Builder;
use nc_diagram::ir::{AxisId, AxisKind, Circuit, ValueId};
use nc_diagram::size::SizeExpr;
use nc_diagram::tensor::Tensor;
pub use ops::SUPPORTED;
use prost::Message;
use std::collections::{BTreeMap, HashMap};

/// Import options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Import the graph up to the unsupported nodes instead of failing: the circuit's outputs
    /// are then the graph outputs it reaches plus the inputs of the unsupported nodes.
    pub partial: bool,
}

/// One parameter's weights, row-major in the order of the parameter's axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Weight {
    /// The parameter's name in the circuit.
    pub name: String,
    /// Its dimensions (the parameter's axes, in order).
    pub dims: Vec<usize>,
    /// Row-major f32 data.
    pub data: Vec<f32>,
}

/// An imported model: the circuit, its weights (one per parameter, in parameter order) and
/// the nodes left out by a partial import.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The typed circuit.
    pub circuit: Circuit,
    /// Weights, indexed like [`Circuit::params`].
    pub weights: Vec<Weight>,
    /// Unsupported nodes (empty unless [`Options::partial`]).
    pub skipped: Vec<Unsupported>,
    /// Per circuit input, its ONNX name; per circuit output, its ONNX name (or, for a partial
    /// import's frontier, the name of the ONNX tensor it is).
    pub input_names: Vec<String>,
    /// See `input_names`.
    pub output_names: Vec<String>,
}

impl Imported {
    /// The weights as executor parameters.
    pub fn params<T: nc_diagram::tensor::Real>(&self) -> Vec<Tensor<T>> {
        self.circuit
            .params
            .iter()
            .zip(&self.weights)
            .map(|(p, w)| {
                Tensor::from_vec(
                    p.axes.clone(),
                    w.dims.clone(),
                    w.data.iter().map(|&x| T::of(x as f64)).collect(),
                )
            })
            .collect()
    }
}

/// One dimension of a wire, in ONNX order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dim {
    /// A circuit axis.
    Axis(AxisId),
    /// A size-1 dimension that the circuit value does not carry (kept dims of a reduction,
    /// `Unsqueeze`).
    One,
}

/// A value of the circuit with its ONNX dimension order.
#[derive(Clone, Debug)]
pub(crate) struct Val {
    pub v: ValueId,
    pub dims: Vec<Dim>,
}

/// What an ONNX tensor name stands for.
#[derive(Clone, Debug)]
pub(crate) enum Wire {
    Val(Val),
    Const(Const),
}

/// Weights waiting for their parameter: data in ONNX order over `axes`.
struct Fill {
    param: String,
    axes: Vec<AxisId>,
    dims: Vec<usize>,
    data: Vec<f64>,
}

/// A node's translation failed: a model error (hard) or an unsupported form (listed).
pub(crate) enum Fail {
    Hard(ImportError),
    Unsupported(String),
}

impl From<ImportError> for Fail {
    fn from(e: ImportError) -> Self {
        Fail::Hard(e)
    }
}

impl From<nc_diagram::builder::BuildError> for Fail {
    fn from(e: nc_diagram::builder::BuildError) -> Self {
        Fail::Hard(e.into())
    }
}

pub(crate) type R<T> = Result<T, Fail>;

/// Shorthand for an unsupported form.
pub(crate) fn unsupported<T>(why: impl Into<String>) -> R<T> {
    Err(Fail::Unsupported(why.into()))
}

/// The translation state.
pub(crate) struct Importer {
    pub b: Builder,
    wires: HashMap<String, Wire>,
    fills: Vec<Fill>,
    pub names: Namer,
    pub opset: i64,
    /// Per tensor name, the operator types that read it (`""` for a graph output).
    readers: HashMap<String, Vec<String>>,
}

/// Imports an ONNX model from its bytes.
pub fn import(bytes: &[u8], opt: &Options) -> Result<Imported, ImportError> {
    let model = ModelProto::decode(bytes).map_err(|e| ImportError::Decode(e.to_string()))?;
    let graph = model.graph.as_ref().ok_or(ImportError::NoGraph)?;
    let opset = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(0, |o| o.version);
    if !(13..=21).contains(&opset) {
        return Err(ImportError::Opset(opset));
    }
    let name = names::ident(if graph.name.is_empty() {
        "onnx"
    } else {
        &graph.name
    });
    let im = Importer {
        b: Builder::new(&name),
        wires: HashMap::new(),
        fills: Vec::new(),
        names: Namer::default(),
        opset,
        readers: HashMap::new(),
    };
    im.run(graph, opt)
}

/// Imports an ONNX file; errors name the file.
pub fn import_file(path: &std::path::Path, opt: &Options) -> Result<Imported, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut m = import(&bytes, opt).map_err(|e| ImportError::InFile {
        path: path.to_path_buf(),
        source: Box::new(e),
    })?;
    // exporters name every graph alike (`main_graph`, `torch_jit`): the file says more
    if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
        m.circuit.name = names::ident(stem);
    }
    Ok(m)
}

impl Importer {
    fn run(mut self, g: &GraphProto, opt: &Options) -> Result<Imported, ImportError> {
        for t in &g.initializer {
            self.wires.insert(t.name.clone(), Wire::Const(decode(t)?));
        }
        for n in &g.node {
            for x in &n.input {
                self.readers
                    .entry(x.clone())
                    .or_default()
                    .push(n.op_type.clone());
            }
        }
        for o in &g.output {
            self.readers
                .entry(o.name.clone())
                .or_default()
                .push(String::new());
        }
        let mut input_names = Vec::new();
        for vi in &g.input {
            if self.wires.contains_key(&vi.name) {
                continue; // an initialiser listed as input (IR < 4 style)
            }
            self.input(vi)?;
            input_names.push(vi.name.clone());
        }
        let mut skipped: Vec<Unsupported> = Vec::new();
        let mut frontier: Vec<String> = Vec::new();
        let fused = fuse::find(g);
        let mut absorbed = std::collections::HashSet::new();
        for (i, n) in g.node.iter().enumerate() {
            if absorbed.contains(&i) {
                continue;
            }
            if let Some((f, nodes)) = fused.get(&i)
                && self.apply(f, i, n)?
            {
                absorbed.extend(nodes.iter().copied());
                continue;
            }
            let node_name = if n.name.is_empty() {
                format!("#{i}")
            } else {
                n.name.clone()
            };
            // a node fed by a skipped one is skipped with it, unlisted
            if n.input
                .iter()
                .any(|x| !x.is_empty() && !self.wires.contains_key(x))
            {
                let produced_later = !skipped.is_empty();
                if produced_later {
                    continue;
                }
                let missing = n.input.iter().find(|x| !self.wires.contains_key(*x));
                return Err(ImportError::Node {
                    node: node_name,
                    op_type: n.op_type.clone(),
                    why: format!(
                        "input `{}` is not a graph input, initialiser or earlier node's output",
                        missing.map_or("", |s| s.as_str())
                    ),
                });
            }
            let op_type = if n.domain.is_empty() || n.domain == "ai.onnx" {
                n.op_type.clone()
            } else {
                format!("{}.{}", n.domain, n.op_type)
            };
            let label = self.names.node(&n.name, &n.op_type, i);
            match self.node(n, &op_type, &label) {
                Ok(outs) => {
                    if outs.len() < n.output.len().min(1) {
                        return Err(ImportError::Node {
                            node: node_name,
                            op_type,
                            why: "produced no output".into(),
                        });
                    }
                    for (name, w) in n.output.iter().zip(outs) {
                        if !name.is_empty() {
                            self.wires.insert(name.clone(), w);
                        }
                    }
                }
                Err(Fail::Hard(e)) => return Err(e),
                Err(Fail::Unsupported(why)) => {
                    skipped.push(Unsupported {
                        node: node_name,
                        op_type,
                        why,
                    });
                    for x in &n.input {
                        if matches!(self.wires.get(x), Some(Wire::Val(_))) && !frontier.contains(x)
                        {
                            frontier.push(x.clone());
                        }
                    }
                }
            }
        }
        if !skipped.is_empty() && !opt.partial {
            return Err(ImportError::Unsupported(skipped));
        }
        let mut output_names = Vec::new();
        for o in g.output.iter().map(|o| &o.name).chain(&frontier) {
            if output_names.contains(o) {
                continue;
            }
            match self.wires.get(o).cloned() {
                Some(Wire::Val(v)) => {
                    self.output(o, &v)?;
                    output_names.push(o.clone());
                }
                Some(Wire::Const(_)) => {
                    return Err(ImportError::Value {
                        name: o.clone(),
                        why: "the graph output is a constant; a circuit output must be computed"
                            .into(),
                    });
                }
                None if opt.partial => {}
                None => {
                    return Err(ImportError::Value {
                        name: o.clone(),
                        why: "no node produces this graph output".into(),
                    });
                }
            }
        }
        if output_names.is_empty() {
            return Err(ImportError::Empty);
        }
        let fills = std::mem::take(&mut self.fills);
        let mut circuit = self.b.finish()?;
        self.names.finish(&mut circuit);
        // outputs carry the ONNX output names (inputs already do), unless that name is
        // taken; the text format names a value after its node, so both are renamed
        for (v, o) in circuit.outputs.clone().iter().zip(&output_names) {
            let nm = names::ident(o);
            let taken = circuit.values.iter().any(|x| x.name == nm)
                || circuit.nodes.iter().any(|x| x.name == nm);
            let Some(p) = circuit.values[v.ix()].producer else {
                continue;
            };
            if !taken && circuit.nodes[p.ix()].outputs.len() == 1 {
                circuit.values[v.ix()].name = nm.clone();
                circuit.nodes[p.ix()].name = nm;
            }
        }
        let weights = weights(&circuit, fills)?;
        Ok(Imported {
            circuit,
            weights,
            skipped,
            input_names,
            output_names,
        })
    }

    /// Translates a recognised decomposition when its input is a computed value; `false`
    /// leaves its nodes to be translated one by one.
    fn apply(&mut self, f: &fuse::Fused, at: usize, n: &NodeProto) -> Result<bool, ImportError> {
        match f {
            fuse::Fused::Gelu { x, out } => {
                let Some(Wire::Val(x)) = self.wires.get(x).cloned() else {
                    return Ok(false);
                };
                let label = self.names.node("gelu", "Gelu", at);
                let v = self.b.map(&label, x.v, nc_diagram::ir::Func::GeluErf)?;
                self.wires
                    .insert(out.clone(), Wire::Val(Val { v, dims: x.dims }));
            }
            fuse::Fused::LayerNorm {
                x,
                out,
                axes,
                eps,
                affine,
            } => {
                let Some(Wire::Val(x)) = self.wires.get(x).cloned() else {
                    return Ok(false);
                };
                let r = x.dims.len() as i64;
                let mut at_dims: Vec<usize> = Vec::new();
                for &a in axes {
                    let a = if a < 0 { a + r } else { a };
                    if !(0..r).contains(&a) {
                        return Ok(false);
                    }
                    at_dims.push(a as usize);
                }
                let stats: Vec<AxisId> = at_dims.iter().filter_map(|&i| x.dims[i].axis()).collect();
                let dims: Vec<usize> = stats
                    .iter()
                    .map(|a| self.lit(*a).unwrap_or(0) as usize)
                    .collect();
                let count: usize = dims.iter().product();
                // the gain and shift must be vectors over the normalised dims
                let affine = match affine {
                    Some((g, s)) => match (self.wires.get(g), self.wires.get(s)) {
                        (Some(Wire::Const(g)), Some(Wire::Const(s)))
                            if g.data.len() == count && s.data.len() == count =>
                        {
                            Some((g.data.clone(), s.data.clone()))
                        }
                        _ => return Ok(false),
                    },
                    None => None,
                };
                if stats.is_empty() || dims.contains(&0) {
                    return Ok(false);
                }
                // named after the module, as LayerNormalization would be (`/ln_1/ReduceMean`)
                let label = self.names.node(&n.name, &n.op_type, at);
                let v = self
                    .b
                    .norm(&label, x.v, &stats, &stats, affine.is_some(), *eps)?;
                if let Some((g, s)) = affine {
                    self.fill(format!("{label}.gain"), stats.clone(), dims.clone(), g);
                    self.fill(format!("{label}.shift"), stats, dims, s);
                }
                self.wires
                    .insert(out.clone(), Wire::Val(Val { v, dims: x.dims }));
            }
        }
        Ok(true)
    }

    /// Declares a graph input, its axes named by position and by `dim_param`.
    fn input(&mut self, vi: &ValueInfoProto) -> Result<(), ImportError> {
        let err = |why: &str| ImportError::Value {
            name: vi.name.clone(),
            why: why.into(),
        };
        let tt = vi
            .r#type
            .as_ref()
            .and_then(|t| t.tensor_type.as_ref())
            .ok_or_else(|| err("the input is not a tensor (TypeProto.tensor_type missing)"))?;
        if tt.elem_type != crate::proto::dtype::FLOAT && tt.elem_type != crate::proto::dtype::DOUBLE
        {
            return Err(err(&format!(
                "elem_type {} is not read; inputs must be float or double",
                tt.elem_type
            )));
        }
        let shape = tt
            .shape
            .as_ref()
            .ok_or_else(|| err("the input has no shape"))?;
        let rank = shape.dim.len();
        let mut axes = Vec::with_capacity(rank);
        for (i, d) in shape.dim.iter().enumerate() {
            let kind = names::input_kind(rank, i);
            let a = match &d.value {
                Some(DimValue::DimValue(n)) if *n >= 1 => {
                    let nm = self.names.axis(kind, rank, i);
                    self.b.axis_expr(&nm, SizeExpr::Lit(*n), kind)
                }
                Some(DimValue::DimParam(p)) if !p.is_empty() => {
                    let sym = names::ident(p);
                    self.b.size(&sym, Some(1));
                    let nm = self.names.fresh(&sym);
                    self.b.axis_expr(&nm, SizeExpr::Sym(sym), kind)
                }
                Some(DimValue::DimValue(n)) => {
                    return Err(err(&format!("dimension {i} is {n}; sizes must be ≥ 1")));
                }
                _ => {
                    return Err(err(&format!(
                        "dimension {i} has neither a value nor a name"
                    )));
                }
            };
            axes.push(a);
        }
        let v = self.b.input(&names::ident(&vi.name), &axes);
        self.wires.insert(
            vi.name.clone(),
            Wire::Val(Val {
                v,
                dims: axes.into_iter().map(Dim::Axis).collect(),
            }),
        );
        Ok(())
    }

    /// Declares an output, transposed into ONNX order when the circuit holds it otherwise.
    fn output(&mut self, name: &str, w: &Val) -> Result<(), ImportError> {
        let want: Vec<AxisId> = w.dims.iter().filter_map(|d| d.axis()).collect();
        let mut v = w.v;
        if self.b.circuit().value(v).ty.axes != want {
            let label = self
                .names
                .fresh(&format!("{}.to_onnx_order", names::ident(name)));
            v = self.b.permute(&label, v, &want)?;
        }
        self.b.output(v);
        Ok(())
    }

    // ---------------------------------------------------------------- helpers for ops

    /// The wire of a node's input `i` (missing optional inputs are `None`).
    pub(crate) fn wire(&self, n: &NodeProto, i: usize) -> Option<&Wire> {
        n.input
            .get(i)
            .filter(|s| !s.is_empty())
            .and_then(|s| self.wires.get(s))
    }

    /// Input `i` as a circuit value.
    pub(crate) fn val(&self, n: &NodeProto, i: usize) -> R<Val> {
        match self.wire(n, i) {
            Some(Wire::Val(v)) => Ok(v.clone()),
            Some(Wire::Const(_)) => unsupported(format!(
                "input {i} is a constant; the importer reads it only as a computed value here"
            )),
            None => Err(node_err(n, format!("input {i} is missing"))),
        }
    }

    /// Input `i` as a constant.
    pub(crate) fn konst(&self, n: &NodeProto, i: usize) -> R<Const> {
        match self.wire(n, i) {
            Some(Wire::Const(c)) => Ok(c.clone()),
            Some(Wire::Val(_)) => unsupported(format!(
                "input {i} is computed; the importer needs it constant (an initialiser)"
            )),
            None => Err(node_err(n, format!("input {i} is missing"))),
        }
    }

    /// Whether the tensor `name` is read, and only by softmaxes.
    pub(crate) fn only_softmax_reads(&self, name: &str) -> bool {
        self.readers
            .get(name)
            .is_some_and(|r| !r.is_empty() && r.iter().all(|op| op == "Softmax"))
    }

    /// The literal size of an axis.
    pub(crate) fn lit(&self, a: AxisId) -> Option<i64> {
        self.b.circuit().axes[a.ix()].size.as_lit()
    }

    /// The literal size of a dim (1 for [`Dim::One`]).
    pub(crate) fn dim_lit(&self, d: Dim) -> Option<i64> {
        match d {
            Dim::Axis(a) => self.lit(a),
            Dim::One => Some(1),
        }
    }

    /// The symbolic size of a dim.
    pub(crate) fn dim_size(&self, d: Dim) -> SizeExpr {
        match d {
            Dim::Axis(a) => self.b.circuit().axes[a.ix()].size.clone(),
            Dim::One => SizeExpr::Lit(1),
        }
    }

    /// The kind of an axis.
    pub(crate) fn kind(&self, a: AxisId) -> AxisKind {
        self.b.circuit().axes[a.ix()].kind
    }

    /// A new axis named by role.
    pub(crate) fn new_axis(&mut self, base: &str, size: SizeExpr, kind: AxisKind) -> AxisId {
        let nm = self.names.fresh(base);
        self.b.axis_expr(&nm, size, kind)
    }

    /// Queues weights for the parameter `param`, given in ONNX order over `axes`.
    pub(crate) fn fill(
        &mut self,
        param: String,
        axes: Vec<AxisId>,
        dims: Vec<usize>,
        data: Vec<f64>,
    ) {
        self.fills.push(Fill {
            param,
            axes,
            dims,
            data,
        });
    }

    /// The axes of the parameter called `name` (just created by the builder).
    pub(crate) fn param_axes(&self, name: &str) -> R<Vec<AxisId>> {
        self.b
            .circuit()
            .params
            .iter()
            .rev()
            .find(|p| p.name == name)
            .map(|p| p.axes.clone())
            .ok_or_else(|| {
                Fail::Hard(ImportError::Value {
                    name: name.into(),
                    why: "the builder made no parameter of this name (an importer bug)".into(),
                })
            })
    }
}

impl Dim {
    /// The axis, unless size 1 and not carried.
    pub(crate) fn axis(self) -> Option<AxisId> {
        match self {
            Dim::Axis(a) => Some(a),
            Dim::One => None,
        }
    }
}

/// A node error with the node's name and operator.
pub(crate) fn node_err(n: &NodeProto, why: impl Into<String>) -> Fail {
    Fail::Hard(ImportError::Node {
        node: n.name.clone(),
        op_type: n.op_type.clone(),
        why: why.into(),
    })
}

/// The attribute `name` of a node.
pub(crate) fn attr<'a>(n: &'a NodeProto, name: &str) -> Option<&'a AttributeProto> {
    n.attribute.iter().find(|a| a.name == name)
}

/// An integer attribute with a default.
pub(crate) fn attr_i(n: &NodeProto, name: &str, default: i64) -> i64 {
    attr(n, name).map_or(default, |a| a.i)
}

/// A float attribute with a default.
pub(crate) fn attr_f(n: &NodeProto, name: &str, default: f32) -> f32 {
    attr(n, name).map_or(default, |a| a.f)
}

/// An integer-list attribute, if present.
pub(crate) fn attr_ints(n: &NodeProto, name: &str) -> Option<Vec<i64>> {
    attr(n, name).map(|a| a.ints.clone())
}

/// A string attribute, if present.
pub(crate) fn attr_s(n: &NodeProto, name: &str) -> Option<String> {
    attr(n, name).map(|a| String::from_utf8_lossy(&a.s).into_owned())
}

/// Normalises a possibly negative axis index against `rank`.
pub(crate) fn norm_axis(n: &NodeProto, axis: i64, rank: usize) -> R<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        Ok(a as usize)
    } else {
        Err(node_err(
            n,
            format!("axis {axis} is out of range for rank {rank}"),
        ))
    }
}

/// Lays every queued weight out in its parameter's axis order; every parameter must have one.
fn weights(c: &Circuit, fills: Vec<Fill>) -> Result<Vec<Weight>, ImportError> {
    let mut by_name: BTreeMap<String, Fill> = BTreeMap::new();
    for f in fills {
        by_name.insert(f.param.clone(), f);
    }
    c.params
        .iter()
        .map(|p| {
            let f = by_name.remove(&p.name).ok_or_else(|| ImportError::Value {
                name: p.name.clone(),
                why: "no weights were imported for this parameter (an importer bug)".into(),
            })?;
            let t = Tensor::from_vec(f.axes, f.dims, f.data).to_layout(&p.axes);
            Ok(Weight {
                name: p.name.clone(),
                dims: t.dims.clone(),
                data: t.data.iter().map(|&x| x as f32).collect(),
            })
        })
        .collect()
}
