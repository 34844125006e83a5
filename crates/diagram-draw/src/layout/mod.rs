//! Automatic layout: places columns and wires and emits a [`Scene`].
//!
//! Data columns (wire labels) alternate with event columns (boxes, shuffles, block edges).
//! Wires are stacked top to bottom in each data column. A wire that is not acted on but must
//! move vertically bends in the margin of an event column, on the side where it stays clear
//! of the box, so no wire crosses a box it does not touch.

mod assemble;
mod joins;

use std::collections::BTreeMap;

use crate::flatten::{Event, Flat, Live, spread_owners};
use crate::model::{Diagram, Op, OpKind, WireId};
use crate::pictogram;
use crate::scene::{Face, Prim, Role, Scene, Seg, Text};

/// Vertical distance between adjacent wires.
pub const PITCH: f64 = 26.0;
/// Extra gap at a tuple separator.
const SEP: f64 = 10.0;
/// Extra gap above the first wire of an expanded block (its title).
const TITLE_H: f64 = 20.0;
/// Extra gap below the last wire of an expanded block.
const PAD: f64 = 8.0;
/// Half the height of a box around one port.
pub(crate) const HALF_BOX: f64 = 9.5;
/// Horizontal margin of event columns, where wires bend.
const MARGIN: f64 = 12.0;
/// Margin of an event column side where no wire bends.
const SLIM_MARGIN: f64 = 5.0;
/// Left and right canvas margin; wires start and end there.
pub const EDGE: f64 = 10.0;
/// Wire label font size.
pub const LABEL_FONT: f64 = 11.0;
/// Top of the first wire region.
const TOP: f64 = 46.0;

/// Options for laying out one diagram.
#[derive(Clone, Debug, Default)]
pub struct LayoutOptions {
    /// Blocks drawn expanded whatever their depth.
    pub expand: Vec<String>,
    /// Expand blocks nested at most this deep (0 = all collapsed); `None` keeps each block's
    /// own setting.
    pub depth: Option<usize>,
    /// Draw the cost overlay.
    pub cost: bool,
}

/// Lays out a diagram.
///
/// ```
/// use nc_diagram_draw::model::{Builder, OpKind};
/// use nc_diagram_draw::layout::{layout, LayoutOptions};
/// let mut b = Builder::new("relu");
/// let x = b.input(&["m"]);
/// b.op(OpKind::Elementwise("R".into()), false, &x, &["m"]);
/// let scene = layout(&b.finish(), &LayoutOptions::default());
/// assert!(scene.width > 0.0);
/// ```
#[must_use]
pub fn layout(d: &Diagram, opt: &LayoutOptions) -> Scene {
    let placed = crate::untangle::placement(d, opt);
    layout_placed(d, opt, &placed)
}

/// [`layout`] with the regroupings placed as given.
pub(crate) fn layout_placed(
    d: &Diagram,
    opt: &LayoutOptions,
    placed: &crate::flatten::Placement,
) -> Scene {
    layout_counted(d, opt, placed).0
}

/// [`layout_placed`], how many columns of operations the drawing has, and how many
/// operations its fullest column holds.
pub(crate) fn layout_counted(
    d: &Diagram,
    opt: &LayoutOptions,
    placed: &crate::flatten::Placement,
) -> (Scene, (usize, usize)) {
    let mut flat = crate::flatten::flatten_placed(d, &opt.expand, opt.depth, placed);
    spread_owners(&mut flat);
    crate::pack::pack(d, &mut flat);
    let sizes: Vec<usize> = flat
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Ops(ops) => Some(ops.len()),
            _ => None,
        })
        .collect();
    let columns = (sizes.len(), sizes.iter().copied().max().unwrap_or(0));
    let labels = crate::legend::assign(d, &shown(&flat));
    let ys: Vec<Vec<f64>> = flat.states.iter().map(|s| stack(d, s)).collect();
    let L {
        data_w,
        ev_w,
        margins,
    } = widths(d, &labels, &flat, &ys, opt.cost);
    let mut p = Painter::new(d, &labels, &flat, ys, data_w, ev_w, opt.cost);
    p.margins = margins;
    (p.paint(), columns)
}

