//! Writes what `tools/reference/onnx/export_check.py` runs: for every committed ONNX test
//! model, imported, its PyTorch export (`model.py`, loading `params.safetensors`), the
//! imported weights, and onnxruntime's recorded inputs under the circuit's input names, with
//! a `manifest.json` listing the cases.
//!
//! Run: cargo run -p nc-diagram-onnx --example torch_fixtures -- /tmp/onnx_export
// a command-line tool: it reports what it wrote
#![allow(clippy::print_stdout)]

use nc_diagram_onnx::weights::{self, Named};
use std::path::{Path, PathBuf};

/// The imported models whose export is checked (every committed model that imports whole).
const MODELS: &[&str] = &[
    "mlp",
    "gelu_mlp",
    "convres",
    "resnet18",
    "vit_tiny",
    "gpt2_block",
    "gpt2_block_op13",
    "unet_up",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: torch_fixtures DIR")?);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut manifest = Vec::new();
    for name in MODELS {
        let m =
            nc_diagram_onnx::import_file(&data.join(format!("{name}.onnx")), &Default::default())?;
        let refs = weights::read(&std::fs::read(
            data.join(format!("{name}.ref.safetensors")),
        )?)?;
        let c = &m.circuit;
        // symbolic sizes (dim_param) bound from the recorded inputs' shapes
        let mut bindings = nc_diagram::size::Bindings::new();
        let mut inputs = Named::new();
        for (v, onnx) in c.inputs.iter().zip(&m.input_names) {
            let (dims, x) = refs
                .get(&format!("input.{onnx}"))
                .ok_or_else(|| format!("{name}: no recorded input `{onnx}`"))?
                .clone();
            for (a, d) in c.value(*v).ty.axes.iter().zip(&dims) {
                if let nc_diagram::size::SizeExpr::Sym(s) = &c.axes[a.ix()].size {
                    bindings.insert(s.clone(), *d as i64);
                }
            }
            inputs.insert(c.value(*v).name.clone(), (dims, x));
        }
        let opt = nc_diagram_torch::Options {
            bindings: bindings.clone(),
            load: Some("params.safetensors".into()),
        };
        let py = nc_diagram_torch::export(c, &opt)?;
        let d = dir.join(name);
        std::fs::create_dir_all(&d)?;
        nc_core::output::write_atomic(&d.join("model.py"), py.as_bytes())?;
        let params: Named = m
            .weights
            .iter()
            .map(|w| (w.name.clone(), (w.dims.clone(), w.data.clone())))
            .collect();
        nc_core::output::write_atomic(&d.join("params.safetensors"), &weights::write(&params)?)?;
        nc_core::output::write_atomic(&d.join("inputs.safetensors"), &weights::write(&inputs)?)?;
        let ins: Vec<String> = c.inputs.iter().map(|v| c.value(*v).name.clone()).collect();
        manifest.push(serde_json::json!({
            "name": name,
            "bind": bindings,
            "inputs": ins,
            "onnx_inputs": m.input_names,
            "outputs": m.output_names,
        }));
    }
    nc_core::output::write_json_atomic(&dir.join("manifest.json"), &manifest)?;
    println!(
        "{} imported models written to {}",
        MODELS.len(),
        dir.display()
    );
    Ok(())
}
