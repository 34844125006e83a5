//! Malformed and unsupported models are errors that say what is wrong, never panics.

mod common;

use nc_diagram_onnx::proto::*;
use nc_diagram_onnx::{ImportError, Options, import};
use proptest::prelude::*;
use prost::Message;

/// The models whose bytes are mutated: an MLP, a conv net, and the models with masks,
/// splits and transposed convolutions.
fn model_bytes(which: usize) -> Vec<u8> {
    let name = ["mlp", "convres", "gpt2_block", "unet_up"][which];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");
    std::fs::read(format!("{dir}{name}.onnx")).unwrap()
}

fn cases() -> u32 {
    std::env::var("NC_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Random byte edits of real models: import returns (no panic), and an error has a message.
    #[test]
    fn mutated_models_never_panic(
        which in 0..4usize,
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut b = model_bytes(which);
        for (at, byte, kind) in edits {
            let i = at.index(b.len());
            match kind {
                0 => b[i] = byte,
                1 => b.insert(i, byte),
                _ => { b.remove(i); }
            }
        }
        if truncate {
            b.truncate(cut.index(b.len()));
        }
        if let Err(e) = import(&b, &Options::default()) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    /// Arbitrary bytes.
    #[test]
    fn random_bytes_never_panic(b in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = import(&b, &Options { partial: true });
    }
}

fn node(name: &str, op: &str, ins: &[&str], outs: &[&str]) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn model(nodes: Vec<NodeProto>, init: Vec<TensorProto>, out: &str, opset: i64) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: opset,
        }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: nodes,
            initializer: init,
            input: vec![common::vinfo("x", &[2, 4])],
            output: vec![ValueInfoProto {
                name: out.into(),
                r#type: None,
            }],
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec()
}

#[test]
fn unsupported_nodes_are_all_listed_and_partial_imports_up_to_them() {
    let nodes = vec![
        node("/act/Relu", "Relu", &["x"], &["r"]),
        node("/odd/CumSum", "CumSum", &["r"], &["e"]),
        node("/odd/Foo", "FooBar", &["x"], &["f"]),
        node("/sum/Add", "Add", &["e", "f"], &["y"]),
    ];
    let b = model(nodes, vec![], "y", 17);
    let e = import(&b, &Options::default()).unwrap_err();
    let ImportError::Unsupported(list) = &e else {
        panic!("{e}")
    };
    let got: Vec<(&str, &str)> = list
        .iter()
        .map(|u| (u.node.as_str(), u.op_type.as_str()))
        .collect();
    assert_eq!(got, [("/odd/CumSum", "CumSum"), ("/odd/Foo", "FooBar")]);
    let msg = e.to_string();
    assert!(
        msg.contains("2 unsupported node(s)") && msg.contains("--partial"),
        "{msg}"
    );
    // partial: the circuit ends at the unsupported nodes' inputs (r, and x itself)
    let m = import(&b, &Options { partial: true }).unwrap();
    assert_eq!(m.output_names, ["r", "x"]);
    assert_eq!(m.skipped.len(), 2);
}

#[test]
fn malformed_models_name_what_is_wrong() {
    let check = |b: &[u8], want: &str| {
        let e = import(b, &Options::default()).unwrap_err().to_string();
        assert!(e.contains(want), "`{e}` lacks `{want}`");
    };
    check(b"\x0a\xff\xff\xff", "not an ONNX model");
    check(&ModelProto::default().encode_to_vec(), "no graph");
    let relu = || vec![node("r", "Relu", &["x"], &["y"])];
    check(&model(relu(), vec![], "y", 9), "opset 9");
    // an initialiser whose data does not fill its dims
    let bad = TensorProto {
        name: "w".into(),
        dims: vec![4, 3],
        data_type: dtype::FLOAT,
        raw_data: vec![0; 7],
        ..Default::default()
    };
    check(
        &model(
            vec![node("mm", "MatMul", &["x", "w"], &["y"])],
            vec![bad],
            "y",
            17,
        ),
        "tensor `w`: raw_data has 7 bytes",
    );
    // a weight that does not fit the value
    let w = TensorProto {
        name: "w".into(),
        dims: vec![5, 3],
        data_type: dtype::FLOAT,
        float_data: vec![0.0; 15],
        ..Default::default()
    };
    check(
        &model(
            vec![node("mm", "MatMul", &["x", "w"], &["y"])],
            vec![w],
            "y",
            17,
        ),
        "weight expects 5",
    );
    check(
        &model(vec![node("r", "Relu", &["nope"], &["y"])], vec![], "y", 17),
        "input `nope` is not",
    );
    check(
        &model(relu(), vec![], "zz", 17),
        "graph value `zz`: no node produces",
    );
}
