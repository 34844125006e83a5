//! Operators on hand-built graphs: each imported graph runs and matches a direct loop
//! implementation of the ONNX operator's definition (in f64, written here from the ONNX
//! operator documentation, not from our executor), and malformed or unsupported forms are
//! errors that say what is wrong.

mod common;

use common::vinfo;
use nc_diagram::exec::{Bound, forward};
use nc_diagram::ir::Op;
use nc_diagram::tensor::Tensor;
use nc_diagram_onnx::proto::*;
use nc_diagram_onnx::{Imported, Options, import};
use prost::Message;

// ------------------------------------------------------------------ graph building

fn floats(name: &str, dims: &[i64], data: &[f64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: dtype::FLOAT,
        float_data: data.iter().map(|&x| x as f32).collect(),
        ..Default::default()
    }
}

fn ints(name: &str, data: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![data.len() as i64],
        data_type: dtype::INT64,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

fn bools(name: &str, dims: &[i64], data: &[bool]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: dtype::BOOL,
        int32_data: data.iter().map(|&b| i32::from(b)).collect(),
        ..Default::default()
    }
}

#[derive(Clone)]
enum A {
    I(i64),
    Is(Vec<i64>),
    S(&'static str),
}

fn node(op: &str, ins: &[&str], outs: &[&str], attrs: &[(&str, A)]) -> NodeProto {
    NodeProto {
        name: format!("/{}", op.to_lowercase()),
        op_type: op.into(),
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs
            .iter()
            .map(|(n, a)| {
                let mut p = AttributeProto {
                    name: n.to_string(),
                    ..Default::default()
                };
                match a {
                    A::I(i) => p.i = *i,
                    A::Is(v) => p.ints = v.clone(),
                    A::S(s) => p.s = s.as_bytes().to_vec(),
                }
                p
            })
            .collect(),
        ..Default::default()
    }
}

struct G {
    nodes: Vec<NodeProto>,
    init: Vec<TensorProto>,
    inputs: Vec<(&'static str, Vec<i64>)>,
    outputs: Vec<&'static str>,
    opset: i64,
}

impl G {
    fn new(inputs: &[(&'static str, &[i64])], outputs: &[&'static str]) -> Self {
        G {
            nodes: vec![],
            init: vec![],
            inputs: inputs.iter().map(|(n, d)| (*n, d.to_vec())).collect(),
            outputs: outputs.to_vec(),
            opset: 17,
        }
    }
    fn bytes(&self) -> Vec<u8> {
        ModelProto {
            ir_version: 8,
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: self.opset,
            }],
            graph: Some(GraphProto {
                name: "g".into(),
                node: self.nodes.clone(),
                initializer: self.init.clone(),
                input: self.inputs.iter().map(|(n, d)| vinfo(n, d)).collect(),
                output: self.outputs.iter().map(|o| vinfo(o, &[])).collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }
    fn import(&self) -> Imported {
        import(&self.bytes(), &Options::default()).unwrap_or_else(|e| panic!("{e}"))
    }
    fn error(&self) -> String {
        match import(&self.bytes(), &Options::default()) {
            Ok(_) => panic!("imported; an error was expected"),
            Err(e) => e.to_string(),
        }
    }
    /// Imports and runs on `xs` (row-major, ONNX order); returns each output, row-major in
    /// ONNX order.
    fn run(&self, xs: &[impl AsRef<[f64]>]) -> (Imported, Vec<Vec<f64>>) {
        let m = self.import();
        let c = &m.circuit;
        let b = nc_diagram::bind::parse(c, "").unwrap();
        let bound = Bound::new(c, &b).unwrap();
        let inputs: Vec<Tensor<f64>> = c
            .inputs
            .iter()
            .zip(xs)
            .map(|(v, x)| {
                let axes = c.value(*v).ty.axes.clone();
                Tensor::from_vec(axes.clone(), bound.dims(&axes), x.as_ref().to_vec())
            })
            .collect();
        let tape = forward(c, &bound, &m.params::<f64>(), &inputs).unwrap();
        let outs = (0..c.outputs.len())
            .map(|i| tape.output(c, i).unwrap().data)
            .collect();
        (m, outs)
    }
}

/// Deterministic test numbers in [−1, 1) (a linear congruential sequence).
fn numbers(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "[{i}] {g} vs {w}");
    }
}

fn ops(m: &Imported) -> Vec<&'static str> {
    m.circuit.nodes.iter().map(|n| n.op.kind()).collect()
}

// ------------------------------------------------------------------ masks

/// Softmax over the last axis of rows of `n`, with `keep(row, col)` deciding the masked
/// entries (a direct implementation of masked attention weights).
fn masked_softmax(
    x: &[f64],
    rows: usize,
    n: usize,
    keep: impl Fn(usize, usize) -> bool,
) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for (r, (xs, ys)) in x.chunks(n).zip(out.chunks_mut(n)).enumerate() {
        let row = r % rows;
        let m = (0..n)
            .filter(|&c| keep(row, c))
            .map(|c| xs[c])
            .fold(f64::NEG_INFINITY, f64::max);
        let z: f64 = (0..n)
            .filter(|&c| keep(row, c))
            .map(|c| (xs[c] - m).exp())
            .sum();
        for c in 0..n {
            ys[c] = if keep(row, c) {
                (xs[c] - m).exp() / z
            } else {
                0.0
            };
        }
    }
    out
}

