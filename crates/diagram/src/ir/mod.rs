//! The circuit IR: axes, array types, values (wires), parameters, operations and blocks.
//!
//! A [`Circuit`] is immutable once built (see [`crate::builder`]). Values are in SSA form:
//! each is produced by one node (or is a circuit input) and may feed several nodes, which is
//! an implicit copy; an explicit [`Op::Copy`] draws the copy dot. Nodes are stored in a valid
//! execution order, so the node list is also the left-to-right column order of a diagram.
//!
//! Every operation acts on some axes of its inputs and is broadcast over the rest
//! ([`Node::acts_on`], [`Circuit::broadcast_axes`]). A parameter is shared by the operation
//! rather than indexed by the broadcast axes: that is the paper's inner broadcasting.

mod op;

pub use op::{
    Concat, EinTerm, Einsum, Embed, Func, Gather, Linear, Mask, Norm, Op, Permute, Reduce,
    ReduceKind, Reshape, RmsNorm, Rope, Select, Sinusoid, Softmax, Split, TopK, Window, WindowAxis,
};

use crate::size::{Constraint, SizeExpr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub u32);
        impl $name {
            /// The index into the circuit's table.
            pub fn ix(self) -> usize {
                self.0 as usize
            }
        }
    };
}

id_type!(
    /// The identity of an axis. Two axes with the same name are different unless they share this.
    AxisId
);
id_type!(
    /// A value (a wire bundle: one array).
    ValueId
);
id_type!(
    /// A learned parameter tensor.
    ParamId
);
id_type!(
    /// An operation node.
    NodeId
);
id_type!(
    /// One instance (iteration) of a named block.
    BlockId
);

/// What an axis stands for; used by the checker's heuristics and by drawings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AxisKind {
    /// Batch of independent examples.
    Batch,
    /// Features or channels.
    Feature,
    /// Tokens of a sequence (queries, keys).
    Token,
    /// Spatial positions.
    Spatial,
    /// Positions inside a window (kernel offsets).
    Kernel,
    /// Attention heads or groups.
    Head,
}

impl AxisKind {
    /// Lower-case keyword used by the text format.
    pub fn keyword(self) -> &'static str {
        match self {
            AxisKind::Batch => "batch",
            AxisKind::Feature => "feature",
            AxisKind::Token => "token",
            AxisKind::Spatial => "spatial",
            AxisKind::Kernel => "kernel",
            AxisKind::Head => "head",
        }
    }
    /// Inverse of [`AxisKind::keyword`].
    pub fn from_keyword(s: &str) -> Option<AxisKind> {
        [
            AxisKind::Batch,
            AxisKind::Feature,
            AxisKind::Token,
            AxisKind::Spatial,
            AxisKind::Kernel,
            AxisKind::Head,
        ]
        .into_iter()
        .find(|k| k.keyword() == s)
    }
}

/// An axis: a name for people, an identity for the checker, and a symbolic size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Axis {
    /// Identity (index into [`Circuit::axes`]).
    pub id: AxisId,
    /// Display name, not unique.
    pub name: String,
    /// Symbolic size.
    pub size: SizeExpr,
    /// Role.
    pub kind: AxisKind,
}

/// Element type of an array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DType {
    /// Real numbers (f32 or f64 at run time).
    Real,
    /// Natural-number indices (for embeddings), stored as reals holding integers.
    Index,
}

/// An array type: element type and the axes it is indexed by.
///
/// A data type of the paper is a tuple of these: a circuit's inputs, or a node's outputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrayType {
    /// Axes in presentation order (the executor may store them in any layout).
    pub axes: Vec<AxisId>,
    /// Element type.
    pub dtype: DType,
}

/// A value: one array flowing along a wire bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Value {
    /// Identity.
    pub id: ValueId,
    /// Display name (unique within the circuit).
    pub name: String,
    /// Type.
    pub ty: ArrayType,
    /// The node producing it, or `None` for a circuit input.
    pub producer: Option<NodeId>,
}

/// How a parameter is initialised for execution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Init {
    /// Uniform in ±1/√fan_in, fan_in the product of the listed axes (PyTorch's default).
    FanIn(Vec<AxisId>),
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Standard normal.
    Normal,
    /// Every entry the same value (NCAP's ±1 constant initialisation).
    Const(f64),
}

/// A learned parameter tensor. Operations refer to it by [`ParamId`]; referring twice is sharing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Identity.
    pub id: ParamId,
    /// Display name (unique).
    pub name: String,
    /// Axes.
    pub axes: Vec<AxisId>,
    /// Initialisation.
    pub init: Init,
    /// Declared shared: used by several nodes on purpose (no warning).
    pub shared: bool,
}

/// An operation applied to values and parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Identity (also its position in execution order).
    pub id: NodeId,
    /// Display name (unique), e.g. `"block1.conv2"`.
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Input values (a tuple).
    pub inputs: Vec<ValueId>,
    /// Output values (a tuple).
    pub outputs: Vec<ValueId>,
    /// Parameters used.
    pub params: Vec<ParamId>,
    /// The innermost block instance containing this node.
    pub block: Option<BlockId>,
}

