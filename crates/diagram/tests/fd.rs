//! Derived backward passes against central finite differences in f64, over random shapes.

use crate::common::{bind, fd_check};
use nc_diagram::builder::{Builder, WindowSpec};
use nc_diagram::ir::{AxisKind, Circuit, Func, ReduceKind, WindowAxis};
use proptest::prelude::*;

fn attention(grouped: bool) -> Circuit {
    let mut b = Builder::new("attn");
    let y = b.axis("y", "y", AxisKind::Token).unwrap();
    let x = b.axis("x", "x", AxisKind::Token).unwrap();
    let m = b.axis("m", "m", AxisKind::Feature).unwrap();
    let k = b.axis("k", "k", AxisKind::Feature).unwrap();
    let h = b.axis("h", "h", AxisKind::Head).unwrap();
    let qx = b.input("X", &[y, m]);
    let kx = b.input("Z", &[x, m]);
    let q = b.linear("Q", qx, &[m], &[k, h], false).unwrap();
    let kk = b.linear("K", kx, &[m], &[k, h], true).unwrap();
    let v = b.linear("V", kx, &[m], &[k, h], false).unwrap();
    let s = b
        .einsum("scores", "y k h, x k h -> y x h", &[q, kk])
        .unwrap();
    let s = b
        .map(
            "scale",
            s,
            Func::ScaleBySize(nc_diagram::size::SizeExpr::sym("k"), -0.5),
        )
        .unwrap();
    let a = b.softmax("softmax", s, &[x]).unwrap();
    let o = b.einsum("mix", "y x h, x k h -> y k h", &[a, v]).unwrap();
    let out = if grouped {
        let kh = b.axis("kh", "k*h", AxisKind::Feature).unwrap();
        let merged = b.einsum("merge", "y k h -> y kh:(k h)", &[o]).unwrap();
        b.linear("O", merged, &[kh], &[m], true).unwrap()
    } else {
        b.linear("O", o, &[k, h], &[m], false).unwrap()
    };
    b.output(out);
    b.finish().unwrap()
}

fn conv(transposed: bool, groups: i64) -> Circuit {
    let mut b = Builder::new("conv");
    let n = b.axis("n", "n", AxisKind::Batch).unwrap();
    let c = b.axis("c", "c*g", AxisKind::Feature).unwrap();
    let d = b.axis("d", "2*g", AxisKind::Feature).unwrap();
    let hh = b.axis("H", "H", AxisKind::Spatial).unwrap();
    let ww = b.axis("W", "W", AxisKind::Spatial).unwrap();
    let x = b.input("x", &[n, c, hh, ww]);
    let spec_h = WindowSpec::new(3).stride(2).padding(1);
    let spec_w = WindowSpec::new(2).dilation(2).padding(1);
    let (y, sp) = b
        .conv("conv", x, c, d, &[(hh, spec_h), (ww, spec_w)], groups, true)
        .unwrap();
    let y = b.map("tanh", y, Func::Tanh).unwrap();
    let y = if transposed {
        // up-sample back with ★ᵀ after a linear into (d, kernel) — a transposed convolution
        let ky = b.axis("ky", "2", AxisKind::Kernel).unwrap();
        let kx = b.axis("kx", "2", AxisKind::Kernel).unwrap();
        let h2 = b
            .axis("H2", "2*((H - 1)//2) + 2", AxisKind::Spatial)
            .unwrap();
        let w2 = b.axis("W2", "W + 1", AxisKind::Spatial).unwrap();
        let z = b.linear("up", y, &[d], &[d, ky, kx], true).unwrap();
        b.window_t(
            "upwin",
            z,
            &[
                WindowAxis {
                    input: h2,
                    output: sp[0],
                    kernel: ky,
                    stride: 2,
                    dilation: 1,
                    padding: 0,
                },
                WindowAxis {
                    input: w2,
                    output: sp[1],
                    kernel: kx,
                    stride: 1,
                    dilation: 1,
                    padding: 0,
                },
            ],
        )
        .unwrap()
    } else {
        y
    };
    b.output(y);
    b.finish().unwrap()
}

