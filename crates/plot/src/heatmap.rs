//! Heatmaps and rasters: a matrix (rows = neurons, columns = time) with row labels and a
//! colour bar. The cells are one embedded PNG, so a 50 × 5000 raster stays a small file.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axis::{self, Axis, Layout, Scale};
use crate::chart;
use crate::colour::{ColourMap, ColourScale};
use crate::error::draw_err;
use crate::style::{self, DEFAULT_SIZE, LABEL_PX, TICK_PX};
use crate::{PlotError, check, raster, svg};

/// Everything a heatmap shows.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatmapSpec {
    /// Visible title and the SVG `<title>`.
    pub title: String,
    /// The SVG `<desc>`.
    pub description: String,
    /// The matrix, one `Vec` per row, top row first; all rows equally long.
    pub rows: Vec<Vec<f64>>,
    /// One label per row (e.g. `DB1`, `muscle 3`), or empty for none. When rows are too
    /// thin for every label, every k-th is shown.
    pub row_labels: Vec<String>,
    /// Text under the x axis, e.g. `time (s)`.
    pub x_label: String,
    /// Text beside the rows, e.g. `neuron`.
    pub y_label: String,
    /// The x span of the columns in data units, `(start of first, end of last)`; `None` uses
    /// column indices `(0, columns)`.
    pub x_extent: Option<(f64, f64)>,
    /// Label of the colour bar, e.g. `activity`.
    pub value_label: String,
    /// Colour map.
    pub colour: ColourScale,
    /// Fixed `(low, high)` value range of the colour map; `None` fits the data.
    pub value_range: Option<(f64, f64)>,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl Default for HeatmapSpec {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            rows: Vec::new(),
            row_labels: Vec::new(),
            x_label: String::new(),
            y_label: String::new(),
            x_extent: None,
            value_label: String::new(),
            colour: ColourScale::Auto,
            value_range: None,
            size: DEFAULT_SIZE,
        }
    }
}

/// Fill colour of the placeholder rectangle that becomes the embedded image.
const PLACEHOLDER: &str = "fill=\"#010203\"";

/// Draws a heatmap as SVG text.
///
/// Errors: no rows, empty or ragged rows, non-finite values, row labels whose count differs
/// from the rows', a bad extent, value range or size.
pub fn heatmap(spec: &HeatmapSpec) -> Result<String, PlotError> {
    crate::font::ensure_fonts()?;
    validate(spec)?;
    let values = spec.rows.iter().flatten().copied();
    let (lo, hi) = spec
        .value_range
        .or_else(|| check::extent(values))
        .unwrap_or((0.0, 1.0));
    let map = ColourMap::new(spec.colour, lo, hi);
    let mut out = String::new();
    let plot_px;
    {
        let root = SVGBackend::with_string(&mut out, spec.size).into_drawing_area();
        plot_px = draw(&root, spec, &map)?;
        root.present().map_err(draw_err)?;
    }
    let image = image_tag(spec, &map, plot_px)?;
    let out = replace_placeholder(&out, &image)?;
    svg::add_text_alternative(&out, &spec.title, &spec.description)
}

fn validate(spec: &HeatmapSpec) -> Result<(), PlotError> {
    check::size(spec.size, (200, 150))?;
    check::nonempty(&spec.rows, || "rows".into())?;
    let cols = spec.rows[0].len();
    if cols == 0 {
        return Err(PlotError::Empty {
            what: "rows[0]".into(),
        });
    }
    for (r, row) in spec.rows.iter().enumerate() {
        check::same_len(cols, row.len(), || format!("rows[{r}]"))?;
        for (c, &v) in row.iter().enumerate() {
            check::finite(v, c, || format!("rows[{r}]"))?;
        }
    }
    if !spec.row_labels.is_empty() {
        check::same_len(spec.rows.len(), spec.row_labels.len(), || {
            "row_labels".into()
        })?;
    }
    let pair = |p: Option<(f64, f64)>, what: &str| -> Result<(), PlotError> {
        if let Some((a, b)) = p {
            check::finite(a, 0, || what.to_string())?;
            check::finite(b, 1, || what.to_string())?;
            if a >= b {
                return Err(PlotError::Invalid {
                    what: what.into(),
                    reason: format!("{a} is not below {b}"),
                });
            }
        }
        Ok(())
    };
    pair(spec.x_extent, "x_extent")?;
    pair(spec.value_range, "value_range")
}

