//! Packing: independent operations share one event column.
//!
//! Flattening gives every operation a column of its own, so parallel maps (the linear maps
//! for Q, K and V of multi-head attention) come out as a staircase. The paper stacks them in
//! one column instead. [`pack`] merges neighbouring operation columns when no operation
//! touches a wire another touches (they lie on independent branches: see
//! [`crate::model::Op::independent`]), every operation's inputs already lie together, and
//! everything crossing the column (boxes and passing wires) lies below what comes before it,
//! with room between ([`fits`]). A regrouping that stands between two such columns moves
//! before the first ([`hoist`]), a lone side-branch operation moves left beside the main
//! branch ([`crate::reorder`]), and what regrouping is left folds into the margin of the
//! column after it ([`absorb_regroupings`]).
//!
//! In a packed column ([`middle`]) each box starts at the lower of its first input's and first
//! output's heights; inputs bend to it in the left margin and outputs back in the right one,
//! in the order of the data columns, so these bends never cross. Every step is a pure function
//! of the diagram, so the drawing stays deterministic.

use crate::flatten::{Event, Flat, Live};
use crate::layout::{HALF_BOX, stack};
use crate::model::{Diagram, Op, WireId};

/// Least vertical gap between two boxes sharing a column.
const BOX_GAP: f64 = 6.0;
/// How close a passing wire may come to a box it does not touch.
const CLEARANCE: f64 = 1.5;
/// Least vertical gap between two wires crossing a packed column.
const WIRE_GAP: f64 = 10.0;

fn position(s: &[Live], w: WireId) -> Option<usize> {
    s.iter().position(|l| l.id == w)
}

/// Where the ports of a packed column's operations lie while they cross it. Each box starts
/// at the lower of its first input's and first output's heights and keeps the spacing of its
/// inputs and of its outputs, so inputs bend down to it in the left margin and outputs bend
/// back up from it in the right margin. A wire passing by crosses at the lower of its two
/// heights. A map from one wire to two thus takes its input at its first output's height, as
/// a column of its own does.
#[derive(Clone, Debug, Default)]
pub(crate) struct Middle {
    /// Per operation, the height of each input port.
    pub entries: Vec<Vec<f64>>,
    /// Per operation, the height of each output port.
    pub exits: Vec<Vec<f64>>,
    /// Per operation, the box's `(top, bottom)`.
    pub spans: Vec<(f64, f64)>,
}

fn heights(ws: &[WireId], s: (&[Live], &[f64])) -> Vec<f64> {
    ws.iter()
        .filter_map(|w| position(s.0, *w).map(|i| s.1[i]))
        .collect()
}

/// The ports of `ops` crossing one packed column, from its left and right data columns.
pub(crate) fn middle(ops: &[Op], left: (&[Live], &[f64]), right: (&[Live], &[f64])) -> Middle {
    let mut m = Middle::default();
    for op in ops {
        let ins = heights(&op.inputs, left);
        let outs = heights(&op.outputs, right);
        let (i0, o0) = (ins.first().copied(), outs.first().copied());
        let top = i0
            .unwrap_or(f64::NEG_INFINITY)
            .max(o0.unwrap_or(f64::NEG_INFINITY));
        let entries: Vec<f64> = ins.iter().map(|y| y + top - i0.unwrap_or(top)).collect();
        let exits: Vec<f64> = outs.iter().map(|y| y + top - o0.unwrap_or(top)).collect();
        let all = entries.iter().chain(&exits);
        let lo = all.clone().copied().fold(f64::INFINITY, f64::min);
        let hi = all.copied().fold(f64::NEG_INFINITY, f64::max);
        m.spans.push((lo - HALF_BOX, hi + HALF_BOX));
        m.entries.push(entries);
        m.exits.push(exits);
    }
    m
}

/// Wires at their heights in a data column.
pub(crate) type Ports = Vec<(WireId, f64)>;

/// How one operation column is drawn: the heights of its ports and of the wires passing it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    /// Each wire passing by: `(wire, left height, right height, height across the boxes)`.
    pub passing: Vec<(WireId, f64, f64, f64)>,
    /// Per operation, its inputs at their left heights and outputs at their right heights.
    pub ports: Vec<(Ports, Ports)>,
    /// Where the ports lie at the boxes.
    pub middle: Middle,
}

