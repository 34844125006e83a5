//! Flattening: the item tree becomes a sequence of columns and the live wires between them.
//!
//! Each event is one column of the drawing. Before every operation the wires it acts on are
//! made adjacent, in port order, by a shuffle column (drawn as crossings), so that a box only
//! ever spans the wires it acts on.

use crate::model::{Block, Diagram, Item, Op, OpKind, WireId, apply};

/// A live wire in one data column, with the expanded blocks that enclose it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Live {
    pub id: WireId,
    pub owners: Vec<usize>,
}

/// One column of the drawing.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    /// Operations drawn in one column (a collapsed block counts as one): a single one as
    /// flattened, several side by side once [`crate::pack`] has merged independent ones.
    Ops(Vec<Op>),
    /// Wires change order: a transpose or a regrouping before an operation.
    Shuffle,
    /// An expanded block starts.
    Open(usize),
    /// An expanded block ends.
    Close(usize),
}

/// The expanded blocks, indexed by the numbers in [`Event::Open`].
#[derive(Clone, Debug)]
pub(crate) struct BlockInfo {
    pub name: String,
    pub title: String,
    pub lambda: bool,
    pub depth: usize,
}

/// Columns and the live wires before and after each: `states.len() == events.len() + 1`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Flat {
    pub events: Vec<Event>,
    pub states: Vec<Vec<Live>>,
    pub blocks: Vec<BlockInfo>,
    /// Operation columns that regroup their inputs in their own left margin, by event index:
    /// the order the wires take before the boxes (see [`crate::pack::absorb_regroupings`]).
    pub gathered: std::collections::BTreeMap<usize, Vec<Live>>,
    /// Per regrouping that moved wires, how many other wires there were (the places it could
    /// put them: `0..=n`).
    pub regroupings: Vec<usize>,
    /// Per copy, how many copies it makes.
    pub copies: Vec<usize>,
}

/// Flattens a diagram. `depth` collapses blocks nested deeper than it; `expand` forces the named
/// blocks open (and `collapse_all` shuts every other one).
#[cfg(test)]
pub(crate) fn flatten(d: &Diagram, expand: &[String], depth: Option<usize>) -> Flat {
    flatten_placed(d, expand, depth, &Placement::default())
}

/// Choices the drawing leaves open, each numbered in drawing order; unlisted ones keep the
/// default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Placement {
    /// Per regrouping that moves wires: where the gathered wires go, as an index among the
    /// remaining wires (default: where the first of them lies).
    pub regroup: std::collections::BTreeMap<usize, usize>,
    /// Per copy: the order of its copies, as an index into the permutations of the copies in
    /// lexicographic order (default 0: the order of their readers).
    pub copy: std::collections::BTreeMap<usize, usize>,
}

/// The `i`-th permutation of `0..k` in lexicographic order.
pub(crate) fn permutation(k: usize, mut i: usize) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..k).collect();
    let mut out = Vec::with_capacity(k);
    let mut f: usize = (1..k.max(1)).product();
    for left in (1..=k).rev() {
        let j = (i / f.max(1)).min(pool.len() - 1);
        out.push(pool.remove(j));
        i %= f.max(1);
        if left > 1 {
            f /= left - 1;
        }
    }
    out
}

/// [`flatten`] with the regroupings placed as `placed` says; the count of regroupings that
/// moved wires, and the number of wires each could be placed among, are in
/// [`Flat::regroupings`].
pub(crate) fn flatten_placed(
    d: &Diagram,
    expand: &[String],
    depth: Option<usize>,
    placed: &Placement,
) -> Flat {
    let mut f = Flat::default();
    let live: Vec<Live> = d
        .inputs
        .iter()
        .map(|&id| Live {
            id,
            owners: Vec::new(),
        })
        .collect();
    f.states.push(live);
    let mut ctx = Ctx {
        flat: f,
        expand,
        depth,
        open: Vec::new(),
        placed,
    };
    ctx.items(&d.items);
    ctx.flat
}

struct Ctx<'a> {
    flat: Flat,
    expand: &'a [String],
    depth: Option<usize>,
    open: Vec<usize>,
    placed: &'a Placement,
}

