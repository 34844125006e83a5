//! The paper's pictograms: what each kind of operation looks like inside its box.

use crate::model::OpKind;
use crate::scene::{Face, Prim, Role, Run, Seg, Text};

/// Font size of box labels.
pub const BOX_FONT: f64 = 13.0;

/// Where one operation's box lies and where its ports are.
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub x0: f64,
    pub x1: f64,
    pub top: f64,
    pub bot: f64,
    pub ins: Vec<f64>,
    pub outs: Vec<f64>,
    /// Which input ports carry a double wire (a tuple of axes).
    pub double_ins: Vec<bool>,
    /// Which output ports carry a double wire.
    pub double_outs: Vec<bool>,
}

impl Frame {
    fn cx(&self) -> f64 {
        (self.x0 + self.x1) / 2.0
    }
    fn cy(&self) -> f64 {
        (self.top + self.bot) / 2.0
    }
}

fn run(s: &str, shift: i8) -> Run {
    Run {
        text: s.to_owned(),
        shift,
    }
}

/// The label text of a box, before placement (x, y are set by [`centre`]).
pub(crate) fn label(kind: &OpKind, learned: bool) -> Option<Text> {
    let face = if learned { Face::Bold } else { Face::Plain };
    let runs = match kind {
        OpKind::Linear { bias, name } => {
            let mut r = vec![run("L", 0)];
            if !name.is_empty() {
                r.push(run(name, 1));
            }
            if *bias {
                r.push(run("+", -1));
            }
            return Some(Text {
                x: 0.0,
                y: 0.0,
                size: BOX_FONT + 3.0,
                face: Face::Bold,
                runs: r,
            });
        }
        OpKind::Elementwise(f) => {
            return Some(Text::new(0.0, 0.0, BOX_FONT, Face::Italic, f));
        }
        OpKind::Reduce(s) | OpKind::Other(s) => vec![run(s, 0)],
        OpKind::Scale(s) => match s.split_once('^') {
            Some((base, exp)) => vec![run("*", 0), run(base, 0), run(exp, 1)],
            None => vec![run("*", 0), run(s, 0)],
        },
        OpKind::Window {
            kernel,
            stride,
            dilation,
            groups,
            transposed,
        } => {
            let mut r = vec![run("★", 0), run(kernel, 0)];
            // stride as the paper writes it, dilation and groups spelt out
            let mut sub: Vec<String> = Vec::new();
            if !stride.is_empty() {
                sub.push(stride.clone());
            }
            if !dilation.is_empty() {
                sub.push(format!("d{dilation}"));
            }
            if !groups.is_empty() {
                sub.push(format!("g{groups}"));
            }
            if !sub.is_empty() {
                r.push(run(&sub.join(","), -1));
            }
            if *transposed {
                r.push(run("T", 1));
            }
            r
        }
        OpKind::Collapsed { name, repeat } => {
            let mut r = vec![run(name, 0)];
            if let Some(rep) = repeat {
                r.push(run(&format!(" {rep}"), 0));
            }
            r
        }
        OpKind::Save(n) => Text::rich(0.0, 0.0, BOX_FONT, face, &format!("→ {n}")).runs,
        OpKind::Load(n) => Text::rich(0.0, 0.0, BOX_FONT, face, &format!("{n} →")).runs,
        OpKind::Contract { .. }
        | OpKind::Softmax
        | OpKind::Norm
        | OpKind::BatchNorm
        | OpKind::Reshape
        | OpKind::Concat { .. }
        | OpKind::Copy
        | OpKind::Add => return None,
    };
    Some(Text {
        x: 0.0,
        y: 0.0,
        size: BOX_FONT,
        face,
        runs,
    })
}

/// Inner width a box needs, without margins.
pub(crate) fn min_width(kind: &OpKind, learned: bool) -> f64 {
    let text = label(kind, learned).map_or(0.0, |t| t.width());
    let extra = match kind {
        OpKind::Elementwise(_) => 26.0,
        OpKind::Collapsed { .. } => 22.0,
        _ => 12.0,
    };
    let base = match kind {
        OpKind::Contract { marks, .. } => {
            let (l, r) = mark_room(marks);
            46.0 + l + r
        }
        OpKind::Copy | OpKind::Add => 24.0,
        OpKind::Softmax | OpKind::Norm | OpKind::BatchNorm => 30.0,
        OpKind::Reshape => 20.0,
        OpKind::Concat { .. } => 24.0,
        _ => 24.0,
    };
    (text + extra).max(base)
}

/// Centres `t` in the frame.
fn centre(mut t: Text, cx: f64, cy: f64) -> Text {
    let w = t.width();
    t.x = cx - w / 2.0;
    t.y = cy + t.size * 0.35;
    t
}

fn tri(x: f64, y: f64, s: f64) -> Prim {
    Prim::Path(
        Role::PictFill,
        vec![
            Seg::M(x - s, y - s * 0.7),
            Seg::L(x + s * 0.6, y),
            Seg::L(x - s, y + s * 0.7),
            Seg::Z,
        ],
    )
}

