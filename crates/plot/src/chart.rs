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
/// The chart's other margins around the plot and its label areas.
pub(crate) const LEFT_MARGIN: u32 = 6;
pub(crate) const TOP_MARGIN: u32 = 8;
pub(crate) const BOTTOM_MARGIN: u32 = 6;

/// Lines a title may take before it is cut short.
const TITLE_LINES: usize = 2;

/// Draws the title, on two lines if it is long, and returns the area below it.
pub(crate) fn titled<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    if title.is_empty() {
        return Ok(root.margin(8, 0, 0, 0));
    }
    let w = root.dim_in_pixel().0;
    let lines = style::wrap_text(title, TITLE_PX, w.saturating_sub(24), TITLE_LINES);
    let text_h = style::text_size(title, TITLE_PX).1 as i32;
    // the spacing plotters' own one-line title uses, and a line pitch of 1.15 em
    let pad = (text_h / 2).min(5);
    let pitch = (TITLE_PX * 1.15).round() as i32;
    let st = style::text(TITLE_PX).pos(Pos::new(HPos::Center, VPos::Top));
    for (i, line) in lines.iter().enumerate() {
        root.draw(&Text::new(
            line.clone(),
            ((w / 2) as i32, pad + pitch * i as i32),
            st.clone(),
        ))
        .map_err(draw_err)?;
    }
    let used = 2 * pad + text_h + pitch * (lines.len() as i32 - 1);
    Ok(root.split_vertically(used.max(0) as u32).1)
}

/// Splits off a legend column on the right when any entry has a name; returns the plot area.
pub(crate) fn with_legend<DB: DrawingBackend>(
    area: DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    if entries.iter().all(|e| e.name.is_empty()) {
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
        .map(|l| style::text_size(l, yl.label_px).0)
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
    let y_area = y_label_area(yl, y_label);
    let x_range = Ticked::new(xl);
    let y_range = Ticked::new(yl);
    let mut chart = ChartBuilder::on(area)
        .margin_top(TOP_MARGIN)
        .margin_left(LEFT_MARGIN)
        .margin_bottom(BOTTOM_MARGIN)
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
        .x_label_style(style::text(xl.label_px))
        .y_label_style(style::text(yl.label_px))
        .axis_desc_style(style::text(LABEL_PX))
        .bold_line_style(RGBAColor(0, 0, 0, if grid { 0.13 } else { 0.0 }))
        .light_line_style(RGBAColor(0, 0, 0, if grid { 0.05 } else { 0.0 }))
        .axis_style(MUTED)
        .set_all_tick_mark_size(4)
        .draw()
        .map_err(draw_err)?;
    zero_breaks(&chart, xl, yl)?;
    Ok(chart)
}

/// On an axis that shows 0 before its decades, a white gap with two slashes across the axis
/// line between them: the distance from 0 to the first decade is not to scale.
fn zero_breaks<DB: DrawingBackend>(
    chart: &ChartContext<'_, DB, Coord>,
    xl: &Layout,
    yl: &Layout,
) -> Result<(), PlotError> {
    let area = chart.plotting_area();
    let ink = MUTED.stroke_width(1);
    let mut marks = Vec::new();
    if let Some((z, start)) = xl.zero {
        let (x, y) = area.map_coordinate(&(0.5 * (z + start), yl.lo));
        marks.push(((x, y), true));
    }
    if let Some((z, start)) = yl.zero {
        let (x, y) = area.map_coordinate(&(xl.lo, 0.5 * (z + start)));
        marks.push(((x, y), false));
    }
    let root = area.strip_coord_spec();
    let (ox, oy) = root.get_base_pixel();
    for ((x, y), on_x) in marks {
        let (x, y) = (x - ox, y - oy);
        // along the axis: the gap; across it: the slashes
        let (gx, gy) = if on_x { (3, 0) } else { (0, 3) };
        root.draw(&PathElement::new(
            vec![(x - gx, y - gy), (x + gx, y + gy)],
            WHITE.stroke_width(3),
        ))
        .map_err(draw_err)?;
        for s in [-3, 3] {
            let (sx, sy) = if on_x { (s, 0) } else { (0, s) };
            let (dx, dy) = if on_x { (2, 5) } else { (5, 2) };
            root.draw(&PathElement::new(
                vec![(x + sx - dx, y + sy + dy), (x + sx + dx, y + sy - dy)],
                ink,
            ))
            .map_err(draw_err)?;
        }
    }
    Ok(())
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
