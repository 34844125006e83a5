//! Swimmer pictures from plain geometry (no physics dependency): frames of segments drawn as
//! capsules, on a world-fixed grid, with the camera following the body.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::draw_err;
use crate::style::{self, Rgb, TICK_PX};
use crate::{PlotError, check};

/// One rigid segment of the body, in world units (y up).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Segment {
    /// Centre x.
    pub x: f64,
    /// Centre y.
    pub y: f64,
    /// Direction from the segment's rear end to its front end, radians counter-clockwise
    /// from +x.
    pub heading: f64,
    /// Length along the heading (> 0).
    pub length: f64,
    /// Width across it (> 0).
    pub width: f64,
}

/// The whole body at one instant: segments from head (index 0) to tail, plus an optional
/// caption such as `t = 1.20 s`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// Head first; the head is drawn in a distinct colour with an eye at its front.
    pub segments: Vec<Segment>,
    /// Caption drawn in the picture's corner.
    pub text: Option<String>,
    /// Labelled groups of activities in [0, 1] (e.g. a neuron population, one bar per joint),
    /// drawn as small bar groups along the bottom of animation frames.
    pub readout: Vec<(String, Vec<f64>)>,
}

impl Frame {
    /// Length-weighted mean of the segment centres: where the camera looks.
    pub fn centre(&self) -> (f64, f64) {
        let total: f64 = self.segments.iter().map(|s| s.length).sum();
        let (sx, sy) = self.segments.iter().fold((0.0, 0.0), |(ax, ay), s| {
            (ax + s.x * s.length, ay + s.y * s.length)
        });
        if total > 0.0 {
            (sx / total, sy / total)
        } else {
            (0.0, 0.0)
        }
    }

    /// Sum of segment lengths.
    pub fn body_length(&self) -> f64 {
        self.segments.iter().map(|s| s.length).sum()
    }
}

pub(crate) const BODY: Rgb = Rgb(0, 114, 178);
pub(crate) const HEAD: Rgb = Rgb(213, 94, 0);
const OUTLINE: RGBColor = RGBColor(20, 40, 60);
const GRID: RGBColor = RGBColor(215, 222, 230);
const BACKGROUND: RGBColor = RGBColor(250, 251, 253);
const PATH: Rgb = Rgb(120, 120, 120);

