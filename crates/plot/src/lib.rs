//! # nc-plot: one look for every neurocircuits figure
//!
//! Brief overview: thin helpers over [plotters] that turn plain data into finished figures.
//! Every chart function takes a spec struct (with a [`Default`]), checks it and returns SVG
//! text with a `<title>` and `<desc>` text alternative; [`save_svg`] writes it atomically.
//! Bad input (empty series, NaN, mismatched lengths, non-positive values on a log axis) is a
//! [`PlotError`], never a panic. Output is deterministic: same input, same bytes.
//!
//! - [`line_chart`]: named series with optional bands (mean ± sd), linear or log axes.
//! - [`spectrum`]: sorted values (singular values) against rank on a log y axis.
//! - [`bar_chart`]: grouped bars with error bars and wrapped category labels.
//! - [`heatmap`]: a matrix (neurons × time) with row labels and a colour bar.
//! - [`filmstrip_svg`], [`animation_gif`], [`frame_png`], [`frame_rgb`]: swimmer pictures from plain
//!   segment geometry ([`Frame`] of [`Segment`]s), with no dependency on the physics.
//!
//! Text is set in DejaVu Sans, compiled in and registered on first use, so nothing depends
//! on the fonts installed on the host. SVG text names the generic `sans-serif` family.
//!
//! ```
//! use nc_plot::{Axis, LineSpec, Series, line_chart};
//!
//! let steps = [1e3, 1e4, 1e5, 1e6];
//! let spec = LineSpec {
//!     title: "Swimmer return".into(),
//!     description: "Mean return over 5 seeds rises from 10 to 300.".into(),
//!     x: Axis::log("environment steps"),
//!     y: Axis::linear("return"),
//!     series: vec![Series::from_xy("NCAP", &steps, &[10.0, 80.0, 250.0, 300.0])
//!         .with_spread(&[2.0, 10.0, 20.0, 15.0])],
//!     ..LineSpec::default()
//! };
//! let svg = line_chart(&spec).unwrap();
//! assert!(svg.contains("<title>Swimmer return</title>"));
//! # let dir = tempfile::tempdir().unwrap();
//! nc_plot::save_svg(&dir.path().join("return.svg"), &svg).unwrap();
//! ```
#![deny(missing_docs)]

mod axis;
mod bar;
mod chart;
mod check;
mod colour;
mod error;
mod film;
mod font;
mod heatmap;
mod line;
mod raster;
mod style;
mod svg;
mod swimmer;

pub use axis::{Axis, Scale};
pub use bar::{BarSeries, BarSpec, bar_chart};
pub use colour::ColourScale;
pub use error::PlotError;
pub use film::{
    FilmLayout, FilmstripSpec, animation_gif, animation_gif_bytes, filmstrip_svg, frame_png,
    frame_rgb, save_frame_png,
};
pub use heatmap::{HeatmapSpec, heatmap};
pub use line::{LineSpec, Series, SpectrumSpec, line_chart, spectrum};
pub use style::{DEFAULT_SIZE, PALETTE, Rgb, series_colour};
pub use svg::save_svg;
pub use swimmer::{Frame, Segment};