/// `Where(mask == 0, fill, x)` then a softmax over the last axis, `x` of shape [2, 4, 4].
fn where_graph(mask: &[bool], fill: f64, softmax: bool) -> G {
    let mut g = G::new(&[("x", &[2, 4, 4])], &["y"]);
    g.init = vec![
        bools(
            "cond",
            &[1, 4, 4],
            &mask.iter().map(|k| !k).collect::<Vec<_>>(),
        ),
        floats("fill", &[], &[fill]),
    ];
    let w = if softmax { "w" } else { "y" };
    g.nodes
        .push(node("Where", &["cond", "fill", "x"], &[w], &[]));
    if softmax {
        g.nodes
            .push(node("Softmax", &["w"], &["y"], &[("axis", A::I(-1))]));
    }
    g
}

fn pattern(keep: impl Fn(usize, usize) -> bool) -> Vec<bool> {
    (0..16).map(|i| keep(i / 4, i % 4)).collect()
}

#[test]
fn where_with_a_triangular_or_banded_condition_is_a_mask() {
    let x = numbers(32, 1);
    let causal = |r: usize, c: usize| c <= r;
    let (m, y) = where_graph(&pattern(causal), f64::NEG_INFINITY, true).run(&[&x]);
    close(&y[0], &masked_softmax(&x, 4, 4, causal));
    let mask = m.circuit.nodes.iter().find_map(|n| match &n.op {
        Op::Mask(k) => Some(k.clone()),
        _ => None,
    });
    let mask = mask.expect("a Mask node");
    assert_eq!((mask.below, mask.above), (None, Some(0)));
    // a sliding window of two (the key and the one before), with a finite fill before a
    // softmax, and the transposed orientation (keys after the query)
    let window = |r: usize, c: usize| c <= r && r - c <= 1;
    let (_, y) = where_graph(&pattern(window), -1e9, true).run(&[&x]);
    close(&y[0], &masked_softmax(&x, 4, 4, window));
    let ahead = |r: usize, c: usize| c >= r;
    let (_, y) = where_graph(&pattern(ahead), f64::NEG_INFINITY, true).run(&[&x]);
    close(&y[0], &masked_softmax(&x, 4, 4, ahead));
    // keep-when-true form: Where(keep, x, fill)
    let mut g = G::new(&[("x", &[2, 4, 4])], &["y"]);
    g.init = vec![
        bools("keep", &[4, 4], &pattern(causal)),
        floats("fill", &[1], &[f64::NEG_INFINITY]),
    ];
    g.nodes
        .push(node("Where", &["keep", "x", "fill"], &["w"], &[]));
    g.nodes.push(node("Softmax", &["w"], &["y"], &[]));
    let (_, y) = g.run(&[&x]);
    close(&y[0], &masked_softmax(&x, 4, 4, causal));
}

