//! Grouped bar charts with optional error bars (ablations, transfer across body lengths).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{self, Axis, Layout, Scale};
use crate::chart::{self, LegendEntry, Swatch};
use crate::error::draw_err;
use crate::style::{self, DEFAULT_SIZE, LABEL_PX, Rgb, TICK_PX};
use crate::{PlotError, check, svg};

/// One bar per category, in one colour and legend entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarSeries {
    /// Legend entry; with a single unnamed series no legend is drawn.
    pub name: String,
    /// Bar heights, one per category.
    pub values: Vec<f64>,
    /// Half-lengths of the error bars (e.g. sd or sem), one per category, each ≥ 0.
    pub errors: Option<Vec<f64>>,
    /// Colour; `None` takes the next palette colour.
    pub colour: Option<Rgb>,
    /// The values behind each bar (e.g. one per seed), drawn as dots over it; one list per
    /// category, each of any length.
    pub points: Option<Vec<Vec<f64>>>,
}

impl BarSeries {
    /// A series of bar heights.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            values,
            ..Self::default()
        }
    }

    /// Adds error bars (half-lengths).
    #[must_use]
    pub fn with_errors(mut self, errors: Vec<f64>) -> Self {
        self.errors = Some(errors);
        self
    }

    /// Sets the colour.
    #[must_use]
    pub fn with_colour(mut self, colour: Rgb) -> Self {
        self.colour = Some(colour);
        self
    }

    /// Adds the values behind each bar (e.g. one per seed), drawn as dots over it.
    #[must_use]
    pub fn with_points(mut self, points: Vec<Vec<f64>>) -> Self {
        self.points = Some(points);
        self
    }
}

/// Everything a grouped bar chart shows.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSpec {
    /// Visible title and the SVG `<title>`.
    pub title: String,
    /// The SVG `<desc>`.
    pub description: String,
    /// Category labels along x; long labels wrap onto up to three lines.
    pub categories: Vec<String>,
    /// The bars of each category, side by side in this order.
    pub series: Vec<BarSeries>,
    /// Text under the category labels.
    pub x_label: String,
    /// The value axis; must be linear (bars on a log axis mislead). Its range, if fixed, must
    /// contain 0 for the bars to start from the axis.
    pub y: Axis,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl Default for BarSpec {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            categories: Vec::new(),
            series: Vec::new(),
            x_label: String::new(),
            y: Axis::linear("value"),
            size: DEFAULT_SIZE,
        }
    }
}

/// Draws a grouped bar chart as SVG text.
///
/// Errors: no categories or series, a series or error list whose length differs from the
/// categories', non-finite values, negative errors, a log y axis, a bad range or size.
pub fn bar_chart(spec: &BarSpec) -> Result<String, PlotError> {
    crate::font::ensure_fonts()?;
    validate(spec)?;
    let yl = y_layout(spec);
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, spec.size).into_drawing_area();
        draw(&root, spec, &yl)?;
        root.present().map_err(draw_err)?;
    }
    svg::add_text_alternative(&out, &spec.title, &spec.description)
}

fn validate(spec: &BarSpec) -> Result<(), PlotError> {
    check::size(spec.size, (200, 150))?;
    check::nonempty(&spec.categories, || "categories".into())?;
    check::nonempty(&spec.series, || "series".into())?;
    if spec.y.scale == Scale::Log10 {
        return Err(PlotError::Invalid {
            what: "y axis".into(),
            reason: "bar charts need a linear value axis".into(),
        });
    }
    axis::check_range(&spec.y, "y")?;
    let n = spec.categories.len();
    for s in &spec.series {
        check::same_len(n, s.values.len(), || format!("series {:?} values", s.name))?;
        for (i, &v) in s.values.iter().enumerate() {
            check::finite(v, i, || format!("series {:?} values", s.name))?;
        }
        if let Some(errors) = &s.errors {
            check::same_len(n, errors.len(), || format!("series {:?} errors", s.name))?;
            for (i, &e) in errors.iter().enumerate() {
                check::finite(e, i, || format!("series {:?} errors", s.name))?;
                if e < 0.0 {
                    return Err(PlotError::Invalid {
                        what: format!("series {:?} errors[{i}]", s.name),
                        reason: format!("{e} is negative"),
                    });
                }
            }
        }
        if let Some(points) = &s.points {
            check::same_len(n, points.len(), || format!("series {:?} points", s.name))?;
            for (i, pts) in points.iter().enumerate() {
                for &v in pts {
                    check::finite(v, i, || format!("series {:?} points", s.name))?;
                }
            }
        }
    }
    Ok(())
}

