//! How wires meet in a box: copy dots, sums, concatenations, and every other box with its
//! pictogram.

use super::{HALF_BOX, Painter};
use crate::model::{Op, OpKind};
use crate::pictogram::{self, Frame};
use crate::scene::{Face, Prim, Role, Text};

impl Painter<'_> {
    /// One box between `bx0` and `bx1`, its ports at heights `ins` and `outs`.
    pub(super) fn op(&mut self, op: &Op, ins: &[f64], outs: &[f64], bx0: f64, bx1: f64) {
        let (ins, outs) = (ins.to_vec(), outs.to_vec());
        let all: Vec<f64> = ins.iter().chain(&outs).copied().collect();
        let top = all.iter().copied().fold(f64::INFINITY, f64::min) - HALF_BOX;
        let bot = all.iter().copied().fold(f64::NEG_INFINITY, f64::max) + HALF_BOX;
        let frame = Frame {
            x0: bx0,
            x1: bx1,
            top,
            bot,
            ins: ins.clone(),
            outs: outs.clone(),
            double_ins: op.inputs.iter().map(|w| self.is_double(*w)).collect(),
            double_outs: op.outputs.iter().map(|w| self.is_double(*w)).collect(),
        };
        if let OpKind::Collapsed { name, .. } = &op.kind {
            self.hot.push(crate::scene::Hot {
                label: name.clone(),
                expanded: false,
                rect: [bx0, top, bx1 - bx0, bot - top],
            });
        }
        match &op.kind {
            OpKind::Copy => self.copy(op, &frame),
            OpKind::Add => self.add(op, &frame),
            OpKind::Concat {
                shared_in,
                shared_out,
            } if concat_fits(shared_in, shared_out, &frame) => {
                self.concat(op, (shared_in, shared_out), &frame);
            }
            OpKind::Concat { .. } => {
                // a shared wire would pass the bar: drawn as one bar over every wire
                let bar = Op {
                    kind: OpKind::Reshape,
                    ..op.clone()
                };
                self.op(&bar, &ins, &outs, bx0, bx1);
            }
            _ => {
                for (w, y) in op.inputs.iter().zip(&ins) {
                    self.line(*w, bx0, *y);
                }
                for w in &op.inputs {
                    self.finish(*w);
                }
                for (w, y) in op.outputs.iter().zip(&outs) {
                    self.line(*w, bx1, *y);
                }
                let mut prims = Vec::new();
                pictogram::draw(&op.kind, op.learned, &frame, &mut prims);
                for p in prims {
                    match p {
                        Prim::Text(_) => self.texts.push(p),
                        _ => self.boxes.push(p),
                    }
                }
            }
        }
    }

    /// Copy: a dot on each input wire, each copy fanning out to its place.
    pub(super) fn copy(&mut self, op: &crate::model::Op, f: &Frame) {
        let n = op.inputs.len();
        for (i, w) in op.inputs.iter().enumerate() {
            let y = f.ins[i];
            self.line(*w, f.x0, y);
            self.finish(*w);
            self.boxes.push(Prim::Circle(Role::Dot, f.x0, y, 3.0));
            let copies = op.outputs.len() / n.max(1);
            for c in (0..copies).map(|j| i + j * n) {
                if let (Some(o), Some(oy)) = (op.outputs.get(c), f.outs.get(c)) {
                    self.curve(*o, (f.x0, y), (f.x1, *oy));
                }
            }
        }
    }

    /// Add: matching wires of both members meet at a dot under a `+`.
    pub(super) fn add(&mut self, op: &crate::model::Op, f: &Frame) {
        let n = op.outputs.len();
        for (j, o) in op.outputs.iter().enumerate() {
            let y = f.outs[j];
            for c in [j, j + n] {
                if let (Some(w), Some(iy)) = (op.inputs.get(c), f.ins.get(c)) {
                    self.curve(*w, (f.x0, *iy), (f.x1, y));
                    self.finish(*w);
                }
            }
            self.boxes.push(Prim::Circle(Role::Dot, f.x1, y, 3.0));
            self.line(*o, f.x1, y);
        }
        if let Some(y) = f.outs.first() {
            let t = Text::new(f.x1 - 4.0, y - 6.0, 13.0, Face::Bold, "+");
            self.texts.push(Prim::Text(t));
        }
    }

    /// Concatenation: each shared wire of every input meets its output at a dot; the
    /// concatenated wires enter a bar that spans only them.
    pub(super) fn concat(&mut self, op: &crate::model::Op, shared: (&[bool], &[bool]), f: &Frame) {
        let (shared_in, shared_out) = shared;
        let dot_x = f.x0 + (f.x1 - f.x0) * 0.4;
        let (bar0, bar1) = (f.x1 - 12.0, f.x1 - 4.0);
        let outs_shared: Vec<usize> = (0..op.outputs.len())
            .filter(|j| shared_out.get(*j) == Some(&true))
            .collect();
        let outs_joined: Vec<usize> = (0..op.outputs.len())
            .filter(|j| shared_out.get(*j) != Some(&true))
            .collect();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        let mut k = 0;
        for (i, w) in op.inputs.iter().enumerate() {
            let Some(&y) = f.ins.get(i) else { continue };
            if shared_in.get(i) == Some(&true) && !outs_shared.is_empty() {
                let j = outs_shared[k % outs_shared.len()];
                k += 1;
                let Some(&oy) = f.outs.get(j) else { continue };
                self.curve(*w, (f.x0, y), (dot_x, oy));
            } else {
                self.line(*w, f.x0, y);
                self.line(*w, bar0, y);
                lo = lo.min(y);
                hi = hi.max(y);
            }
            self.finish(*w);
        }
        for j in &outs_shared {
            if let (Some(o), Some(&y)) = (op.outputs.get(*j), f.outs.get(*j)) {
                self.boxes.push(Prim::Circle(Role::Dot, dot_x, y, 3.0));
                self.line(*o, dot_x, y);
                self.line(*o, f.x1, y);
            }
        }
        for j in &outs_joined {
            if let (Some(o), Some(&y)) = (op.outputs.get(*j), f.outs.get(*j)) {
                lo = lo.min(y);
                hi = hi.max(y);
                self.line(*o, bar1, y);
                self.line(*o, f.x1, y);
            }
        }
        if lo.is_finite() {
            let (top, bot) = (lo - HALF_BOX, hi + HALF_BOX);
            self.boxes
                .push(Prim::Rect(Role::Op, bar0, top, bar1 - bar0, bot - top));
            self.boxes.push(Prim::Rect(
                Role::PictFill,
                bar0 + 2.5,
                top + 3.0,
                bar1 - bar0 - 5.0,
                bot - top - 6.0,
            ));
        }
    }
}

/// Whether a concatenation's bar (spanning its concatenated wires) keeps clear of every
/// shared output, which runs on from its dot past the bar.
fn concat_fits(shared_in: &[bool], shared_out: &[bool], f: &Frame) -> bool {
    let joined = |flags: &[bool], ys: &[f64]| -> Vec<f64> {
        flags
            .iter()
            .zip(ys)
            .filter(|(s, _)| !**s)
            .map(|(_, y)| *y)
            .collect()
    };
    let bar: Vec<f64> = joined(shared_in, &f.ins)
        .into_iter()
        .chain(joined(shared_out, &f.outs))
        .collect();
    let lo = bar.iter().copied().fold(f64::INFINITY, f64::min) - HALF_BOX;
    let hi = bar.iter().copied().fold(f64::NEG_INFINITY, f64::max) + HALF_BOX;
    shared_out
        .iter()
        .zip(&f.outs)
        .filter(|(s, _)| **s)
        .all(|(_, y)| *y < lo || *y > hi)
}
