//! `W004`: a softmax normalises over an unusual axis.
//!
//! **What it does.** Warns when a softmax runs over a batch axis, or when the einsum that
//! consumes its output contracts a different axis than the one normalised (attention weights
//! must sum to one over the axis they average).
//!
//! **Why.** The notebook's attention once normalised over the query axis; its history has a
//! commit "Fixed SoftMax dimension".
//!
//! **Example.** `softmax over y` followed by `y x h, x k h -> y k h`.

use super::{Diagnostic, node_label};
use crate::ir::{AxisKind, Circuit, Op, Softmax};

/// Runs the rule.
pub fn run(c: &Circuit) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for n in &c.nodes {
        let Op::Softmax(Softmax { over: axes }) = &n.op else {
            continue;
        };
        for a in axes {
            if c.axis(*a).kind == AxisKind::Batch {
                out.push(Diagnostic::warning(
                    "W004",
                    Some(n.id),
                    format!(
                        "{}: softmax over the batch axis {} mixes independent examples",
                        node_label(c, n.id),
                        c.axis_label(*a)
                    ),
                ));
            }
        }
        for m in c.consumers(n.outputs[0]) {
            let node = c.node(m);
            let Op::Einsum(_) = &node.op else {
                continue;
            };
            let out_axes = &c.value(node.outputs[0]).ty.axes;
            let contracted: Vec<_> = c
                .value(n.outputs[0])
                .ty
                .axes
                .iter()
                .copied()
                .filter(|a| !out_axes.contains(a))
                .collect();
            if !contracted.is_empty() && !axes.iter().all(|a| contracted.contains(a)) {
                let names = |v: &[crate::ir::AxisId]| {
                    v.iter()
                        .map(|a| c.axis_label(*a))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push(
                    Diagnostic::warning(
                        "W004",
                        Some(n.id),
                        format!(
                            "{}: softmax normalises over [{}] but `{}` contracts [{}]",
                            node_label(c, n.id),
                            names(axes),
                            node.name,
                            names(&contracted)
                        ),
                    )
                    .with_help("normalise over the axis the weights are averaged over"),
                );
            }
        }
    }
    out
}