/// The smallest row label font, in pixels: below it, every k-th row is labelled instead.
const MIN_ROW_LABEL_PX: f64 = 9.0;

/// Rows run top to bottom: row `r` occupies `[n - r - 1, n - r]` on the y axis. Every row
/// is labelled, in a smaller font when rows are thin; only rows too thin even for
/// [`MIN_ROW_LABEL_PX`] get every k-th label.
fn y_layout(spec: &HeatmapSpec, plot_h: u32) -> Layout {
    let n = spec.rows.len();
    let row_px = f64::from(plot_h) / n as f64;
    let label_px = (row_px / 1.15).floor().clamp(MIN_ROW_LABEL_PX, TICK_PX);
    let stride = ((label_px * 1.15) / row_px).ceil().max(1.0) as usize;
    let (mut major, mut labels) = (Vec::new(), Vec::new());
    if !spec.row_labels.is_empty() {
        for r in (0..n).step_by(stride) {
            major.push(n as f64 - r as f64 - 0.5);
            labels.push(style::fit_text(&spec.row_labels[r], label_px, 160));
        }
    }
    Layout {
        label_px,
        ..Layout::ticks(Scale::Linear, 0.0, n as f64, major, labels)
    }
}

/// Width reserved right of the plot for the colour bar, its ticks and its label.
const BAR_AREA: u32 = 96;

/// Returns the plot area in backend pixels `(x, y, w, h)`.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &HeatmapSpec,
    map: &ColourMap,
) -> Result<(i32, i32, u32, u32), PlotError> {
    let area = chart::titled(root, &spec.title)?;
    let (w, h) = area.dim_in_pixel();
    let (plot, _) = area.split_horizontally(w.saturating_sub(BAR_AREA));
    let x_area = chart::x_label_area(&spec.x_label);
    // the row height decides which labels fit; estimate it before building the chart
    let yl = y_layout(
        spec,
        h.saturating_sub(x_area + chart::TOP_MARGIN + chart::BOTTOM_MARGIN),
    );
    // and the plot's width how many time labels fit
    let (x0, x1) = spec.x_extent.unwrap_or((0.0, spec.rows[0].len() as f64));
    let plot_w = plot.dim_in_pixel().0.saturating_sub(
        chart::y_label_area(&yl, &spec.y_label) + chart::LEFT_MARGIN + chart::RIGHT_MARGIN,
    );
    let width = |l: &str| f64::from(style::text_size(l, TICK_PX).0);
    let xl = &axis::layout_fitted(
        &Axis::linear("").with_range(x0, x1),
        x0,
        x1,
        0.0,
        f64::from(plot_w),
        &width,
        TICK_PX * 0.6,
    );
    let mut chart = chart::cartesian(&plot, xl, &yl, &spec.x_label, &spec.y_label, x_area, false)?;
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    // placeholder for the image, replaced after rendering
    let (a, b) = ((xl.lo, yl.lo), (xl.hi, yl.hi));
    chart
        .draw_series(std::iter::once(Rectangle::new(
            [a, b],
            RGBColor(1, 2, 3).filled(),
        )))
        .map_err(draw_err)?;
    let px = (
        xr.start,
        yr.start,
        (xr.end - xr.start).max(1) as u32,
        (yr.end - yr.start).max(1) as u32,
    );
    colour_bar(root, map, &spec.value_label, px)?;
    Ok(px)
}