#[test]
fn an_additive_zero_or_minus_infinity_constant_is_a_mask() {
    let x = numbers(32, 2);
    let causal = |r: usize, c: usize| c <= r;
    let mut g = G::new(&[("x", &[2, 4, 4])], &["y"]);
    let add: Vec<f64> = (0..16)
        .map(|i| {
            if causal(i / 4, i % 4) {
                0.0
            } else {
                f64::NEG_INFINITY
            }
        })
        .collect();
    g.init = vec![floats("m", &[1, 1, 4, 4], &add)];
    // rank 4 constant over a rank 3 value: one more leading 1
    g.inputs = vec![("x", vec![2, 1, 4, 4])];
    g.nodes.push(node("Add", &["x", "m"], &["w"], &[]));
    g.nodes.push(node("Softmax", &["w"], &["y"], &[]));
    let (m, y) = g.run(&[&x]);
    close(&y[0], &masked_softmax(&x, 4, 4, causal));
    assert!(ops(&m).contains(&"mask"), "{:?}", ops(&m));
    assert!(m.circuit.params.is_empty(), "the mask is not a parameter");
    // a pattern that is no band stays an added constant when its fill is finite (exact);
    // with −∞ it would be an infinite weight, and is refused with the reason
    let checker = |r: usize, c: usize| (r + c).is_multiple_of(2);
    let add = |fill: f64| -> Vec<f64> {
        (0..16)
            .map(|i| if checker(i / 4, i % 4) { 0.0 } else { fill })
            .collect()
    };
    g.init = vec![floats("m", &[1, 1, 4, 4], &add(-1e9))];
    let (m, y) = g.run(&[&x]);
    close(&y[0], &masked_softmax(&x, 4, 4, checker));
    assert!(!ops(&m).contains(&"mask"), "{:?}", ops(&m));
    g.init = vec![floats("m", &[1, 1, 4, 4], &add(f64::NEG_INFINITY))];
    let e = g.error();
    assert!(e.contains("not a band"), "{e}");
}

#[test]
fn masks_the_circuit_cannot_express_are_refused_with_the_reason() {
    // a checkerboard is no band
    let e = where_graph(
        &pattern(|r, c| (r + c).is_multiple_of(2)),
        f64::NEG_INFINITY,
        true,
    )
    .error();
    assert!(e.contains("Where") && e.contains("not a band"), "{e}");
    // a fill that is not −∞-like
    let e = where_graph(&pattern(|r, c| c <= r), 0.5, true).error();
    assert!(e.contains("a fill of 0.5"), "{e}");
    // a finite fill with no softmax after it changes the numbers: refused
    let e = where_graph(&pattern(|r, c| c <= r), -1e9, false).error();
    assert!(e.contains("other than a softmax"), "{e}");
    // a computed condition
    let mut g = G::new(&[("x", &[2, 4, 4]), ("c", &[2, 4, 4])], &["y"]);
    g.init = vec![floats("fill", &[], &[0.0])];
    g.nodes
        .push(node("Where", &["c", "fill", "x"], &["y"], &[]));
    let e = g.error();
    assert!(e.contains("computed condition"), "{e}");
    // a mask whose size disagrees with the value's: a model error naming both sizes
    let mut g = G::new(&[("x", &[2, 4, 4])], &["y"]);
    g.init = vec![
        bools("cond", &[5, 5], &[false; 25]),
        floats("fill", &[], &[f64::NEG_INFINITY]),
    ];
    g.nodes
        .push(node("Where", &["cond", "fill", "x"], &["y"], &[]));
    let e = g.error();
    assert!(e.contains("dimension 0 is 5 but the value's is 4"), "{e}");
}

// ------------------------------------------------------------------ Split, Expand

