//! The PyTorch export: byte-stable, as committed for two small models, and reproducing our
//! executor's outputs (recorded by `tools/reference/diagram/export_check.py`, which ran the
//! exported code of every zoo model in PyTorch; CI has no torch, so only the recording is read).

use nc_diagram::exec::{Bound, forward, init_params, random_inputs};
use nc_diagram::tensor::Tensor;
use nc_diagram_torch::fixtures::{CASES, SEED, bindings};
use nc_diagram_torch::{Options, export};
use serde_json::Value;

fn small(name: &str) -> Options {
    let c = nc_diagram::zoo::get(name).expect("zoo model");
    let bind = CASES.iter().find(|(n, _)| *n == name).expect("a case").1;
    Options {
        bindings: bindings(&c, bind),
        load: Some("params.safetensors".into()),
    }
}

#[test]
fn every_zoo_model_exports_to_the_same_bytes_twice() {
    for name in nc_diagram::zoo::names() {
        let c = nc_diagram::zoo::get(name).expect("zoo model");
        let a = export(&c, &small(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let b = export(&c, &small(name)).expect("second export");
        assert_eq!(a, b, "{name}: two exports differ");
        assert!(
            a.contains("class ") && a.contains("def forward(self"),
            "{name}"
        );
    }
    // every zoo model has a case in the PyTorch check
    for name in nc_diagram::zoo::names() {
        assert!(CASES.iter().any(|(n, _)| *n == name), "{name} has no case");
    }
}

/// The committed copies; regenerate with `NC_BLESS=1 cargo test -p nc-diagram-torch`.
#[test]
fn exports_match_the_committed_copies() {
    for name in ["mlp", "llama_block"] {
        let c = nc_diagram::zoo::get(name).expect("zoo model");
        let got = export(&c, &small(name)).expect("export");
        let path = format!("{}/tests/data/{name}.py", env!("CARGO_MANIFEST_DIR"));
        if std::env::var_os("NC_BLESS").is_some() {
            std::fs::write(&path, &got).expect("bless");
        }
        let want = std::fs::read_to_string(&path).expect("committed copy");
        assert!(got == want, "{name}: the export differs from {path}");
    }
}

fn to_f64(t: Tensor<f32>) -> Tensor<f64> {
    let data = t.data.iter().map(|v| f64::from(*v)).collect();
    Tensor {
        axes: t.axes,
        dims: t.dims,
        strides: t.strides,
        data,
    }
}

/// f64 on both sides from the same f32 parameters and inputs: the sums of products differ only
/// in their order, so 1e-9 relative to the output's scale is generous and a wrong operation
/// (a transpose, a missed scale, a wrong mask) is off by far more.
const TOL: f64 = 1e-9;

#[test]
fn the_executor_reproduces_the_recorded_pytorch_outputs() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/export_outputs.json"
    );
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("recording")).expect("json");
    let models = doc["models"].as_object().expect("models");
    assert_eq!(
        models.len(),
        nc_diagram::zoo::names().len(),
        "every zoo model recorded"
    );
    for (name, rec) in models {
        let c = nc_diagram::zoo::get(name).expect("zoo model");
        let bind = CASES.iter().find(|(n, _)| n == name).expect("a case").1;
        let b = bindings(&c, bind);
        let recorded: nc_diagram::size::Bindings =
            serde_json::from_value(rec["bind"].clone()).expect("bind");
        assert_eq!(b, recorded, "{name}: the sizes changed since the recording");
        assert_eq!(rec["seed"].as_u64(), Some(SEED), "{name}: seed");
        let bound = Bound::new(&c, &b).expect("bind");
        let p: Vec<_> = init_params::<f32>(&c, &bound, SEED)
            .into_iter()
            .map(to_f64)
            .collect();
        let x: Vec<_> = random_inputs::<f32>(&c, &bound, SEED + 1)
            .into_iter()
            .map(to_f64)
            .collect();
        let tape = forward(&c, &bound, &p, &x).expect("forward");
        for (i, v) in c.outputs.iter().enumerate() {
            let out = &c.value(*v).name;
            let r = &rec["outputs"][out];
            let y = tape.output(&c, i).expect("output");
            let shape: Vec<usize> = serde_json::from_value(r["shape"].clone()).expect("shape");
            assert_eq!(y.dims, shape, "{name}.{out}: shape");
            let vals: Vec<f64> = serde_json::from_value(r["val"].clone()).expect("val");
            let idx: Vec<usize> = match r.get("idx") {
                Some(ix) => serde_json::from_value(ix.clone()).expect("idx"),
                None => (0..y.data.len()).collect(),
            };
            let scale = y.data.iter().fold(1e-300f64, |m, v| m.max(v.abs()));
            for (j, want) in idx.iter().zip(&vals) {
                let got = y.data[*j];
                assert!(
                    (got - want).abs() <= TOL * scale,
                    "{name}.{out}[{j}]: executor {got}, PyTorch {want} (scale {scale})"
                );
            }
            let sum: f64 = y.data.iter().sum();
            let sumsq: f64 = y.data.iter().map(|v| v * v).sum();
            let n = y.data.len() as f64;
            let (ws, wq) = (
                r["sum"].as_f64().expect("sum"),
                r["sumsq"].as_f64().expect("sumsq"),
            );
            assert!(
                (sum - ws).abs() <= TOL * scale * n,
                "{name}.{out}: sum {sum} vs {ws}"
            );
            assert!(
                (sumsq - wq).abs() <= TOL * scale * scale * n,
                "{name}.{out}: sum of squares {sumsq} vs {wq}"
            );
        }
    }
}

/// What has no PyTorch form is an error naming the operation: RoPE needs an even head
/// dimension, and m = 12 over h = 4 heads gives k = 3.
#[test]
fn an_op_that_cannot_export_is_an_error_naming_it() {
    let c = nc_diagram::zoo::get("llama_block").expect("zoo model");
    let mut o = small("llama_block");
    o.bindings.insert("m".into(), 12);
    let e = export(&c, &o).expect_err("odd head dimension").to_string();
    assert!(e.contains("rope_q") && e.contains("odd size 3"), "{e}");
}

/// Index selection exports as `Tensor.select` and the sinusoidal table as the `sinusoid`
/// helper (checked numerically against a torch-native table when this test was written:
/// `NC_EXPORT_DUMP=DIR` writes the module there to repeat that); an odd feature axis is an
/// error naming the op.
#[test]
fn select_and_sinusoid_export() {
    let text = "circuit positions\ninput x [b=2 t=5 m=6]\np = sinusoid [t m] base 100\n\
                y = mul x p ; select t 2\noutput y\n";
    let c = nc_diagram::parse::text::load(text).expect("circuit");
    let o = Options {
        bindings: c.default_bindings(),
        load: None,
    };
    let py = export(&c, &o).expect("export");
    if let Some(dir) = std::env::var_os("NC_EXPORT_DUMP") {
        std::fs::write(std::path::Path::new(&dir).join("positions.py"), &py).expect("dump");
    }
    assert!(py.contains("def sinusoid(n, d, base):"), "{py}");
    assert!(py.contains("p = sinusoid(5, 6, 100.0)"), "{py}");
    assert!(py.contains(".select(1, 2)"), "{py}");
    let odd = nc_diagram::parse::text::load(&text.replace("m=6", "m=5")).expect("circuit");
    let e = export(
        &odd,
        &Options {
            bindings: odd.default_bindings(),
            load: None,
        },
    )
    .expect_err("odd feature axis")
    .to_string();
    assert!(e.contains("`p`") && e.contains("odd size 5"), "{e}");
}