fn misc() -> Circuit {
    let mut b = Builder::new("misc");
    let n = b.axis("n", "n", AxisKind::Batch).unwrap();
    let f = b.axis("f", "f", AxisKind::Feature).unwrap();
    let t = b.axis("t", "t", AxisKind::Token).unwrap();
    let v = b.axis("v", "5", AxisKind::Feature).unwrap();
    let t2 = b.axis("t2", "2*t", AxisKind::Token).unwrap();
    let nf = b.axis("nf", "n*f", AxisKind::Feature).unwrap();
    let x = b.input("x", &[n, t, f]);
    let ids = b.index_input("ids", &[n, t]);
    let e = b.embed("emb", ids, v, &[f]).unwrap();
    let cat = b.concat("cat", &[x, e], &[t, t], t2).unwrap();
    let ln = b.layer_norm("ln", cat, &[f]).unwrap();
    let bn = b.batch_norm("bn", ln, &[f]).unwrap();
    let cp = b.copy("copy", bn, 2).unwrap();
    let g = b.map("gelu", cp[0], Func::Gelu).unwrap();
    let s = b.map("sig", cp[1], Func::Sigmoid).unwrap();
    let p = b.mul("mul", g, s).unwrap();
    let mx = b.reduce("max", p, ReduceKind::Max, &[t2]).unwrap();
    let mean = b.reduce("mean", p, ReduceKind::Mean, &[t2]).unwrap();
    let sq = b.map("sq", mean, Func::Square).unwrap();
    let sum = b.add("add", mx, sq).unwrap();
    let flat = b.reshape("flatten", sum, &[n, f], &[nf]).unwrap();
    let ex = b.map("exp", flat, Func::Exp).unwrap();
    let bias = b.learned("bias", &[nf]).unwrap();
    let out = b.add("plus_bias", ex, bias).unwrap();
    let rs = b.reduce("sum", x, ReduceKind::Sum, &[t]).unwrap();
    let res = b.add("residual", bn, rs).unwrap();
    b.output(out);
    b.output(res);
    b.finish().unwrap()
}