#[test]
fn split_reads_sizes_from_the_input_the_attribute_or_num_outputs() {
    let x = numbers(16, 3);
    // reference: columns [a, b) of each row of a 2×8 matrix
    let cols = |a: usize, b: usize| -> Vec<f64> {
        (0..2)
            .flat_map(|r| x[r * 8 + a..r * 8 + b].to_vec())
            .collect()
    };
    // opset 13: sizes as an input
    let mut g = G::new(&[("x", &[2, 8])], &["a", "b", "c"]);
    g.opset = 13;
    g.init = vec![ints("sizes", &[2, 4, 2])];
    g.nodes.push(node(
        "Split",
        &["x", "sizes"],
        &["a", "b", "c"],
        &[("axis", A::I(1))],
    ));
    let (m, y) = g.run(&[&x]);
    close(&y[0], &cols(0, 2));
    close(&y[1], &cols(2, 6));
    close(&y[2], &cols(6, 8));
    assert_eq!(ops(&m), ["split"]);
    // opset 18: num_outputs, chunks of ⌈8/3⌉ = 3, the last one smaller
    let mut g = G::new(&[("x", &[2, 8])], &["a", "b", "c"]);
    g.opset = 18;
    g.nodes.push(node(
        "Split",
        &["x"],
        &["a", "b", "c"],
        &[("axis", A::I(-1)), ("num_outputs", A::I(3))],
    ));
    let (_, y) = g.run(&[&x]);
    close(&y[0], &cols(0, 3));
    close(&y[1], &cols(3, 6));
    close(&y[2], &cols(6, 8));
    // the attribute form older writers use, and equal parts with no sizes at all
    let mut g = G::new(&[("x", &[2, 8])], &["a", "b"]);
    g.nodes.push(node(
        "Split",
        &["x"],
        &["a", "b"],
        &[("axis", A::I(1)), ("split", A::Is(vec![5, 3]))],
    ));
    let (_, y) = g.run(&[&x]);
    close(&y[0], &cols(0, 5));
    close(&y[1], &cols(5, 8));
    let mut g = G::new(&[("x", &[2, 8])], &["a", "b"]);
    g.nodes
        .push(node("Split", &["x"], &["a", "b"], &[("axis", A::I(1))]));
    let (_, y) = g.run(&[&x]);
    close(&y[1], &cols(4, 8));
}

#[test]
fn split_sizes_that_do_not_cut_the_axis_are_an_error() {
    let mut g = G::new(&[("x", &[2, 8])], &["a", "b"]);
    g.init = vec![ints("sizes", &[2, 4])];
    g.nodes.push(node(
        "Split",
        &["x", "sizes"],
        &["a", "b"],
        &[("axis", A::I(1))],
    ));
    let e = g.error();
    assert!(
        e.contains("split sizes [2, 4] do not cut dimension 1 of size 8"),
        "{e}"
    );
    let mut g = G::new(&[("x", &[2, 8])], &["a", "b"]);
    g.nodes
        .push(node("Split", &["x"], &["a", "b"], &[("axis", A::I(2))]));
    let e = g.error();
    assert!(e.contains("axis 2 is out of range for rank 2"), "{e}");
    let mut g = G::new(&[("x", &[2, 8])], &["a", "b"]);
    g.opset = 18;
    g.nodes.push(node(
        "Split",
        &["x"],
        &["a", "b"],
        &[("axis", A::I(1)), ("num_outputs", A::I(3))],
    ));
    let e = g.error();
    assert!(e.contains("num_outputs 3 but 2 outputs"), "{e}");
}

#[test]
fn expand_broadcasts_values_and_folds_constants() {
    let x = numbers(6, 4);
    // a 2×3 value expanded to 4×2×3: y[i, j, k] = x[j, k]
    let mut g = G::new(&[("x", &[2, 3])], &["y"]);
    g.init = vec![ints("shape", &[4, 2, 3])];
    g.nodes.push(node("Expand", &["x", "shape"], &["y"], &[]));
    let (_, y) = g.run(&[&x]);
    let want: Vec<f64> = (0..4).flat_map(|_| x.clone()).collect();
    close(&y[0], &want);
    // a constant row expanded to 2×3 (folded), then added
    let mut g = G::new(&[("x", &[2, 3])], &["y"]);
    g.init = vec![
        floats("c", &[1, 3], &[1.0, 2.0, 3.0]),
        ints("shape", &[2, 1]),
    ];
    g.nodes.push(node("Expand", &["c", "shape"], &["cc"], &[]));
    g.nodes.push(node("Add", &["x", "cc"], &["y"], &[]));
    let (_, y) = g.run(&[&x]);
    let want: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, v)| v + (i % 3 + 1) as f64)
        .collect();
    close(&y[0], &want);
    // a size that does not broadcast
    let mut g = G::new(&[("x", &[2, 3])], &["y"]);
    g.init = vec![ints("shape", &[2, 4])];
    g.nodes.push(node("Expand", &["x", "shape"], &["y"], &[]));
    let e = g.error();
    assert!(e.contains("does not broadcast to 4"), "{e}");
}

