//! Regenerates the committed gallery: `cargo run -p nc-diagram-draw --example draw_examples [ROOT]`
//! writes `ROOT/docs/gallery/*.svg` and `ROOT/docs/gallery/index.html`
//! (default root: the current directory), through [`nc_diagram_draw::gallery_regenerate`].

use std::path::PathBuf;

fn main() -> Result<(), nc_diagram_draw::DrawError> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    nc_diagram_draw::gallery_regenerate(&root)
}
