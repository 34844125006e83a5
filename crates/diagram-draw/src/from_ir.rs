//! From the circuit IR of `nc-diagram` to the layout model.
//!
//! Each axis of a value is one wire. An operation consumes the wires of the axes it acts on;
//! the axes it is broadcast over keep their wires and pass by its box. A value read by several
//! operations gets a copy dot before its first reader. Block instances become named blocks;
//! repetitions after the first are drawn collapsed.

use std::collections::{BTreeMap, BTreeSet};

use nc_diagram::cost::CostReport;
use nc_diagram::ir::{AxisId, AxisKind, BlockId, Circuit, NodeId, Op, ReduceKind, ValueId};

use crate::model::{
    AxisInfo, Block, Commute, Diagram, Item, Op as DOp, OpKind, Repeat, Tally, Wire, WireId,
};
use crate::slots::Slots;

/// Converts a circuit. With `cost`, each box carries its FLOPs and saved bytes under the
/// circuit's default sizes (4-byte elements).
///
/// ```
/// use nc_diagram::builder::Builder;
/// use nc_diagram::ir::AxisKind;
/// let mut b = Builder::new("relu");
/// let m = b.axis("m", "8", AxisKind::Feature).unwrap();
/// let x = b.input("x", &[m]);
/// let y = b.relu("r", x).unwrap();
/// b.output(y);
/// let d = nc_diagram_draw::from_ir::from_circuit(&b.finish().unwrap(), None);
/// assert_eq!(d.items.len(), 1);
/// ```
#[must_use]
pub fn from_circuit(c: &Circuit, cost: Option<&CostReport>) -> Diagram {
    from_circuit_with(c, cost, &IrOptions::default())
}

/// How a circuit is turned into wires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IrOptions {
    /// Bundle axes that travel together (a grid as `x̄`, kernel offsets as `k²`) and draw a
    /// convolution as one bold `★k` box, as the paper does.
    pub bundle: bool,
    /// Leave out batch axes that only pass through (the paper never draws them); the legend
    /// says so.
    pub hide_batch: bool,
}

impl Default for IrOptions {
    fn default() -> Self {
        IrOptions {
            bundle: true,
            hide_batch: true,
        }
    }
}

