//! `W003`: a parameter is used by several operations without being declared shared.
//!
//! **Why.** The notebook's ResNet builds `[ResidualConnection(...)] * N`: one module object
//! repeated, so every repetition shares its weights, where the diagram means fresh ones.
//!
//! **Example.** Two `linear_with` calls on one weight, without `share`.

use super::Diagnostic;
use crate::ir::Circuit;

/// Runs the rule.
pub fn run(c: &Circuit) -> Vec<Diagnostic> {
    // one pass over the uses, so the rule stays linear in the circuit's size
    let mut users: Vec<Vec<&str>> = vec![Vec::new(); c.params.len()];
    for n in &c.nodes {
        for p in &n.params {
            if let Some(u) = users.get_mut(p.ix())
                && u.last() != Some(&n.name.as_str())
            {
                u.push(&n.name);
            }
        }
    }
    c.params
        .iter()
        .filter(|p| !p.shared)
        .filter_map(|p| {
            let users = &users[p.id.ix()];
            (users.len() > 1).then(|| {
                Diagnostic::warning("W003", None, format!("parameter `{}` is shared by {} ops ({}) without being declared shared", p.name, users.len(), users.join(", ")))
                    .with_help("give each op its own weights, or declare the sharing (a block with shared weights, or `share`)")
            })
        })
        .collect()
}