fn colour_bar<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    map: &ColourMap,
    label: &str,
    (x, y, w, h): (i32, i32, u32, u32),
) -> Result<(), PlotError> {
    let bx = x + w as i32 + 24;
    let bw = 14;
    let h = h as i32;
    let steps = 64;
    for k in 0..steps {
        let y0 = y + h * k / steps;
        let y1 = y + h * (k + 1) / steps;
        let t = 1.0 - (f64::from(k) + 0.5) / f64::from(steps);
        let c = map.colour(map.lo + t * (map.hi - map.lo)).to_plotters();
        root.draw(&Rectangle::new([(bx, y0), (bx + bw, y1)], c.filled()))
            .map_err(draw_err)?;
    }
    let frame = RGBColor(90, 90, 90);
    root.draw(&Rectangle::new([(bx, y), (bx + bw, y + h)], frame))
        .map_err(draw_err)?;
    let ticks = axis::layout(
        &Axis::linear("").with_range(map.lo, map.hi),
        map.lo,
        map.hi,
        0.0,
    );
    let mut label_w = 0;
    for (t, s) in ticks.major.iter().zip(&ticks.labels) {
        let py = y + h - ((t - map.lo) / (map.hi - map.lo) * f64::from(h)).round() as i32;
        root.draw(&PathElement::new(
            vec![(bx + bw, py), (bx + bw + 4, py)],
            frame,
        ))
        .map_err(draw_err)?;
        let st = style::text(TICK_PX).pos(Pos::new(HPos::Left, VPos::Center));
        root.draw(&Text::new(s.clone(), (bx + bw + 7, py), st))
            .map_err(draw_err)?;
        label_w = label_w.max(style::text_size(s, TICK_PX).0 as i32);
    }
    if !label.is_empty() {
        let lx = bx + bw + 7 + label_w + 8;
        let st = style::text(LABEL_PX)
            .transform(FontTransform::Rotate90)
            .pos(Pos::new(HPos::Center, VPos::Top));
        let label = style::fit_text(label, LABEL_PX, h as u32);
        root.draw(&Text::new(label, (lx + LABEL_PX as i32, y + h / 2), st))
            .map_err(draw_err)?;
    }
    Ok(())
}

/// Renders the cells at the plot's pixel size, averaging columns that share a pixel, so
/// any viewer shows sharp cells without relying on `image-rendering`.
fn image_tag(
    spec: &HeatmapSpec,
    map: &ColourMap,
    (x, y, w, h): (i32, i32, u32, u32),
) -> Result<String, PlotError> {
    let (n, cols) = (spec.rows.len(), spec.rows[0].len());
    let (wu, hu) = (w as usize, h as usize);
    // per row, the colour of each pixel column
    let row_px: Vec<Vec<[u8; 3]>> = spec
        .rows
        .iter()
        .map(|row| {
            (0..wu)
                .map(|p| {
                    let a = p * cols / wu;
                    let b = ((p + 1) * cols / wu).max(a + 1).min(cols);
                    let mean = row[a..b].iter().sum::<f64>() / (b - a) as f64;
                    let c = map.colour(mean);
                    [c.0, c.1, c.2]
                })
                .collect()
        })
        .collect();
    let mut rgb = Vec::with_capacity(wu * hu * 3);
    for py in 0..hu {
        let r = (py * n / hu).min(n - 1);
        for c in &row_px[r] {
            rgb.extend_from_slice(c);
        }
    }
    let png = raster::encode_png(&rgb, w, h)?;
    Ok(format!(
        "<image x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" preserveAspectRatio=\"none\" \
         href=\"data:image/png;base64,{}\"/>",
        raster::base64(&png)
    ))
}

fn replace_placeholder(svg: &str, image: &str) -> Result<String, PlotError> {
    let missing = || PlotError::Draw("heatmap placeholder not found in SVG".into());
    let at = svg.find(PLACEHOLDER).ok_or_else(missing)?;
    let start = svg[..at].rfind('<').ok_or_else(missing)?;
    let end = at + svg[at..].find("/>").ok_or_else(missing)? + 2;
    Ok(format!("{}{}{}", &svg[..start], image, &svg[end..]))
}