/// The value axis always includes 0 and is padded only away from it.
fn y_layout(spec: &BarSpec) -> Layout {
    let ends = spec.series.iter().flat_map(|s| {
        s.values.iter().enumerate().flat_map(move |(i, &v)| {
            let e = s.errors.as_ref().map_or(0.0, |e| e[i]);
            [v - e, v + e]
        })
    });
    let dots = spec
        .series
        .iter()
        .flat_map(|s| s.points.iter().flatten().flatten().copied());
    let ends = ends.chain(dots);
    let (lo, hi) = check::extent(ends.chain([0.0])).unwrap_or((0.0, 1.0));
    let pad = 0.06 * (hi - lo);
    let lo = if lo < 0.0 { lo - pad } else { 0.0 };
    let hi = if hi > 0.0 { hi + pad } else { 0.0 };
    let axis = match spec.y.range {
        Some(_) => spec.y.clone(),
        None if hi > lo => spec.y.clone().with_range(lo, hi),
        None => spec.y.clone(),
    };
    axis::layout(&axis, lo, hi, 0.0)
}

/// Splits `s` into at most `max_lines` lines no wider than `width` pixels.
fn wrap(s: &str, width: u32, max_lines: usize) -> Vec<String> {
    style::wrap_text(s, TICK_PX, width, max_lines)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &BarSpec,
    yl: &Layout,
) -> Result<(), PlotError> {
    let named = spec.series.len() > 1 || spec.series.iter().any(|s| !s.name.is_empty());
    let entries: Vec<LegendEntry> = spec
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| LegendEntry {
            name: if named { s.name.clone() } else { String::new() },
            colour: style::series_colour(i, s.colour),
            swatch: Swatch::Box,
        })
        .collect();
    let area = chart::titled(root, &spec.title)?;
    let area = chart::with_legend(area, &entries)?;

    // category labels: wrap to the slot width, and size the label area to fit them
    let n = spec.categories.len();
    let plot_w = area
        .dim_in_pixel()
        .0
        .saturating_sub(chart::y_label_area(yl, &spec.y.label) + chart::RIGHT_MARGIN + 6);
    let slot = (plot_w / n as u32).saturating_sub(8).max(20);
    let wrapped: Vec<Vec<String>> = spec.categories.iter().map(|c| wrap(c, slot, 3)).collect();
    let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1) as u32;
    let line_h = (TICK_PX * 1.25) as u32;
    let x_area = 10
        + lines * line_h
        + if spec.x_label.is_empty() {
            0
        } else {
            LABEL_PX as u32 + 12
        };

    let xl = Layout::ticks(Scale::Linear, -0.5, n as f64 - 0.5, Vec::new(), Vec::new());
    let mut chart = chart::cartesian(&area, &xl, yl, &spec.x_label, &spec.y.label, x_area, true)?;

    // bars: each group fills 80% of its slot
    let m = spec.series.len() as f64;
    let bar_w = 0.8 / m;
    let (y_lo, y_hi) = (yl.lo, yl.hi);
    let base = 0.0f64.clamp(y_lo, y_hi);
    for (j, (s, e)) in spec.series.iter().zip(&entries).enumerate() {
        let c = e.colour.to_plotters();
        for (i, &v) in s.values.iter().enumerate() {
            let x0 = i as f64 - 0.4 + bar_w * j as f64;
            let (x0, x1) = (x0 + bar_w * 0.06, x0 + bar_w * 0.94);
            let top = v.clamp(y_lo, y_hi);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0, base), (x1, top)],
                    c.filled(),
                )))
                .map_err(draw_err)?;
            if let Some(errs) = &s.errors {
                let xm = 0.5 * (x0 + x1);
                let (a, b) = (
                    (v - errs[i]).clamp(y_lo, y_hi),
                    (v + errs[i]).clamp(y_lo, y_hi),
                );
                let cap = bar_w * 0.18;
                let ink = RGBColor(40, 40, 40).stroke_width(1);
                let paths = [
                    vec![(xm, a), (xm, b)],
                    vec![(xm - cap, a), (xm + cap, a)],
                    vec![(xm - cap, b), (xm + cap, b)],
                ];
                chart
                    .draw_series(paths.into_iter().map(|p| PathElement::new(p, ink)))
                    .map_err(draw_err)?;
            }
            if let Some(points) = &s.points {
                // spread the dots across the bar so that equal values stay countable
                let k = points[i].len();
                let dots = points[i].iter().enumerate().map(|(d, &p)| {
                    let f = if k > 1 {
                        d as f64 / (k - 1) as f64
                    } else {
                        0.5
                    };
                    let x = x0 + (x1 - x0) * (0.25 + 0.5 * f);
                    Circle::new(
                        (x, p.clamp(y_lo, y_hi)),
                        3,
                        RGBColor(30, 30, 30).stroke_width(1),
                    )
                });
                chart.draw_series(dots).map_err(draw_err)?;
            }
        }
    }
    if y_lo < 0.0 && y_hi > 0.0 {
        let zero = vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)];
        chart
            .draw_series(std::iter::once(PathElement::new(
                zero,
                RGBColor(90, 90, 90),
            )))
            .map_err(draw_err)?;
    }

    // category labels under each group, centred, in backend pixels
    for (i, lines) in wrapped.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64, y_lo));
        for (k, line) in lines.iter().enumerate() {
            let y = py + 8 + (k as u32 * line_h) as i32;
            let st = style::text(TICK_PX).pos(Pos::new(HPos::Center, VPos::Top));
            root.draw(&Text::new(line.clone(), (px, y), st))
                .map_err(draw_err)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_behind_a_bar_is_a_dot_inside_the_axis() {
        let spec = BarSpec {
            categories: vec!["a".into(), "b".into()],
            series: vec![
                BarSeries::new("x", vec![1.0, 2.0])
                    .with_points(vec![vec![0.5, 1.5], vec![2.0, 2.0, 9.0]]),
            ],
            ..BarSpec::default()
        };
        let svg = bar_chart(&spec).unwrap();
        let cy: Vec<f64> = svg
            .split("<circle")
            .skip(1)
            .map(|c| {
                let at = c.find("cy=\"").unwrap() + 4;
                c[at..].split('"').next().unwrap().parse().unwrap()
            })
            .collect();
        assert_eq!(cy.len(), 5);
        // values 0.5, 1.5, 2, 2, 9 in order: the outlier widens the axis, linearly, instead of
        // being clipped to the top of the bars
        let ratio = (cy[3] - cy[4]) / (cy[1] - cy[2]);
        assert!((ratio - 14.0).abs() < 3.0, "{cy:?}");
        let bad = BarSpec {
            series: vec![BarSeries::new("x", vec![1.0, 2.0]).with_points(vec![vec![1.0]])],
            ..spec.clone()
        };
        assert!(bar_chart(&bad).is_err());
    }

    #[test]
    fn wrap_keeps_short_labels_whole() {
        crate::font::ensure_fonts().unwrap();
        assert_eq!(wrap("6", 80, 3), ["6"]);
        let w = wrap("no proprioceptive feedback at all", 80, 2);
        assert_eq!(w.len(), 2);
    }
}
