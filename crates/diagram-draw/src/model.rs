//! The layout model: what a diagram shows, independent of the circuit IR.
//!
//! A [`Diagram`] is a table of wires (one per axis) and a tree of [`Item`]s: operations that
//! consume some live wires and produce new ones, and named blocks that group items. Build it
//! with [`Builder`]; the layout engine decides every coordinate.

/// Identifies one wire (one axis over one stretch of the diagram).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WireId(pub usize);

/// One wire: an axis with its size label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wire {
    /// Size label, e.g. `m` or `x̄ = 28`.
    pub label: String,
    /// A tuple of axes treated as one (spatial or token axes), drawn as a double wire.
    pub double: bool,
    /// Tuple member the wire belongs to; dashed separators fall between members.
    pub segment: u32,
    /// The circuit axes the wire carries, by id (empty in a hand-built diagram). Labels are
    /// keyed by these: two wires of one axis share a label, two axes never do.
    pub axes: Vec<u32>,
}

/// A circuit axis as the legend shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxisInfo {
    /// The axis's unique id in its circuit.
    pub id: u32,
    /// Its display name (not unique; drawings disambiguate).
    pub name: String,
    /// Its size formula, simplified ([`crate::formula::pretty`]).
    pub formula: String,
    /// Its size at the drawn (default) sizes, when every symbol has a default.
    pub size: Option<i64>,
}

/// FLOPs and bytes kept for backward of one operation, summed over blocks for their boxes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Forward FLOPs.
    pub flops: u128,
    /// Bytes kept for the backward pass.
    pub kept: u128,
}

/// What an operation is, which decides its pictogram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Linear map; `bias` draws `L₊`, `name` is the superscript (`Q`, `K`, ...).
    Linear {
        /// Whether the map has a bias.
        bias: bool,
        /// Superscript name, possibly empty.
        name: String,
    },
    /// Einsum-style contraction drawn as wiring: `axes_in[i]` names each input wire's index
    /// letter, `axes_out` each output's. Shared letters in inputs and output become dots,
    /// letters missing from the output become cups.
    Contract {
        /// Index letter per input wire.
        axes_in: Vec<String>,
        /// Index letter per output wire.
        axes_out: Vec<String>,
        /// Operations on single wires drawn inside the frame (see [`Mark`]).
        marks: Vec<Mark>,
    },
    /// Elementwise function, e.g. `R` for ReLU.
    Elementwise(String),
    /// Softmax over the wires it touches (◁).
    Softmax,
    /// Layer normalisation over the wires it touches (○).
    Norm,
    /// Batch normalisation: statistics over the batch too (○ with `b` inside).
    BatchNorm,
    /// Reduction: `Max`, `𝔼` (mean) or `Σ`.
    Reduce(String),
    /// Scaling by a constant such as `k^-1/2`.
    Scale(String),
    /// The window operation ★ (or ★ᵀ): kernel size, stride, learned when bold.
    Window {
        /// Kernel size label, e.g. `3`.
        kernel: String,
        /// Stride label, e.g. `2`; empty for stride one.
        stride: String,
        /// Dilation label, e.g. `2`; empty for none.
        dilation: String,
        /// Group count of a grouped convolution; empty for none.
        groups: String,
        /// The transposed window ★ᵀ.
        transposed: bool,
    },
    /// Reshape, flatten or concatenation: a thick bar.
    Reshape,
    /// Concatenation along one axis, as the paper draws it (Fig. 27, "Concat (Diagonalize)"):
    /// the wires every input shares (`shared_in`, `shared_out`) meet at a dot, the
    /// concatenated ones at a bar.
    Concat {
        /// Per input wire, whether it is a shared axis.
        shared_in: Vec<bool>,
        /// Per output wire, whether it is a shared axis.
        shared_out: Vec<bool>,
    },
    /// Copy (Δ): every input wire is duplicated; drawn as dots.
    Copy,
    /// Addition of two tuple members of equal type: drawn as dots and `+`.
    Add,
    /// Save to memory: the wires end at `→ name`.
    Save(String),
    /// Load from memory: the wires start at `name →`.
    Load(String),
    /// Any other named operation drawn as a labelled box.
    Other(String),
    /// A collapsed named block: a 3-D box with its name and parameters.
    Collapsed {
        /// Block name with parameters, e.g. `Block(2,N)`.
        name: String,
        /// Repeat count shown as `×N`, if any.
        repeat: Option<String>,
    },
}