// ------------------------------------------------------------------ ConvTranspose

/// ONNX ConvTranspose by its definition: `y[n, g·co_g + o, s·i + d·k − p] += x[n, g·ci_g + c, i]
/// · W[g·ci_g + c, o, k]` over 2-D positions, plus the bias; positions outside are dropped.
#[allow(clippy::too_many_arguments)]
fn conv_t_ref(
    x: &[f64],
    (n, ci, h, w): (usize, usize, usize, usize),
    wt: &[f64],
    (co_g, kh, kw): (usize, usize, usize),
    bias: &[f64],
    group: usize,
    s: i64,
    p: i64,
    d: i64,
    op: i64,
) -> (Vec<f64>, [usize; 2]) {
    let oh = (s * (h as i64 - 1) + op + d * (kh as i64 - 1) + 1 - 2 * p) as usize;
    let ow = (s * (w as i64 - 1) + op + d * (kw as i64 - 1) + 1 - 2 * p) as usize;
    let co = co_g * group;
    let ci_g = ci / group;
    let mut y = vec![0.0; n * co * oh * ow];
    for b in 0..n {
        for c in 0..ci {
            let g = c / ci_g;
            for i in 0..h {
                for j in 0..w {
                    let xv = x[((b * ci + c) * h + i) * w + j];
                    for o in 0..co_g {
                        for a in 0..kh {
                            for e in 0..kw {
                                let r = s * i as i64 + d * a as i64 - p;
                                let q = s * j as i64 + d * e as i64 - p;
                                if r < 0 || q < 0 || r >= oh as i64 || q >= ow as i64 {
                                    continue;
                                }
                                let oc = g * co_g + o;
                                let wv = wt[((c * co_g + o) * kh + a) * kw + e];
                                y[((b * co + oc) * oh + r as usize) * ow + q as usize] += xv * wv;
                            }
                        }
                    }
                }
            }
        }
    }
    for b in 0..n {
        for oc in 0..co {
            for v in &mut y[(b * co + oc) * oh * ow..(b * co + oc + 1) * oh * ow] {
                *v += bias[oc];
            }
        }
    }
    (y, [oh, ow])
}

fn conv_t_case(group: usize, s: i64, p: i64, d: i64, op: i64, k: usize) {
    let (n, ci, h, w, co_g) = (2, 4, 3, 3, 3);
    let x = numbers(n * ci * h * w, 5);
    let wt = numbers(ci * co_g * k * k, 6);
    let bias = numbers(co_g * group, 7);
    let mut g = G::new(&[("x", &[n as i64, ci as i64, h as i64, w as i64])], &["y"]);
    g.init = vec![
        floats("W", &[ci as i64, co_g as i64, k as i64, k as i64], &wt),
        floats("B", &[(co_g * group) as i64], &bias),
    ];
    g.nodes.push(node(
        "ConvTranspose",
        &["x", "W", "B"],
        &["y"],
        &[
            ("group", A::I(group as i64)),
            ("strides", A::Is(vec![s, s])),
            ("pads", A::Is(vec![p, p, p, p])),
            ("dilations", A::Is(vec![d, d])),
            ("output_padding", A::Is(vec![op, op])),
        ],
    ));
    let (m, y) = g.run(&[&x]);
    let (want, [oh, ow]) = conv_t_ref(
        &x,
        (n, ci, h, w),
        &wt,
        (co_g, k, k),
        &bias,
        group,
        s,
        p,
        d,
        op,
    );
    close(&y[0], &want);
    let c = &m.circuit;
    let sizes: Vec<i64> = c
        .value(c.outputs[0])
        .ty
        .axes
        .iter()
        .map(|a| c.axes[a.ix()].size.as_lit().unwrap())
        .collect();
    assert_eq!(sizes, [2, (co_g * group) as i64, oh as i64, ow as i64]);
}