/// The wires a drawing shows, in order of first appearance from the left.
fn shown(flat: &Flat) -> Vec<WireId> {
    let mut seen = std::collections::BTreeSet::new();
    let mut order = Vec::new();
    let ops = flat.events.iter().flat_map(|e| match e {
        Event::Ops(ops) => ops.as_slice(),
        _ => &[],
    });
    let in_ops = ops.flat_map(|op| op.inputs.iter().chain(&op.outputs));
    for w in flat.states.iter().flatten().map(|l| &l.id).chain(in_ops) {
        if seen.insert(*w) {
            order.push(*w);
        }
    }
    order
}

/// Wire heights in one data column.
pub(crate) fn stack(d: &Diagram, s: &[Live]) -> Vec<f64> {
    let mut ys = Vec::with_capacity(s.len());
    let mut y = TOP;
    for (i, l) in s.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "nesting depth is tiny")]
        if i == 0 {
            y += TITLE_H * l.owners.len() as f64;
        } else {
            let p = &s[i - 1];
            let opened = l.owners.iter().filter(|o| !p.owners.contains(o)).count() as f64;
            let closed = p.owners.iter().filter(|o| !l.owners.contains(o)).count() as f64;
            let seg = |w: WireId| d.wire(w).map(|x| x.segment);
            let sep = if seg(l.id) == seg(p.id) { 0.0 } else { SEP };
            y += PITCH + sep + TITLE_H * opened + PAD * closed;
        }
        ys.push(y);
    }
    ys
}

struct L {
    data_w: Vec<f64>,
    ev_w: Vec<f64>,
    /// Left and right margin of each event column.
    margins: Vec<(f64, f64)>,
}

/// Which wires get a label in data column `k`: new ones, and all at both edges.
fn labelled(flat: &Flat, k: usize) -> Vec<bool> {
    let last = flat.states.len() - 1;
    flat.states[k]
        .iter()
        .map(|l| k == 0 || k == last || !flat.states[k - 1].iter().any(|p| p.id == l.id))
        .collect()
}

fn cost_width(lines: &[String]) -> f64 {
    lines
        .iter()
        .map(|s| crate::metrics::width(s, COST_FONT))
        .fold(0.0, f64::max)
}

/// The cost overlay lines of one column: those of each of its operations in turn.
fn column_cost(ops: &[Op]) -> Vec<String> {
    ops.iter().flat_map(|op| op.cost.iter().cloned()).collect()
}

/// Cost overlay font size.
const COST_FONT: f64 = 9.0;

fn widths(
    d: &Diagram,
    labels: &crate::legend::Labels,
    flat: &Flat,
    ys: &[Vec<f64>],
    cost: bool,
) -> L {
    let data_w = (0..flat.states.len())
        .map(|k| {
            let show = labelled(flat, k);
            let w = flat.states[k]
                .iter()
                .zip(&show)
                .filter(|(_, s)| **s)
                .map(|(l, _)| {
                    Text::rich(0.0, 0.0, LABEL_FONT, Face::Italic, labels.text(l.id)).width()
                })
                .fold(0.0, f64::max);
            if w > 0.0 { w + 7.0 } else { 10.0 }
        })
        .collect();
    let mut margins = Vec::new();
    let ev_w = flat
        .events
        .iter()
        .enumerate()
        .map(|(k, e)| match e {
            Event::Ops(ops) => {
                // a margin is only as wide as a bend needs; a column without one is slim
                let plan = column_plan(d, flat, ys, k, ops);
                let (bl, br) = plan.bends();
                let m = |bends: bool| if bends { MARGIN } else { SLIM_MARGIN };
                let (mut ml, mr) = (m(bl), m(br));
                if let Some(order) = flat.gathered.get(&k) {
                    // the wires cross here on their way to the boxes
                    let oy = stack(d, order);
                    ml = regroup_width((&flat.states[k], &ys[k]), (order, &oy)).max(ml);
                }
                let inner = ops
                    .iter()
                    .map(|op| pictogram::min_width(&op.kind, op.learned))
                    .fold(0.0, f64::max);
                let c = if cost {
                    cost_width(&column_cost(ops)) + 6.0
                } else {
                    0.0
                };
                let w = inner + ml + mr;
                // a cost line wider than the box widens both margins alike
                let extra = (c - w).max(0.0) / 2.0;
                margins.push((ml + extra, mr + extra));
                w + 2.0 * extra
            }
            Event::Shuffle => {
                margins.push((0.0, 0.0));
                regroup_width((&flat.states[k], &ys[k]), (&flat.states[k + 1], &ys[k + 1]))
            }
            Event::Open(b) | Event::Close(b) => {
                margins.push((0.0, 0.0));
                if flat.blocks[*b].lambda { 22.0 } else { 10.0 }
            }
        })
        .collect();
    L {
        data_w,
        ev_w,
        margins,
    }
}

