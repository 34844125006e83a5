//! The operations of the IR: one enum, and one struct per operation that has data.

use super::AxisId;
use crate::size::SizeExpr;
use serde::{Deserialize, Serialize};

/// Elementwise functions ℝ → ℝ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Func {
    /// max(x, 0).
    Relu,
    /// tanh.
    Tanh,
    /// 1/(1+e^−x).
    Sigmoid,
    /// GELU, tanh approximation (`nn.GELU(approximate="tanh")`).
    Gelu,
    /// GELU, exact: `x·Φ(x) = ½x(1 + erf(x/√2))` (`nn.GELU()`, ONNX `Gelu`).
    GeluErf,
    /// SiLU (swish): `x·σ(x)`.
    Silu,
    /// The error function.
    Erf,
    /// √x.
    Sqrt,
    /// 1/√x.
    Rsqrt,
    /// 1/x.
    Reciprocal,
    /// sin.
    Sin,
    /// cos.
    Cos,
    /// e^x.
    Exp,
    /// x².
    Square,
    /// c·x.
    Scale(f64),
    /// x · size^power, e.g. `k^{-1/2}` in attention.
    ScaleBySize(SizeExpr, f64),
}

impl Func {
    /// The maps without data, each with its text-format name.
    pub const NAMED: [Func; 14] = [
        Func::Relu,
        Func::Tanh,
        Func::Sigmoid,
        Func::Gelu,
        Func::GeluErf,
        Func::Silu,
        Func::Erf,
        Func::Exp,
        Func::Square,
        Func::Sqrt,
        Func::Rsqrt,
        Func::Reciprocal,
        Func::Sin,
        Func::Cos,
    ];

    /// The map without data named `name` in the text format (`gelu_tanh` is `gelu`).
    pub fn named(name: &str) -> Option<Func> {
        if name == "gelu_tanh" {
            return Some(Func::Gelu);
        }
        Func::NAMED.iter().find(|f| f.name() == name).cloned()
    }

    /// Short name used in messages, drawings and the text format.
    pub fn name(&self) -> String {
        match self {
            Func::Relu => "relu".into(),
            Func::Tanh => "tanh".into(),
            Func::Sigmoid => "sigmoid".into(),
            Func::Gelu => "gelu".into(),
            Func::GeluErf => "gelu_erf".into(),
            Func::Silu => "silu".into(),
            Func::Erf => "erf".into(),
            Func::Sqrt => "sqrt".into(),
            Func::Rsqrt => "rsqrt".into(),
            Func::Reciprocal => "reciprocal".into(),
            Func::Sin => "sin".into(),
            Func::Cos => "cos".into(),
            Func::Exp => "exp".into(),
            Func::Square => "square".into(),
            Func::Scale(c) => format!("scale({c})"),
            Func::ScaleBySize(e, p) => format!("scale({e}^{p})"),
        }
    }
}

/// Reductions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReduceKind {
    /// Σ.
    Sum,
    /// 𝔼 (mean).
    Mean,
    /// Max.
    Max,
}

/// One spatial axis of a window (★) operation.
///
/// Output position `o` and kernel offset `k` read input position `stride·o + dilation·k − padding`
/// (zero outside the input).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowAxis {
    /// Input spatial axis.
    pub input: AxisId,
    /// Output spatial axis.
    pub output: AxisId,
    /// Kernel-offset axis.
    pub kernel: AxisId,
    /// Stride.
    pub stride: i64,
    /// Dilation.
    pub dilation: i64,
    /// Zero padding on each side.
    pub padding: i64,
}

/// One operand term of an einsum signature: an operand's axis, split into parts when grouped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EinTerm {
    /// The axis on the wire.
    pub axis: AxisId,
    /// The axes it is viewed as (row-major); `[axis]` when not grouped.
    pub parts: Vec<AxisId>,
}

