//! Circuits built with the `nc-diagram` builder, drawn through `from_circuit`.

use nc_diagram::builder::{Builder, WindowSpec};
use nc_diagram::ir::{AxisKind, Circuit};
use nc_diagram_draw::DrawOptions;

/// The MLP of Fig. 19.
pub fn mlp() -> Circuit {
    let mut b = Builder::new("MLP");
    let x = b.axis("x", "28", AxisKind::Spatial).unwrap();
    let y = b.axis("y", "28", AxisKind::Spatial).unwrap();
    let f = b.axis("f", "784", AxisKind::Feature).unwrap();
    let h = b.axis("h", "512", AxisKind::Feature).unwrap();
    let h2 = b.axis("h", "512", AxisKind::Feature).unwrap();
    let k = b.axis("k", "10", AxisKind::Feature).unwrap();
    let i = b.input("img", &[x, y]);
    let v = b.reshape("flatten", i, &[x, y], &[f]).unwrap();
    b.begin_block("Linear", 0, 1, false);
    let v = b.linear("l1", v, &[f], &[h], true).unwrap();
    let v = b.relu("r1", v).unwrap();
    let v = b.linear("l2", v, &[h], &[h2], true).unwrap();
    let v = b.relu("r2", v).unwrap();
    let v = b.linear("l3", v, &[h2], &[k], true).unwrap();
    b.end_block().unwrap();
    let v = b.softmax("sm", v, &[k]).unwrap();
    b.output(v);
    b.finish().unwrap()
}

/// A vanilla RNN cell: h' = tanh(W h + U x + b), output and next state copied.
pub fn rnn() -> Circuit {
    let mut b = Builder::new("RNN cell");
    let bt = b.axis("b", "16", AxisKind::Batch).unwrap();
    let n = b.axis("n", "64", AxisKind::Feature).unwrap();
    let n2 = b.axis("n", "64", AxisKind::Feature).unwrap();
    let n3 = b.axis("n", "64", AxisKind::Feature).unwrap();
    let m = b.axis("m", "3", AxisKind::Feature).unwrap();
    let h = b.input("h", &[bt, n]);
    let x = b.input("x", &[bt, m]);
    let a = b.linear("W", h, &[n], &[n2], false).unwrap();
    let u = b.linear("U", x, &[m], &[n2], true).unwrap();
    let s = b.add("sum", a, u).unwrap();
    let t = b.map("tanh", s, nc_diagram::ir::Func::Tanh).unwrap();
    let o = b.linear("out", t, &[n2], &[n3], false).unwrap();
    b.output(t);
    b.output(o);
    b.finish().unwrap()
}

/// A strided convolution, pooling and a residual add.
pub fn conv() -> Circuit {
    let mut b = Builder::new("conv");
    let h = b.axis("x", "16", AxisKind::Spatial).unwrap();
    let c = b.axis("c", "8", AxisKind::Feature).unwrap();
    let c2 = b.axis("d", "8", AxisKind::Feature).unwrap();
    let x = b.input("x", &[h, c]);
    let (y, _) = b
        .conv("conv", x, c, c2, &[(h, WindowSpec::same(3))], 1, true)
        .unwrap();
    let y = b.relu("r", y).unwrap();
    let c3 = b.axis("c", "8", AxisKind::Feature).unwrap();
    let z = b.linear("proj", y, &[c2], &[c3], false).unwrap();
    let x2 = b.linear("skip", x, &[c], &[c3], false).unwrap();
    let s = b.add("res", x2, z).unwrap();
    b.output(s);
    b.finish().unwrap()
}

fn all() -> Vec<(&'static str, Circuit)> {
    vec![("mlp", mlp()), ("rnn", rnn()), ("conv", conv())]
}

#[test]
fn ir_circuits_draw_with_every_wire_anchored() {
    for (name, c) in all() {
        for cost in [false, true] {
            let svg = nc_diagram_draw::draw_circuit(
                &c,
                &DrawOptions {
                    cost,
                    ..DrawOptions::default()
                },
            );
            let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
            let boxes = doc
                .descendants()
                .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("op")))
                .count();
            assert!(boxes >= 2, "{name}: {boxes} boxes");
            if cost {
                assert!(svg.contains("FLOP"), "{name}: no cost overlay");
            }
        }
    }
}