impl Node {
    /// The input axes the operation acts on; every other input axis is broadcast.
    pub fn acts_on(&self, c: &Circuit) -> Vec<AxisId> {
        let mut v: Vec<AxisId> = match &self.op {
            Op::Linear(l) => l.inputs.iter().chain(&l.groups).copied().collect(),
            Op::Einsum(e) => e
                .operands
                .iter()
                .flatten()
                .chain(&e.output)
                .map(|t| t.axis)
                .collect(),
            Op::Softmax(s) => s.over.clone(),
            Op::Reduce(r) => r.over.clone(),
            Op::Permute(p) => p.order.clone(),
            Op::Norm(n) => n.stats.iter().chain(&n.affine_axes).copied().collect(),
            Op::Window(w) => w.axes.iter().map(|w| w.input).collect(),
            Op::WindowT(w) => w.axes.iter().flat_map(|w| [w.output, w.kernel]).collect(),
            Op::Concat(k) => k.inputs.clone(),
            Op::Reshape(r) => r.from.clone(),
            Op::Mask(m) => vec![m.rows, m.cols],
            Op::Split(s) => vec![s.axis],
            Op::Gather(g) => vec![g.axis],
            Op::RmsNorm(r) => r.over.clone(),
            Op::Rope(r) => vec![r.pos, r.dim],
            Op::TopK(t) => vec![t.over],
            Op::Select(s) => vec![s.axis],
            Op::Embed(_) => c.values[self.inputs[0].ix()].ty.axes.clone(),
            Op::Map(_)
            | Op::Add
            | Op::Mul
            | Op::Copy(_)
            | Op::Constant(_)
            | Op::Sinusoid(_)
            | Op::Save(_)
            | Op::Load(_) => Vec::new(),
        };
        v.sort();
        v.dedup();
        v
    }
}

/// One instance of a named block. A block repeated N times has N instances with the same
/// `name`; drawings may collapse them into one box marked ×N.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Block {
    /// Identity.
    pub id: BlockId,
    /// Block name, e.g. `"Block(2,N)"`.
    pub name: String,
    /// Enclosing block instance.
    pub parent: Option<BlockId>,
    /// Which repetition this is (0-based).
    pub iteration: u32,
    /// How many repetitions the block has in total.
    pub repeat: u32,
    /// Whether the repetitions share their weights (declared explicitly).
    pub share_weights: bool,
    /// Nodes directly or indirectly inside, in order.
    pub nodes: Vec<NodeId>,
}

/// A complete, validated circuit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Circuit {
    /// Name.
    pub name: String,
    /// Declared size symbols and their default values.
    pub sizes: BTreeMap<String, Option<i64>>,
    /// Constraints on sizes.
    pub constraints: Vec<Constraint>,
    /// Axis table, indexed by [`AxisId`].
    pub axes: Vec<Axis>,
    /// Value table, indexed by [`ValueId`].
    pub values: Vec<Value>,
    /// Parameter table, indexed by [`ParamId`].
    pub params: Vec<Param>,
    /// Nodes in execution order, indexed by [`NodeId`].
    pub nodes: Vec<Node>,
    /// Block instances, indexed by [`BlockId`].
    pub blocks: Vec<Block>,
    /// Circuit inputs (a tuple type).
    pub inputs: Vec<ValueId>,
    /// Circuit outputs (a tuple type).
    pub outputs: Vec<ValueId>,
}

impl Circuit {
    /// The axis with this identity.
    pub fn axis(&self, a: AxisId) -> &Axis {
        &self.axes[a.ix()]
    }
    /// The value with this identity.
    pub fn value(&self, v: ValueId) -> &Value {
        &self.values[v.ix()]
    }
    /// The node with this identity.
    pub fn node(&self, n: NodeId) -> &Node {
        &self.nodes[n.ix()]
    }
    /// The parameter with this identity.
    pub fn param(&self, p: ParamId) -> &Param {
        &self.params[p.ix()]
    }
    /// Nodes consuming a value.
    pub fn consumers(&self, v: ValueId) -> Vec<NodeId> {
        self.nodes
            .iter()
            .filter(|n| n.inputs.contains(&v))
            .map(|n| n.id)
            .collect()
    }
    /// The axes of a node's inputs that it is broadcast over (not acted on).
    pub fn broadcast_axes(&self, n: NodeId) -> Vec<AxisId> {
        let node = self.node(n);
        let acts = node.acts_on(self);
        let mut out: Vec<AxisId> = Vec::new();
        for v in &node.inputs {
            for a in &self.value(*v).ty.axes {
                if !acts.contains(a) && !out.contains(a) {
                    out.push(*a);
                }
            }
        }
        out
    }
    /// A readable axis label: its name, plus `#id` when another axis has the same name.
    pub fn axis_label(&self, a: AxisId) -> String {
        let ax = self.axis(a);
        if self.axes.iter().filter(|b| b.name == ax.name).count() > 1 {
            format!("{}#{}", ax.name, a.0)
        } else {
            ax.name.clone()
        }
    }
    /// Default bindings of the size symbols.
    pub fn default_bindings(&self) -> crate::size::Bindings {
        self.sizes
            .iter()
            .filter_map(|(k, v)| v.map(|v| (k.clone(), v)))
            .collect()
    }
}
