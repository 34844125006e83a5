//! `W002`: a value is saved (`→C_λ`) but never loaded.
//!
//! **Why.** Fig. 27's U-Net saves C₁ in its first down block but has only three up blocks,
//! which load C₄, C₃, C₂: the outermost skip connection of the original U-Net is missing.
//!
//! **Example.** `save C1` with no `load C1`.

use super::{Diagnostic, node_label};
use crate::ir::{Circuit, Op};

/// Runs the rule.
pub fn run(c: &Circuit) -> Vec<Diagnostic> {
    c.nodes
        .iter()
        .filter_map(|n| match &n.op {
            Op::Save(label)
                if !c
                    .nodes
                    .iter()
                    .any(|m| matches!(&m.op, Op::Load(l) if l == label)) =>
            {
                Some(
                    Diagnostic::warning(
                        "W002",
                        Some(n.id),
                        format!(
                            "{}: `{label}` is saved but never loaded",
                            node_label(c, n.id)
                        ),
                    )
                    .with_help("load it where it is meant to be used, or drop the save"),
                )
            }
            _ => None,
        })
        .collect()
}