impl Ctx<'_> {
    fn live(&self) -> Vec<Live> {
        self.flat.states.last().cloned().unwrap_or_default()
    }

    fn push(&mut self, ev: Event, state: Vec<Live>) {
        self.flat.events.push(ev);
        self.flat.states.push(state);
    }

    fn items(&mut self, items: &[Item]) {
        for it in items {
            match it {
                Item::Op(op) => self.op(op.clone()),
                Item::Permute(order) => self.permute(order),
                Item::Block(b) => self.block(b),
            }
        }
    }

    /// Brings `ids` together, in order, at the place of the first of them.
    fn gather(&mut self, ids: &[WireId]) {
        let live = self.live();
        let pos: Vec<Option<usize>> = ids
            .iter()
            .map(|w| live.iter().position(|l| l.id == *w))
            .collect();
        let Some(first) = pos.iter().flatten().min().copied() else {
            return;
        };
        let contiguous = pos.iter().enumerate().all(|(i, p)| *p == Some(first + i));
        if contiguous {
            return;
        }
        let picked: Vec<Live> = ids
            .iter()
            .filter_map(|w| live.iter().find(|l| l.id == *w).cloned())
            .collect();
        let mut rest: Vec<Live> = live.into_iter().filter(|l| !ids.contains(&l.id)).collect();
        let g = self.flat.regroupings.len();
        self.flat.regroupings.push(rest.len());
        let at = self
            .placed
            .regroup
            .get(&g)
            .copied()
            .unwrap_or(first)
            .min(rest.len());
        rest.splice(at..at, picked);
        self.push(Event::Shuffle, rest);
    }

    fn permute(&mut self, order: &[WireId]) {
        let live = self.live();
        let mut ids: Vec<WireId> = live.iter().map(|l| l.id).collect();
        let before = ids.clone();
        crate::model::simulate(&[Item::Permute(order.to_vec())], &mut ids);
        if ids == before {
            return;
        }
        let next = ids
            .iter()
            .filter_map(|w| live.iter().find(|l| l.id == *w).cloned())
            .collect();
        self.push(Event::Shuffle, next);
    }

    fn op(&mut self, mut op: Op) {
        if matches!(op.kind, OpKind::Copy) && op.inputs.is_empty() {
            // a copy of a value drawn with no wire (its axes all hidden) has nothing to show
            return;
        }
        self.order_operands(&mut op);
        self.order_copies(&mut op);
        self.gather(&op.inputs);
        let live = self.live();
        let mut ids: Vec<WireId> = live.iter().map(|l| l.id).collect();
        apply(&mut ids, &op.inputs, &op.outputs);
        let next = ids
            .iter()
            .map(|w| {
                live.iter().find(|l| l.id == *w).cloned().unwrap_or(Live {
                    id: *w,
                    owners: self.open.clone(),
                })
            })
            .collect();
        self.push(Event::Ops(vec![op]), next);
    }

    /// Puts the operands of a commutative join (`+`, `⊙`) in the order their wires already
    /// lie in, so a residual joining from below the main branch meets it without crossing it.
    fn order_operands(&self, op: &mut Op) {
        let commutative = match &op.kind {
            OpKind::Add => true,
            OpKind::Other(s) => s == "⊙",
            _ => false,
        };
        let n = op.outputs.len();
        if !commutative || n == 0 || op.inputs.len() != 2 * n {
            return;
        }
        let live = self.live();
        let at = |w: &WireId| live.iter().position(|l| l.id == *w);
        if let (Some(a), Some(b)) = (at(&op.inputs[0]), at(&op.inputs[n]))
            && b < a
        {
            op.inputs.rotate_left(n);
        }
    }

    /// Puts the copies of a copy in the order the placement asks.
    fn order_copies(&mut self, op: &mut Op) {
        let n = op.inputs.len();
        if !matches!(op.kind, OpKind::Copy) || n == 0 || !op.outputs.len().is_multiple_of(n) {
            return;
        }
        let k = op.outputs.len() / n;
        let c = self.flat.copies.len();
        self.flat.copies.push(k);
        let Some(&i) = self.placed.copy.get(&c) else {
            return;
        };
        let groups: Vec<&[WireId]> = op.outputs.chunks(n).collect();
        op.outputs = permutation(k, i)
            .into_iter()
            .flat_map(|g| groups[g].iter().copied())
            .collect();
    }

    fn expanded(&self, b: &Block) -> bool {
        if self.expand.contains(&b.name) {
            return true;
        }
        match self.depth {
            Some(d) => self.open.len() < d,
            None => b.expanded,
        }
    }

    fn block(&mut self, b: &Block) {
        if !self.expanded(b) {
            let repeat = b.repeat.as_ref().map(|r| match r {
                crate::model::Repeat::Times(n) => format!("×{n}"),
                crate::model::Repeat::Lambda { lo, hi } => format!("λ={lo}…{hi}"),
            });
            self.op(Op {
                kind: OpKind::Collapsed {
                    name: format!("{}{}", b.name, b.params),
                    repeat,
                },
                learned: false,
                inputs: b.inputs.clone(),
                outputs: b.outputs.clone(),
                cost: b.cost.clone(),
                through: Vec::new(),
                tally: None,
                commute: crate::model::Commute::Never,
            });
            return;
        }
        self.gather(&b.inputs);
        let bi = self.flat.blocks.len();
        let (title, lambda) = match &b.repeat {
            None => (b.name.clone(), false),
            Some(crate::model::Repeat::Times(n)) => (format!("{} ×{n}", b.name), false),
            Some(crate::model::Repeat::Lambda { lo, hi }) => {
                (format!("{}  λ = {lo}…{hi}", b.name), true)
            }
        };
        self.flat.blocks.push(BlockInfo {
            name: b.name.clone(),
            title,
            lambda,
            depth: self.open.len(),
        });
        let mut live = self.live();
        for l in &mut live {
            if b.inputs.contains(&l.id) {
                l.owners.push(bi);
            }
        }
        self.push(Event::Open(bi), live);
        self.open.push(bi);
        self.items(&b.body);
        self.open.pop();
        let mut live = self.live();
        for l in &mut live {
            l.owners.retain(|o| *o != bi);
        }
        self.push(Event::Close(bi), live);
    }
}

/// Extends ownership across open and close columns so those columns need no bends.
pub(crate) fn spread_owners(f: &mut Flat) {
    // repeat until stable: nested blocks opening together need several passes
    for _ in 0..8 {
        let mut changed = false;
        for k in 0..f.events.len() {
            let (spread_back, spread_fwd) = match f.events[k] {
                Event::Open(_) => (true, false),
                Event::Close(_) => (false, true),
                _ => (false, false),
            };
            let (a, b) = (k, k + 1);
            if spread_back {
                changed |= union_into(f, b, a);
            }
            if spread_fwd {
                changed |= union_into(f, a, b);
            }
        }
        if !changed {
            break;
        }
    }
}

fn union_into(f: &mut Flat, from: usize, to: usize) -> bool {
    let src = f.states[from].clone();
    let mut changed = false;
    for l in &mut f.states[to] {
        if let Some(s) = src.iter().find(|s| s.id == l.id) {
            for o in &s.owners {
                if !l.owners.contains(o) {
                    l.owners.push(*o);
                    changed = true;
                }
            }
        }
    }
    changed
}