/// Checks frames: non-empty, every frame non-empty, finite geometry, positive sizes.
pub(crate) fn validate(frames: &[Frame]) -> Result<(), PlotError> {
    check::nonempty(frames, || "frames".into())?;
    for (f, frame) in frames.iter().enumerate() {
        check::nonempty(&frame.segments, || format!("frames[{f}].segments"))?;
        for (i, s) in frame.segments.iter().enumerate() {
            let what = || format!("frames[{f}].segments (x, y, heading)");
            check::finite(s.x, i, what)?;
            check::finite(s.y, i, what)?;
            check::finite(s.heading, i, what)?;
            for (v, name) in [(s.length, "length"), (s.width, "width")] {
                check::finite(v, i, || format!("frames[{f}].segments {name}"))?;
                if v <= 0.0 {
                    return Err(PlotError::NonPositive {
                        what: format!("frames[{f}].segments {name}"),
                        index: i,
                        value: v,
                        why: "a segment needs a size".into(),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Maps world units to backend pixels: `px = ox + (x - cx) * scale`, y flipped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    /// World point at the panel's centre.
    pub cx: f64,
    pub cy: f64,
    /// Pixels per world unit.
    pub scale: f64,
    /// Panel's top-left corner and size in backend pixels.
    pub ox: i32,
    pub oy: i32,
    pub w: u32,
    pub h: u32,
}

impl View {
    pub fn px(&self, x: f64, y: f64) -> (i32, i32) {
        let px = f64::from(self.ox) + f64::from(self.w) / 2.0 + (x - self.cx) * self.scale;
        let py = f64::from(self.oy) + f64::from(self.h) / 2.0 - (y - self.cy) * self.scale;
        (
            px.round().clamp(-1e6, 1e6) as i32,
            py.round().clamp(-1e6, 1e6) as i32,
        )
    }

    /// The world rectangle the panel shows: `(x0, x1, y0, y1)`.
    fn world(&self) -> (f64, f64, f64, f64) {
        let hw = f64::from(self.w) / 2.0 / self.scale;
        let hh = f64::from(self.h) / 2.0 / self.scale;
        (self.cx - hw, self.cx + hw, self.cy - hh, self.cy + hh)
    }
}

/// A nice grid spacing (1, 2 or 5 × 10ᵏ world units) giving about six cells across `span`.
pub(crate) fn grid_spacing(span: f64) -> f64 {
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.5 {
        2.0
    } else if f < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Fills the panel and draws world-fixed grid lines, so motion shows against them.
pub(crate) fn draw_background<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    v: &View,
    spacing: f64,
) -> Result<(), PlotError> {
    let (x0, x1, y0, y1) = v.world();
    let (l, t) = (v.ox, v.oy);
    let (r, b) = (v.ox + v.w as i32, v.oy + v.h as i32);
    area.draw(&Rectangle::new([(l, t), (r, b)], BACKGROUND.filled()))
        .map_err(draw_err)?;
    let mut lines = Vec::new();
    let mut gx = (x0 / spacing).ceil() * spacing;
    while gx <= x1 {
        let (px, _) = v.px(gx, 0.0);
        lines.push(vec![(px, t), (px, b)]);
        gx += spacing;
    }
    let mut gy = (y0 / spacing).ceil() * spacing;
    while gy <= y1 {
        let (_, py) = v.px(0.0, gy);
        lines.push(vec![(l, py), (r, py)]);
        gy += spacing;
    }
    for line in lines {
        area.draw(&PathElement::new(line, GRID.stroke_width(1)))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// The outline of a capsule around a segment, in backend pixels.
pub(crate) fn capsule(s: &Segment, v: &View) -> Vec<(i32, i32)> {
    const ARC: usize = 8;
    let (dx, dy) = (s.heading.cos(), s.heading.sin());
    let r = s.width / 2.0;
    // caps extend past the segment's ends, so bent joints overlap instead of leaving gaps
    let a = s.length / 2.0;
    let mut pts = Vec::with_capacity(2 * ARC + 2);
    for (end, sign) in [(a, 1.0), (-a, -1.0)] {
        let (ex, ey) = (s.x + end * dx, s.y + end * dy);
        for k in 0..=ARC {
            // half circle from one side to the other through the end's tip
            let phi = -std::f64::consts::FRAC_PI_2 + std::f64::consts::PI * k as f64 / ARC as f64;
            let (c, sn) = (phi.cos() * sign, phi.sin() * sign);
            let (ox, oy) = (c * dx - sn * dy, c * dy + sn * dx);
            pts.push(v.px(ex + r * ox, ey + r * oy));
        }
    }
    pts
}

/// Draws one body, tail first so the head lies on top; `alpha` fades older overlay frames.
pub(crate) fn draw_body<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    frame: &Frame,
    v: &View,
    alpha: f64,
) -> Result<(), PlotError> {
    for (i, s) in frame.segments.iter().enumerate().rev() {
        let fill = if i == 0 { HEAD } else { BODY };
        let pts = capsule(s, v);
        area.draw(&Polygon::new(pts.clone(), fill.alpha(alpha).filled()))
            .map_err(draw_err)?;
        let mut outline = pts;
        outline.push(outline[0]);
        let o = RGBAColor(OUTLINE.0, OUTLINE.1, OUTLINE.2, alpha * 0.8);
        area.draw(&PathElement::new(outline, o.stroke_width(1)))
            .map_err(draw_err)?;
    }
    // the eye, near the head's front end (a frame may have no body, only a readout)
    let Some(h) = frame.segments.first() else {
        return Ok(());
    };
    let d = h.length / 2.0;
    let (ex, ey) = (h.x + d * h.heading.cos(), h.y + d * h.heading.sin());
    let eye = v.px(ex, ey);
    let r = ((h.width * 0.22 * v.scale).round() as i32).max(2);
    area.draw(&Circle::new(
        eye,
        r,
        RGBAColor(255, 255, 255, alpha).filled(),
    ))
    .map_err(draw_err)?;
    area.draw(&Circle::new(
        eye,
        (r / 2).max(1),
        RGBAColor(20, 20, 20, alpha).filled(),
    ))
    .map_err(draw_err)?;
    Ok(())
}

/// Draws the path of the body's centre as a thin line.
pub(crate) fn draw_path<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    centres: &[(f64, f64)],
    v: &View,
) -> Result<(), PlotError> {
    if centres.len() < 2 {
        return Ok(());
    }
    // clip to the panel ourselves: the bitmap backend would smear off-panel points along its edge
    let pts: Vec<(f64, f64)> = centres
        .iter()
        .map(|&(x, y)| {
            let (px, py) = v.px(x, y);
            (f64::from(px), f64::from(py))
        })
        .collect();
    let bx = (f64::from(v.ox), f64::from(v.ox) + f64::from(v.w));
    let by = (f64::from(v.oy), f64::from(v.oy) + f64::from(v.h));
    for run in crate::line::clip_polyline(&pts, bx, by) {
        let run: Vec<(i32, i32)> = run
            .iter()
            .map(|&(x, y)| (x.round() as i32, y.round() as i32))
            .collect();
        area.draw(&PathElement::new(run, PATH.alpha(0.8).stroke_width(1)))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Writes the caption at the panel's top-left corner.
pub(crate) fn draw_caption<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    v: &View,
) -> Result<(), PlotError> {
    let t = style::fit_text(text, TICK_PX, v.w.saturating_sub(12));
    let st = style::text(TICK_PX).pos(Pos::new(HPos::Left, VPos::Top));
    area.draw(&Text::new(t, (v.ox + 6, v.oy + 5), st))
        .map_err(draw_err)
}

/// Bar height of a full activity (1.0) in the readout, in pixels.
const READOUT_BAR_H: i32 = 40;
/// Bar width and the gap after it, in pixels.
const READOUT_BAR_W: i32 = 9;
const READOUT_GAP: i32 = 2;

/// Draws the readout groups left to right along the panel's bottom edge: per group, one bar
/// per value (clamped to [0, 1]) over a baseline, its label beneath.
pub(crate) fn draw_readout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    groups: &[(String, Vec<f64>)],
    v: &View,
) -> Result<(), PlotError> {
    let label = style::text(TICK_PX).pos(Pos::new(HPos::Left, VPos::Bottom));
    let base = v.oy + v.h as i32 - 6 - TICK_PX as i32 - 4;
    let mut x = v.ox + 8;
    for (name, vals) in groups {
        let group_w = (vals.len() as i32 * (READOUT_BAR_W + READOUT_GAP)).max(24);
        area.draw(&Rectangle::new(
            [(x - 2, base - READOUT_BAR_H - 2), (x + group_w, base + 1)],
            RGBColor(255, 255, 255).mix(0.85).filled(),
        ))
        .map_err(draw_err)?;
        for (i, &a) in vals.iter().enumerate() {
            let a = if a.is_finite() {
                a.clamp(0.0, 1.0)
            } else {
                0.0
            };
            let x0 = x + i as i32 * (READOUT_BAR_W + READOUT_GAP);
            let top = base - (a * f64::from(READOUT_BAR_H)).round() as i32;
            // a pale track shows where a silent unit's bar would be
            area.draw(&Rectangle::new(
                [(x0, base - READOUT_BAR_H), (x0 + READOUT_BAR_W, base)],
                RGBColor(222, 228, 236).filled(),
            ))
            .map_err(draw_err)?;
            area.draw(&Rectangle::new(
                [(x0, top), (x0 + READOUT_BAR_W, base)],
                BODY.to_plotters().filled(),
            ))
            .map_err(draw_err)?;
        }
        area.draw(&PathElement::new(
            vec![(x - 1, base), (x + group_w - 1, base)],
            OUTLINE.stroke_width(1),
        ))
        .map_err(draw_err)?;
        area.draw(&Text::new(
            name.clone(),
            (x, v.oy + v.h as i32 - 4),
            label.clone(),
        ))
        .map_err(draw_err)?;
        x += group_w + 12;
    }
    Ok(())
}

/// The world-unit view width that fits every frame's body with room to swim.
pub(crate) fn follow_span<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> f64 {
    let longest = frames
        .into_iter()
        .map(Frame::body_length)
        .fold(0.0, f64::max);
    1.3 * longest
}

/// Height in pixels of the band at a panel's top that a caption covers.
pub(crate) const CAPTION_H: u32 = 5 + TICK_PX as u32 + 6;
/// Height in pixels of the band at a panel's bottom that the readout covers.
pub(crate) const READOUT_H: u32 = (6 + TICK_PX as i32 + 4 + READOUT_BAR_H + 2) as u32;

/// How far the body reaches from its centre, `(x, y)` in world units: every capsule,
/// caps included.
pub(crate) fn half_extent(frame: &Frame) -> (f64, f64) {
    let (cx, cy) = frame.centre();
    frame.segments.iter().fold((0.0, 0.0), |(hx, hy), s| {
        let r = s.width / 2.0;
        let (ax, ay) = (
            0.5 * s.length * s.heading.cos().abs(),
            0.5 * s.length * s.heading.sin().abs(),
        );
        (
            f64::max(hx, (s.x - cx).abs() + ax + r),
            f64::max(hy, (s.y - cy).abs() + ay + r),
        )
    })
}
