//! The PyTorch export of every imported test model reproduces onnxruntime and our executor.
//!
//! `tools/reference/onnx/export_check.py` ran the code `diagram export --torch` writes for each
//! imported model (with the imported weights, f32) and recorded its outputs in
//! `tests/data/torch_export.json`, with a hash of the exact file it ran. CI has no torch, so
//! here: today's export must hash the same (else the recording is of another export: rerun
//! the two commands of the script), the recorded PyTorch outputs must match onnxruntime's
//! recorded ones, and our executor's outputs must match the recorded PyTorch ones, each to
//! ≤ 1e-4 relative.

mod common;

use common::{rel, squeezed};
use serde_json::Value;

fn fnv1a64(b: &[u8]) -> String {
    let h = b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
        (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

fn recorded() -> Value {
    let text = std::fs::read_to_string(common::data("torch_export.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn exported_pytorch_of_every_imported_model_reproduces_onnxruntime_and_the_executor() {
    let doc = recorded();
    let models = doc["models"].as_object().unwrap();
    // every committed model that imports whole is recorded (cumsum_mlp has CumSum)
    let mut committed: Vec<String> = std::fs::read_dir(common::data(""))
        .unwrap()
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "onnx").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .filter(|n| n != "cumsum_mlp")
        .collect();
    committed.sort();
    let mut have: Vec<String> = models.keys().cloned().collect();
    have.sort();
    assert_eq!(have, committed, "models recorded vs committed");
    for (name, rec) in models {
        let r = common::run(name);
        let opt = nc_diagram_torch::Options {
            bindings: r.bindings.clone(),
            load: Some("params.safetensors".into()),
        };
        let py = nc_diagram_torch::export(&r.m.circuit, &opt).unwrap();
        assert_eq!(
            fnv1a64(py.as_bytes()),
            rec["fnv1a64"].as_str().unwrap(),
            "{name}: the export changed since it was run in PyTorch; rerun \
             tools/reference/onnx/export_check.py (see its header)"
        );
        for (got, o) in r.outputs.iter().zip(&r.m.output_names) {
            let out = &rec["outputs"][o];
            let torch: Vec<f32> = out["val"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            let shape: Vec<usize> = out["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let (dims, ort) = &r.refs[&format!("output.{o}")];
            assert_eq!(squeezed(&shape), squeezed(dims), "{name}.{o}: shape");
            let vs_ort = rel(&torch, ort);
            assert!(
                vs_ort <= 1e-4,
                "{name}.{o}: PyTorch vs onnxruntime {vs_ort:e}"
            );
            let vs_exec = rel(&got.data, &torch);
            assert!(
                vs_exec <= 1e-4,
                "{name}.{o}: executor vs PyTorch {vs_exec:e}"
            );
        }
    }
}

#[test]
fn the_export_of_an_imported_model_is_byte_stable() {
    let r = common::run("gpt2_block");
    let opt = nc_diagram_torch::Options::default();
    let a = nc_diagram_torch::export(&r.m.circuit, &opt).unwrap();
    let b = nc_diagram_torch::export(&r.m.circuit, &opt).unwrap();
    assert_eq!(a, b);
    // the causal mask is written with the band helper, the fused QKV split with `split`
    assert!(a.contains("def band(") && a.contains("split"), "{a}");
}