/// Operations. Inputs and parameters are listed on the [`Node`](super::Node).
///
/// Each operation with data has its own struct, which is what its kernel receives: the
/// executor, backprop and cost model match on this enum once, in `ops`, and every kernel
/// works on its own type. Adding an operation is a struct here, a variant, and a module in
/// `ops` implementing its forward, backward and cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Learned linear map.
    Linear(Linear),
    /// Einsum contraction.
    Einsum(Einsum),
    /// Elementwise function.
    Map(Func),
    /// Sum of two values; the second may lack axes of the first (broadcast). A residual is an add.
    Add,
    /// Elementwise product, broadcasting the second like [`Op::Add`].
    Mul,
    /// Softmax.
    Softmax(Softmax),
    /// Normalisation.
    Norm(Norm),
    /// Reduction over axes.
    Reduce(Reduce),
    /// Copy into `n` outputs (the copy dot Δ).
    Copy(usize),
    /// Window ★: unfolds spatial axes into (output position, kernel offset) pairs.
    Window(Window),
    /// Transposed window ★ᵀ: sums kernel offsets back onto spatial positions (up-sampling).
    WindowT(Window),
    /// Concatenation.
    Concat(Concat),
    /// Row-major reshape.
    Reshape(Reshape),
    /// Transpose (wire crossing).
    Permute(Permute),
    /// Embedding lookup.
    Embed(Embed),
    /// A constant array.
    Constant(f64),
    /// Saves a value under a name (`→C_λ`); the output is the same value.
    Save(String),
    /// Loads a saved value (`C_λ→`); the input is the saved value.
    Load(String),
    /// A band mask over two axes: entries outside the band become −∞ (a causal mask before
    /// a softmax).
    Mask(Mask),
    /// Splits an axis into consecutive parts, one output each (the inverse of a concat).
    Split(Split),
    /// Gathers entries of a value along one axis at the positions an index value holds.
    Gather(Gather),
    /// Root-mean-square normalisation with a learned gain.
    RmsNorm(RmsNorm),
    /// Rotary position embedding.
    Rope(Rope),
    /// Keeps the k largest entries along an axis, −∞ elsewhere (top-k routing).
    TopK(TopK),
    /// One position of an axis, which the output loses (a ViT's class token).
    Select(Select),
    /// The transformer's fixed sinusoidal position table over (positions, features).
    Sinusoid(Sinusoid),
}

/// `y[rest] = x[index, rest]`: position `index` of `axis`, which the output no longer has
/// (`x.select(dim, index)`; the class token of a ViT is position 0 of the tokens). Linear:
/// its backward puts the gradient back at that position and zeros elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Select {
    /// The axis indexed (and removed).
    pub axis: AxisId,
    /// The position kept, from 0; it must be below the axis's size.
    pub index: usize,
}

/// The fixed sinusoidal positions of "Attention is all you need" over (`pos`, `dim`), no
/// input: entry (p, 2i) is `sin(p · base^(−2i/d))` and (p, 2i + 1) is `cos(p · base^(−2i/d))`,
/// d the (even) size of `dim`. A constant: it has no gradient.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sinusoid {
    /// The position (token) axis.
    pub pos: AxisId,
    /// The feature axis the sines and cosines alternate along.
    pub dim: AxisId,
    /// The frequency base (10000 in the transformer).
    pub base: f64,
}

/// Keeps the `k` largest entries of each row along `over` (ties go to the lower index) and
/// sets the rest to −∞: followed by a softmax over `over`, these are Mixtral's routing weights
/// (the softmax of the router logits, restricted to the top k and renormalised).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopK {
    /// The axis selected along (the experts).
    pub over: AxisId,
    /// How many entries are kept.
    pub k: usize,
}

/// Rotary position embedding in the rotate-half form (LLaMA, GPT-NeoX): along `dim` (size
/// d, even), entry `j < d/2` pairs with `j + d/2`, and the pair at position `p` of `pos` is
/// rotated by the angle `p · base^(−2j/d)`. Linear in its input; it stores nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rope {
    /// The position (token) axis.
    pub pos: AxisId,
    /// The rotated (head-dimension) axis.
    pub dim: AxisId,
    /// The frequency base (10000 in LLaMA).
    pub base: f64,
}

