//! Layer operators on hand-built graphs (ConvTranspose, Einsum, Pow, ReduceMean and the
//! squeezes across opsets, LayerNorm written out): each imported graph runs and matches a
//! direct loop implementation of the ONNX operator's definition (in f64, written here from
//! the ONNX operator documentation, not from our executor), and malformed or unsupported
//! forms are errors that say what is wrong.

mod common;
mod graph;

use graph::{A, G, close, floats, ints, node, numbers, ops};

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
