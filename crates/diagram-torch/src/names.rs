//! Python names for the circuit's values and parameters, and einsum letters for its axes.

use nc_diagram::ir::{AxisId, Circuit};
use std::collections::{BTreeMap, BTreeSet};

/// Names a generated module must not shadow: Python's keywords, what the module imports and
/// defines, and the locals of `forward`.
const RESERVED: &[&str] = &[
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "class",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    "self",
    "torch",
    "nn",
    "F",
    "Path",
    "math",
    "normalize",
    "softmax",
    "band",
    "window",
    "window_t",
    "rope",
    "top_k",
    "sinusoid",
    "load_safetensors",
    "PARAMS",
    "WEIGHTS",
    "forward",
    "reset_parameters",
    "float",
    "super",
    "range",
    "max",
    "min",
    "sum",
    "abs",
    "all",
    "any",
    "input",
    "len",
    "list",
    "map",
    "pow",
    "round",
    "tuple",
    "type",
    "id",
];

/// A Python identifier close to `name`: other characters become `_`, a leading digit gets a
/// `v` in front, a reserved word gets a trailing `_`.
pub(crate) fn identifier(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '_' })
        .collect();
    if s.is_empty() || s.starts_with(|ch: char| ch.is_ascii_digit()) {
        s.insert(0, 'v');
    }
    if RESERVED.contains(&s.as_str()) {
        s.push('_');
    }
    s
}

/// Unique identifiers for a list of names, in order (a clash gets `_2`, `_3`, …).
pub(crate) fn unique_identifiers<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut used = BTreeSet::new();
    names
        .into_iter()
        .map(|n| {
            let base = identifier(n);
            let mut s = base.clone();
            let mut i = 2;
            while !used.insert(s.clone()) {
                s = format!("{base}_{i}");
                i += 1;
            }
            s
        })
        .collect()
}

/// The class name: the circuit's name in CamelCase (`gpt2_block` → `Gpt2Block`).
pub(crate) fn class_name(name: &str) -> String {
    let mut s = String::new();
    for part in name.split(|ch: char| !ch.is_ascii_alphanumeric()) {
        let mut cs = part.chars();
        if let Some(f) = cs.next() {
            s.push(f.to_ascii_uppercase());
            s.extend(cs);
        }
    }
    if s.is_empty() || s.starts_with(|ch: char| ch.is_ascii_digit()) {
        s.insert(0, 'C');
    }
    s
}

/// Einsum letters for the axes of one line: each axis gets its name's first letter when no
/// other axis of the line has it, else the other case, else the first free letter.
pub(crate) struct Letters(BTreeMap<AxisId, char>);

impl Letters {
    /// Letters for `axes` (in order of first appearance; repeats are ignored).
    pub fn new(c: &Circuit, axes: &[AxisId]) -> Letters {
        let mut map = BTreeMap::new();
        let mut used = BTreeSet::new();
        for a in axes {
            if map.contains_key(a) {
                continue;
            }
            let first = c.axis(*a).name.chars().find(|ch| ch.is_ascii_alphabetic());
            let tries = first
                .into_iter()
                .flat_map(|f| [f, f.to_ascii_uppercase(), f.to_ascii_lowercase()])
                .chain('a'..='z')
                .chain('A'..='Z');
            let mut pick = None;
            for ch in tries {
                if !used.contains(&ch) {
                    pick = Some(ch);
                    break;
                }
            }
            // torch.einsum has 52 letters; a line with more axes is refused by the caller
            if let Some(ch) = pick {
                used.insert(ch);
                map.insert(*a, ch);
            }
        }
        Letters(map)
    }
    /// The subscript of a list of axes.
    pub fn of(&self, axes: &[AxisId]) -> String {
        axes.iter()
            .map(|a| self.0.get(a).copied().unwrap_or('?'))
            .collect()
    }
    /// Whether every axis got a letter.
    pub fn complete(&self, axes: &[AxisId]) -> bool {
        axes.iter().all(|a| self.0.contains_key(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_python_names() {
        assert_eq!(identifier("block1.conv2"), "block1_conv2");
        assert_eq!(identifier("1x"), "v1x");
        assert_eq!(identifier("lambda"), "lambda_");
        assert_eq!(identifier(""), "v");
        assert_eq!(
            unique_identifiers(["a.b", "a_b", "a-b"]),
            ["a_b", "a_b_2", "a_b_3"]
        );
        assert_eq!(class_name("gpt2_block"), "Gpt2Block");
        assert_eq!(class_name("3d"), "C3d");
    }
}
