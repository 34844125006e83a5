//! Regenerates the committed gallery: `cargo run -p nc-diagram-draw --example draw_examples [ROOT]`
//! writes `ROOT/docs/gallery/*.svg` and `ROOT/docs/gallery/index.html`
//! (default root: the current directory), through
//! [`nc_diagram_draw::gallery_regenerate_with`]: the zoo, and two models imported from
//! committed ONNX test models, what `diagram import` makes of them: `onnx_convres` (a conv
//! net with a residual, `crates/diagram-onnx/tests/data/convres.onnx`) and `onnx_gpt2_block`
//! (a GPT-2 block with a causal mask, `gpt2_block.onnx`).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    let mut extra = Vec::new();
    for name in ["convres", "gpt2_block"] {
        let onnx = root.join(format!("crates/diagram-onnx/tests/data/{name}.onnx"));
        let imported = nc_diagram_onnx::import_file(&onnx, &Default::default())
            .map_err(|e| format!("{}: {e}", onnx.display()))?;
        extra.push((format!("onnx_{name}"), imported.circuit));
    }
    nc_diagram_draw::gallery_regenerate_with(&root, &extra)?;
    Ok(())
}
