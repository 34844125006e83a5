//! # nc-diagram-draw: neural circuit diagrams, drawn
//!
//! Brief overview: a [`model::Diagram`] (wires, operations, named blocks) is laid out
//! automatically by [`layout::layout`] into a [`scene::Scene`] of absolute primitives, which
//! [`svg::write`] and [`tikz::write`] turn into deterministic text. Columns alternate data
//! types and operations, each axis is a wire labelled with its size, boxes span exactly the
//! wires they act on, and the paper's pictograms mark each kind of operation. A drawing
//! wider than 600 px wraps onto rows where few wires cross, its wires led round under each
//! row; a circuit's large blocks collapse first ([`fit`]).
//!
//! ```
//! use nc_diagram_draw::model::{Builder, OpKind};
//! let mut b = Builder::new("MLP layer");
//! let x = b.input(&["784"]);
//! let h = b.op(OpKind::Linear { bias: true, name: String::new() }, true, &x, &["512"]);
//! b.op(OpKind::Elementwise("R".into()), false, &h, &["512"]);
//! let svg = nc_diagram_draw::render_svg(&b.finish(), &Default::default());
//! assert!(svg.contains("<svg") && svg.len() < 10_000);
//! ```
#![deny(missing_docs)]

mod copies;
pub mod draw;
pub mod examples;
pub mod fit;
mod flatten;
pub mod formula;
pub mod from_ir;
mod fuse;
pub mod gallery;
pub mod interactive;
pub mod labels;
pub mod layout;
pub mod legend;
mod marks;
pub mod metrics;
pub mod model;
mod pack;
mod pictogram;
mod png;
mod reorder;
pub mod scene;
mod slots;
pub mod stats;
pub mod svg;
mod tally;
pub mod tikz;
mod untangle;
mod wrap;

pub use draw::{
    DrawError, DrawOptions, Format, circuit_scene, circuit_scenes, draw_circuit, draw_circuit_all,
    draw_file, draw_zoo, draw_zoo_with, gallery_html, gallery_regenerate, gallery_regenerate_with,
    interactive_html, render, zoo_svgs,
};
pub use layout::LayoutOptions;

/// Lays out and writes a diagram as SVG.
#[must_use]
pub fn render_svg(d: &model::Diagram, opt: &LayoutOptions) -> String {
    svg::write(&layout::layout(d, opt))
}

/// Lays out and writes a diagram as TikZ.
#[must_use]
pub fn render_tikz(d: &model::Diagram, opt: &LayoutOptions) -> String {
    tikz::write(&layout::layout(d, opt))
}