/// An operation drawn on a wire of a contraction's frame rather than as a box of its own, as
/// the paper's Figs. 20 and 28 draw the scale `*k^-1/2` as an arrow on the scores and the
/// softmax ◁ on the wire that returns to the second contraction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// On an output port (after the contraction); otherwise on an input port (before it).
    pub output: bool,
    /// The port, top to bottom.
    pub port: usize,
    /// The operation: [`OpKind::Scale`] or [`OpKind::Softmax`].
    pub kind: OpKind,
}

/// One operation placed in the diagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// Pictogram choice.
    pub kind: OpKind,
    /// Has weights: drawn bold.
    pub learned: bool,
    /// Wires consumed, in port order top to bottom.
    pub inputs: Vec<WireId>,
    /// Wires produced, in port order top to bottom.
    pub outputs: Vec<WireId>,
    /// Cost overlay text (FLOPs, memory), one line each.
    pub cost: Vec<String>,
    /// The other wires of the values the operation acts on, which pass by its box (the axes
    /// it is broadcast over). An operation reading any wire another one touches depends on
    /// it, so the two never share a column: see [`Op::independent`].
    pub through: Vec<WireId>,
    /// Its cost as numbers, when the cost overlay is on.
    pub tally: Option<Tally>,
    /// Which operations on other axes of the same value it commutes with.
    pub commute: Commute,
}

/// How an operation commutes with another acting on other axes of the same value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Commute {
    /// With none: a `Max`, a softmax or an affine map changes what comes after it.
    #[default]
    Never,
    /// With linear maps on other axes (a bias-free linear map, a window, a sum).
    Linear,
    /// With anything broadcast over the axes it relabels (a reshape or transpose).
    Relabel,
}

impl Op {
    /// Every wire the operation touches: consumed, produced, or passing by as part of a value
    /// it acts on.
    pub fn touches(&self) -> impl Iterator<Item = &WireId> {
        self.inputs.iter().chain(&self.outputs).chain(&self.through)
    }

    /// Whether the order of two operations does not matter, so they may share a column or
    /// pass each other: they lie on independent branches (they touch no wire in common), or
    /// they act on different axes of one value and commute there, as the paper slides a
    /// linear map past broadcasting (two linear maps, or a relabelling of axes the other is
    /// broadcast over). An affine map over `c` after a `Max` over the kernel axes of the
    /// same value is not independent of it, though it reads none of the wires the `Max`
    /// produces.
    #[must_use]
    pub fn independent(&self, other: &Op) -> bool {
        let mine: Vec<&WireId> = self.touches().collect();
        if other.touches().all(|w| !mine.contains(&w)) {
            return true;
        }
        let acted =
            |o: &Op| -> Vec<WireId> { o.inputs.iter().chain(&o.outputs).copied().collect() };
        let (a, b) = (acted(self), acted(other));
        let apart = a.iter().all(|w| !b.contains(w));
        let commute = matches!(self.commute, Commute::Relabel)
            || matches!(other.commute, Commute::Relabel)
            || (self.commute == Commute::Linear && other.commute == Commute::Linear);
        apart && commute
    }
}

/// How a block repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Repeat {
    /// Drawn `×N`.
    Times(String),
    /// Large parentheses labelled `λ = lo … hi`.
    Lambda {
        /// Lowest index.
        lo: String,
        /// Highest index.
        hi: String,
    },
}

/// A named group of items that can be drawn expanded or collapsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Name shown as the title or on the collapsed box.
    pub name: String,
    /// Parameters shown after the name when collapsed, e.g. `(s,N)`.
    pub params: String,
    /// Repetition, if any.
    pub repeat: Option<Repeat>,
    /// Wires entering the block.
    pub inputs: Vec<WireId>,
    /// Wires leaving the block (produced inside it, or passed through), in order.
    pub outputs: Vec<WireId>,
    /// Contents, in order.
    pub body: Vec<Item>,
    /// Whether to draw the contents; otherwise a single 3-D box.
    pub expanded: bool,
    /// Cost overlay text for the collapsed box.
    pub cost: Vec<String>,
}

/// An element of the diagram's item tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// One operation.
    Op(Op),
    /// A named block.
    Block(Block),
    /// A transpose: the listed wires take the listed order (drawn as crossings).
    Permute(Vec<WireId>),
}

