//! `neurocircuits diagram draw`: the format follows the extension, and `--stats` measures.

use std::process::{Command, Output};

fn draw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
        .args(["diagram", "draw"])
        .args(args)
        .output()
        .expect("binary starts")
}

#[test]
fn stats_print_one_json_object_with_the_legend() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("resnet.svg");
    let o = draw(&["zoo:resnet", "-o", out.to_str().unwrap(), "--stats"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    for k in ["width", "height", "boxes", "wires", "crossings"] {
        assert!(v[k].is_number(), "{k} missing: {v}");
    }
    let legend = v["legend"].as_array().unwrap();
    assert!(!legend.is_empty());
    for e in legend {
        assert!(
            e["label"].is_string() && e["axis"].is_u64() && e["size"].is_i64(),
            "{e}"
        );
    }
    // the pooling kernel is 8 (it once read 3)
    assert!(
        legend
            .iter()
            .any(|e| e["label"] == "kH_p" && e["size"] == 8),
        "{legend:?}"
    );
    let svg = std::fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"));
}

#[test]
fn png_is_a_png_and_tex_a_document() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("mlp.png");
    let o = draw(&["zoo:mlp", "-o", png.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let tex = dir.path().join("mlp.tex");
    let o = draw(&["zoo:mlp", "-o", tex.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&tex).unwrap();
    assert!(text.starts_with("\\documentclass") && text.contains("\\begin{tikzpicture}"));
}

#[test]
fn an_unknown_extension_is_refused_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["mlp.pdf", "mlp"] {
        let p = dir.path().join(name);
        let o = draw(&["zoo:mlp", "-o", p.to_str().unwrap()]);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(".svg") && err.contains(".png"), "{err}");
        assert!(!p.exists(), "{name} written");
    }
}

#[test]
fn a_bare_zoo_name_is_pointed_to_its_zoo_form() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.svg");
    let o = draw(&["transformer_block", "-o", p.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`zoo:transformer_block`"), "{err}");
    assert!(!p.exists());
}
