//! Reordering: an operation that does not depend on the operations before it moves left to
//! run beside them.
//!
//! A circuit lists its operations one after another, so a side branch (the shortcut of a
//! residual block) comes after the whole main branch although it only reads the value they
//! both start from. The paper draws such branches in parallel. [`hop_left`] moves a lone
//! operation into the earliest operation column it can join, past regroupings and columns of
//! operations on independent branches ([`crate::model::Op::independent`]): operations on one
//! value never trade places, since most do not commute. A source (a constant, an operation
//! reading no wire) moves left the same way and starts at the bottom of an early column, as
//! an input does, rather than taking a column of its own where its value is first used.

use crate::flatten::{Event, Flat, Live};
use crate::model::{Diagram, Op, apply};
use crate::pack::fits;

fn ids(s: &[Live]) -> Vec<crate::model::WireId> {
    s.iter().map(|l| l.id).collect()
}

/// The data column `s` with `op` applied; new wires take their owners from `owners`.
fn applied(s: &[Live], op: &Op, owners: &[Live]) -> Option<Vec<Live>> {
    let mut w = ids(s);
    apply(&mut w, &op.inputs, &op.outputs);
    w.iter()
        .map(|id| s.iter().chain(owners).find(|l| l.id == *id).cloned())
        .collect()
}

fn together(s: &[Live], op: &Op) -> bool {
    if op.inputs.is_empty() {
        // a source (a constant, a parameter read) has nothing to gather
        return true;
    }
    let Some(first) = op
        .inputs
        .first()
        .and_then(|w| s.iter().position(|l| l.id == *w))
    else {
        return false;
    };
    op.inputs
        .iter()
        .enumerate()
        .all(|(i, w)| s.get(first + i).is_some_and(|l| l.id == *w))
}

/// Moves each lone operation into the earliest operation column it can join; see the module
/// documentation.
pub(crate) fn hop_left(d: &Diagram, flat: &mut Flat) {
    let mut j = 1;
    while j < flat.events.len() {
        match try_hop(d, flat, j) {
            Some(f) => *flat = f,
            None => j += 1,
        }
    }
}

/// The drawing with the lone operation of column `j` moved into an earlier column, if some
/// earlier column can take it.
fn try_hop(d: &Diagram, flat: &Flat, j: usize) -> Option<Flat> {
    let Event::Ops(lone) = &flat.events[j] else {
        return None;
    };
    let [op] = lone.as_slice() else {
        return None;
    };
    let after = &flat.states[j + 1];
    // the columns it can pass: operations producing none of its inputs, and regroupings
    // (which stay regroupings with it applied); never a block's edge
    let mut i = j;
    while i > 0 {
        match &flat.events[i - 1] {
            // only an operation on an independent branch can be passed: one after a `Max`
            // over another axis of the same value must stay after it
            Event::Ops(ops) if ops.iter().all(|o| o.independent(op)) => {}
            Event::Shuffle => {}
            _ => break,
        }
        i -= 1;
    }
    // the earliest column it joins (i..j), the states between redrawn with it applied
    for target in i..j {
        let mut f = flat.clone();
        let mut ok = true;
        for m in target + 1..=j {
            match applied(&flat.states[m], op, after) {
                Some(s) => f.states[m] = s,
                None => ok = false,
            }
        }
        if !ok || !together(&flat.states[target], op) {
            continue;
        }
        f.events.remove(j);
        f.states.remove(j + 1);
        let Event::Ops(ops) = &mut f.events[target] else {
            continue;
        };
        ops.push(op.clone());
        let valid = (target..j).all(|m| match &f.events[m] {
            Event::Ops(ops) => ops.len() == 1 || fits(d, ops, &f.states[m], &f.states[m + 1]),
            _ => true,
        });
        if valid {
            return Some(f);
        }
    }
    None
}