#[test]
fn misc_ops_match_finite_differences() {
    let c = misc();
    let w = fd_check(&c, &bind(&[("n", 3), ("t", 4), ("f", 3)]), 5, 40);
    assert!(w < 1e-5, "worst relative error {w}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    #[test]
    fn attention_matches_finite_differences(y in 1i64..4, x in 1i64..4, m in 1i64..4, k in 1i64..3, h in 1i64..3, grouped: bool, seed in 0u64..100) {
        let c = attention(grouped);
        let w = fd_check(&c, &bind(&[("y", y), ("x", x), ("m", m), ("k", k), ("h", h)]), seed, 12);
        prop_assert!(w < 1e-5, "worst relative error {}", w);
    }

    #[test]
    fn conv_matches_finite_differences(n in 1i64..3, c in 1i64..3, hh in 2i64..6, ww in 2i64..6, transposed: bool, grouped: bool, seed in 0u64..100) {
        let circ = conv(transposed, if grouped { 2 } else { 1 });
        let w = fd_check(&circ, &bind(&[("n", n), ("c", c), ("H", hh), ("W", ww), ("g", if grouped { 2 } else { 1 })]), seed, 12);
        prop_assert!(w < 1e-5, "worst relative error {}", w);
    }
}

/// Every elementwise map, on inputs in its domain (`x² + 0.3` for the roots and reciprocal).
fn maps() -> Circuit {
    let mut b = Builder::new("maps");
    let n = b.axis("n", "n", AxisKind::Feature).unwrap();
    let x = b.input("x", &[n]);
    let g = b.input("g", &[n]);
    let sq = b.map("sq", x, Func::Square).unwrap();
    let c = b.constant("c", &[n], 0.3).unwrap();
    let pos = b.add("pos", sq, c).unwrap();
    let mut outs = vec![b.mul("gate", x, g).unwrap()];
    for f in Func::NAMED {
        let from = if matches!(f, Func::Sqrt | Func::Rsqrt | Func::Reciprocal) {
            pos
        } else {
            x
        };
        outs.push(b.map(&f.name(), from, f).unwrap());
    }
    for y in outs {
        b.output(y);
    }
    b.finish().unwrap()
}

#[test]
fn every_map_matches_finite_differences() {
    let c = maps();
    for seed in 0..4 {
        let w = fd_check(&c, &bind(&[("n", 9)]), seed, 9);
        assert!(w < 1e-6, "worst relative error {w}");
    }
}

/// Causal and banded masks before a softmax (masked entries get weight 0 and no gradient).
#[test]
fn masked_softmax_matches_finite_differences() {
    for (below, above) in [(None, Some(0)), (Some(1), Some(1)), (Some(0), None)] {
        let mut b = Builder::new("masked");
        let t = b.axis("t", "t", AxisKind::Token).unwrap();
        let s = b.axis("s", "t", AxisKind::Token).unwrap();
        let h = b.axis("h", "2", AxisKind::Head).unwrap();
        let x = b.input("x", &[s, h, t]);
        let m = b.mask("mask", x, t, s, below, above).unwrap();
        let y = b.softmax("softmax", m, &[s]).unwrap();
        b.output(y);
        let c = b.finish().unwrap();
        let w = fd_check(&c, &bind(&[("t", 4)]), 3, 40);
        assert!(w < 1e-6, "{below:?} {above:?}: worst relative error {w}");
    }
}

/// A split in three, the parts used unevenly (one twice, one not at all).
#[test]
fn split_matches_finite_differences() {
    let mut b = Builder::new("split");
    let t = b.axis("t", "t", AxisKind::Token).unwrap();
    let f = b.axis("f", "3*m", AxisKind::Feature).unwrap();
    let q = b.axis("q", "m", AxisKind::Feature).unwrap();
    let k = b.axis("k", "m", AxisKind::Feature).unwrap();
    let v = b.axis("v", "m", AxisKind::Feature).unwrap();
    let x = b.input("x", &[f, t]);
    let parts = b.split("qkv", x, f, &[q, k, v]).unwrap();
    let z = b
        .einsum("z", "t q, t v -> q v t", &[parts[0], parts[2]])
        .unwrap();
    let z = b.map("tanh", z, Func::Tanh).unwrap();
    b.output(z);
    b.output(parts[0]);
    let c = b.finish().unwrap();
    let w = fd_check(&c, &bind(&[("t", 3), ("m", 2)]), 1, 40);
    assert!(w < 1e-6, "worst relative error {w}");
}

/// A gather along an axis of a computed value, indices repeating (their gradients add).
#[test]
fn gather_matches_finite_differences() {
    let mut b = Builder::new("gather");
    let v = b.axis("v", "v", AxisKind::Feature).unwrap();
    let f = b.axis("f", "f", AxisKind::Feature).unwrap();
    let t = b.axis("t", "t", AxisKind::Token).unwrap();
    let x = b.input("x", &[f, v]);
    let ids = b.index_input("ids", &[t]);
    let y = b.map("tanh", x, Func::Tanh).unwrap();
    let g = b.gather("gather", y, v, ids).unwrap();
    let z = b.mul("sq", g, g).unwrap();
    b.output(z);
    let c = b.finish().unwrap();
    let w = fd_check(&c, &bind(&[("v", 3), ("f", 2), ("t", 7)]), 2, 40);
    assert!(w < 1e-6, "worst relative error {w}");
}

/// RMSNorm over two axes, one of them not innermost in the input.
#[test]
fn rms_norm_matches_finite_differences() {
    let mut b = Builder::new("rms");
    let n = b.axis("n", "n", AxisKind::Batch).unwrap();
    let c = b.axis("c", "c", AxisKind::Feature).unwrap();
    let m = b.axis("m", "m", AxisKind::Feature).unwrap();
    let x = b.input("x", &[c, n, m]);
    let y = b.rms_norm("rms", x, &[m, c], 1e-5).unwrap();
    let y = b.map("tanh", y, Func::Tanh).unwrap();
    b.output(y);
    let circ = b.finish().unwrap();
    for seed in 0..3 {
        let w = fd_check(&circ, &bind(&[("n", 2), ("c", 2), ("m", 3)]), seed, 40);
        assert!(w < 1e-6, "worst relative error {w}");
    }
}

/// RoPE on a value whose rotated axis is not innermost.
#[test]
fn rope_matches_finite_differences() {
    let mut b = Builder::new("rope");
    let t = b.axis("t", "t", AxisKind::Token).unwrap();
    let k = b.axis("k", "2*j", AxisKind::Feature).unwrap();
    let h = b.axis("h", "2", AxisKind::Head).unwrap();
    let x = b.input("x", &[k, t, h]);
    let y = b.rope("rope", x, t, k, 10.0).unwrap();
    let y = b.map("tanh", y, Func::Tanh).unwrap();
    b.output(y);
    let c = b.finish().unwrap();
    let w = fd_check(&c, &bind(&[("t", 4), ("j", 2)]), 5, 40);
    assert!(w < 1e-6, "worst relative error {w}");
}

/// Top-2 routing weights (top-k, then a softmax over the experts), experts not innermost.
#[test]
fn top_k_routing_matches_finite_differences() {
    let mut b = Builder::new("route");
    let t = b.axis("t", "t", AxisKind::Token).unwrap();
    let e = b.axis("e", "e", AxisKind::Feature).unwrap();
    let x = b.input("x", &[e, t]);
    let y = b.top_k("top", x, e, 2).unwrap();
    let y = b.softmax("softmax", y, &[e]).unwrap();
    b.output(y);
    let c = b.finish().unwrap();
    for seed in 0..3 {
        let w = fd_check(&c, &bind(&[("t", 3), ("e", 5)]), seed, 40);
        assert!(w < 1e-6, "worst relative error {w}");
    }
}

/// Index selection (a middle position of a middle axis) and the sinusoidal table (a constant
/// that scales the input, so its entries reach the gradient).
#[test]
fn select_and_sinusoid_match_finite_differences() {
    let mut b = Builder::new("select");
    let n = b.axis("n", "n", AxisKind::Batch).unwrap();
    let t = b.axis("t", "t", AxisKind::Token).unwrap();
    let m = b.axis("m", "m", AxisKind::Feature).unwrap();
    let x = b.input("x", &[n, t, m]);
    let p = b.sinusoid("pos", t, m, 100.0).unwrap();
    let y = b.mul("scaled", x, p).unwrap();
    let y = b.map("tanh", y, nc_diagram::ir::Func::Tanh).unwrap();
    let y = b.select("pick", y, t, 2).unwrap();
    b.output(y);
    let c = b.finish().unwrap();
    for seed in 0..3 {
        let w = fd_check(&c, &bind(&[("n", 2), ("t", 4), ("m", 6)]), seed, 40);
        assert!(w < 1e-6, "worst relative error {w}");
    }
}