/// RMSNorm: `y = g ⊙ x / √(mean_over(x²) + eps)`, the gain `g` (param `NAME.gain`, init
/// ones) over the `over` axes; no centring, no shift (`torch.nn.RMSNorm`, LLaMA).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RmsNorm {
    /// The normalised axes (also the gain's).
    pub over: Vec<AxisId>,
    /// Added to the mean square.
    pub eps: f64,
}

/// `y[i…, rest] = x[idx[i…], rest]`: the first input's `axis` is replaced by the axes of the
/// second input, an index value (ONNX `Gather`, `torch.index_select`; an embedding lookup
/// whose table is a value rather than a parameter). The indices get no gradient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gather {
    /// The axis of the first input that is indexed.
    pub axis: AxisId,
}

/// Splits `axis` into `parts` (sizes adding up to its size), in order: output `i` has
/// `parts[i]` where the input has `axis` (a fused QKV projection split in three).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// The split axis.
    pub axis: AxisId,
    /// The axis of each part.
    pub parts: Vec<AxisId>,
}

/// Keeps the entries whose offset `col − row` lies in `[−below, above]` (an omitted bound is
/// unbounded) and sets the others to −∞, so a following softmax gives them weight 0.
/// Causal attention over queries `t` and keys `s`: rows `t`, cols `s`, `above = 0`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mask {
    /// The row axis (queries).
    pub rows: AxisId,
    /// The column axis (keys).
    pub cols: AxisId,
    /// How many diagonals below the main one are kept; `None`: all.
    pub below: Option<i64>,
    /// How many diagonals above the main one are kept; `None`: all. Causal: `Some(0)`.
    pub above: Option<i64>,
}

impl Mask {
    /// Whether entry (`row`, `col`) is kept.
    pub fn keeps(&self, row: usize, col: usize) -> bool {
        let d = col as i64 - row as i64;
        self.below.is_none_or(|b| d >= -b) && self.above.is_none_or(|a| d <= a)
    }
}

/// Learned linear map from `inputs` axes to `outputs` axes, broadcast over the rest.
/// Params: weight over `groups ++ inputs ++ outputs`, then the bias over `groups ++ outputs`
/// if `bias`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Linear {
    /// Contracted input axes.
    pub inputs: Vec<AxisId>,
    /// New output axes (appended after the broadcast axes).
    pub outputs: Vec<AxisId>,
    /// Axes of the input that index the weight instead of being broadcast (grouped
    /// convolution, per-head maps); they are kept on the output.
    pub groups: Vec<AxisId>,
    /// Whether a bias is added (`L₊`).
    pub bias: bool,
}

/// Einsum contraction. Axes not named in the signature are broadcast (kept, in front).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Einsum {
    /// The signature as written, e.g. `"y k h, x k h -> y x h"`.
    pub signature: String,
    /// Per operand, its terms.
    pub operands: Vec<Vec<EinTerm>>,
    /// Output terms.
    pub output: Vec<EinTerm>,
}

/// Softmax normalised over the given axes jointly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Softmax {
    /// The normalised axes.
    pub over: Vec<AxisId>,
}

/// Normalisation: statistics over `stats`, affine parameters over `affine_axes`.
/// Layer norm: `stats == affine_axes` = feature axes; batch norm: stats over everything but
/// the channel, affine over the channel. Params: gain then shift when `affine`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Norm {
    /// Axes the mean and variance are taken over.
    pub stats: Vec<AxisId>,
    /// Axes of the gain and shift.
    pub affine_axes: Vec<AxisId>,
    /// Whether gain and shift are learned.
    pub affine: bool,
    /// Variance floor.
    pub eps: f64,
}