#[test]
fn conv_transpose_matches_its_definition() {
    conv_t_case(1, 2, 0, 1, 0, 2); // the U-Net up step: kernel 2, stride 2
    conv_t_case(1, 2, 1, 1, 1, 3); // pads and output padding
    conv_t_case(2, 2, 1, 1, 1, 3); // and two groups
    conv_t_case(1, 1, 1, 2, 0, 3); // dilation
}

#[test]
fn malformed_conv_transpose_is_an_error() {
    let error = |wdims: &[i64], attrs: &[(&str, A)]| {
        let mut g = G::new(&[("x", &[1, 4, 3, 3])], &["y"]);
        let n: i64 = wdims.iter().product();
        g.init = vec![floats("W", wdims, &vec![0.0; n as usize])];
        g.nodes
            .push(node("ConvTranspose", &["x", "W"], &["y"], attrs));
        g.error()
    };
    let e = error(&[4, 2, 2], &[]);
    assert!(e.contains("weight rank 3 must match"), "{e}");
    let e = error(&[4, 2, 2, 2], &[("strides", A::Is(vec![2]))]);
    assert!(e.contains("strides has 1 entries, 2 expected"), "{e}");
    let e = error(
        &[4, 2, 2, 2],
        &[
            ("strides", A::Is(vec![2, 2])),
            ("output_padding", A::Is(vec![3, 0])),
        ],
    );
    assert!(e.contains("output_padding 3"), "{e}");
    let e = error(&[4, 2, 2, 2], &[("pads", A::Is(vec![0, 0, 1, 1]))]);
    assert!(e.contains("asymmetric padding"), "{e}");
    let e = error(&[3, 2, 2, 2], &[]);
    assert!(
        e.contains("input dimension 1 is 4 but the weight expects 3"),
        "{e}"
    );
}

// ------------------------------------------------------------------ Einsum, Pow, reductions

#[test]
fn einsum_matches_its_definition() {
    let (x, y) = (numbers(24, 8), numbers(40, 9));
    // batched matrix product
    let mut g = G::new(&[("x", &[2, 3, 4]), ("y", &[2, 4, 5])], &["z"]);
    g.nodes.push(node(
        "Einsum",
        &["x", "y"],
        &["z"],
        &[("equation", A::S("bij, bjk -> bik"))],
    ));
    let (m, z) = g.run(&[&x, &y]);
    let mut want = vec![0.0; 30];
    for b in 0..2 {
        for i in 0..3 {
            for k in 0..5 {
                want[(b * 3 + i) * 5 + k] = (0..4)
                    .map(|j| x[(b * 3 + i) * 4 + j] * y[(b * 4 + j) * 5 + k])
                    .sum();
            }
        }
    }
    close(&z[0], &want);
    assert_eq!(ops(&m).iter().filter(|o| **o == "einsum").count(), 1);
    // x·xᵀ with one value as both operands: two letters on one axis get distinct axes
    let mut g = G::new(&[("x", &[3, 4])], &["z"]);
    g.nodes.push(node(
        "Einsum",
        &["x", "x"],
        &["z"],
        &[("equation", A::S("ij,kj->ik"))],
    ));
    let x = numbers(12, 10);
    let (_, z) = g.run(&[&x]);
    let want: Vec<f64> = (0..9)
        .map(|e| {
            (0..4)
                .map(|j| x[(e / 3) * 4 + j] * x[(e % 3) * 4 + j])
                .sum()
        })
        .collect();
    close(&z[0], &want);
    // implicit output (letters seen once, alphabetical): "ij,jk" is "ij,jk->ik"
    let mut g = G::new(&[("x", &[3, 4]), ("y", &[4, 2])], &["z"]);
    g.nodes.push(node(
        "Einsum",
        &["x", "y"],
        &["z"],
        &[("equation", A::S("ij,jk"))],
    ));
    let y = numbers(8, 11);
    let (_, z) = g.run(&[&x, &y]);
    let want: Vec<f64> = (0..6)
        .map(|e| (0..4).map(|j| x[(e / 2) * 4 + j] * y[j * 2 + e % 2]).sum())
        .collect();
    close(&z[0], &want);
}