/// The softmax ◁, `s` from its centre to its flat side.
fn softmax_tri(role: Role, cx: f64, cy: f64, s: f64) -> Prim {
    Prim::Path(
        role,
        vec![
            Seg::M(cx - s, cy),
            Seg::L(cx + s, cy - s * 0.9),
            Seg::L(cx + s, cy + s * 0.9),
            Seg::Z,
        ],
    )
}

/// Draws the box and pictogram of one operation. Copy, add, save and load draw no box here.
pub(crate) fn draw(kind: &OpKind, learned: bool, f: &Frame, out: &mut Vec<Prim>) {
    let role = if learned { Role::Learned } else { Role::Op };
    let (w, h) = (f.x1 - f.x0, f.bot - f.top);
    match kind {
        OpKind::Copy | OpKind::Add | OpKind::Concat { .. } => return,
        OpKind::Save(_) | OpKind::Load(_) => {
            out.push(Prim::Rect(Role::Marker, f.x0, f.top, w, h));
        }
        OpKind::Collapsed { .. } => {
            let d = 6.0;
            out.push(Prim::Path(
                Role::BlockBox,
                vec![
                    Seg::M(f.x0, f.top),
                    Seg::L(f.x0 + d, f.top - d),
                    Seg::L(f.x1 + d, f.top - d),
                    Seg::L(f.x1 + d, f.bot - d),
                    Seg::L(f.x1, f.bot),
                    Seg::Z,
                ],
            ));
            out.push(Prim::Rect(Role::BlockBox, f.x0, f.top, w, h));
        }
        OpKind::Contract { .. } if !learned => {
            out.push(Prim::Rect(Role::Wiring, f.x0, f.top, w, h));
        }
        _ => out.push(Prim::Rect(role, f.x0, f.top, w, h)),
    }
    let (cx, cy) = (f.cx(), f.cy());
    match kind {
        OpKind::Softmax => {
            out.push(softmax_tri(Role::Pict, cx, cy, (h * 0.3).min(8.0)));
        }
        OpKind::Norm => out.push(Prim::Circle(Role::Pict, cx, cy, (h * 0.3).min(8.0))),
        OpKind::BatchNorm => {
            // the batch axis taken into the circle: a `b` inside it
            out.push(Prim::Circle(Role::Pict, cx, cy, (h * 0.3).min(8.0)));
            out.push(Prim::Text(centre(
                Text::new(0.0, 0.0, 9.0, Face::Italic, "b"),
                cx,
                cy,
            )));
        }
        OpKind::Reshape => {
            out.push(Prim::Rect(
                Role::PictFill,
                cx - 2.5,
                f.top + 3.0,
                5.0,
                h - 6.0,
            ));
        }
        OpKind::Contract {
            axes_in,
            axes_out,
            marks,
        } => {
            let (l, r) = mark_room(marks);
            let inner = Frame {
                x0: f.x0 + l,
                x1: f.x1 - r,
                ..f.clone()
            };
            contract(axes_in, axes_out, &inner, out);
            draw_marks(marks, f, (inner.x0, inner.x1), out);
        }
        OpKind::Elementwise(_) => {
            if let Some(t) = label(kind, learned) {
                let tw = t.width();
                out.push(tri(cx - tw / 2.0 - 7.0, cy, 4.0));
                out.push(tri(cx + tw / 2.0 + 7.0, cy, 4.0));
                out.push(Prim::Text(centre(t, cx, cy)));
            }
        }
        _ => {
            if let Some(t) = label(kind, learned) {
                out.push(Prim::Text(centre(t, cx, cy)));
            }
        }
    }
}