/// The plan of operation column `k`, from the order its wires take after any regrouping it
/// absorbed.
fn column_plan(
    d: &Diagram,
    flat: &Flat,
    ys: &[Vec<f64>],
    k: usize,
    ops: &[Op],
) -> crate::pack::Plan {
    let right = (flat.states[k + 1].as_slice(), ys[k + 1].as_slice());
    match flat.gathered.get(&k) {
        Some(order) => {
            let oy = stack(d, order);
            crate::pack::plan(ops, (order, &oy), right)
        }
        None => crate::pack::plan(ops, (&flat.states[k], &ys[k]), right),
    }
}

/// A regrouping is as wide as its steepest move needs, within bounds.
fn regroup_width(left: (&[Live], &[f64]), right: (&[Live], &[f64])) -> f64 {
    let steepest = left
        .0
        .iter()
        .zip(left.1)
        .filter_map(|(l, a)| {
            let j = right.0.iter().position(|r| r.id == l.id)?;
            Some((a - right.1[j]).abs())
        })
        .fold(0.0, f64::max);
    (20.0 + 0.2 * steepest).clamp(28.0, 44.0)
}

struct Painter<'a> {
    d: &'a Diagram,
    labels: &'a crate::legend::Labels,
    flat: &'a Flat,
    ys: Vec<Vec<f64>>,
    data_x: Vec<(f64, f64)>,
    ev_x: Vec<(f64, f64)>,
    /// Left and right margin of each event column.
    margins: Vec<(f64, f64)>,
    cost: bool,
    /// Open wire paths, by wire.
    paths: BTreeMap<WireId, Vec<Seg>>,
    wires: Vec<Prim>,
    boxes: Vec<Prim>,
    texts: Vec<Prim>,
    /// Block backgrounds with their depth, painted first.
    bgs: Vec<(usize, Prim)>,
    costs: Vec<(f64, Vec<String>)>,
    hot: Vec<crate::scene::Hot>,
}

impl<'a> Painter<'a> {
    fn new(
        d: &'a Diagram,
        labels: &'a crate::legend::Labels,
        flat: &'a Flat,
        ys: Vec<Vec<f64>>,
        data_w: Vec<f64>,
        ev_w: Vec<f64>,
        cost: bool,
    ) -> Self {
        let mut x = EDGE;
        let mut data_x = Vec::new();
        let mut ev_x = Vec::new();
        for (k, dw) in data_w.iter().enumerate() {
            data_x.push((x, x + dw));
            x += dw;
            if let Some(w) = ev_w.get(k) {
                ev_x.push((x, x + w));
                x += w;
            }
        }
        Self {
            d,
            labels,
            flat,
            ys,
            data_x,
            ev_x,
            margins: Vec::new(),
            cost,
            paths: BTreeMap::new(),
            wires: Vec::new(),
            boxes: Vec::new(),
            texts: Vec::new(),
            bgs: Vec::new(),
            costs: Vec::new(),
            hot: Vec::new(),
        }
    }

