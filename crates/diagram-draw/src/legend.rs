//! Labels and legend of one drawing, keyed by axis identity.
//!
//! A circuit names its axes for people, and names repeat: every block of a ResNet has its own
//! bottleneck axis `nb`, every window its own kernel axis `kH`. A drawing labels each axis it
//! shows, so two distinct axes in one drawing never share a label: the first keeps its name,
//! later ones get a subscript (`kH₂`, `kH₃`). A label never reads as a size symbol it is not:
//! an axis named `n` whose size is `4·n` is labelled `n₂`. The legend lists every label once,
//! with its simplified formula and its value at the drawn sizes.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{AxisInfo, Diagram, WireId};

/// One legend entry: a label, the axis it names and its size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The label as drawn on the wire.
    pub label: String,
    /// The axis's unique id in its circuit.
    pub axis: u32,
    /// Its simplified size formula.
    pub formula: String,
    /// Its size at the drawn sizes.
    pub size: Option<i64>,
}

impl Entry {
    /// The legend line: `label = formula = value`, without the parts that repeat.
    ///
    /// ```
    /// use nc_diagram_draw::legend::Entry;
    /// let e = |label: &str, formula: &str| Entry {
    ///     label: label.into(), axis: 0, formula: formula.into(), size: Some(16),
    /// };
    /// assert_eq!(e("n_1", "4·n").line(), "n_1 = 4·n = 16");
    /// assert_eq!(e("H", "H").line(), "H = 16");
    /// assert_eq!(e("kH", "16").line(), "kH = 16");
    /// ```
    #[must_use]
    pub fn line(&self) -> String {
        let literal = self.formula.parse::<i64>().is_ok();
        match self.size {
            Some(v) if literal || self.formula == self.label => format!("{} = {v}", self.label),
            Some(v) => format!("{} = {} = {v}", self.label, self.formula),
            None if self.formula == self.label => self.label.clone(),
            None => format!("{} = {}", self.label, self.formula),
        }
    }
}

/// A bundle of axes drawn as one wire (`x̄ = (H, W)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The label as drawn on the wire.
    pub label: String,
    /// The axes it holds, by id.
    pub axes: Vec<u32>,
}

/// The labels of one drawing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Labels {
    by_wire: BTreeMap<WireId, String>,
    /// One entry per axis shown (on its own wire or in a bundle), in order of appearance.
    pub entries: Vec<Entry>,
    /// The bundles shown.
    pub bundles: Vec<Bundle>,
    /// The legend's lines, in order of appearance.
    pub lines: Vec<String>,
}

impl Labels {
    /// The label drawn on a wire.
    pub(crate) fn text(&self, w: WireId) -> &str {
        self.by_wire.get(&w).map_or("", String::as_str)
    }
}

fn info(d: &Diagram, id: u32) -> Option<&AxisInfo> {
    d.axes
        .get(id as usize)
        .filter(|a| a.id == id)
        .or_else(|| d.axes.iter().find(|a| a.id == id))
}

