//! Einsum contractions: signature resolution against the operands' axes, by name, with
//! same-name-different-axis conflicts reported.

use super::{BuildError, Builder, R};
use crate::ir::*;
use crate::parse::signature::{RawTerm, parse_signature};
use std::collections::BTreeMap;

impl Builder {
    /// Einsum contraction with an einops-like signature.
    pub fn einsum(&mut self, name: &str, signature: &str, operands: &[ValueId]) -> R<ValueId> {
        let op = self.scoped_name(name);
        let sig = parse_signature(signature).map_err(|e| BuildError::Signature {
            op: op.clone(),
            why: e.to_string(),
        })?;
        if sig.operands.len() != operands.len() {
            return Err(BuildError::Signature {
                op,
                why: format!(
                    "signature has {} operands but {} were given",
                    sig.operands.len(),
                    operands.len()
                ),
            });
        }
        for v in operands {
            self.need_real(&op, "einsum", *v)?;
        }
        // names seen so far ↦ identity, to catch same-name-different-axis
        let mut seen: BTreeMap<String, AxisId> = BTreeMap::new();
        fn note(b: &Builder, seen: &mut BTreeMap<String, AxisId>, op: &str, a: AxisId) -> R<()> {
            let n = b.c.axes[a.ix()].name.clone();
            match seen.get(&n) {
                Some(&prev) if prev != a => Err(BuildError::AxisConflict {
                    op: op.to_string(),
                    kind: "einsum",
                    name: n,
                    first: format!("axis {}", b.label(prev)),
                    second: format!("axis {}", b.label(a)),
                }),
                _ => {
                    seen.insert(n, a);
                    Ok(())
                }
            }
        }
        let mut ops_terms: Vec<Vec<EinTerm>> = Vec::new();
        let mut broadcast: Vec<AxisId> = Vec::new();
        for (j, (raw, &v)) in sig.operands.iter().zip(operands).enumerate() {
            let axes = self.axes_of(v).to_vec();
            let by_name = |n: &str| -> R<AxisId> {
                let hits: Vec<AxisId> = axes
                    .iter()
                    .copied()
                    .filter(|a| self.c.axes[a.ix()].name == n)
                    .collect();
                match hits.len() {
                    1 => Ok(hits[0]),
                    0 => Err(BuildError::Signature {
                        op: op.clone(),
                        why: format!(
                            "operand {j} (`{}`) has no axis `{n}`; its axes are [{}]",
                            self.c.values[v.ix()].name,
                            axes.iter()
                                .map(|a| self.label(*a))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }),
                    _ => Err(BuildError::Signature {
                        op: op.clone(),
                        why: format!("operand {j} has several axes named `{n}`"),
                    }),
                }
            };
            let mut terms = Vec::new();
            let mut claimed = Vec::new();
            for t in raw {
                if let RawTerm::Name(n) = t {
                    claimed.push(by_name(n)?);
                }
            }
            for t in raw {
                let term = match t {
                    RawTerm::Name(n) => {
                        let a = by_name(n)?;
                        EinTerm {
                            axis: a,
                            parts: vec![a],
                        }
                    }
                    RawTerm::Group { merged, parts } => {
                        let a = match merged {
                            Some(m) => by_name(m)?,
                            None => {
                                let left: Vec<AxisId> = axes
                                    .iter()
                                    .copied()
                                    .filter(|a| !claimed.contains(a))
                                    .collect();
                                if left.len() != 1 {
                                    return Err(BuildError::Signature {
                                        op: op.clone(),
                                        why: format!(
                                            "operand {j}: cannot tell which axis the group ({}) is; name it as `m:({})`",
                                            parts.join(" "),
                                            parts.join(" ")
                                        ),
                                    });
                                }
                                left[0]
                            }
                        };
                        claimed.push(a);
                        let ps = parts
                            .iter()
                            .map(|p| self.axis_by_name(&op, p, &seen))
                            .collect::<R<Vec<_>>>()?;
                        EinTerm { axis: a, parts: ps }
                    }
                };
                for p in &term.parts {
                    note(self, &mut seen, &op, *p)?;
                }
                terms.push(term);
            }
            for a in axes.iter().filter(|a| !claimed.contains(a)) {
                if !broadcast.contains(a) {
                    broadcast.push(*a);
                }
            }
            ops_terms.push(terms);
        }
        let mut out_terms = Vec::new();
        for t in &sig.output {
            let term = match t {
                RawTerm::Name(n) => {
                    let a = *seen.get(n).ok_or_else(|| BuildError::Signature {
                        op: op.clone(),
                        why: format!("output axis `{n}` is on no operand"),
                    })?;
                    EinTerm {
                        axis: a,
                        parts: vec![a],
                    }
                }
                RawTerm::Group {
                    merged: Some(m),
                    parts,
                } => {
                    let ps = parts
                        .iter()
                        .map(|p| {
                            seen.get(p).copied().ok_or_else(|| BuildError::Signature {
                                op: op.clone(),
                                why: format!("output axis `{p}` is on no operand"),
                            })
                        })
                        .collect::<R<Vec<_>>>()?;
                    EinTerm {
                        axis: self.axis_by_name(&op, m, &BTreeMap::new())?,
                        parts: ps,
                    }
                }
                RawTerm::Group {
                    merged: None,
                    parts,
                } => {
                    return Err(BuildError::Signature {
                        op,
                        why: format!(
                            "output group ({}) must name its axis, as `m:({})`",
                            parts.join(" "),
                            parts.join(" ")
                        ),
                    });
                }
            };
            out_terms.push(term);
        }
        let mut out: Vec<AxisId> = broadcast.clone();
        out.extend(out_terms.iter().map(|t| t.axis));
        for t in ops_terms.iter().flatten() {
            if broadcast.contains(&t.axis) || t.parts.iter().any(|p| broadcast.contains(p)) {
                return Err(BuildError::Signature {
                    op,
                    why: format!(
                        "axis {} is named on one operand but left implicit on another",
                        self.label(t.axis)
                    ),
                });
            }
        }
        self.no_dups(&op, "einsum", &out)?;
        Ok(self.push(
            name,
            Op::Einsum(Einsum {
                signature: signature.to_string(),
                operands: ops_terms,
                output: out_terms,
            }),
            operands.to_vec(),
            vec![out],
            vec![],
        )[0])
    }

    fn axis_by_name(&self, op: &str, n: &str, prefer: &BTreeMap<String, AxisId>) -> R<AxisId> {
        if let Some(a) = prefer.get(n) {
            return Ok(*a);
        }
        let hits: Vec<AxisId> = self
            .c
            .axes
            .iter()
            .filter(|a| a.name == n)
            .map(|a| a.id)
            .collect();
        match hits.len() {
            1 => Ok(hits[0]),
            0 => Err(BuildError::Signature {
                op: op.into(),
                why: format!("no axis named `{n}` exists"),
            }),
            _ => Err(BuildError::Signature {
                op: op.into(),
                why: format!("several axes are named `{n}`; the group is ambiguous"),
            }),
        }
    }
}
