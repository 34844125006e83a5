//! Writes what `tools/reference/diagram/export_check.py` runs: for every zoo model, at the
//! small sizes of [`nc_diagram_torch::fixtures::CASES`], the exported module (`model.py`,
//! loading `params.safetensors`), its parameters and its inputs, seeded as `diagram run`
//! seeds them (f32), and a `manifest.json` listing the cases.
//!
//! Run: cargo run --release -p nc-diagram-torch --example export_fixtures -- /tmp/export
// a command-line tool: it reports what it wrote
#![allow(clippy::print_stdout)]

use nc_diagram::exec::{Bound, init_params, random_inputs};
use nc_diagram_onnx::weights::{self, Named};
use nc_diagram_torch::fixtures::{CASES, SEED, bindings};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: export_fixtures DIR")?,
    );
    let mut manifest = serde_json::Map::new();
    for (name, bind) in CASES {
        let c = nc_diagram::zoo::get(name).ok_or("zoo model")?;
        let b = bindings(&c, bind);
        let bound = Bound::new(&c, &b)?;
        let opt = nc_diagram_torch::Options {
            bindings: b.clone(),
            load: Some("params.safetensors".into()),
        };
        let py = nc_diagram_torch::export(&c, &opt)?;
        let d = dir.join(name);
        std::fs::create_dir_all(&d)?;
        nc_core::output::write_atomic(&d.join("model.py"), py.as_bytes())?;
        let p = init_params::<f32>(&c, &bound, SEED);
        let params: Named = c
            .params
            .iter()
            .zip(&p)
            .map(|(q, t)| (q.name.clone(), (t.dims.clone(), t.to_layout(&q.axes).data)))
            .collect();
        nc_core::output::write_atomic(&d.join("params.safetensors"), &weights::write(&params)?)?;
        let x = random_inputs::<f32>(&c, &bound, SEED + 1);
        let inputs: Named = c
            .inputs
            .iter()
            .zip(&x)
            .map(|(v, t)| {
                let axes = &c.value(*v).ty.axes;
                (
                    c.value(*v).name.clone(),
                    (bound.dims(axes), t.to_layout(axes).data),
                )
            })
            .collect();
        nc_core::output::write_atomic(&d.join("inputs.safetensors"), &weights::write(&inputs)?)?;
        let ins: Vec<_> = c.inputs.iter().map(|v| c.value(*v).name.clone()).collect();
        let outs: Vec<_> = c.outputs.iter().map(|v| c.value(*v).name.clone()).collect();
        manifest.insert(
            name.to_string(),
            serde_json::json!({"bind": b, "seed": SEED, "inputs": ins, "outputs": outs}),
        );
    }
    nc_core::output::write_json_atomic(&dir.join("manifest.json"), &manifest)?;
    println!("{} models written to {}", CASES.len(), dir.display());
    Ok(())
}
