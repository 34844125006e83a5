//! `Einsum` of computed values: each letter of the equation becomes one circuit axis.
//!
//! A letter shared by two operands is one axis (the second operand's axis is renamed onto
//! the first's when they differ); two letters on the same axis (`x·xᵀ`, `ij,kj->ik` with one
//! value twice) get distinct axes. Ellipses, repeated letters within an operand (diagonals)
//! and constant operands are refused with the reason.

use super::{Dim, Importer, R, Val, Wire, attr_s, node_err, unsupported};
use crate::proto::NodeProto;
use nc_diagram::ir::{AxisId, ValueId};
use std::collections::BTreeMap;

impl Importer {
    pub(super) fn einsum(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let eq: String = attr_s(n, "equation")
            .ok_or_else(|| node_err(n, "the equation attribute is required"))?
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if eq.contains("...") {
            return unsupported("an equation with an ellipsis (`...`)");
        }
        let (lhs, rhs) = match eq.split_once("->") {
            Some((l, r)) => (l.to_string(), Some(r.to_string())),
            None => (eq.clone(), None),
        };
        let terms: Vec<Vec<char>> = lhs.split(',').map(|t| t.chars().collect()).collect();
        let letters_ok = |t: &[char]| t.iter().all(|c| c.is_ascii_alphabetic());
        if terms.len() != n.input.len() || !terms.iter().all(|t| letters_ok(t)) {
            return Err(node_err(
                n,
                format!(
                    "equation `{eq}` does not have one term of letters per input ({} inputs)",
                    n.input.len()
                ),
            ));
        }
        // the implicit output: letters that appear once, in alphabetical order
        let out: Vec<char> = match rhs {
            Some(r) => r.chars().collect(),
            None => {
                let mut count: BTreeMap<char, usize> = BTreeMap::new();
                terms
                    .iter()
                    .flatten()
                    .for_each(|&c| *count.entry(c).or_default() += 1);
                count
                    .into_iter()
                    .filter(|e| e.1 == 1)
                    .map(|e| e.0)
                    .collect()
            }
        };
        if !letters_ok(&out) || out.iter().any(|c| !terms.iter().flatten().any(|x| x == c)) {
            return Err(node_err(
                n,
                format!("equation `{eq}`: the output has a letter no input has"),
            ));
        }
        let mut letter: BTreeMap<char, AxisId> = BTreeMap::new();
        let mut vals: Vec<ValueId> = Vec::new();
        for (i, term) in terms.iter().enumerate() {
            let x: Val = self.val(n, i)?;
            if x.dims.len() != term.len() {
                return Err(node_err(
                    n,
                    format!(
                        "input {i} has rank {} but its term `{}` has {} letters",
                        x.dims.len(),
                        term.iter().collect::<String>(),
                        term.len()
                    ),
                ));
            }
            let mut v = x.v;
            let mut mine: Vec<AxisId> = Vec::new();
            for (j, (&c, &d)) in term.iter().zip(&x.dims).enumerate() {
                let Dim::Axis(a) = d else {
                    return unsupported(format!(
                        "letter `{c}` of input {i} is a size-1 dimension (broadcasting)"
                    ));
                };
                if term[..j].contains(&c) {
                    return unsupported(format!("letter `{c}` twice in input {i} (a diagonal)"));
                }
                let target = match letter.get(&c) {
                    Some(&t) => t,
                    // an axis already standing for another letter gets a twin
                    None if letter.values().any(|&t| t == a) || mine.contains(&a) => {
                        let kind = self.kind(a);
                        let base = self.b.circuit().axes[a.ix()].name.clone();
                        let t = self.new_axis(&base, self.dim_size(d), kind);
                        letter.insert(c, t);
                        t
                    }
                    None => {
                        letter.insert(c, a);
                        a
                    }
                };
                if target != a {
                    if self.dim_size(Dim::Axis(target)) != self.dim_size(d) {
                        return Err(node_err(
                            n,
                            format!("letter `{c}` has different sizes in the inputs"),
                        ));
                    }
                    let nm = format!("{label}.in{i}_{c}");
                    v = self
                        .b
                        .rename(&nm, v, a, target)
                        .or_else(|_| unsupported(format!("aligning letter `{c}` of input {i}")))?;
                }
                mine.push(target);
            }
            vals.push(v);
        }
        let name = |me: &Self, a: AxisId| me.b.circuit().axes[a.ix()].name.clone();
        let term_names = |me: &Self, t: &[char]| -> String {
            t.iter()
                .map(|c| name(me, letter[c]))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let ins: Vec<String> = terms.iter().map(|t| term_names(self, t)).collect();
        let sig = format!("{} -> {}", ins.join(", "), term_names(self, &out));
        let v = self.b.einsum(label, &sig, &vals)?;
        Ok(Wire::Val(Val {
            v,
            dims: out.iter().map(|c| Dim::Axis(letter[c])).collect(),
        }))
    }
}