/// A whole diagram: wires, inputs and items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagram {
    /// Title drawn above.
    pub title: String,
    /// Every wire ever created, indexed by [`WireId`].
    pub wires: Vec<Wire>,
    /// Wires present at the left edge, top to bottom.
    pub inputs: Vec<WireId>,
    /// Items in order.
    pub items: Vec<Item>,
    /// Legend lines of a hand-built diagram: size formulas.
    pub legend: Vec<String>,
    /// The axes a circuit's wires carry, for labels and the legend (see [`Wire::axes`]).
    pub axes: Vec<AxisInfo>,
    /// The circuit's size symbols: no axis of another size is labelled with one of them.
    pub symbols: Vec<String>,
}

impl Diagram {
    /// The wire with this id, if it exists.
    #[must_use]
    pub fn wire(&self, id: WireId) -> Option<&Wire> {
        self.wires.get(id.0)
    }
}

/// Builds a [`Diagram`] item by item.
///
/// ```
/// use nc_diagram_draw::model::{Builder, OpKind};
/// let mut b = Builder::new("tiny");
/// let x = b.input(&["m"]);
/// let y = b.op(OpKind::Elementwise("R".into()), false, &x, &["m"]);
/// assert_eq!(y.len(), 1);
/// let d = b.finish();
/// assert_eq!(d.wires.len(), 2);
/// ```
#[derive(Debug)]
pub struct Builder {
    diagram: Diagram,
    next_segment: u32,
    stack: Vec<Block>,
}

/// A wire label; a leading `=` marks a double wire (a tuple of axes), e.g. `"=x̄"`.
fn parse_label(label: &str) -> (String, bool) {
    match label.strip_prefix('=') {
        Some(rest) => (rest.to_owned(), true),
        None => (label.to_owned(), false),
    }
}

impl Builder {
    /// Starts an empty diagram with a title.
    #[must_use]
    pub fn new(title: &str) -> Self {
        Self {
            diagram: Diagram {
                title: title.to_owned(),
                ..Diagram::default()
            },
            next_segment: 0,
            stack: Vec::new(),
        }
    }

    /// Creates wires forming one new tuple member. A label starting with `=` is a double wire.
    pub fn wires(&mut self, labels: &[&str]) -> Vec<WireId> {
        let seg = self.next_segment;
        self.next_segment += 1;
        labels
            .iter()
            .map(|l| {
                let (label, double) = parse_label(l);
                self.diagram.wires.push(Wire {
                    label,
                    double,
                    segment: seg,
                    axes: Vec::new(),
                });
                WireId(self.diagram.wires.len() - 1)
            })
            .collect()
    }

    /// Adds an input tuple member at the left edge.
    pub fn input(&mut self, labels: &[&str]) -> Vec<WireId> {
        let ids = self.wires(labels);
        self.diagram.inputs.extend(&ids);
        ids
    }

    /// Adds a size formula to the legend.
    pub fn legend(&mut self, line: &str) {
        self.diagram.legend.push(line.to_owned());
    }

    fn push(&mut self, item: Item) {
        match self.stack.last_mut() {
            Some(b) => b.body.push(item),
            None => self.diagram.items.push(item),
        }
    }

    /// Adds an operation producing one new tuple member; returns its wires.
    pub fn op(
        &mut self,
        kind: OpKind,
        learned: bool,
        inputs: &[WireId],
        outputs: &[&str],
    ) -> Vec<WireId> {
        // an operation stays inside the tuple member it acts on
        let seg = inputs
            .first()
            .and_then(|w| self.diagram.wire(*w))
            .map(|w| w.segment);
        let out = self.wires(outputs);
        if let Some(seg) = seg {
            for w in &out {
                self.diagram.wires[w.0].segment = seg;
            }
        }
        self.op_with(kind, learned, inputs, &out);
        out
    }

    /// Adds an operation whose output wires already exist (see [`Builder::wires`]).
    pub fn op_with(&mut self, kind: OpKind, learned: bool, inputs: &[WireId], outputs: &[WireId]) {
        self.push(Item::Op(Op {
            kind,
            learned,
            inputs: inputs.to_vec(),
            outputs: outputs.to_vec(),
            cost: Vec::new(),
            through: Vec::new(),
            tally: None,
            commute: Commute::Never,
        }));
    }

