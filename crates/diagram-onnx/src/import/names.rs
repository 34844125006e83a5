//! Readable names: axes by role (b, c, h, w, t, m, f), nodes after the ONNX module path.

use nc_diagram::ir::{AxisKind, Circuit};
use std::collections::HashSet;

/// Hands out unique axis and node names.
#[derive(Default)]
pub(crate) struct Namer {
    axes: HashSet<String>,
    nodes: HashSet<String>,
}

/// A name the text format reads: letters, digits, `_` and `.`, not starting with a digit.
pub(crate) fn ident(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    out = out.trim_matches(|c| c == '.' || c == '_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'v');
    }
    out
}

/// The role of dimension `i` of a rank-`rank` graph input: NCHW-like for images, (b, t, m)
/// for sequences, (b, f) for vectors.
pub(crate) fn input_kind(rank: usize, i: usize) -> AxisKind {
    match (rank, i) {
        (1, _) => AxisKind::Feature,
        (_, 0) => AxisKind::Batch,
        (3, 1) => AxisKind::Token,
        (2, 1) | (3, 2) => AxisKind::Feature,
        (_, 1) => AxisKind::Feature,
        _ => AxisKind::Spatial,
    }
}

impl Namer {
    /// The name of dimension `i` of a rank-`rank` graph input, by role.
    pub(crate) fn axis(&mut self, kind: AxisKind, rank: usize, i: usize) -> String {
        let base = match kind {
            AxisKind::Batch => "b",
            AxisKind::Token => "t",
            AxisKind::Feature if rank == 3 => "m",
            AxisKind::Feature if rank >= 4 => "c",
            AxisKind::Feature => "f",
            AxisKind::Spatial => match rank - i {
                1 => "w",
                2 => "h",
                _ => "d",
            },
            _ => "a",
        };
        self.fresh(base)
    }

    /// `base`, or `base1`, `base2`, … when taken.
    pub(crate) fn fresh(&mut self, base: &str) -> String {
        let mut name = base.to_string();
        let mut k = 1;
        while self.axes.contains(&name) {
            name = format!("{base}{k}");
            k += 1;
        }
        self.axes.insert(name.clone());
        name
    }

    /// A unique node label from the ONNX node name: `/layer1/conv1/Conv` → `layer1.conv1`;
    /// unnamed nodes get the operator and their index.
    pub(crate) fn node(&mut self, name: &str, op_type: &str, index: usize) -> String {
        let mut parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
        // the last part repeats the operator (`Conv`, `Conv_1`): drop it when a path remains
        if parts.len() > 1 && parts.last().is_some_and(|p| p.starts_with(op_type)) {
            parts.pop();
        }
        let base = if parts.is_empty() {
            format!("{}{index}", op_type.to_lowercase())
        } else {
            ident(&parts.join("."))
        };
        let mut label = base.clone();
        let mut k = 1;
        while self.nodes.contains(&label) {
            label = format!("{base}_{k}");
            k += 1;
        }
        self.nodes.insert(label.clone());
        label
    }

    /// Makes every axis name of the finished circuit unique (the builder names window and
    /// group axes after their input, so two convolutions can both make `kh`).
    pub(crate) fn finish(&mut self, c: &mut Circuit) {
        let mut seen: HashSet<String> = HashSet::new();
        for a in &mut c.axes {
            if seen.contains(&a.name) {
                let base = a.name.clone();
                let mut k = 1;
                while seen.contains(&format!("{base}{k}")) {
                    k += 1;
                }
                a.name = format!("{base}{k}");
            }
            seen.insert(a.name.clone());
        }
        // einsum signatures are stored as text: write them again with the final names
        let name = |t: &nc_diagram::ir::EinTerm| c.axes[t.axis.ix()].name.clone();
        let sigs: Vec<Option<String>> = c
            .nodes
            .iter()
            .map(|n| match &n.op {
                nc_diagram::ir::Op::Einsum(e)
                    if e.operands
                        .iter()
                        .chain([&e.output])
                        .flatten()
                        .all(|t| t.parts == [t.axis]) =>
                {
                    let ops: Vec<String> = e
                        .operands
                        .iter()
                        .map(|o| o.iter().map(name).collect::<Vec<_>>().join(" "))
                        .collect();
                    let out: Vec<String> = e.output.iter().map(name).collect();
                    Some(format!("{} -> {}", ops.join(", "), out.join(" ")))
                }
                _ => None,
            })
            .collect();
        for (n, s) in c.nodes.iter_mut().zip(sigs) {
            if let (nc_diagram::ir::Op::Einsum(e), Some(s)) = (&mut n.op, s) {
                e.signature = s;
            }
        }
    }
}