/// The identifiers a formula mentions.
fn words(formula: &str) -> impl Iterator<Item = &str> {
    formula
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

/// Labels the wires of one drawing; `order` lists the wires it shows, in order of first
/// appearance. Wires of a hand-built diagram (no axes) keep their own labels.
pub(crate) fn assign(d: &Diagram, order: &[WireId]) -> Labels {
    let mut visible: Vec<&AxisInfo> = Vec::new();
    for w in order {
        for id in d.wire(*w).map(|x| x.axes.as_slice()).unwrap_or_default() {
            if let Some(a) = info(d, *id)
                && !visible.iter().any(|v| v.id == a.id)
            {
                visible.push(a);
            }
        }
    }
    // size symbols this drawing's legend mentions
    let symbols: BTreeSet<&str> = visible
        .iter()
        .flat_map(|a| words(&a.formula))
        .filter(|w| d.symbols.iter().any(|s| s == w))
        .collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let free = |base: &str, formula: &str, taken: &mut BTreeSet<String>| {
        let clash = |l: &str, taken: &BTreeSet<String>| {
            taken.contains(l) || (symbols.contains(l) && formula != l)
        };
        let mut label = base.to_owned();
        let mut k = 2;
        while clash(&label, taken) {
            label = format!("{base}{}", crate::labels::subscript(k));
            k += 1;
        }
        taken.insert(label.clone());
        label
    };
    let mut l = Labels::default();
    let mut by_axis: BTreeMap<u32, usize> = BTreeMap::new();
    // the legend in order of appearance: an axis, or a bundle with its members
    let mut shown: Vec<(bool, usize)> = Vec::new();
    for w in order {
        let Some(x) = d.wire(*w) else { continue };
        for id in &x.axes {
            if by_axis.contains_key(id) {
                continue;
            }
            let Some(a) = info(d, *id) else { continue };
            let label = free(&crate::labels::compact(&a.name), &a.formula, &mut taken);
            by_axis.insert(*id, l.entries.len());
            if x.axes.len() == 1 {
                shown.push((false, l.entries.len()));
            }
            l.entries.push(Entry {
                label,
                axis: a.id,
                formula: a.formula.clone(),
                size: a.size,
            });
        }
        let label = match x.axes.as_slice() {
            [] => crate::labels::compact(&x.label),
            [id] => match by_axis.get(id) {
                Some(i) => l.entries[*i].label.clone(),
                None => continue,
            },
            many => match l.bundles.iter().find(|b| b.axes == many) {
                Some(b) => b.label.clone(),
                None => {
                    let label = free(&x.label, "", &mut taken);
                    shown.push((true, l.bundles.len()));
                    l.bundles.push(Bundle {
                        label: label.clone(),
                        axes: many.to_vec(),
                    });
                    label
                }
            },
        };
        l.by_wire.insert(*w, label);
    }
    for (bundle, i) in shown {
        if !bundle {
            l.lines.push(l.entries[i].line());
            continue;
        }
        let b = &l.bundles[i];
        let members: Vec<&Entry> = b
            .axes
            .iter()
            .filter_map(|a| by_axis.get(a).map(|i| &l.entries[*i]))
            .collect();
        let names: Vec<&str> = members.iter().map(|e| e.label.as_str()).collect();
        let head = format!("{} = ({})", b.label, names.join(", "));
        let same = members
            .windows(2)
            .all(|p| p[0].formula == p[1].formula && p[0].size == p[1].size);
        match members.first() {
            Some(e) if same => {
                let each = Entry {
                    label: String::new(),
                    ..(*e).clone()
                };
                let line = each.line();
                let rest = line.strip_prefix(" = ").unwrap_or(&line);
                l.lines.push(format!("{head}, each {rest}"));
            }
            _ => {
                l.lines.push(head);
                for e in members {
                    l.lines.push(e.line());
                }
            }
        }
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Wire;

    fn diagram(axes: &[(&str, &str)], symbols: &[&str]) -> Diagram {
        let mut d = Diagram::default();
        for (i, (name, formula)) in axes.iter().enumerate() {
            let id = u32::try_from(i).unwrap();
            d.axes.push(AxisInfo {
                id,
                name: (*name).into(),
                formula: (*formula).into(),
                size: Some(1),
            });
            d.wires.push(Wire {
                label: (*name).into(),
                double: false,
                segment: 0,
                axes: vec![id],
            });
        }
        d.symbols = symbols.iter().map(|s| (*s).to_owned()).collect();
        d
    }

    #[test]
    fn distinct_axes_get_distinct_labels() {
        let d = diagram(
            &[
                ("kH", "3"),
                ("kH", "1"),
                ("kH", "8"),
                ("n", "n"),
                ("n", "4·n"),
            ],
            &["n"],
        );
        let order: Vec<WireId> = (0..5).map(WireId).collect();
        let l = assign(&d, &order);
        let labels: Vec<&str> = order.iter().map(|w| l.text(*w)).collect();
        assert_eq!(labels, ["kH", "kH₂", "kH₃", "n", "n₂"]);
        assert_eq!(l.entries[2].line(), "kH₃ = 1");
    }

    #[test]
    fn a_label_never_reads_as_another_symbol() {
        let d = diagram(&[("n", "4·n")], &["n"]);
        let l = assign(&d, &[WireId(0)]);
        assert_eq!(l.text(WireId(0)), "n₂");
    }
}
