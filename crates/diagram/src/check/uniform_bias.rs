//! `W007`: a term added before a softmax is uniform over the softmax's axes.
//!
//! **What it does.** Warns when a softmax reads `a + b` (possibly through scalings or a
//! mask) and `b` (or `a`) does not vary along the normalised axes: it is a `constant`, or it
//! lacks those axes and is broadcast along them.
//!
//! **Why.** Softmax is invariant to adding anything constant along its axes, so such a term
//! changes nothing. Written as an attempted mask (`add att constant -1e9 [t s]`), it passes
//! every type check and silently leaves attention unmasked; in f32 a large constant also
//! swamps the scores.
//!
//! **Example.** `m = constant -1e9 [t s]`, `z = add scores m`, `softmax z over s`: use
//! `mask scores t s causal` instead.

use super::{Diagnostic, node_label};
use crate::ir::{AxisId, Circuit, Func, NodeId, Op, Softmax, ValueId};

/// Runs the rule.
pub fn run(c: &Circuit) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for n in &c.nodes {
        let Op::Softmax(Softmax { over }) = &n.op else {
            continue;
        };
        let Some(add) = add_before(c, n.inputs[0]) else {
            continue;
        };
        for &term in &c.node(add).inputs {
            if !uniform_over(c, term, over) {
                continue;
            }
            let axes: Vec<String> = over.iter().map(|a| c.axis_label(*a)).collect();
            out.push(
                Diagnostic::warning(
                    "W007",
                    Some(add),
                    format!(
                        "{}: `{}` is uniform over [{}], which softmax `{}` normalises, so \
                         adding it changes nothing",
                        node_label(c, add),
                        c.value(term).name,
                        axes.join(", "),
                        n.name
                    ),
                )
                .with_help(
                    "a constant is not a mask: hide positions with `mask X ROWS COLS causal` \
                     (or `below`/`above`) before the softmax",
                ),
            );
        }
    }
    out
}

/// The add that produces `v`, looking through scalings and masks.
fn add_before(c: &Circuit, mut v: ValueId) -> Option<NodeId> {
    loop {
        let p = c.node(c.value(v).producer?);
        match &p.op {
            Op::Add => return Some(p.id),
            Op::Map(Func::Scale(_) | Func::ScaleBySize(..)) | Op::Mask(_) => v = p.inputs[0],
            _ => return None,
        }
    }
}

/// Whether `v` cannot vary along `over`: a constant, or a value lacking all those axes.
fn uniform_over(c: &Circuit, v: ValueId, over: &[AxisId]) -> bool {
    let constant = c
        .value(v)
        .producer
        .is_some_and(|p| matches!(c.node(p).op, Op::Constant(_)));
    constant || !over.iter().any(|a| c.value(v).ty.axes.contains(a))
}
