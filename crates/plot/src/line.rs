//! Line charts: named series with optional bands, on linear or log axes; spectra.

use plotters::prelude::*;

use crate::axis::{self, Axis, Layout, Scale};
use crate::chart::{self, LegendEntry, Swatch};
use crate::error::draw_err;
use crate::style::{self, DEFAULT_SIZE, Rgb};
use crate::{PlotError, check, svg};

/// One named curve: points in drawing order, with an optional band (e.g. mean ± sd over seeds).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    /// Legend entry; an empty name leaves the series out of the legend.
    pub name: String,
    /// `(x, y)` points, joined in this order.
    pub points: Vec<(f64, f64)>,
    /// `(lower, upper)` per point, shaded behind the line. On a log y axis, non-positive band
    /// values are drawn at the bottom of the axis instead of failing (a band is only a guide).
    pub band: Option<Vec<(f64, f64)>>,
    /// Colour; `None` takes the next palette colour.
    pub colour: Option<Rgb>,
    /// Draw a dot at every point (always done for a single point).
    pub markers: bool,
}

impl Series {
    /// A series from `(x, y)` points.
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            ..Self::default()
        }
    }

    /// A series from separate x and y slices (the shorter length wins; lengths are not
    /// checked here, so prefer [`Series::new`] when they may differ).
    pub fn from_xy(name: impl Into<String>, xs: &[f64], ys: &[f64]) -> Self {
        Self::new(name, xs.iter().copied().zip(ys.iter().copied()).collect())
    }

    /// Adds a band of `(lower, upper)` per point.
    #[must_use]
    pub fn with_band(mut self, band: Vec<(f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }

    /// Adds a symmetric band `y ± spread[i]` (e.g. the standard deviation over seeds).
    #[must_use]
    pub fn with_spread(self, spread: &[f64]) -> Self {
        let band = self
            .points
            .iter()
            .zip(spread)
            .map(|(&(_, y), &s)| (y - s, y + s))
            .collect();
        self.with_band(band)
    }

    /// Sets the colour.
    #[must_use]
    pub fn with_colour(mut self, colour: Rgb) -> Self {
        self.colour = Some(colour);
        self
    }

    /// Draws a dot at every point.
    #[must_use]
    pub fn with_markers(mut self) -> Self {
        self.markers = true;
        self
    }
}

/// Everything a line chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSpec {
    /// Visible title and the SVG `<title>`.
    pub title: String,
    /// The SVG `<desc>`: what the figure shows, for readers who cannot see it.
    pub description: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// The curves, drawn in order (later on top).
    pub series: Vec<Series>,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl Default for LineSpec {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            x: Axis::linear("x"),
            y: Axis::linear("y"),
            series: Vec::new(),
            size: DEFAULT_SIZE,
        }
    }
}

/// Draws a line chart as SVG text.
///
/// Errors: no series, a series without points, non-finite values, a band whose length differs
/// from its series', a band with lower > upper, non-positive values on a log axis, a bad range
/// or size.
pub fn line_chart(spec: &LineSpec) -> Result<String, PlotError> {
    crate::font::ensure_fonts()?;
    validate(spec)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, spec.size).into_drawing_area();
        draw(&root, spec)?;
        root.present().map_err(draw_err)?;
    }
    svg::add_text_alternative(&out, &spec.title, &spec.description)
}

