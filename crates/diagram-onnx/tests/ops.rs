//! Selection operators on hand-built graphs (masks from Where and additive constants,
//! Split, Expand, constant folding): each imported graph runs and matches a direct loop
//! implementation of the ONNX operator's definition (in f64, written here from the ONNX
//! operator documentation, not from our executor), and malformed or unsupported forms are
//! errors that say what is wrong.

mod common;
mod graph;

use graph::{A, G, bools, close, floats, ints, node, numbers, ops};
use nc_diagram::ir::Op;

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
