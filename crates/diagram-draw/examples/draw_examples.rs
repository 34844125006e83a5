//! Regenerates the committed gallery: `cargo run -p nc-diagram-draw --example draw_examples [DOCS]`
//! writes `DOCS/gallery/*.svg`, `DOCS/gallery/index.html` and `DOCS/gallery.html` (default `docs`).

use std::path::PathBuf;

use nc_diagram_draw::DrawOptions;

fn main() -> Result<(), nc_diagram_draw::DrawError> {
    let docs = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs".into()));
    let opt = DrawOptions::default();
    nc_diagram_draw::draw_zoo(&docs.join("gallery"), &opt)?;
    let html = nc_diagram_draw::gallery_html(&opt);
    let p = docs.join("gallery.html");
    nc_core::output::write_atomic(&p, html.as_bytes())
        .map_err(|source| nc_diagram_draw::DrawError::Write { path: p, source })
}