fn validate(spec: &LineSpec) -> Result<(), PlotError> {
    check::size(spec.size, (200, 150))?;
    check::nonempty(&spec.series, || "series".into())?;
    axis::check_range(&spec.x, "x")?;
    axis::check_range(&spec.y, "y")?;
    for s in &spec.series {
        let name = || format!("series {:?} points", s.name);
        check::nonempty(&s.points, name)?;
        for (i, &(x, y)) in s.points.iter().enumerate() {
            check::on_axis(x, i, &spec.x, "x", || format!("series {:?} x", s.name))?;
            check::on_axis(y, i, &spec.y, "y", || format!("series {:?} y", s.name))?;
        }
        if let Some(band) = &s.band {
            check::same_len(s.points.len(), band.len(), || {
                format!("series {:?} band", s.name)
            })?;
            for (i, &(lo, hi)) in band.iter().enumerate() {
                let what = || format!("series {:?} band", s.name);
                check::finite(lo, i, what)?;
                check::finite(hi, i, what)?;
                if lo > hi {
                    return Err(PlotError::Invalid {
                        what: format!("series {:?} band[{i}]", s.name),
                        reason: format!("lower {lo} is above upper {hi}"),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The data's extent on each axis, `(x, y)`; on a log axis only positive values count (0 on
/// an axis showing zero has its own place, and a band is only a guide).
fn extents(spec: &LineSpec) -> ((f64, f64), (f64, f64)) {
    let counts = |axis: &Axis, v: f64| axis.scale == Scale::Linear || v > 0.0;
    let xs = spec
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .filter(|&v| counts(&spec.x, v));
    let ys = spec.series.iter().flat_map(|s| {
        let band = s.band.iter().flatten().flat_map(|&(lo, hi)| [lo, hi]);
        s.points.iter().map(|p| p.1).chain(band)
    });
    let ys = ys.filter(|&v| counts(&spec.y, v));
    let fallback = |axis: &Axis| match axis.scale {
        Scale::Linear => (0.0, 1.0),
        Scale::Log10 => (1.0, 10.0),
    };
    (
        check::extent(xs).unwrap_or_else(|| fallback(&spec.x)),
        check::extent(ys).unwrap_or_else(|| fallback(&spec.y)),
    )
}

/// Lays out both axes for the plot area `(w, h)` left after the title and legend, so that
/// neither axis's labels overlap.
fn layouts(spec: &LineSpec, (w, h): (u32, u32)) -> (Layout, Layout) {
    let ((x_lo, x_hi), (y_lo, y_hi)) = extents(spec);
    let x_area = chart::x_label_area(&spec.x.label);
    let plot_h = f64::from(h.saturating_sub(x_area + chart::TOP_MARGIN + chart::BOTTOM_MARGIN));
    let height = |l: &str| f64::from(style::text_size(l, style::TICK_PX).1);
    let yl = axis::layout_fitted(&spec.y, y_lo, y_hi, 0.05, plot_h, &height, 4.0);
    let plot_w = f64::from(w.saturating_sub(
        chart::y_label_area(&yl, &spec.y.label) + chart::LEFT_MARGIN + chart::RIGHT_MARGIN,
    ));
    let width = |l: &str| f64::from(style::text_size(l, style::TICK_PX).0);
    let xl = axis::layout_fitted(
        &spec.x,
        x_lo,
        x_hi,
        0.0,
        plot_w,
        &width,
        style::TICK_PX * 0.6,
    );
    (xl, yl)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    spec: &LineSpec,
) -> Result<(), PlotError> {
    let entries: Vec<LegendEntry> = spec
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| LegendEntry {
            name: s.name.clone(),
            colour: style::series_colour(i, s.colour),
            swatch: Swatch::Line {
                band: s.band.is_some(),
                marker: s.markers || s.points.len() == 1,
            },
        })
        .collect();
    let area = chart::titled(root, &spec.title)?;
    let area = chart::with_legend(area, &entries)?;
    let (xl, yl) = layouts(spec, area.dim_in_pixel());
    let (xl, yl) = (&xl, &yl);
    let mut chart = chart::cartesian(
        &area,
        xl,
        yl,
        &spec.x.label,
        &spec.y.label,
        chart::x_label_area(&spec.x.label),
        true,
    )?;
    let bx = (xl.lo.min(xl.hi), xl.lo.max(xl.hi));
    let by = (yl.lo.min(yl.hi), yl.lo.max(yl.hi));
    // bands first, so every line stays visible above every band
    for (s, e) in spec.series.iter().zip(&entries) {
        if let Some(band) = &s.band {
            let poly = band_polygon(&s.points, band, xl, yl, bx, by);
            if poly.len() >= 3 {
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly,
                        e.colour.alpha(0.18).filled(),
                    )))
                    .map_err(draw_err)?;
            } else if let [(x, lo), (_, hi)] = poly[..] {
                // a single point's band is an error bar
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(x, lo), (x, hi)],
                        e.colour.alpha(0.6).stroke_width(2),
                    )))
                    .map_err(draw_err)?;
            }
        }
    }
    for (s, e) in spec.series.iter().zip(&entries) {
        let c = e.colour.to_plotters();
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, y)| (xl.map(x), yl.map(y)))
            .collect();
        for run in clip_polyline(&pts, bx, by) {
            chart
                .draw_series(std::iter::once(PathElement::new(run, c.stroke_width(2))))
                .map_err(draw_err)?;
        }
        // a lone point has no line to show it: a larger dot, ringed in white
        let lone = s.points.len() == 1;
        if s.markers || lone {
            let r = if lone { LONE_MARKER } else { MARKER };
            let inside: Vec<(f64, f64)> =
                pts.iter().copied().filter(|p| within(*p, bx, by)).collect();
            if lone {
                chart
                    .draw_series(
                        inside
                            .iter()
                            .map(|&p| Circle::new(p, r + 1, WHITE.filled())),
                    )
                    .map_err(draw_err)?;
            }
            chart
                .draw_series(inside.iter().map(|&p| Circle::new(p, r, c.filled())))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

/// Marker radius in pixels, and that of a series' only point.
const MARKER: i32 = 3;
const LONE_MARKER: i32 = 5;

fn within((x, y): (f64, f64), bx: (f64, f64), by: (f64, f64)) -> bool {
    x >= bx.0 && x <= bx.1 && y >= by.0 && y <= by.1
}

/// The band as one polygon in transformed units: upper edge forwards, lower edge back, with
/// x outside the axis dropped and y clamped to it.
fn band_polygon(
    points: &[(f64, f64)],
    band: &[(f64, f64)],
    xl: &Layout,
    yl: &Layout,
    bx: (f64, f64),
    by: (f64, f64),
) -> Vec<(f64, f64)> {
    let ty = |v: f64| {
        let t = if yl.scale == Scale::Log10 && v <= 0.0 && !(v == 0.0 && yl.zero.is_some()) {
            by.0
        } else {
            yl.map(v)
        };
        t.clamp(by.0, by.1)
    };
    let kept: Vec<(f64, f64, f64)> = points
        .iter()
        .zip(band)
        .map(|(&(x, _), &(lo, hi))| (xl.map(x), ty(lo), ty(hi)))
        .filter(|&(x, _, _)| x >= bx.0 && x <= bx.1)
        .collect();
    let upper = kept.iter().map(|&(x, _, hi)| (x, hi));
    let lower = kept.iter().rev().map(|&(x, lo, _)| (x, lo));
    upper.chain(lower).collect()
}

/// Splits a polyline into the runs that lie inside the box, cutting segments at its edges
/// (Liang–Barsky), so fixed axis ranges never draw outside the plot. Every run has at least
/// two points (a lone point is drawn as a marker instead).
pub(crate) fn clip_polyline(
    pts: &[(f64, f64)],
    bx: (f64, f64),
    by: (f64, f64),
) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for w in pts.windows(2) {
        match clip_segment(w[0], w[1], bx, by) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        runs.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(a);
                }
                cur.push(b);
            }
            None => {
                if cur.len() >= 2 {
                    runs.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        runs.push(cur);
    }
    runs
}

fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    bx: (f64, f64),
    by: (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a.0 - bx.0),
        (dx, bx.1 - a.0),
        (-dy, a.1 - by.0),
        (dy, by.1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    if t0 > t1 {
        return None;
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            (a.0 + t * dx, a.1 + t * dy)
        }
    };
    Some((at(t0), at(t1)))
}

/// Everything a spectrum plot shows: one or more sets of values (e.g. singular values), each
/// sorted descending and drawn against rank 1, 2, … on a log y axis.
#[derive(Debug, Clone, PartialEq)]
pub struct SpectrumSpec {
    /// Visible title and the SVG `<title>`.
    pub title: String,
    /// The SVG `<desc>`.
    pub description: String,
    /// `(name, values)`; values need not be sorted but must be positive.
    pub spectra: Vec<(String, Vec<f64>)>,
    /// Label of the y axis, e.g. `singular value`.
    pub y_label: String,
    /// Rank on a log axis too (for long spectra).
    pub log_rank: bool,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl Default for SpectrumSpec {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            spectra: Vec::new(),
            y_label: "singular value".into(),
            log_rank: false,
            size: DEFAULT_SIZE,
        }
    }
}

/// Draws sorted spectra (rank vs value, log y) as SVG text; a line chart underneath.
///
/// Errors: as [`line_chart`]; values ≤ 0 are rejected (the y axis is logarithmic).
pub fn spectrum(spec: &SpectrumSpec) -> Result<String, PlotError> {
    let series = spec
        .spectra
        .iter()
        .map(|(name, values)| {
            let mut v = values.clone();
            // NaN sorts last and is then reported by the line chart's checks
            v.sort_by(|a, b| b.partial_cmp(a).unwrap_or(std::cmp::Ordering::Greater));
            let pts = v
                .iter()
                .enumerate()
                .map(|(i, &s)| ((i + 1) as f64, s))
                .collect();
            let mut s = Series::new(name.clone(), pts);
            s.markers = values.len() <= 40;
            s
        })
        .collect();
    let x = if spec.log_rank {
        Axis::log("rank")
    } else {
        Axis::linear("rank")
    };
    line_chart(&LineSpec {
        title: spec.title.clone(),
        description: spec.description.clone(),
        x,
        y: Axis::log(spec.y_label.clone()),
        series,
        size: spec.size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_cuts_at_the_box() {
        let runs = clip_polyline(&[(-1.0, 0.5), (2.0, 0.5)], (0.0, 1.0), (0.0, 1.0));
        assert_eq!(runs, vec![vec![(0.0, 0.5), (1.0, 0.5)]]);
        let runs = clip_polyline(
            &[(0.5, 0.5), (0.5, 2.0), (0.6, 0.5)],
            (0.0, 1.0),
            (0.0, 1.0),
        );
        assert_eq!(runs.len(), 2);
        assert!(clip_polyline(&[(2.0, 2.0), (3.0, 3.0)], (0.0, 1.0), (0.0, 1.0)).is_empty());
    }
}