#[test]
fn einsum_forms_not_read_are_refused() {
    let g = |eq: &'static str| {
        let mut g = G::new(&[("x", &[3, 4]), ("y", &[4, 2])], &["z"]);
        g.nodes.push(node(
            "Einsum",
            &["x", "y"],
            &["z"],
            &[("equation", A::S(eq))],
        ));
        g.error()
    };
    assert!(g("...j,jk->...k").contains("ellipsis"));
    assert!(g("ij->i").contains("one term of letters per input"));
    assert!(g("ij,jk->iq").contains("the output has a letter no input has"));
    assert!(g("ijk,jk->i").contains("input 0 has rank 2 but its term `ijk`"));
    assert!(g("ij,ik->jk").contains("letter `i` has different sizes"));
    let mut n = G::new(&[("x", &[3, 4])], &["z"]);
    n.nodes.push(node("Einsum", &["x"], &["z"], &[]));
    assert!(n.error().contains("equation attribute is required"));
}

#[test]
fn pow_by_whole_numbers_and_its_refusals() {
    let x = numbers(6, 12);
    for p in [2i32, 3, 5, 8] {
        let mut g = G::new(&[("x", &[2, 3])], &["y"]);
        g.init = vec![floats("p", &[], &[p as f64])];
        g.nodes.push(node("Pow", &["x", "p"], &["y"], &[]));
        let (_, y) = g.run(&[&x]);
        close(&y[0], &x.iter().map(|v| v.powi(p)).collect::<Vec<_>>());
    }
    let mut g = G::new(&[("x", &[2, 3])], &["y"]);
    g.init = vec![floats("p", &[], &[2.5])];
    g.nodes.push(node("Pow", &["x", "p"], &["y"], &[]));
    assert!(g.error().contains("exponent Some(2.5)"));
}

#[test]
fn reduce_mean_axes_attribute_before_18_and_input_from_18() {
    let x = numbers(24, 13);
    let want: Vec<f64> = (0..2)
        .flat_map(|b| {
            let x = &x;
            (0..4).map(move |k| (0..3).map(|t| x[(b * 3 + t) * 4 + k]).sum::<f64>() / 3.0)
        })
        .collect();
    let mut g = G::new(&[("x", &[2, 3, 4])], &["y"]);
    g.opset = 13;
    g.nodes.push(node(
        "ReduceMean",
        &["x"],
        &["y"],
        &[("axes", A::Is(vec![1])), ("keepdims", A::I(0))],
    ));
    close(&g.run(&[&x]).1[0], &want);
    let mut g = G::new(&[("x", &[2, 3, 4])], &["y"]);
    g.opset = 18;
    g.init = vec![ints("axes", &[-2])];
    g.nodes.push(node(
        "ReduceMean",
        &["x", "axes"],
        &["y"],
        &[("keepdims", A::I(0))],
    ));
    close(&g.run(&[&x]).1[0], &want);
    // Unsqueeze then Squeeze with their axes as inputs (opset ≥ 13) give back the value
    let mut g = G::new(&[("x", &[2, 3, 4])], &["y"]);
    g.init = vec![ints("a", &[0, 3])];
    g.nodes.push(node("Unsqueeze", &["x", "a"], &["u"], &[]));
    g.nodes.push(node("Squeeze", &["u", "a"], &["y"], &[]));
    close(&g.run(&[&x]).1[0], &x);
    let e = {
        let mut g = G::new(&[("x", &[2, 3, 4])], &["y"]);
        g.init = vec![ints("a", &[1])];
        g.nodes.push(node("Squeeze", &["x", "a"], &["y"], &[]));
        g.error()
    };
    assert!(e.contains("dimension 1 is not of size 1"), "{e}");
}