#[test]
fn draw_file_reads_json_and_reports_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mlp.json");
    std::fs::write(&p, serde_json::to_string(&mlp()).unwrap()).unwrap();
    let svg = nc_diagram_draw::draw_file(&p, &DrawOptions::default()).unwrap();
    assert!(svg.contains("<svg"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{").unwrap();
    let e = nc_diagram_draw::draw_file(&bad, &DrawOptions::default()).unwrap_err();
    assert!(e.to_string().contains("bad.json"));
    assert!(nc_diagram_draw::draw_file(&dir.path().join("none"), &DrawOptions::default()).is_err());
}

#[test]
fn draw_file_reads_the_text_format_and_rejects_bad_references() {
    let dir = tempfile::tempdir().unwrap();
    let c = nc_diagram::zoo::get("mha").unwrap();
    let p = dir.path().join("mha.circuit");
    std::fs::write(&p, nc_diagram::parse::text::save(&c)).unwrap();
    let svg = nc_diagram_draw::draw_file(&p, &DrawOptions::default()).unwrap();
    assert_eq!(
        svg,
        nc_diagram_draw::draw_circuit(&c, &DrawOptions::default())
    );
    // a node reading a value that does not exist: an error, not a panic
    let mut v: serde_json::Value = serde_json::to_value(&c).unwrap();
    v["nodes"][0]["inputs"][0] = serde_json::json!(9999);
    let bad = dir.path().join("bad.circuit");
    std::fs::write(&bad, v.to_string()).unwrap();
    let e = nc_diagram_draw::draw_file(&bad, &DrawOptions::default()).unwrap_err();
    assert!(
        matches!(e, nc_diagram_draw::DrawError::Circuit { .. }),
        "{e}"
    );
}

/// What `examples/draw_examples.rs` adds to the zoo: convres.onnx and gpt2_block.onnx as
/// `diagram import` reads them.
fn gallery_extra(root: &std::path::Path) -> Vec<(String, nc_diagram::ir::Circuit)> {
    ["convres", "gpt2_block"]
        .iter()
        .map(|name| {
            let onnx = root.join(format!("crates/diagram-onnx/tests/data/{name}.onnx"));
            let m = nc_diagram_onnx::import_file(&onnx, &Default::default()).unwrap();
            (format!("onnx_{name}"), m.circuit)
        })
        .collect()
}

#[test]
fn gallery_regenerates_byte_for_byte() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let extra = gallery_extra(&root);
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("docs/gallery")).unwrap();
    std::fs::write(dir.path().join("docs/gallery/stale.svg"), "<svg/>").unwrap();
    nc_diagram_draw::gallery_regenerate_with(dir.path(), &extra).unwrap();
    assert!(!dir.path().join("docs/gallery/stale.svg").exists());
    assert!(dir.path().join("docs/gallery/onnx_convres.svg").exists());
    let read = |p: &std::path::Path| std::fs::read(p).unwrap();
    let page = read(&dir.path().join("docs/gallery/index.html"));
    nc_diagram_draw::gallery_regenerate_with(dir.path(), &extra).unwrap();
    assert_eq!(page, read(&dir.path().join("docs/gallery/index.html")));
    // the committed gallery is up to date
    let committed = root.join("docs/gallery/index.html");
    if committed.exists() {
        assert!(
            read(&committed) == page,
            "docs/gallery/index.html is stale: cargo run -p nc-diagram-draw --example draw_examples"
        );
    }
}

#[test]
fn write_ir_drawings_for_inspection() {
    if let Some(dir) = std::env::var_os("DRAW_OUT") {
        for (name, c) in all() {
            let svg = nc_diagram_draw::draw_circuit(
                &c,
                &DrawOptions {
                    cost: true,
                    ..DrawOptions::default()
                },
            );
            std::fs::write(
                std::path::Path::new(&dir).join(format!("ir_{name}.svg")),
                svg,
            )
            .unwrap();
        }
    }
}