    /// Copies wires: returns the second copy's wires (the first copy keeps new ids too).
    pub fn copy(&mut self, inputs: &[WireId]) -> (Vec<WireId>, Vec<WireId>) {
        let labels: Vec<String> = inputs.iter().map(|w| self.label_of(*w)).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let a = self.wires(&refs);
        let b = self.wires(&refs);
        if let Some(seg) = inputs
            .first()
            .and_then(|w| self.diagram.wire(*w))
            .map(|w| w.segment)
        {
            for w in &a {
                self.diagram.wires[w.0].segment = seg;
            }
        }
        let mut out = a.clone();
        out.extend(&b);
        self.op_with(OpKind::Copy, false, inputs, &out);
        (a, b)
    }

    /// Adds two equal-typed tuple members; returns the sum's wires.
    pub fn add(&mut self, a: &[WireId], b: &[WireId]) -> Vec<WireId> {
        let labels: Vec<String> = a.iter().map(|w| self.label_of(*w)).collect();
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let mut inputs = a.to_vec();
        inputs.extend(b);
        self.op(OpKind::Add, false, &inputs, &refs)
    }

    /// Reorders wires (a transpose); drawn as crossings.
    pub fn permute(&mut self, order: &[WireId]) {
        self.push(Item::Permute(order.to_vec()));
    }

    /// Sets the cost overlay of the most recent item.
    pub fn cost(&mut self, lines: &[&str]) {
        let items = match self.stack.last_mut() {
            Some(b) => &mut b.body,
            None => &mut self.diagram.items,
        };
        let lines = lines.iter().map(|s| (*s).to_owned()).collect();
        match items.last_mut() {
            Some(Item::Op(op)) => op.cost = lines,
            Some(Item::Block(b)) => b.cost = lines,
            _ => {}
        }
    }

    /// Opens a named block over `inputs`; close it with [`Builder::end_block`].
    pub fn begin_block(
        &mut self,
        name: &str,
        params: &str,
        repeat: Option<Repeat>,
        inputs: &[WireId],
    ) {
        self.stack.push(Block {
            name: name.to_owned(),
            params: params.to_owned(),
            repeat,
            inputs: inputs.to_vec(),
            outputs: Vec::new(),
            body: Vec::new(),
            expanded: true,
            cost: Vec::new(),
        });
    }

    /// Closes the innermost block; the wires it leaves live become its outputs.
    pub fn end_block(&mut self) {
        if let Some(mut b) = self.stack.pop() {
            b.outputs = block_outputs(&b);
            self.push(Item::Block(b));
        }
    }

    /// The label of a wire (empty if unknown).
    #[must_use]
    pub fn label_of(&self, w: WireId) -> String {
        self.diagram.wire(w).map_or_else(String::new, |x| {
            if x.double {
                format!("={}", x.label)
            } else {
                x.label.clone()
            }
        })
    }

    /// Finishes the diagram, closing any block left open.
    #[must_use]
    pub fn finish(mut self) -> Diagram {
        while !self.stack.is_empty() {
            self.end_block();
        }
        self.diagram
    }
}

/// Simulates a block's body: the wires still live at its end, in order.
#[must_use]
pub fn block_outputs(b: &Block) -> Vec<WireId> {
    let mut live = b.inputs.clone();
    simulate(&b.body, &mut live);
    live
}

/// Applies items to a live list the way the layout does: outputs replace the first input.
pub(crate) fn simulate(items: &[Item], live: &mut Vec<WireId>) {
    for it in items {
        match it {
            Item::Op(op) => apply(live, &op.inputs, &op.outputs),
            Item::Block(b) => apply(live, &b.inputs, &b.outputs),
            Item::Permute(order) => {
                let pos = first_pos(live, order);
                live.retain(|w| !order.contains(w));
                let at = pos.min(live.len());
                live.splice(at..at, order.iter().copied());
            }
        }
    }
}

fn first_pos(live: &[WireId], ids: &[WireId]) -> usize {
    live.iter()
        .position(|w| ids.contains(w))
        .unwrap_or(live.len())
}

/// Removes `inputs` from `live` and inserts `outputs` where the first input was.
pub(crate) fn apply(live: &mut Vec<WireId>, inputs: &[WireId], outputs: &[WireId]) {
    let pos = first_pos(live, inputs);
    live.retain(|w| !inputs.contains(w));
    // nothing before `pos` was removed, so the slot is still `pos`
    let at = pos.min(live.len());
    live.splice(at..at, outputs.iter().copied());
}
