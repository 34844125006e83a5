//! `neurocircuits diagram import`, then `draw` and `run --params --inputs --out` on the result:
//! the outputs match onnxruntime's; unsupported operators are listed; `--partial` imports.

use nc_diagram_onnx::weights;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
        .arg("diagram")
        .args(args)
        .output()
        .expect("binary starts")
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../diagram-onnx/tests/data")
        .join(name)
}

fn ok(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn import_draw_and_run_match_onnxruntime() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s).to_str().unwrap().to_string();
    let model = data("resnet18.onnx");
    ok(&cli(&[
        "import",
        model.to_str().unwrap(),
        "-o",
        &p("r.ncd"),
    ]));
    let svg = p("r.svg");
    ok(&cli(&["draw", &p("r.ncd"), "-o", &svg]));
    assert!(std::fs::read_to_string(&svg).unwrap().starts_with("<svg"));
    // the recorded input under the circuit's input name
    let refs = weights::read(&std::fs::read(data("resnet18.ref.safetensors")).unwrap()).unwrap();
    let mut ins = weights::Named::new();
    ins.insert("image".into(), refs["input.image"].clone());
    std::fs::write(p("in.safetensors"), weights::write(&ins).unwrap()).unwrap();
    ok(&cli(&[
        "run",
        &p("r.ncd"),
        "--bind",
        "batch=2",
        "--params",
        &p("r.safetensors"),
        "--inputs",
        &p("in.safetensors"),
        "--out",
        &p("out.safetensors"),
    ]));
    let out = weights::read(&std::fs::read(p("out.safetensors")).unwrap()).unwrap();
    let (dims, got) = &out["y"];
    let (want_dims, want) = &refs["output.y"];
    assert_eq!(dims, want_dims);
    let scale = want.iter().fold(0f32, |m, x| m.max(x.abs()));
    let err = got
        .iter()
        .zip(want)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    assert!(err <= 1e-4 * scale, "max error {err} against scale {scale}");
}

#[test]
fn unsupported_operators_are_listed_and_partial_imports_up_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.ncd");
    let model = data("cumsum_mlp.onnx");
    let o = cli(&[
        "import",
        model.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cumsum_mlp.onnx") && err.contains("(CumSum)"),
        "{err}"
    );
    assert!(!out.exists(), "no half-written output");
    let text = ok(&cli(&[
        "import",
        model.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--partial",
    ]));
    assert!(
        text.contains("left out (unsupported): /CumSum (CumSum)"),
        "{text}"
    );
    assert!(out.exists() && out.with_extension("safetensors").exists());
    ok(&cli(&["check", out.to_str().unwrap()]));
}

#[test]
fn a_malformed_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.onnx");
    std::fs::write(&bad, b"\x08\x07\x12\xffnot a model").unwrap();
    let o = cli(&[
        "import",
        bad.to_str().unwrap(),
        "-o",
        dir.path().join("x.ncd").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.onnx") && err.contains("not an ONNX model"),
        "{err}"
    );
}

/// `diagram export --torch`: an imported model becomes a PyTorch module that loads the
/// imported weights; weights that do not fit the circuit are refused, naming the file.
#[test]
fn export_writes_a_module_that_loads_checked_weights() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &str| dir.path().join(s).to_str().unwrap().to_string();
    ok(&cli(&[
        "import",
        data("mlp.onnx").to_str().unwrap(),
        "-o",
        &p("m.ncd"),
    ]));
    let said = ok(&cli(&[
        "export",
        "--torch",
        &p("m.ncd"),
        "-o",
        &p("m.py"),
        "--load",
        &p("m.safetensors"),
    ]));
    assert!(said.contains("loading m.safetensors"), "{said}");
    let py = std::fs::read_to_string(p("m.py")).unwrap();
    assert!(
        py.contains("(nn.Module):") && py.contains("def forward(self"),
        "{py}"
    );
    assert!(
        py.contains("Path(__file__).parent / \"m.safetensors\""),
        "{py}"
    );
    // the zoo's mlp has other parameters: refused before anything is written
    let o = cli(&[
        "export",
        "--torch",
        "zoo:mlp",
        "-o",
        &p("z.py"),
        "--load",
        &p("m.safetensors"),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("m.safetensors") && err.contains("no tensor"),
        "{err}"
    );
    assert!(!Path::new(&p("z.py")).exists());
    let o = cli(&["export", "--torch", "zoo:mlp", "-o", &p("z.txt")]);
    assert!(String::from_utf8_lossy(&o.stderr).contains(".py"));
}