    fn seg(&mut self, w: WireId, s: Seg) {
        self.paths.entry(w).or_default().push(s);
    }

    /// Extends wire `w` to (x, y) with a straight line, starting it there if new.
    fn line(&mut self, w: WireId, x: f64, y: f64) {
        let p = self.paths.entry(w).or_default();
        if p.is_empty() {
            p.push(Seg::M(x, y))
        } else {
            p.push(Seg::L(x, y))
        }
    }

    fn curve(&mut self, w: WireId, from: (f64, f64), to: (f64, f64)) {
        let mx = (from.0 + to.0) / 2.0;
        self.line(w, from.0, from.1);
        self.seg(w, Seg::C(mx, from.1, mx, to.1, to.0, to.1));
    }

    fn is_double(&self, w: WireId) -> bool {
        self.d.wire(w).is_some_and(|x| x.double)
    }

    /// Ends wire `w`'s path.
    fn finish(&mut self, w: WireId) {
        if let Some(p) = self.paths.remove(&w)
            && p.len() > 1
        {
            let double = self.d.wire(w).is_some_and(|x| x.double);
            self.wires
                .push(Prim::Path(if double { Role::Wire2 } else { Role::Wire }, p));
        }
    }

    fn paint(mut self) -> Scene {
        let n = self.flat.events.len();
        for k in 0..=n {
            self.data_column(k);
            if k < n {
                self.event(k);
            }
        }
        let right = self.data_x.last().map_or(EDGE, |x| x.1);
        let ids: Vec<WireId> = self.paths.keys().copied().collect();
        for w in ids {
            self.finish(w);
        }
        self.blocks();
        let cuts = crate::wrap::cuts(self.flat, &self.data_x);
        self.assemble(right, &cuts)
    }

    fn data_column(&mut self, k: usize) {
        let (x0, x1) = self.data_x[k];
        let show = labelled(self.flat, k);
        let state = &self.flat.states[k];
        for (i, l) in state.iter().enumerate() {
            let y = self.ys[k][i];
            if !self.paths.contains_key(&l.id) {
                self.line(l.id, x0, y);
            }
            self.line(l.id, x1, y);
            if show[i] {
                let s = self.labels.text(l.id);
                let t = Text::rich(x0 + 6.0, y - 4.0, LABEL_FONT, Face::Italic, s);
                self.texts.push(Prim::Text(t));
            }
            // tuple separator above this wire: a dashed line along the data column, on
            // across the next column while both members pass it unchanged
            let seg = |w: WireId| self.d.wire(w).map(|x| x.segment);
            if i > 0 && seg(l.id) != seg(state[i - 1].id) {
                let ym = self.ys[k][i - 1] + 9.0;
                let end = if self.passes_on(k, i) {
                    self.data_x[k + 1].0
                } else {
                    x1
                };
                self.boxes
                    .push(Prim::Path(Role::Sep, vec![Seg::M(x0, ym), Seg::L(end, ym)]));
            }
        }
    }

    /// Whether wires `i - 1` and `i` of data column `k` cross the next column side by side at
    /// the same heights, so the separator between them runs on.
    fn passes_on(&self, k: usize, i: usize) -> bool {
        let (Some(next), Some(ny)) = (self.flat.states.get(k + 1), self.ys.get(k + 1)) else {
            return false;
        };
        let state = &self.flat.states[k];
        let Some(j) = next.iter().position(|l| l.id == state[i].id) else {
            return false;
        };
        let touched = match &self.flat.events[k] {
            Event::Ops(ops) => ops.iter().any(|op| {
                op.inputs
                    .iter()
                    .chain(&op.outputs)
                    .any(|w| *w == state[i].id || *w == state[i - 1].id)
            }),
            _ => false,
        };
        !touched
            && !self.flat.gathered.contains_key(&k)
            && j > 0
            && next[j - 1].id == state[i - 1].id
            && (ny[j] - self.ys[k][i]).abs() < 0.05
            && (ny[j - 1] - self.ys[k][i - 1]).abs() < 0.05
    }

