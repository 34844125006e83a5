//! The committed ONNX models (exported from PyTorch by `tools/reference/onnx/make_models.py`)
//! import, run to ≤ 1e-4 relative of onnxruntime's outputs in f32, save as text and draw.

mod common;

use common::squeezed;
use nc_diagram_onnx::Imported;

/// Imports `NAME.onnx`, runs it on the recorded inputs, returns the largest relative error
/// (max |ours − onnxruntime| / max |onnxruntime|) over the outputs.
fn run_model(name: &str) -> (Imported, f64) {
    let r = common::run(name);
    let mut worst: f64 = 0.0;
    for (got, n) in r.outputs.iter().zip(&r.m.output_names) {
        let (dims, want) = &r.refs[&format!("output.{n}")];
        assert_eq!(squeezed(&got.dims), squeezed(dims), "output {n} shape");
        worst = worst.max(common::rel(&got.data, want));
    }
    (r.m, worst)
}

fn check(name: &str) -> Imported {
    let (m, rel) = run_model(name);
    assert!(rel <= 1e-4, "{name}: relative error {rel:e} > 1e-4");
    // the circuit saves to the text format and loads back as the same circuit
    let text = nc_diagram::parse::text::save(&m.circuit);
    let back = nc_diagram::parse::text::load(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(back, m.circuit);
    // and draws
    let scene = nc_diagram_draw::circuit_scene(&m.circuit, &Default::default());
    let svg =
        nc_diagram_draw::render(&scene, nc_diagram_draw::Format::Svg, "x.svg".as_ref()).unwrap();
    assert!(String::from_utf8_lossy(&svg).contains("<svg"));
    m
}

#[test]
fn mlp_matches_onnxruntime() {
    let m = check("mlp");
    // Flatten of 3×4×4 into 48 features, three Gemm layers with biases
    let p: Vec<&str> = m.circuit.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(p, ["fc1.W", "fc1.b", "fc2.W", "fc2.b", "fc3.W", "fc3.b"]);
}

#[test]
fn conv_residual_matches_onnxruntime() {
    let m = check("convres");
    let c = &m.circuit;
    // the residual add joins two wires over the same axes (identity kept through the convs)
    let add = c.nodes.iter().find(|n| {
        n.op == nc_diagram::ir::Op::Add
            && n.inputs.len() == 2
            && n.inputs.iter().all(|v| {
                c.value(*v)
                    .producer
                    .is_some_and(|p| !c.nodes[p.ix()].name.contains(".const"))
            })
    });
    assert!(add.is_some(), "no residual add");
    let names: Vec<&str> = c
        .inputs
        .iter()
        .flat_map(|v| c.value(*v).ty.axes.iter())
        .map(|a| c.axes[a.ix()].name.as_str())
        .collect();
    assert_eq!(names, ["b", "c", "h", "w"]);
}

#[test]
fn resnet18_shape_matches_onnxruntime() {
    let m = check("resnet18");
    let c = &m.circuit;
    // the batch dimension keeps the model's dim_param name, the image's axes their roles
    let v = c.value(c.inputs[0]);
    let names: Vec<&str> =
        v.ty.axes
            .iter()
            .map(|a| c.axes[a.ix()].name.as_str())
            .collect();
    assert_eq!(names, ["batch", "c", "h", "w"]);
    assert_eq!(v.name, "image");
    // 20 convolutions (stem, 16 in blocks, 3 projections) and the head
    let linears = c
        .nodes
        .iter()
        .filter(|n| matches!(n.op, nc_diagram::ir::Op::Linear(_)));
    assert_eq!(linears.filter(|n| !n.name.ends_with(".const")).count(), 21);
}

#[test]
fn gelu_written_with_erf_imports_as_one_exact_gelu() {
    use nc_diagram::ir::{Func, Op};
    let m = check("gelu_mlp");
    let c = &m.circuit;
    let maps: Vec<&Func> = c
        .nodes
        .iter()
        .filter_map(|n| match &n.op {
            Op::Map(f) => Some(f),
            _ => None,
        })
        .collect();
    assert_eq!(
        maps,
        [&Func::GeluErf],
        "Div, Erf, Add, Mul, Mul become one gelu_erf"
    );
    assert!(
        c.nodes.iter().any(|n| matches!(n.op, Op::Norm(_))),
        "LayerNormalization"
    );
}

#[test]
fn vit_tiny_shape_matches_onnxruntime() {
    use nc_diagram::ir::Op;
    let m = check("vit_tiny");
    let c = &m.circuit;
    // two blocks: per block Q·Kᵀ and A·V are einsums, one softmax, two layer norms
    let count = |f: &dyn Fn(&Op) -> bool| c.nodes.iter().filter(|n| f(&n.op)).count();
    assert_eq!(count(&|o| matches!(o, Op::Einsum(_))), 4);
    assert_eq!(count(&|o| matches!(o, Op::Softmax(_))), 2);
    assert_eq!(count(&|o| matches!(o, Op::Norm(_))), 5);
}

/// Counts the nodes of each kind in a circuit.
fn count(m: &Imported, f: &dyn Fn(&nc_diagram::ir::Op) -> bool) -> usize {
    m.circuit.nodes.iter().filter(|n| f(&n.op)).count()
}

#[test]
fn gpt2_block_masked_fill_matches_onnxruntime() {
    use nc_diagram::ir::{Func, Op};
    // opset 18: LayerNormalization, Split with its sizes as an input, Where(mask, −∞, scores)
    let m = check("gpt2_block");
    let c = &m.circuit;
    let masks: Vec<&nc_diagram::ir::Mask> = c
        .nodes
        .iter()
        .filter_map(|n| match &n.op {
            Op::Mask(k) => Some(k),
            _ => None,
        })
        .collect();
    assert_eq!(
        masks.len(),
        1,
        "the lower-triangular buffer is one causal mask"
    );
    // causal: keys up to the query, every earlier one (rows are queries, cols keys)
    assert_eq!((masks[0].below, masks[0].above), (None, Some(0)));
    let softmax_over = c
        .nodes
        .iter()
        .find_map(|n| match &n.op {
            Op::Softmax(s) => Some(s.over.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(softmax_over, [masks[0].cols], "softmax over the keys");
    assert_eq!(
        count(&m, &|o| matches!(o, Op::Split(_))),
        1,
        "fused QKV split"
    );
    assert_eq!(
        count(&m, &|o| matches!(o, Op::Einsum(_))),
        2,
        "Q·Kᵀ and A·V"
    );
    assert_eq!(count(&m, &|o| matches!(o, Op::Norm(_))), 2);
    assert_eq!(count(&m, &|o| *o == Op::Map(Func::GeluErf)), 1);
}

#[test]
fn gpt2_block_additive_mask_at_opset_13_matches_onnxruntime() {
    use nc_diagram::ir::{Func, Op};
    // opset 13: LayerNorm written out (ReduceMean's axes as an attribute), Pow 2, Sqrt, and
    // an additive 0/−∞ mask that becomes the same causal mask
    let m = check("gpt2_block_op13");
    let masks: Vec<(Option<i64>, Option<i64>)> = m
        .circuit
        .nodes
        .iter()
        .filter_map(|n| match &n.op {
            Op::Mask(k) => Some((k.below, k.above)),
            _ => None,
        })
        .collect();
    assert_eq!(masks, [(None, Some(0))]);
    assert_eq!(count(&m, &|o| matches!(o, Op::Split(_))), 1);
    // each LayerNorm written out (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add)
    // is recognised as one norm with its gain and shift: no reductions or square roots remain
    assert_eq!(count(&m, &|o| matches!(o, Op::Norm(_))), 2);
    assert_eq!(count(&m, &|o| matches!(o, Op::Reduce(_))), 0);
    assert_eq!(
        count(&m, &|o| matches!(o, Op::Map(Func::Sqrt | Func::Square))),
        0
    );
    // so the import has the parameters of the opset-18 export, the mask being none of them
    let p =
        |m: &Imported| -> Vec<Vec<usize>> { m.weights.iter().map(|w| w.dims.clone()).collect() };
    assert_eq!(p(&m), p(&common::run("gpt2_block").m));
    let names: Vec<&str> = m.circuit.params.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"ln_1.gain") && names.contains(&"ln_2.shift"),
        "{names:?}"
    );
}

#[test]
fn unet_up_step_with_transposed_convs_matches_onnxruntime() {
    use nc_diagram::ir::Op;
    // opset 18: ConvTranspose (kernel 2 stride 2; kernel 3 stride 2 pad 1 output_padding 1
    // in 2 groups), Concat with the skip, ReduceMean with its axes as an input
    let m = check("unet_up");
    assert_eq!(count(&m, &|o| matches!(o, Op::WindowT(_))), 2);
    assert_eq!(count(&m, &|o| matches!(o, Op::Concat(_))), 1);
    let c = &m.circuit;
    let out = c.value(c.outputs[0]);
    let dims: Vec<i64> = out
        .ty
        .axes
        .iter()
        .map(|a| c.axes[a.ix()].size.as_lit().unwrap())
        .collect();
    assert_eq!(dims, [2, 2, 16, 16]);
}
