//! Regenerates the committed gallery: `cargo run -p nc-diagram-draw --example draw_examples [ROOT]`
//! writes `ROOT/docs/gallery/*.svg` and `ROOT/docs/gallery/index.html`
//! (default root: the current directory), through
//! [`nc_diagram_draw::gallery_regenerate_with`]: the zoo, and one model imported from a
//! committed ONNX test model (`onnx_convres`, a conv net with a residual, from
//! `crates/diagram-onnx/tests/data/convres.onnx`, what `diagram import` makes of it).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let onnx = root.join("crates/diagram-onnx/tests/data/convres.onnx");
    let imported = nc_diagram_onnx::import_file(&onnx, &Default::default())
        .map_err(|e| format!("{}: {e}", onnx.display()))?;
    nc_diagram_draw::gallery_regenerate_with(&root, &[("onnx_convres".into(), imported.circuit)])?;
    Ok(())
}