impl Plan {
    /// Whether anything bends in the left margin, and in the right margin.
    pub(crate) fn bends(&self) -> (bool, bool) {
        let moved = |a: f64, b: f64| (a - b).abs() >= 0.05;
        let mut left = false;
        let mut right = false;
        for (_, a, b, track) in &self.passing {
            if moved(*a, *b) {
                if moved(*track, *b) {
                    right = true;
                } else {
                    left = true;
                }
            }
        }
        for (o, (ins, outs)) in self.ports.iter().enumerate() {
            left |= ins
                .iter()
                .zip(&self.middle.entries[o])
                .any(|((_, a), e)| moved(*a, *e));
            right |= outs
                .iter()
                .zip(&self.middle.exits[o])
                .any(|((_, b), e)| moved(*b, *e));
        }
        (left, right)
    }
}

/// Plans one operation column from its left and right data columns. A single operation's
/// ports stay where they are and a wire passing above it crosses at the higher of its two
/// heights, one below at the lower, so it keeps clear of the box; a packed column places its
/// ports with [`middle`] and every passing wire crosses at the lower height.
pub(crate) fn plan(ops: &[Op], left: (&[Live], &[f64]), right: (&[Live], &[f64])) -> Plan {
    let packed = ops.len() > 1;
    let first_in = match ops.first() {
        // a source: the wires above its first output on the right pass above it
        Some(op) if op.inputs.is_empty() => op
            .outputs
            .first()
            .and_then(|w| position(right.0, *w))
            .map_or(left.0.len(), |at| {
                left.0
                    .iter()
                    .take_while(|l| position(right.0, l.id).is_some_and(|j| j < at))
                    .count()
            }),
        Some(op) => op
            .inputs
            .first()
            .and_then(|w| position(left.0, *w))
            .unwrap_or(left.0.len()),
        None => left.0.len(),
    };
    let mut passing = Vec::new();
    for (i, l) in left.0.iter().enumerate() {
        if ops.iter().any(|o| o.inputs.contains(&l.id)) {
            continue;
        }
        let Some(j) = position(right.0, l.id) else {
            continue;
        };
        let (a, b) = (left.1[i], right.1[j]);
        let above = !packed && i < first_in;
        let track = if above { a.min(b) } else { a.max(b) };
        passing.push((l.id, a, b, track));
    }
    let at = |s: (&[Live], &[f64]), w: &WireId| position(s.0, *w).map(|i| (*w, s.1[i]));
    let ports: Vec<_> = ops
        .iter()
        .map(|op| {
            let ins: Vec<_> = op.inputs.iter().filter_map(|w| at(left, w)).collect();
            let outs: Vec<_> = op.outputs.iter().filter_map(|w| at(right, w)).collect();
            (ins, outs)
        })
        .collect();
    let middle = if packed {
        middle(ops, left, right)
    } else {
        Middle {
            entries: ports
                .iter()
                .map(|p| p.0.iter().map(|x| x.1).collect())
                .collect(),
            exits: ports
                .iter()
                .map(|p| p.1.iter().map(|x| x.1).collect())
                .collect(),
            spans: Vec::new(),
        }
    };
    Plan {
        passing,
        ports,
        middle,
    }
}

/// Merges operation columns into the column before them wherever that is allowed (see the
/// module documentation). Run after ownership has been spread, so the heights it checks are
/// the heights that will be drawn.
pub(crate) fn pack(d: &Diagram, flat: &mut Flat) {
    // operations of one kind first (parallel maps), so that a map joins its siblings rather
    // than an unrelated neighbour; then any independent operations, each joining the earliest
    // column it can
    pack_pass(d, flat, true, true);
    // a side branch moves beside the start of the main one before anything else claims it
    crate::reorder::hop_left(d, flat);
    pack_pass(d, flat, false, false);
    absorb_regroupings(flat);
}

/// Folds each regrouping column into the operation column after it: the wires cross in that
/// column's left margin, on their way to the boxes, which saves a regrouping column and the
/// empty data column after it. Runs last, as event indices are final then.
pub(crate) fn absorb_regroupings(flat: &mut Flat) {
    let mut k = 0;
    while k + 1 < flat.events.len() {
        if matches!(flat.events[k], Event::Shuffle) && matches!(flat.events[k + 1], Event::Ops(_)) {
            let ops = flat.events.remove(k + 1);
            let order = flat.states.remove(k + 1);
            flat.events[k] = ops;
            flat.gathered.insert(k, order);
        }
        k += 1;
    }
}