/// Reduction of the `over` axes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "(ReduceKind, Vec<AxisId>)", into = "(ReduceKind, Vec<AxisId>)")]
pub struct Reduce {
    /// Σ, 𝔼 or Max.
    pub kind: ReduceKind,
    /// The reduced axes.
    pub over: Vec<AxisId>,
}

impl From<(ReduceKind, Vec<AxisId>)> for Reduce {
    fn from((kind, over): (ReduceKind, Vec<AxisId>)) -> Self {
        Reduce { kind, over }
    }
}

impl From<Reduce> for (ReduceKind, Vec<AxisId>) {
    fn from(r: Reduce) -> Self {
        (r.kind, r.over)
    }
}

/// The geometry of a window ★ or its transpose ★ᵀ, one entry per spatial axis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Window {
    /// The spatial axes.
    pub axes: Vec<WindowAxis>,
}

/// Concatenation of the inputs along `inputs[i]`, giving axis `output`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concat {
    /// The concatenated axis of each input, in order.
    pub inputs: Vec<AxisId>,
    /// The result axis.
    pub output: AxisId,
}

/// Row-major reshape of the axes `from` into `to` (flatten, split heads).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reshape {
    /// Axes removed.
    pub from: Vec<AxisId>,
    /// Axes added.
    pub to: Vec<AxisId>,
}

/// Transpose (wire crossing) into `order`. Named axes make this a no-op at run time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permute {
    /// The axes in their new order.
    pub order: Vec<AxisId>,
}

/// Embedding lookup: an index array selects rows of the table parameter (vocab × features).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Embed {
    /// Vocabulary axis of the table.
    pub vocab: AxisId,
    /// Feature axes of the table.
    pub features: Vec<AxisId>,
}

impl Op {
    /// Short kind name used in messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Linear(_) => "linear",
            Op::Einsum(_) => "einsum",
            Op::Map(_) => "map",
            Op::Add => "add",
            Op::Mul => "mul",
            Op::Softmax(_) => "softmax",
            Op::Norm(_) => "norm",
            Op::Reduce(_) => "reduce",
            Op::Copy(_) => "copy",
            Op::Window(_) => "window",
            Op::WindowT(_) => "window_t",
            Op::Concat(_) => "concat",
            Op::Reshape(_) => "reshape",
            Op::Permute(_) => "permute",
            Op::Embed(_) => "embed",
            Op::Constant(_) => "constant",
            Op::Save(_) => "save",
            Op::Load(_) => "load",
            Op::Mask(_) => "mask",
            Op::Split(_) => "split",
            Op::Gather(_) => "gather",
            Op::RmsNorm(_) => "rmsnorm",
            Op::Rope(_) => "rope",
            Op::TopK(_) => "topk",
            Op::Select(_) => "select",
            Op::Sinusoid(_) => "sinusoid",
        }
    }
    /// Whether the operation is linear in its (first) input: its backward needs no stored input.
    pub fn is_linear(&self) -> bool {
        match self {
            Op::Linear(_)
            | Op::Add
            | Op::Copy(_)
            | Op::Window(_)
            | Op::WindowT(_)
            | Op::Concat(_)
            | Op::Reshape(_)
            | Op::Permute(_)
            | Op::Save(_)
            | Op::Load(_)
            | Op::Mask(_)
            | Op::Split(_)
            | Op::Gather(_)
            | Op::Select(_)
            | Op::Rope(_) => true,
            // the kept positions depend on the input, which the backward reads
            Op::TopK(_) => false,
            Op::Reduce(r) => matches!(r.kind, ReduceKind::Sum | ReduceKind::Mean),
            Op::Einsum(_)
            | Op::Map(_)
            | Op::Mul
            | Op::Softmax(_)
            | Op::Norm(_)
            | Op::RmsNorm(_)
            | Op::Embed(_)
            | Op::Sinusoid(_)
            | Op::Constant(_) => false,
        }
    }
}