/// Converts a circuit as [`from_circuit`] does, with explicit options.
#[must_use]
pub fn from_circuit_with(c: &Circuit, cost: Option<&CostReport>, opt: &IrOptions) -> Diagram {
    let mut cv = Conv {
        c,
        d: Diagram {
            title: c.name.clone(),
            ..Diagram::default()
        },
        ..Conv::default_for(c, opt)
    };
    for v in &c.inputs {
        let ws = cv.new_wires(*v, None);
        cv.d.inputs.extend(&ws);
        cv.wires.insert(*v, ws);
    }
    let tallies: BTreeMap<NodeId, Tally> = cost
        .map(|r| {
            let b = c.default_bindings();
            r.nodes
                .iter()
                .filter_map(|(n, k)| {
                    let bc = k.bind(&b, 4).ok()?;
                    Some((
                        *n,
                        Tally {
                            flops: bc.ops_forward,
                            kept: bc.saved_bytes,
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    for node in &c.nodes {
        cv.enter_blocks(node.block);
        // a fused convolution carries the cost of all its nodes
        let tally = match cv.groups.get(&node.id) {
            Some(g) => g
                .nodes
                .iter()
                .filter_map(|n| tallies.get(n))
                .copied()
                .reduce(|a, b| Tally {
                    flops: a.flops + b.flops,
                    kept: a.kept + b.kept,
                }),
            None => tallies.get(&node.id).copied(),
        };
        let item = cv.node(
            node.id,
            tally.map(crate::tally::cost_lines).unwrap_or_default(),
        );
        if let Some(mut item) = item {
            if let Item::Op(op) = &mut item {
                op.tally = tally;
            }
            cv.push(item);
        }
    }
    cv.enter_blocks(None);
    crate::copies::merge(&mut cv.d.items);
    crate::marks::fold(&mut cv.d.items);
    if cost.is_some() {
        crate::tally::sum_blocks(&mut cv.d.items);
    }
    axes(c, &mut cv.d);
    let b = c.default_bindings();
    for a in cv.slots.hidden() {
        let ax = c.axis(*a);
        let v = crate::formula::eval(&crate::formula::normal(&ax.size), &b)
            .map_or_else(|| ax.size.to_string(), |v| v.to_string());
        cv.d.legend
            .push(format!("batch axis {} = {v}, not drawn", ax.name));
    }
    cv.d
}

/// Records every axis with its simplified formula and its value at the default sizes, for
/// the labels and legend of each drawing (see [`crate::legend`]).
fn axes(c: &Circuit, d: &mut Diagram) {
    let b = c.default_bindings();
    d.axes = c
        .axes
        .iter()
        .map(|a| {
            let l = crate::formula::normal(&a.size);
            AxisInfo {
                id: a.id.0,
                name: a.name.clone(),
                formula: l.to_string(),
                size: crate::formula::eval(&l, &b),
            }
        })
        .collect();
    d.symbols = c.sizes.keys().cloned().collect();
}

struct Open {
    id: BlockId,
    block: Block,
    /// A later repetition, drawn as one box.
    collapsed: bool,
}

struct Conv<'a> {
    c: &'a Circuit,
    d: Diagram,
    /// Wires of each value as produced (one per axis).
    wires: BTreeMap<ValueId, Vec<WireId>>,
    /// Copies waiting for their readers.
    copies: BTreeMap<ValueId, Vec<Vec<WireId>>>,
    /// Wires handed to a reader ahead of time (block inputs).
    taken: BTreeMap<(NodeId, ValueId), Vec<WireId>>,
    open: Vec<Open>,
    next_segment: u32,
    /// The wires each value is drawn with.
    slots: Slots,
    /// Fused convolutions, by the node they are drawn at.
    groups: BTreeMap<NodeId, crate::fuse::Group>,
    /// The other nodes of fused convolutions, which draw nothing.
    skip: BTreeSet<NodeId>,
}

impl<'a> Conv<'a> {
    fn default_for(c: &'a Circuit, opt: &IrOptions) -> Self {
        let groups = if opt.bundle {
            crate::fuse::convs(c)
        } else {
            BTreeMap::new()
        };
        let skip = groups
            .values()
            .flat_map(|g| g.nodes[..g.nodes.len() - 1].iter().copied())
            .collect();
        Conv {
            c,
            d: Diagram::default(),
            wires: BTreeMap::new(),
            copies: BTreeMap::new(),
            taken: BTreeMap::new(),
            open: Vec::new(),
            next_segment: 0,
            slots: Slots::new(c, opt.bundle, opt.hide_batch),
            groups,
            skip,
        }
    }

    /// One wire carrying the axes of `slot`: a double wire for a grid, tokens or a bundle.
    fn wire(&mut self, slot: &[AxisId], segment: u32) -> WireId {
        let double = slot.len() > 1
            || slot
                .iter()
                .any(|a| matches!(self.c.axis(*a).kind, AxisKind::Spatial | AxisKind::Token));
        self.d.wires.push(Wire {
            label: Slots::label(self.c, slot),
            double,
            segment,
            axes: slot.iter().map(|a| a.0).collect(),
        });
        WireId(self.d.wires.len() - 1)
    }

    /// New wires for `v`; `segment` keeps a tuple member, `None` starts one.
    fn new_wires(&mut self, v: ValueId, segment: Option<u32>) -> Vec<WireId> {
        let seg = segment.unwrap_or_else(|| {
            self.next_segment += 1;
            self.next_segment - 1
        });
        let slots = self.slots.of(self.c, v);
        slots.iter().map(|s| self.wire(s, seg)).collect()
    }

    fn readers(&self, v: ValueId) -> usize {
        let n = self
            .c
            .nodes
            .iter()
            .filter(|n| n.inputs.contains(&v) && !matches!(n.op, Op::Load(_)))
            .count();
        n + usize::from(self.c.outputs.contains(&v))
    }

    fn push(&mut self, item: Item) {
        match self.open.last_mut() {
            Some(o) => o.block.body.push(item),
            None => self.d.items.push(item),
        }
    }

    /// The wires of `v` for reader `n`, copying `v` first if it has several readers.
    fn take(&mut self, n: NodeId, v: ValueId) -> Vec<WireId> {
        if let Some(w) = self.taken.remove(&(n, v)) {
            return w;
        }
        if let Some(q) = self.copies.get_mut(&v)
            && !q.is_empty()
        {
            return q.remove(0);
        }
        let src = self.wires.get(&v).cloned().unwrap_or_default();
        let k = self.readers(v);
        if k <= 1 {
            return src;
        }
        let seg0 = src.first().and_then(|w| self.d.wire(*w)).map(|w| w.segment);
        let mut outs = Vec::new();
        let mut groups = Vec::new();
        for i in 0..k {
            let g = self.new_wires(v, if i == 0 { seg0 } else { None });
            outs.extend(&g);
            groups.push(g);
        }
        let first = groups.remove(0);
        self.copies.insert(v, groups);
        self.push(Item::Op(DOp {
            kind: OpKind::Copy,
            learned: false,
            inputs: src,
            outputs: outs,
            cost: vec![],
            through: vec![],
            tally: None,
            commute: Commute::Never,
        }));
        first
    }

    /// Opens and closes blocks so that the innermost open block is `b`.
    fn enter_blocks(&mut self, b: Option<BlockId>) {
        let mut chain = Vec::new();
        let mut cur = b;
        while let Some(id) = cur {
            chain.push(id);
            cur = self.c.blocks.get(id.ix()).and_then(|x| x.parent);
        }
        chain.reverse();
        // close what is not on the chain
        while let Some(top) = self.open.last() {
            if chain.contains(&top.id) {
                break;
            }
            self.close();
        }
        for id in chain {
            if !self.open.iter().any(|o| o.id == id) {
                self.open_block(id);
            }
        }
    }

    fn open_block(&mut self, id: BlockId) {
        let Some(blk) = self.c.blocks.get(id.ix()) else {
            return;
        };
        let inside: BTreeSet<NodeId> = blk.nodes.iter().copied().collect();
        // values from outside read inside, handed over now so the block owns their wires
        let mut inputs = Vec::new();
        let mut whole = BTreeSet::new();
        for n in &blk.nodes {
            let node = self.c.node(*n);
            for v in &node.inputs {
                let from_outside = self
                    .c
                    .value(*v)
                    .producer
                    .is_none_or(|p| !inside.contains(&p));
                if !from_outside || matches!(node.op, Op::Load(_)) || whole.contains(v) {
                    continue;
                }
                if self.read_only_inside(*v, &inside) {
                    // every reader is inside: the block takes the value once and copies it
                    // inside, where the paper draws the copy dot of a residual
                    whole.insert(*v);
                    inputs.extend(self.wires.get(v).cloned().unwrap_or_default());
                } else {
                    let w = self.take(*n, *v);
                    inputs.extend(&w);
                    self.taken.insert((*n, *v), w);
                }
            }
        }
        let repeat = (blk.repeat > 1).then(|| {
            if self.sizes_vary(id) {
                // the paper's λ brackets: one body, sizes changing per instance
                Repeat::Lambda {
                    lo: "1".into(),
                    hi: blk.repeat.to_string(),
                }
            } else {
                Repeat::Times(blk.repeat.to_string())
            }
        });
        let name = if blk.repeat > 1 && blk.iteration > 0 {
            format!("{} [{}]", blk.name, blk.iteration + 1)
        } else {
            blk.name.clone()
        };
        self.open.push(Open {
            id,
            block: Block {
                name,
                params: String::new(),
                repeat: if blk.iteration == 0 { repeat } else { None },
                inputs,
                outputs: Vec::new(),
                body: Vec::new(),
                expanded: blk.iteration == 0,
                cost: Vec::new(),
            },
            collapsed: blk.iteration > 0,
        });
    }

    /// A concatenation drawn as the paper does: shared wires meet at a dot, the concatenated
    /// ones at a bar. `None` when no wire is shared (then it is a plain bar).
    fn concat_kind(
        &self,
        k: &nc_diagram::ir::Concat,
        ins: &[(ValueId, Vec<WireId>)],
        outputs: &[ValueId],
    ) -> Option<OpKind> {
        let mut shared_in = Vec::new();
        for (i, (v, w)) in ins.iter().enumerate() {
            let slots = self.slots.of(self.c, *v);
            if slots.len() != w.len() {
                return None;
            }
            let axis = k.inputs.get(i)?;
            shared_in.extend(slots.iter().map(|s| !s.contains(axis)));
        }
        let out = *outputs.first()?;
        let shared_out: Vec<bool> = self
            .slots
            .of(self.c, out)
            .iter()
            .map(|s| !s.contains(&k.output))
            .collect();
        (shared_out.iter().any(|s| *s) && shared_out.iter().any(|s| !*s)).then_some(
            OpKind::Concat {
                shared_in,
                shared_out,
            },
        )
    }

    /// Whether the instances of repeated block `id` produce values of different sizes.
    fn sizes_vary(&self, id: BlockId) -> bool {
        let Some(blk) = self.c.blocks.get(id.ix()) else {
            return false;
        };
        let sig = |b: &nc_diagram::ir::Block| -> Vec<String> {
            b.nodes
                .iter()
                .flat_map(|n| &self.c.node(*n).outputs)
                .flat_map(|v| &self.c.value(*v).ty.axes)
                .map(|a| self.c.axis(*a).size.to_string())
                .collect()
        };
        let first = sig(blk);
        // the later instances of this repetition: same name and parent, up to the next first
        // instance (a later stage may repeat a block of the same name at other sizes)
        self.c
            .blocks
            .iter()
            .skip(id.ix() + 1)
            .filter(|b| b.name == blk.name && b.parent == blk.parent)
            .take_while(|b| b.iteration > 0)
            .any(|b| sig(b) != first)
    }

    /// Whether `v` has several readers, all in `inside`, and has not been copied yet.
    fn read_only_inside(&self, v: ValueId, inside: &BTreeSet<NodeId>) -> bool {
        let k = self.readers(v);
        let within = self
            .c
            .nodes
            .iter()
            .filter(|n| inside.contains(&n.id) && n.inputs.contains(&v))
            .filter(|n| !matches!(n.op, Op::Load(_)))
            .count();
        k > 1 && within == k && self.copies.get(&v).is_none_or(Vec::is_empty)
    }

    fn close(&mut self) {
        if let Some(mut o) = self.open.pop() {
            o.block.outputs = crate::model::block_outputs(&o.block);
            o.block.expanded = !o.collapsed;
            // a later repetition joins the first: one frame `name ×N`, drawn with the first
            // repetition expanded and the rest as one collapsed box inside it
            let target = match self.open.last_mut() {
                Some(p) => &mut p.block.body,
                None => &mut self.d.items,
            };
            if o.collapsed
                && let Some(Item::Block(first)) = target.last_mut()
                && first.repeat.is_some()
                && crate::fit::base_name(&first.name) == crate::fit::base_name(&o.block.name)
            {
                for w in &o.block.inputs {
                    if !first.outputs.contains(w) && !first.inputs.contains(w) {
                        first.inputs.push(*w);
                    }
                }
                let later = match first.body.last_mut() {
                    Some(Item::Block(l)) if !l.expanded && l.repeat.is_none() => Some(l),
                    _ => None,
                };
                match later {
                    Some(l) => {
                        for w in &o.block.inputs {
                            if !l.outputs.contains(w) && !l.inputs.contains(w) {
                                l.inputs.push(*w);
                            }
                        }
                        l.outputs = o.block.outputs.clone();
                        let last = self.c.blocks.get(o.id.ix()).map_or(0, |b| b.iteration + 1);
                        l.name = format!("{} [2…{last}]", crate::fit::base_name(&l.name));
                        l.body.push(Item::Block(o.block));
                    }
                    None => first.body.push(Item::Block(o.block)),
                }
                first.outputs = crate::model::block_outputs(first);
                return;
            }
            target.push(Item::Block(o.block));
        }
    }

    fn node(&mut self, id: NodeId, cost: Vec<String>) -> Option<Item> {
        let c = self.c;
        let node = c.node(id);
        let learned = !node.params.is_empty();
        if self.skip.contains(&id) {
            return None;
        }
        if let Some(g) = self.groups.get(&id).cloned() {
            let first = g.nodes[0];
            let w_in = self.take(first, g.input);
            return Some(self.act(
                g.input,
                w_in,
                &g.acts,
                g.output,
                g.kind,
                true,
                cost,
                Commute::Never,
            ));
        }
        if let Op::Load(name) = &node.op {
            let out = *node.outputs.first()?;
            let w = self.new_wires(out, None);
            self.wires.insert(out, w.clone());
            return Some(op(OpKind::Load(name.clone()), false, vec![], w, cost));
        }
        if matches!(node.op, Op::Constant(_)) && node.inputs.is_empty() {
            // a scalar constant (the `1` a learned array is drawn from) has no wire: the
            // learned box that reads it is drawn as a source
            let out = *node.outputs.first()?;
            if c.value(out).ty.axes.is_empty() {
                self.wires.insert(out, Vec::new());
                return None;
            }
        }
        let ins: Vec<(ValueId, Vec<WireId>)> = node
            .inputs
            .iter()
            .map(|v| (*v, self.take(id, *v)))
            .collect();
        let seg = ins
            .first()
            .and_then(|(_, w)| w.first())
            .and_then(|w| self.d.wire(*w))
            .map(|w| w.segment);
        let all_in: Vec<WireId> = ins.iter().flat_map(|(_, w)| w.clone()).collect();
        // operations that take every wire of every input
        let whole = match &node.op {
            Op::Add | Op::Mul => Some(OpKind::Add),
            Op::Copy(_) => Some(OpKind::Copy),
            Op::Map(f) => Some(crate::labels::map_kind(self.c, f)),
            Op::Concat { .. } | Op::Embed { .. } => Some(OpKind::Reshape),
            // several outputs (split) or an index operand (gather): every wire in, new out
            Op::Split(_) | Op::Gather(_) => Some(OpKind::Reshape),
            Op::Save(n) => Some(OpKind::Save(n.clone())),
            Op::Constant(_) => Some(OpKind::Other("const".into())),
            Op::Sinusoid(_) => Some(OpKind::Other("sin/cos".into())),
            Op::Einsum { .. } => Some(self.einsum_kind(&ins, node.outputs.first().copied())),
            _ => None,
        };
        if let Some(kind) = whole {
            let mut outs = Vec::new();
            for (i, v) in node.outputs.iter().enumerate() {
                let keep = if i == 0 { seg } else { None };
                let w = if self.readers(*v) == 0 && matches!(node.op, Op::Save(_)) {
                    Vec::new()
                } else {
                    self.new_wires(*v, keep)
                };
                outs.extend(&w);
                self.wires.insert(*v, w);
            }
            let kind = if matches!(kind, OpKind::Add) && matches!(node.op, Op::Mul) {
                OpKind::Other("⊙".into())
            } else {
                kind
            };
            let kind = if matches!(kind, OpKind::Add) && ins.len() != 2 {
                OpKind::Other("+".into())
            } else {
                kind
            };
            let kind = match &node.op {
                Op::Concat(k) => self.concat_kind(k, &ins, &node.outputs).unwrap_or(kind),
                _ => kind,
            };
            return Some(op(kind, learned, all_in, outs, cost));
        }
        // one input: the acted-on axes enter the box, the rest pass by
        let (v_in, w_in) = ins.first().cloned()?;
        let acts = node.acts_on(c);
        let out_v = *node.outputs.first()?;
        if let Op::Permute(_) = &node.op {
            let sin = self.slots.of(c, v_in);
            let order: Vec<WireId> = self
                .slots
                .of(c, out_v)
                .iter()
                .filter_map(|a| sin.iter().position(|x| x == a).map(|i| w_in[i]))
                .collect();
            self.wires.insert(out_v, order.clone());
            return Some(Item::Permute(order));
        }
        let kind = match &node.op {
            Op::Linear(l) => OpKind::Linear {
                bias: l.bias,
                name: role(&node.name),
            },
            Op::Softmax(_) => OpKind::Softmax,
            Op::Norm(n) => {
                if n.stats.iter().any(|a| c.axis(*a).kind == AxisKind::Batch) {
                    OpKind::BatchNorm
                } else {
                    OpKind::Norm
                }
            }
            Op::Reduce(r) => OpKind::Reduce(
                match r.kind {
                    ReduceKind::Sum => "Σ",
                    ReduceKind::Mean => "𝔼",
                    ReduceKind::Max => "Max",
                }
                .into(),
            ),
            Op::Window(w) | Op::WindowT(w) => {
                let first = w.axes.first();
                let num = |f: fn(&nc_diagram::ir::WindowAxis) -> i64| {
                    first
                        .map(f)
                        .filter(|v| *v > 1)
                        .map(|v| v.to_string())
                        .unwrap_or_default()
                };
                OpKind::Window {
                    kernel: first
                        .map(|x| c.axis(x.kernel).size.to_string())
                        .unwrap_or_default(),
                    stride: num(|x| x.stride),
                    dilation: num(|x| x.dilation),
                    groups: String::new(),
                    transposed: matches!(node.op, Op::WindowT(_)),
                }
            }
            Op::Reshape { .. } => OpKind::Reshape,
            other => OpKind::Other(other.kind().into()),
        };
        if kind == OpKind::Reshape && self.relabel(v_in, &w_in, &acts, out_v) {
            return None;
        }
        let commute = match &node.op {
            Op::Reshape(_) | Op::Permute(_) => Commute::Relabel,
            Op::Linear(l) if !l.bias => Commute::Linear,
            Op::Reduce(r) if matches!(r.kind, ReduceKind::Sum | ReduceKind::Mean) => {
                Commute::Linear
            }
            Op::Window(_) | Op::WindowT(_) => Commute::Linear,
            _ => Commute::Never,
        };
        Some(self.act(v_in, w_in, &acts, out_v, kind, learned, cost, commute))
    }

    /// A regrouping of one wire into one other (the grid `x̄'` read as tokens `y`) draws no
    /// bar, as the paper's Fig. 28 does not: the wire takes the new axes (and label) from where
    /// it was made. Not a wire the drawing or an open block starts with, whose label at the
    /// left edge would then be wrong. Returns whether it did so.
    fn relabel(&mut self, v_in: ValueId, w_in: &[WireId], acts: &[AxisId], out_v: ValueId) -> bool {
        let c = self.c;
        let sin = self.slots.of(c, v_in);
        let sout = self.slots.of(c, out_v);
        let acted = |s: &Vec<AxisId>| s.iter().any(|a| acts.contains(a));
        let gone: Vec<usize> = (0..sin.len()).filter(|i| acted(&sin[*i])).collect();
        let new: Vec<&Vec<AxisId>> = sout.iter().filter(|s| !sin.contains(s)).collect();
        let ([i], [slot]) = (gone.as_slice(), new.as_slice()) else {
            return false;
        };
        let Some(&w) = w_in.get(*i) else { return false };
        let at_start =
            self.d.inputs.contains(&w) || self.open.iter().any(|o| o.block.inputs.contains(&w));
        if at_start || sin.len() != w_in.len() {
            return false;
        }
        let double = slot.len() > 1
            || slot
                .iter()
                .any(|a| matches!(c.axis(*a).kind, AxisKind::Spatial | AxisKind::Token));
        let wire = &mut self.d.wires[w.0];
        wire.label = Slots::label(c, slot);
        wire.double = double;
        wire.axes = slot.iter().map(|a| a.0).collect();
        let out: Vec<WireId> = sout
            .iter()
            .map(|s| match sin.iter().position(|x| x == s) {
                Some(j) => w_in[j],
                None => w,
            })
            .collect();
        self.wires.insert(out_v, out);
        true
    }

    /// An operation on one value: the wires of the axes it acts on enter its box, the rest
    /// pass by, and the new ones leave it.
    #[allow(clippy::too_many_arguments)]
    fn act(
        &mut self,
        v_in: ValueId,
        w_in: Vec<WireId>,
        acts: &[AxisId],
        out_v: ValueId,
        kind: OpKind,
        learned: bool,
        cost: Vec<String>,
        commute: Commute,
    ) -> Item {
        let c = self.c;
        let seg = w_in
            .first()
            .and_then(|w| self.d.wire(*w))
            .map(|w| w.segment);
        let sin = self.slots.of(c, v_in);
        let acted = |s: &Vec<AxisId>| s.iter().any(|a| acts.contains(a));
        let consumed: Vec<WireId> = sin
            .iter()
            .zip(&w_in)
            .filter(|(s, _)| acted(s))
            .map(|(_, w)| *w)
            .collect();
        let through: Vec<WireId> = w_in
            .iter()
            .filter(|w| !consumed.contains(w))
            .copied()
            .collect();
        let mut produced = Vec::new();
        let mut out_wires = Vec::new();
        for s in self.slots.of(c, out_v) {
            match sin.iter().position(|x| *x == s) {
                Some(i) if !acted(&s) => out_wires.push(w_in[i]),
                _ => {
                    let w = self.wire(&s, seg.unwrap_or(0));
                    produced.push(w);
                    out_wires.push(w);
                }
            }
        }
        self.wires.insert(out_v, out_wires);
        let mut item = op(kind, learned, consumed, produced, cost);
        if let Item::Op(o) = &mut item {
            o.through = through;
            o.commute = commute;
        }
        item
    }

    /// Index letters of an einsum: each wire is its own letter, so shared axes meet at a dot.
    fn einsum_kind(&self, ins: &[(ValueId, Vec<WireId>)], out: Option<ValueId>) -> OpKind {
        let letter = |s: &Vec<AxisId>| s[0].0.to_string();
        let axes_in = ins
            .iter()
            .flat_map(|(v, _)| {
                self.slots
                    .of(self.c, *v)
                    .iter()
                    .map(letter)
                    .collect::<Vec<_>>()
            })
            .collect();
        let axes_out = out
            .map(|v| self.slots.of(self.c, v).iter().map(letter).collect())
            .unwrap_or_default();
        OpKind::Contract {
            axes_in,
            axes_out,
            marks: Vec::new(),
        }
    }
}

/// The role a linear map's name gives it, as the paper writes it: `LQ` is `L^Q`.
fn role(name: &str) -> String {
    let last = name.rsplit('.').next().unwrap_or(name);
    match last.strip_prefix('L') {
        Some(r) if !r.is_empty() && r.chars().all(|ch| ch.is_ascii_uppercase()) => r.to_owned(),
        _ => String::new(),
    }
}

fn op(
    kind: OpKind,
    learned: bool,
    inputs: Vec<WireId>,
    outputs: Vec<WireId>,
    cost: Vec<String>,
) -> Item {
    Item::Op(DOp {
        kind,
        learned,
        inputs,
        outputs,
        cost,
        through: Vec::new(),
        tally: None,
        commute: Commute::Never,
    })
}