#[test]
fn where_folds_on_constants_and_masks_follow() {
    // a mask computed from a buffer the way exporters leave it unfolded: Equal(tril, 0)
    let tril: Vec<f64> = (0..16)
        .map(|i| f64::from(u8::from(i % 4 <= i / 4)))
        .collect();
    let mut g = G::new(&[("x", &[2, 4, 4])], &["y"]);
    g.init = vec![
        floats("tril", &[4, 4], &tril),
        floats("zero", &[], &[0.0]),
        floats("fill", &[], &[f64::NEG_INFINITY]),
    ];
    g.nodes
        .push(node("Equal", &["tril", "zero"], &["masked"], &[]));
    g.nodes.push(node("Not", &["masked"], &["keep"], &[]));
    g.nodes
        .push(node("Where", &["keep", "x", "fill"], &["w"], &[]));
    g.nodes.push(node("Softmax", &["w"], &["y"], &[]));
    let x = numbers(32, 14);
    let (m, y) = g.run(&[&x]);
    close(&y[0], &masked_softmax(&x, 4, 4, |r, c| c <= r));
    assert_eq!(ops(&m), ["mask", "softmax"]);
}

/// LayerNorm written out, as exporters emit it below opset 17: one norm when the pattern is
/// whole; a variant that divides `x` instead of `x − mean` is no LayerNorm and is translated
/// node by node.
fn written_out_layer_norm(opset: i64, centred: bool) -> G {
    let mut g = G::new(&[("x", &[2, 3, 4])], &["y"]);
    g.opset = opset;
    g.init = vec![
        floats("two", &[], &[2.0]),
        floats("eps", &[], &[1e-5]),
        floats("gain", &[4], &[1.0, 2.0, 0.5, -1.0]),
        floats("shift", &[4], &[0.1, 0.2, 0.3, 0.4]),
        ints("axes", &[-1]),
    ];
    let mean = |i: &str, o: &str| {
        if opset >= 18 {
            node("ReduceMean", &[i, "axes"], &[o], &[])
        } else {
            node("ReduceMean", &[i], &[o], &[("axes", A::Is(vec![-1]))])
        }
    };
    g.nodes = vec![
        mean("x", "m"),
        node("Sub", &["x", "m"], &["d"], &[]),
        node("Pow", &["d", "two"], &["p"], &[]),
        mean("p", "v"),
        node("Add", &["v", "eps"], &["ve"], &[]),
        node("Sqrt", &["ve"], &["s"], &[]),
        node("Div", &[if centred { "d" } else { "x" }, "s"], &["n"], &[]),
        node("Mul", &["n", "gain"], &["ng"], &[]),
        node("Add", &["ng", "shift"], &["y"], &[]),
    ];
    g
}

#[test]
fn layer_norm_written_out_is_one_norm() {
    let x = numbers(24, 15);
    let (gain, shift) = ([1.0, 2.0, 0.5, -1.0], [0.1, 0.2, 0.3, 0.4]);
    let want = |centred: bool| -> Vec<f64> {
        x.chunks(4)
            .flat_map(|r| {
                let m = r.iter().sum::<f64>() / 4.0;
                let v = r.iter().map(|a| (a - m).powi(2)).sum::<f64>() / 4.0;
                let c = if centred { m } else { 0.0 };
                r.iter()
                    .enumerate()
                    .map(move |(k, a)| (a - c) / (v + 1e-5).sqrt() * gain[k] + shift[k])
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    for opset in [13, 18] {
        let (m, y) = written_out_layer_norm(opset, true).run(&[&x]);
        close(&y[0], &want(true));
        assert_eq!(ops(&m), ["norm"], "opset {opset}");
    }
    let (m, y) = written_out_layer_norm(18, false).run(&[&x]);
    close(&y[0], &want(false));
    assert!(ops(&m).contains(&"reduce"), "{:?}", ops(&m));
}
