//! Which wires a value is drawn with: one per axis, except that axes travelling together are
//! bundled into one double wire as the paper writes them (the grid `H, W` as `x̄`, a window's
//! kernel offsets `kH, kW` as `k²`), and batch axes that only pass through may be left out.
//!
//! A pair of axes is bundled when a window makes or reads them together, every value holds
//! both or neither, and every operation acts on both or neither; otherwise it is drawn as two
//! wires. Each entry of [`Slots::of`] is one wire: the axes it carries, in order.

use std::collections::{BTreeMap, BTreeSet};

use nc_diagram::ir::{AxisId, AxisKind, Circuit, Op, ValueId};

/// How a circuit's values are drawn as wires.
#[derive(Clone, Debug, Default)]
pub(crate) struct Slots {
    hidden: BTreeSet<AxisId>,
    bundle_of: BTreeMap<AxisId, usize>,
    bundles: Vec<(AxisId, AxisId)>,
    /// Stack grids above kernel offsets above the rest (see [`Slots::of`]).
    grid_first: bool,
}

impl Slots {
    /// Finds the bundles (when `bundle`) and the batch axes to hide (when `hide_batch`).
    pub(crate) fn new(c: &Circuit, bundle: bool, hide_batch: bool) -> Slots {
        let mut s = Slots {
            grid_first: c.nodes.iter().any(|n| {
                matches!(n.op, Op::Window(_)) && n.outputs.iter().any(|v| c.consumers(*v).len() > 1)
            }),
            ..Slots::default()
        };
        if hide_batch {
            // an embedding looks its indices up one by one: it passes the batch through
            let acted: BTreeSet<AxisId> = c
                .nodes
                .iter()
                .filter(|n| !matches!(n.op, Op::Embed { .. }))
                .flat_map(|n| n.acts_on(c))
                .collect();
            s.hidden = c
                .axes
                .iter()
                .filter(|a| a.kind == AxisKind::Batch && !acted.contains(&a.id))
                .map(|a| a.id)
                .collect();
        }
        if bundle {
            s.bundles = bundles(c);
            for (i, (a, b)) in s.bundles.iter().enumerate() {
                s.bundle_of.insert(*a, i);
                s.bundle_of.insert(*b, i);
            }
        }
        s
    }

    /// The hidden batch axes.
    pub(crate) fn hidden(&self) -> &BTreeSet<AxisId> {
        &self.hidden
    }

    /// The wires of a value: each the axes it carries.
    pub(crate) fn of(&self, c: &Circuit, v: ValueId) -> Vec<Vec<AxisId>> {
        let mut out: Vec<Vec<AxisId>> = Vec::new();
        for a in &c.value(v).ty.axes {
            if self.hidden.contains(a) {
                continue;
            }
            match self.bundle_of.get(a) {
                Some(i) => {
                    let (x, y) = self.bundles[*i];
                    if !out.iter().any(|s| s.contains(a)) {
                        out.push(vec![x, y]);
                    }
                }
                None => out.push(vec![*a]),
            }
        }
        // where one window feeds several maps (Fig. 28's Q, K and V), the grid above the
        // kernel offsets above the channels, as the paper stacks them: each map then spans
        // adjacent wires and the grid (the tokens) passes above it
        let rank = |s: &Vec<AxisId>| match c.axis(s[0]).kind {
            AxisKind::Spatial => 0,
            AxisKind::Kernel => 1,
            _ => 2,
        };
        if self.grid_first {
            out.sort_by_key(rank);
        }
        out
    }

    /// The label of a wire: the axis name, or the bundle's (`x̄_2` for `H_2, W_2`; `k²` for
    /// `kH, kW`).
    pub(crate) fn label(c: &Circuit, slot: &[AxisId]) -> String {
        match slot {
            [a] => c.axis(*a).name.clone(),
            [a, b] => bundle_label(c, *a, *b),
            _ => String::new(),
        }
    }
}

/// Pairs of axes a window makes or reads together, kept where every value and operation
/// treats them as one.
fn bundles(c: &Circuit) -> Vec<(AxisId, AxisId)> {
    let mut pairs: Vec<(AxisId, AxisId)> = Vec::new();
    for n in &c.nodes {
        if let Op::Window(w) | Op::WindowT(w) = &n.op
            && let [p, q] = w.axes.as_slice()
        {
            for pair in [
                (p.input, q.input),
                (p.output, q.output),
                (p.kernel, q.kernel),
            ] {
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
    }
    // an axis in two different pairs is in neither
    let count = |a: AxisId, pairs: &[(AxisId, AxisId)]| {
        pairs.iter().filter(|(x, y)| *x == a || *y == a).count()
    };
    let all = pairs.clone();
    pairs.retain(|(a, b)| a != b && count(*a, &all) == 1 && count(*b, &all) == 1);
    let both_or_neither =
        |set: &[AxisId], (a, b): (AxisId, AxisId)| set.contains(&a) == set.contains(&b);
    pairs.retain(|p| {
        c.values.iter().all(|v| both_or_neither(&v.ty.axes, *p))
            && c.nodes.iter().all(|n| both_or_neither(&n.acts_on(c), *p))
    });
    pairs
}

/// `x̄` for a grid, `k²` for kernel offsets, each with the suffix the two names share.
fn bundle_label(c: &Circuit, a: AxisId, b: AxisId) -> String {
    let (x, y) = (c.axis(a), c.axis(b));
    let (xs, ys): (Vec<char>, Vec<char>) = (x.name.chars().collect(), y.name.chars().collect());
    let mut k = 0;
    while k < xs.len().min(ys.len()) && xs[xs.len() - 1 - k] == ys[ys.len() - 1 - k] {
        k += 1;
    }
    let suffix: String = xs[xs.len() - k..].iter().collect();
    let prefix_x: String = xs[..xs.len() - k].iter().collect();
    let prefix_y: String = ys[..ys.len() - k].iter().collect();
    let mut common = String::new();
    for (p, q) in prefix_x.chars().zip(prefix_y.chars()) {
        if p != q {
            break;
        }
        common.push(p);
    }
    let sep = |s: &str| {
        if s.is_empty() || s.starts_with(['_', '\'', '^']) {
            s.to_owned()
        } else {
            format!("_{s}")
        }
    };
    match x.kind {
        AxisKind::Kernel => format!(
            "{}²{}",
            if common.is_empty() { "k" } else { &common },
            sep(&suffix)
        ),
        AxisKind::Spatial | AxisKind::Token => format!("x̄{}", sep(&suffix)),
        _ => format!("({}, {})", x.name, y.name),
    }
}
