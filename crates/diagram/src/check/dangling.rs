//! `W005`: a dangling wire: a value computed (or an input given) but never used.
//!
//! **Why.** The notebook's MLP builds `nn.Softmax(x)` and prints the module object: the
//! prediction is computed nowhere. A value that reaches no output is wasted work or a
//! missing connection.
//!
//! **Example.** A softmax whose output is not an output and feeds nothing.

use super::Diagnostic;
use crate::ir::{Circuit, Op};

/// Runs the rule.
pub fn run(c: &Circuit) -> Vec<Diagnostic> {
    // one pass over the uses, so the rule stays linear in the circuit's size
    let mut used = vec![false; c.values.len()];
    for v in c.nodes.iter().flat_map(|n| &n.inputs).chain(&c.outputs) {
        if let Some(u) = used.get_mut(v.ix()) {
            *u = true;
        }
    }
    c.values
        .iter()
        .filter(|v| !used[v.id.ix()])
        .filter(|v| {
            !v.producer
                .is_some_and(|p| matches!(c.node(p).op, Op::Save(_)))
        })
        .map(|v| {
            let what = match v.producer {
                Some(p) => format!(
                    "output of op `{}` ({})",
                    c.node(p).name,
                    c.node(p).op.kind()
                ),
                None => "circuit input".to_string(),
            };
            Diagnostic::warning(
                "W005",
                v.producer,
                format!("dangling wire: `{}` ({what}) is never used", v.name),
            )
        })
        .collect()
}