/// Einsum as wiring: lines for kept indices, dots for shared ones, cups for contracted ones.
fn contract(axes_in: &[String], axes_out: &[String], f: &Frame, out: &mut Vec<Prim>) {
    let xm = f.x0 + (f.x1 - f.x0) * 0.55;
    let mut letters: Vec<&String> = axes_in.iter().chain(axes_out).collect();
    letters.sort();
    letters.dedup();
    let curve = |a: (f64, f64), b: (f64, f64)| {
        let mx = (a.0 + b.0) / 2.0;
        vec![Seg::M(a.0, a.1), Seg::C(mx, a.1, mx, b.1, b.0, b.1)]
    };
    for l in letters {
        let ins: Vec<f64> = ports(axes_in, l, &f.ins);
        let outs: Vec<f64> = ports(axes_out, l, &f.outs);
        // an index of a double wire stays double through the wiring
        let double = axes_in
            .iter()
            .zip(&f.double_ins)
            .chain(axes_out.iter().zip(&f.double_outs))
            .any(|(a, d)| a == l && *d);
        let role = if double { Role::Wire2 } else { Role::Pict };
        match (ins.len(), outs.len()) {
            (1, 1) => out.push(Prim::Path(role, curve((f.x0, ins[0]), (f.x1, outs[0])))),
            (0, 0) => {}
            (n, 0) if n >= 2 => {
                // cup: the contracted index bends back on itself
                for pair in ins.windows(2) {
                    let r = (pair[1] - pair[0]).abs() / 2.0;
                    let bx = xm.min(f.x0 + 6.0 + r * 1.2);
                    out.push(Prim::Path(
                        role,
                        vec![
                            Seg::M(f.x0, pair[0]),
                            Seg::C(bx, pair[0], bx, pair[1], f.x0, pair[1]),
                        ],
                    ));
                }
            }
            (0, n) if n >= 2 => {
                // cap: a unit creates two equal indices
                for pair in outs.windows(2) {
                    let bx = xm.max(f.x1 - 14.0);
                    out.push(Prim::Path(
                        role,
                        vec![
                            Seg::M(f.x1, pair[0]),
                            Seg::C(bx, pair[0], bx, pair[1], f.x1, pair[1]),
                        ],
                    ));
                }
            }
            (_, _) => {
                // a shared index: every port meets at a dot
                let dy = if outs.is_empty() {
                    ins.iter().sum::<f64>() / ins.len().max(1) as f64
                } else {
                    outs[0]
                };
                for y in &ins {
                    out.push(Prim::Path(role, curve((f.x0, *y), (xm, dy))));
                }
                for y in &outs {
                    out.push(Prim::Path(role, curve((xm, dy), (f.x1, *y))));
                }
                if ins.len() + outs.len() > 2 {
                    out.push(Prim::Circle(Role::Dot, xm, dy, 3.0));
                }
            }
        }
    }
}

fn ports(axes: &[String], l: &str, ys: &[f64]) -> Vec<f64> {
    axes.iter()
        .zip(ys)
        .filter(|(a, _)| a.as_str() == l)
        .map(|(_, y)| *y)
        .collect()
}

/// Font size of a scale written on a wire.
const MARK_FONT: f64 = 9.0;

/// The text of a scale mark: `*k^-1/2` as the paper writes it.
fn scale_text(s: &str) -> Text {
    let runs = match s.split_once('^') {
        Some((base, exp)) => {
            let exp = match exp {
                "-0.5" => "-1/2",
                "0.5" => "1/2",
                e => e,
            };
            vec![run("*", 0), run(base, 0), run(exp, 1)]
        }
        None => vec![run("*", 0), run(s, 0)],
    };
    Text {
        x: 0.0,
        y: 0.0,
        size: MARK_FONT,
        face: Face::Italic,
        runs,
    }
}

/// Room a contraction's marks take at its left (on the inputs) and right (on the outputs).
fn mark_room(marks: &[crate::model::Mark]) -> (f64, f64) {
    let room = |m: &crate::model::Mark| match &m.kind {
        OpKind::Scale(s) => scale_text(s).width() + 4.0,
        _ => 15.0,
    };
    let side = |output: bool| {
        marks
            .iter()
            .filter(|m| m.output == output)
            .map(room)
            .fold(0.0, f64::max)
    };
    (side(false), side(true))
}

/// The wires across the room of the marks, and the marks on them: a softmax ◁ on its wire,
/// a scale as an arrowhead with the factor written above the wire.
fn draw_marks(
    marks: &[crate::model::Mark],
    f: &Frame,
    (ix0, ix1): (f64, f64),
    out: &mut Vec<Prim>,
) {
    if marks.is_empty() {
        return;
    }
    let role = |double: bool| if double { Role::Wire2 } else { Role::Pict };
    // the wiring's kept indices run on to the frame's edge, drawn as the wiring draws them
    let straight = |a: f64, b: f64, y: f64| {
        let m = (a + b) / 2.0;
        vec![Seg::M(a, y), Seg::C(m, y, m, y, b, y)]
    };
    if marks.iter().any(|m| !m.output) {
        for (y, d) in f.ins.iter().zip(&f.double_ins) {
            out.push(Prim::Path(role(*d), straight(f.x0, ix0, *y)));
        }
    }
    if marks.iter().any(|m| m.output) {
        for (y, d) in f.outs.iter().zip(&f.double_outs) {
            out.push(Prim::Path(role(*d), straight(ix1, f.x1, *y)));
        }
    }
    for m in marks {
        let ys = if m.output { &f.outs } else { &f.ins };
        let Some(&y) = ys.get(m.port) else { continue };
        let (a, b) = if m.output { (ix1, f.x1) } else { (f.x0, ix0) };
        match &m.kind {
            OpKind::Scale(s) => {
                // the factor over the arrow's shaft and head
                let mut t = scale_text(s);
                t.x = a + 3.0;
                t.y = y - 6.0;
                out.push(Prim::Text(t));
                let tip = b - 3.0;
                out.push(Prim::Path(
                    Role::PictFill,
                    vec![
                        Seg::M(tip - 7.0, y - 4.0),
                        Seg::L(tip, y),
                        Seg::L(tip - 7.0, y + 4.0),
                        Seg::Z,
                    ],
                ));
            }
            _ => {
                // filled, so a double wire does not show through it
                out.push(softmax_tri(Role::Op, (a + b) / 2.0, y, 6.0));
            }
        }
    }
}