/// One packing pass to a fixed point, `from_right` or from the left. From the right, an
/// operation joins the latest column it can, so parallel maps gather in the column before
/// their first consumer rather than beside the copy that feeds them; from the left, the
/// earliest, so a run of independent operations fills one column before the next.
fn pack_pass(d: &Diagram, flat: &mut Flat, alike: bool, from_right: bool) {
    loop {
        let mut changed = false;
        let n = flat.events.len().saturating_sub(1);
        let order: Vec<usize> = if from_right {
            (0..n).rev().collect()
        } else {
            (0..n).collect()
        };
        for k in order {
            // repeat at the same place while column k keeps taking its neighbours
            while k + 1 < flat.events.len() {
                if mergeable(d, flat, k, alike) {
                    merge(flat, k);
                } else if let Some(hoisted) = hoist(d, flat, k, alike) {
                    *flat = hoisted;
                } else {
                    break;
                }
                changed = true;
                if from_right {
                    break;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// Joins the operations of column `k + 1` to column `k`.
fn merge(flat: &mut Flat, k: usize) {
    let next = flat.events.remove(k + 1);
    flat.states.remove(k + 1);
    if let (Event::Ops(ops), Event::Ops(more)) = (&mut flat.events[k], next) {
        ops.extend(more);
    }
}

/// For operations `G`, a regrouping `P` and operations `Y` in columns `k..k + 3`: regroups
/// first, then packs `G` and `Y` together, when `P` leaves each of `G`'s outputs together
/// (so it can act on `G`'s inputs instead) and the packed column is allowed. A regrouping
/// that lands next to another becomes one with it. `None` when that is not possible.
fn hoist(d: &Diagram, flat: &Flat, k: usize, alike: bool) -> Option<Flat> {
    let (Some(Event::Ops(group)), Some(Event::Shuffle), Some(Event::Ops(_))) = (
        flat.events.get(k),
        flat.events.get(k + 1),
        flat.events.get(k + 2),
    ) else {
        return None;
    };
    let before = &flat.states[k];
    let after = &flat.states[k + 2];
    // the order after the regrouping, with each operation's outputs put back as its inputs
    let mut order: Vec<WireId> = Vec::new();
    let mut i = 0;
    while i < after.len() {
        let w = after[i].id;
        match group.iter().find(|op| op.outputs.contains(&w)) {
            Some(op) => {
                let n = op.outputs.len();
                let block: Vec<WireId> = after.get(i..i + n)?.iter().map(|l| l.id).collect();
                if block != op.outputs {
                    return None;
                }
                order.extend(&op.inputs);
                i += n;
            }
            None => {
                order.push(w);
                i += 1;
            }
        }
    }
    if group.iter().any(|op| op.outputs.is_empty()) || order.len() != before.len() {
        return None;
    }
    let regrouped: Vec<Live> = order
        .iter()
        .map(|w| before.iter().find(|l| l.id == *w).cloned())
        .collect::<Option<_>>()?;
    let mut check: Vec<WireId> = order.clone();
    for op in group {
        crate::model::apply(&mut check, &op.inputs, &op.outputs);
    }
    if check != after.iter().map(|l| l.id).collect::<Vec<_>>() {
        return None;
    }
    let mut f = flat.clone();
    // columns k, k + 1 become the regrouping then the operations
    f.events.swap(k, k + 1);
    f.states[k + 1] = regrouped;
    if !mergeable(d, &f, k + 1, alike) {
        return None;
    }
    merge(&mut f, k + 1);
    if f.states[k] == f.states[k + 1] {
        f.events.remove(k);
        f.states.remove(k + 1);
    } else if k > 0 && matches!(f.events[k - 1], Event::Shuffle) {
        f.events.remove(k);
        f.states.remove(k);
    }
    Some(f)
}

/// Whether the operations of column `k + 1` can join column `k` (only operations all of one
/// kind when `alike`).
fn mergeable(d: &Diagram, flat: &Flat, k: usize, alike: bool) -> bool {
    let (Event::Ops(group), Event::Ops(next)) = (&flat.events[k], &flat.events[k + 1]) else {
        return false;
    };
    if alike {
        let kind = |op: &Op| std::mem::discriminant(&op.kind);
        let first = group.first().map(kind);
        if group.iter().chain(next).any(|op| Some(kind(op)) != first) {
            return false;
        }
    }
    let (left, right) = (&flat.states[k], &flat.states[k + 2]);
    for op in next {
        // a source has no place of its own to stack at
        if op.inputs.is_empty() {
            return false;
        }
        // only operations on independent branches share a column
        if group.iter().any(|g| !g.independent(op)) {
            return false;
        }
        // inputs adjacent and in port order already: no regrouping needed
        let Some(first) = position(left, op.inputs[0]) else {
            return false;
        };
        let together = op
            .inputs
            .iter()
            .enumerate()
            .all(|(i, w)| position(left, *w) == Some(first + i));
        if !together {
            return false;
        }
    }
    let ops: Vec<Op> = group.iter().chain(next).cloned().collect();
    fits(d, &ops, left, right)
}

/// Whether `ops` can be drawn packed in one column between data columns `left` and `right`:
/// every box and passing wire crosses below the one before, with room between.
pub(crate) fn fits(d: &Diagram, ops: &[Op], left: &[Live], right: &[Live]) -> bool {
    let (ly, ry) = (stack(d, left), stack(d, right));
    let mid = middle(ops, (left, &ly), (right, &ry));
    // everything crossing the column, top to bottom in the left data column's order: the
    // bends in both margins keep that order, so they never cross, when each element lies
    // below the one before
    let mut elements: Vec<(f64, f64, bool)> = Vec::new();
    for (i, l) in left.iter().enumerate() {
        if let Some(o) = ops.iter().position(|op| op.inputs.first() == Some(&l.id)) {
            let (t, b) = mid.spans[o];
            elements.push((t, b, true));
        } else if ops.iter().all(|op| !op.inputs.contains(&l.id))
            && let Some(j) = position(right, l.id)
        {
            let y = ly[i].max(ry[j]);
            elements.push((y, y, false));
        }
    }
    // a source (a constant) puts its wires at the bottom, so its box comes last, below
    // everything else; sources among themselves by where their wires lie
    let mut sources: Vec<(usize, usize)> = ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.inputs.is_empty())
        .map(|(o, op)| {
            let at = op.outputs.first().and_then(|w| position(right, *w));
            (at.unwrap_or(usize::MAX), o)
        })
        .collect();
    if sources.iter().any(|(at, _)| *at == usize::MAX) {
        return false;
    }
    sources.sort_unstable();
    if !sources.is_empty() {
        // every other wire on either side lies above the sources' boxes, so nothing bending
        // in a margin passes one
        let from_source = |w: WireId| {
            ops.iter()
                .any(|op| op.inputs.is_empty() && op.outputs.contains(&w))
        };
        let lowest = left
            .iter()
            .zip(&ly)
            .chain(right.iter().zip(&ry))
            .filter(|(l, _)| !from_source(l.id))
            .map(|(_, y)| *y)
            .fold(f64::NEG_INFINITY, f64::max);
        let first_top = sources
            .first()
            .map_or(f64::INFINITY, |(_, o)| mid.spans[*o].0);
        if first_top - lowest < CLEARANCE {
            return false;
        }
    }
    for (_, o) in sources {
        let (t, b) = mid.spans[o];
        elements.push((t, b, true));
    }
    elements.windows(2).all(|w| {
        let (_, prev_bot, prev_box) = w[0];
        let (next_top, _, next_box) = w[1];
        let gap = match (prev_box, next_box) {
            (true, true) => BOX_GAP,
            (false, false) => WIRE_GAP,
            _ => CLEARANCE,
        };
        next_top - prev_bot >= gap
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No column of any zoo drawing, at any depth, holds two operations of which one reads
    /// what the other touches: a column never suggests that two operations commute.
    #[test]
    fn only_independent_operations_share_a_column() {
        let mut packed = 0;
        for name in nc_diagram::zoo::names() {
            let c = nc_diagram::zoo::get(name).unwrap();
            let d = crate::from_ir::from_circuit(&c, None);
            for depth in [None, Some(0), Some(9)] {
                let mut flat = crate::flatten::flatten(&d, &[], depth);
                crate::flatten::spread_owners(&mut flat);
                pack(&d, &mut flat);
                for e in &flat.events {
                    let Event::Ops(ops) = e else { continue };
                    packed += usize::from(ops.len() > 1);
                    for (i, a) in ops.iter().enumerate() {
                        for b in &ops[i + 1..] {
                            assert!(a.independent(b), "{name}: {:?} with {:?}", a.kind, b.kind);
                        }
                    }
                }
            }
        }
        assert!(packed > 10, "only {packed} packed columns");
    }
}
