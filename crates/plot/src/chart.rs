//! The frame shared by the x–y charts: title, right-hand legend, axes and grid.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::PlotError;
use crate::axis::Layout;
use crate::error::draw_err;
use crate::style::{self, LABEL_PX, LEGEND_PX, MUTED, Rgb, TICK_PX, TITLE_PX};

/// The coordinate system of every x–y chart: linear in transformed units, with our own ticks.
pub(crate) type Coord = Cartesian2d<Ticked, Ticked>;

/// A linear f64 range whose bold and light key points are our major and minor ticks.
/// (plotters' `WithKeyPoints` over f64 cannot take a label formatter.)
#[derive(Debug, Clone)]
pub(crate) struct Ticked {
    lo: f64,
    hi: f64,
    major: Vec<f64>,
    minor: Vec<f64>,
}

impl Ticked {
    pub(crate) fn new(l: &Layout) -> Self {
        Self {
            lo: l.lo,
            hi: l.hi,
            major: l.major.clone(),
            minor: l.minor.clone(),
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        let px = f64::from(limit.0) + f64::from(limit.1 - limit.0) * t;
        // far-off values (never drawn: we clip) must not overflow i32
        px.round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// How a legend entry's swatch looks.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    /// A line, with a shaded band behind it if the series has one.
    Line { band: bool, marker: bool },
    /// A filled box (bars).
    Box,
}

#[derive(Debug, Clone)]
pub(crate) struct LegendEntry {
    pub name: String,
    pub colour: Rgb,
    pub swatch: Swatch,
}

const SWATCH_W: u32 = 26;
/// Room right of the plot for the last x tick label, which centres on the plot's edge.
pub(crate) const RIGHT_MARGIN: u32 = 22;

/// Draws the title and returns the area below it.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    if title.is_empty() {
        return Ok(root.margin(8, 0, 0, 0));
    }
    let w = root.dim_in_pixel().0;
    let t = style::fit_text(title, TITLE_PX, w.saturating_sub(24));
    root.titled(&t, style::text(TITLE_PX)).map_err(draw_err)
}

/// Splits off a legend column on the right when any entry has a name; returns the plot area.
pub(crate) fn with_legend<DB: DrawingBackend>(
    area: DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    // an unnamed series stays out of the legend (e.g. one dot per seed beside a named median)
    let entries: Vec<&LegendEntry> = entries.iter().filter(|e| !e.name.is_empty()).collect();
    if entries.is_empty() {
        return Ok(area);
    }
    let (w, _) = area.dim_in_pixel();
    let max_text = w * 3 / 10;
    let names: Vec<String> = entries
        .iter()
        .map(|e| style::fit_text(&e.name, LEGEND_PX, max_text))
        .collect();
    let text_w = names
        .iter()
        .map(|n| style::text_size(n, LEGEND_PX).0)
        .max()
        .unwrap_or(0);
    let legend_w = SWATCH_W + 8 + text_w + 16;
    let (plot, legend) = area.split_horizontally(w.saturating_sub(legend_w));
    let row = (LEGEND_PX * 1.6) as i32;
    for (i, (e, name)) in entries.iter().zip(&names).enumerate() {
        let y = 20 + row * i as i32;
        let c = e.colour.to_plotters();
        let sw = SWATCH_W as i32;
        match e.swatch {
            Swatch::Line { band, marker } => {
                if band {
                    legend
                        .draw(&Rectangle::new(
                            [(0, y - 6), (sw, y + 6)],
                            e.colour.alpha(0.2).filled(),
                        ))
                        .map_err(draw_err)?;
                }
                legend
                    .draw(&PathElement::new(vec![(0, y), (sw, y)], c.stroke_width(2)))
                    .map_err(draw_err)?;
                if marker {
                    legend
                        .draw(&Circle::new((sw / 2, y), 3, c.filled()))
                        .map_err(draw_err)?;
                }
            }
            Swatch::Box => {
                legend
                    .draw(&Rectangle::new([(4, y - 6), (sw - 4, y + 6)], c.filled()))
                    .map_err(draw_err)?;
            }
        }
        let pos = Pos::new(HPos::Left, VPos::Center);
        legend
            .draw(&Text::new(
                name.clone(),
                (sw + 8, y),
                style::text(LEGEND_PX).pos(pos),
            ))
            .map_err(draw_err)?;
    }
    Ok(plot)
}

/// Builds the axes and grid over `area` from two laid-out axes. With `x_ticks` false the
/// x tick labels are left for the caller to draw (bar categories).
pub(crate) fn y_label_area(yl: &Layout, y_label: &str) -> u32 {
    let y_tick_w = yl
        .labels
        .iter()
        .map(|l| style::text_size(l, TICK_PX).0)
        .max()
        .unwrap_or(0);
    y_tick_w
        + 14
        + if y_label.is_empty() {
            0
        } else {
            LABEL_PX as u32 + 14
        }
}

pub(crate) fn cartesian<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    xl: &Layout,
    yl: &Layout,
    x_label: &str,
    y_label: &str,
    x_label_area: u32,
    grid: bool,
) -> Result<ChartContext<'a, DB, Coord>, PlotError> {
    let y_tick_w = yl
        .labels
        .iter()
        .map(|l| style::text_size(l, TICK_PX).0)
        .max()
        .unwrap_or(0);
    let y_area = y_tick_w
        + 14
        + if y_label.is_empty() {
            0
        } else {
            LABEL_PX as u32 + 14
        };
    let x_range = Ticked::new(xl);
    let y_range = Ticked::new(yl);
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_left(6)
        .margin_bottom(6)
        .margin_right(RIGHT_MARGIN)
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_err)?;
    let x_fmt = |v: &f64| xl.label_at(*v);
    let y_fmt = |v: &f64| yl.label_at(*v);
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(style::text(TICK_PX))
        .axis_desc_style(style::text(LABEL_PX))
        .bold_line_style(RGBAColor(0, 0, 0, if grid { 0.13 } else { 0.0 }))
        .light_line_style(RGBAColor(0, 0, 0, if grid { 0.05 } else { 0.0 }))
        .axis_style(MUTED)
        .set_all_tick_mark_size(4)
        .draw()
        .map_err(draw_err)?;
    Ok(chart)
}

/// Standard x label area height: tick labels plus the axis label.
pub(crate) fn x_label_area(x_label: &str) -> u32 {
    TICK_PX as u32
        + 14
        + if x_label.is_empty() {
            0
        } else {
            LABEL_PX as u32 + 12
        }
}