    fn event(&mut self, k: usize) {
        let (x0, x1) = self.ev_x[k];
        let (left, right) = (&self.flat.states[k], &self.flat.states[k + 1]);
        match &self.flat.events[k] {
            Event::Shuffle | Event::Open(_) | Event::Close(_) => {
                let moves: Vec<(WireId, f64, f64)> = left
                    .iter()
                    .enumerate()
                    .filter_map(|(i, l)| {
                        let j = right.iter().position(|r| r.id == l.id)?;
                        Some((l.id, self.ys[k][i], self.ys[k + 1][j]))
                    })
                    .collect();
                for (w, a, b) in moves {
                    if (a - b).abs() < 0.05 {
                        self.line(w, x1, b);
                    } else {
                        self.curve(w, (x0, a), (x1, b));
                    }
                }
            }
            Event::Ops(ops) => {
                let ops = ops.clone();
                self.ops(k, &ops);
            }
        }
    }

    /// One operation column. A single operation's box sits between its ports, and wires
    /// passing by bend on the side that keeps clear of it; in a packed column the ports of
    /// each box bend to where [`crate::pack::middle`] puts them.
    fn ops(&mut self, k: usize, ops: &[Op]) {
        let (x0, x1) = self.ev_x[k];
        let (ml, mr) = self.margins[k];
        let (bx0, bx1) = (x0 + ml, x1 - mr);
        let packed = ops.len() > 1;
        let plan = column_plan(self.d, self.flat, &self.ys, k, ops);
        let (mid, ports) = (plan.middle, plan.ports);
        // where each wire really starts: a regrouping column's plan starts from the order
        // after the regrouping, which the wires reach in the left margin
        let flat = self.flat;
        let ys = self.ys[k].clone();
        let start = |w: WireId, planned: f64| {
            flat.states[k]
                .iter()
                .position(|l| l.id == w)
                .map_or(planned, |i| ys[i])
        };
        let moved = |a: f64, b: f64| (a - b).abs() >= 0.05;
        for (w, a, b, track) in plan.passing {
            let a0 = start(w, a);
            if moved(a, b) && !moved(track, b) {
                self.curve(w, (x0, a0), (bx0, b));
                self.line(w, x1, b);
                continue;
            }
            if moved(a0, a) {
                self.curve(w, (x0, a0), (bx0, a));
            }
            if !moved(a, b) {
                self.line(w, x1, b);
            } else {
                self.line(w, bx1, a);
                self.curve(w, (bx1, a), (x1, b));
            }
        }
        for (o, op) in ops.iter().enumerate() {
            let (entries, exits) = (&mid.entries[o], &mid.exits[o]);
            for ((w, a), e) in ports[o].0.iter().zip(entries) {
                let a0 = start(*w, *a);
                if moved(a0, *e) {
                    self.curve(*w, (x0, a0), (bx0, *e));
                }
            }
            // a box narrower than its column is centred in it when it shares the column
            let (mut ox0, mut ox1) = (bx0, bx1);
            if packed && !matches!(op.kind, OpKind::Copy | OpKind::Add) {
                let slack = (bx1 - bx0 - pictogram::min_width(&op.kind, op.learned)).max(0.0);
                ox0 += slack / 2.0;
                ox1 -= slack / 2.0;
            }
            self.op(op, entries, exits, ox0, ox1);
            for ((w, b), e) in ports[o].1.iter().zip(exits) {
                if (b - e).abs() >= 0.05 {
                    self.line(*w, bx1, *e);
                    self.curve(*w, (bx1, *e), (x1, *b));
                }
            }
        }
        let cost = column_cost(ops);
        if self.cost && !cost.is_empty() {
            self.costs.push(((x0 + x1) / 2.0, cost));
        }
    }
}
