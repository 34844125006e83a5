//! Drawing primitives with absolute coordinates, shared by the SVG and TikZ writers.

use crate::metrics;

/// One step of a path, in absolute coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Seg {
    /// Move to.
    M(f64, f64),
    /// Line to.
    L(f64, f64),
    /// Cubic Bézier: two control points and the end.
    C(f64, f64, f64, f64, f64, f64),
    /// Close the path.
    Z,
}

/// What a primitive means; becomes its SVG class and its TikZ style.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A single-axis wire.
    Wire,
    /// A double wire (tuple of axes).
    Wire2,
    /// Dashed tuple separator.
    Sep,
    /// Unlearned operation box.
    Op,
    /// Learned operation box (bold outline).
    Learned,
    /// The light dashed frame of a contraction drawn as wiring (cups and dots), unshaded so
    /// the wiring reads as the paper draws it.
    Wiring,
    /// Collapsed named block (3-D box).
    BlockBox,
    /// Expanded named block background.
    BlockBg,
    /// Save/load marker.
    Marker,
    /// Stroke-only pictogram line inside a box.
    Pict,
    /// Filled pictogram.
    PictFill,
    /// Copy or diagonal dot.
    Dot,
    /// λ brackets.
    Bracket,
    /// Legend frame.
    Legend,
}

impl Role {
    /// SVG class name.
    #[must_use]
    pub fn class(self) -> &'static str {
        match self {
            Role::Wire => "w",
            Role::Wire2 => "w2",
            Role::Sep => "sep",
            Role::Op => "op",
            Role::Learned => "op lrn",
            Role::Wiring => "op ctr",
            Role::BlockBox => "blk",
            Role::BlockBg => "bg",
            Role::Marker => "mk",
            Role::Pict => "pi",
            Role::PictFill => "pf",
            Role::Dot => "dot",
            Role::Bracket => "br",
            Role::Legend => "lg",
        }
    }
}

/// Text weight and slant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Face {
    /// Upright.
    Plain,
    /// Bold (learned operations).
    Bold,
    /// Oblique (axis sizes).
    Italic,
}

/// One run of text; `sub`/`sup` runs are set smaller and shifted.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The characters.
    pub text: String,
    /// Baseline shift: 0 normal, -1 subscript, 1 superscript.
    pub shift: i8,
}

/// A text label anchored at its left baseline.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// Left edge.
    pub x: f64,
    /// Baseline.
    pub y: f64,
    /// Font size in pixels.
    pub size: f64,
    /// Weight and slant.
    pub face: Face,
    /// Runs of text.
    pub runs: Vec<Run>,
}

/// Relative size of sub- and superscripts.
pub const SCRIPT_SCALE: f64 = 0.7;

impl Text {
    /// Plain single-run text.
    #[must_use]
    pub fn new(x: f64, y: f64, size: f64, face: Face, s: &str) -> Self {
        Self {
            x,
            y,
            size,
            face,
            runs: vec![Run {
                text: s.to_owned(),
                shift: 0,
            }],
        }
    }

    /// Text with `_sub` and `^sup` markup: the script runs to the next space, comma, `=` or
    /// closing parenthesis.
    ///
    /// ```
    /// use nc_diagram_draw::scene::{Face, Text};
    /// let t = Text::rich(0.0, 0.0, 10.0, Face::Plain, "c_λ+1 = 2^i");
    /// assert_eq!(t.runs.len(), 4);
    /// ```
    #[must_use]
    pub fn rich(x: f64, y: f64, size: f64, face: Face, s: &str) -> Self {
        let mut runs: Vec<Run> = Vec::new();
        let mut cur = String::new();
        let mut shift = 0i8;
        for c in s.chars() {
            let mark = match c {
                '_' => Some(-1),
                '^' => Some(1),
                _ => None,
            };
            if let Some(m) = mark {
                if !cur.is_empty() {
                    runs.push(Run {
                        text: std::mem::take(&mut cur),
                        shift,
                    });
                }
                shift = m;
                continue;
            }
            if shift != 0 && matches!(c, ' ' | ',' | '=' | ')') {
                if !cur.is_empty() {
                    runs.push(Run {
                        text: std::mem::take(&mut cur),
                        shift,
                    });
                }
                shift = 0;
            }
            cur.push(c);
        }
        if !cur.is_empty() {
            runs.push(Run { text: cur, shift });
        }
        Self {
            x,
            y,
            size,
            face,
            runs,
        }
    }

    /// Total advance width.
    #[must_use]
    pub fn width(&self) -> f64 {
        self.runs
            .iter()
            .map(|r| metrics::width(&r.text, self.run_size(r)))
            .sum()
    }

    /// Size of one run.
    #[must_use]
    pub fn run_size(&self, r: &Run) -> f64 {
        if r.shift == 0 {
            self.size
        } else {
            self.size * SCRIPT_SCALE
        }
    }

    /// Bounding box `(x0, y0, x1, y1)` from the embedded metrics.
    #[must_use]
    pub fn bbox(&self) -> (f64, f64, f64, f64) {
        let sup = self.runs.iter().any(|r| r.shift > 0);
        let sub = self.runs.iter().any(|r| r.shift < 0);
        let top =
            self.y - self.size * metrics::ASCENT_EM - if sup { self.size * 0.35 } else { 0.0 };
        let bot =
            self.y + self.size * metrics::DESCENT_EM + if sub { self.size * 0.2 } else { 0.0 };
        (self.x, top, self.x + self.width(), bot)
    }
}

/// A drawing primitive.
#[derive(Clone, Debug, PartialEq)]
pub enum Prim {
    /// A path with a role.
    Path(Role, Vec<Seg>),
    /// A rectangle `x, y, w, h` with a role.
    Rect(Role, f64, f64, f64, f64),
    /// A circle `cx, cy, r` with a role.
    Circle(Role, f64, f64, f64),
    /// Text.
    Text(Text),
}

/// Everything drawn, in painting order, and the canvas size.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scene {
    /// Canvas width.
    pub width: f64,
    /// The width the drawing would take in one row, before wrapping onto rows (the canvas
    /// width when it is not wrapped).
    pub natural_width: f64,
    /// Canvas height.
    pub height: f64,
    /// Title (for the SVG `<title>`).
    pub title: String,
    /// Primitives in painting order.
    pub prims: Vec<Prim>,
    /// The legend entries of the axes drawn, in order.
    pub legend: Vec<crate::legend::Entry>,
    /// The bundles of axes drawn as one wire, in order.
    pub bundles: Vec<crate::legend::Bundle>,
    /// Where each named block is drawn, collapsed or expanded (the interactive gallery's
    /// click targets).
    pub hot: Vec<Hot>,
}

/// Where a named block is drawn: its collapsed box, or the title strip of its expanded
/// background.
#[derive(Clone, Debug, PartialEq)]
pub struct Hot {
    /// For a collapsed block the label in its box (name and parameters); for an expanded one
    /// the block's name.
    pub label: String,
    /// Whether the block is drawn expanded.
    pub expanded: bool,
    /// Left, top, width and height.
    pub rect: [f64; 4],
}

/// Formats a coordinate with at most one decimal, so output is byte-stable.
#[must_use]
pub fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let s = format!("{r:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_owned)
}
