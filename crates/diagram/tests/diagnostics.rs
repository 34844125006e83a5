//! Snapshots of rendered diagnostics: every defect of the NCD paper's companion notebook
//! (the U-Net's repeated `Conv2d(c0, c1)`, its padded pools, the ResNet's shared blocks,
//! the visual attention's 16 → 15 floor, …), rebuilt in the language and caught with a
//! clear message.

use crate::common::bind;
use nc_diagram::builder::{Builder, WindowSpec};
use nc_diagram::check::check;
use nc_diagram::ir::{AxisKind as K, Func, WindowAxis};
use nc_diagram::size::SizeExpr;

/// U-Net `DoubleConvolution` used `Conv2d(c0, c1)` twice: the second conv reads c0 from a c1 wire.
#[test]
fn unet_double_conv_wrong_channels() {
    let mut b = Builder::new("double_conv");
    let n = b.axis("b", "1", K::Batch).unwrap();
    let c0 = b.axis("c0", "3", K::Feature).unwrap();
    let c1 = b.axis("c1", "8", K::Feature).unwrap();
    let h = b.axis("H", "16", K::Spatial).unwrap();
    let x = b.input("x", &[n, c0, h]);
    let (y, _) = b
        .conv("conv_a", x, c0, c1, &[(h, WindowSpec::same(3))], 1, true)
        .unwrap();
    let e = b
        .conv("conv_b", y, c0, c1, &[(h, WindowSpec::same(3))], 1, true)
        .unwrap_err();
    assert_eq!(e.code(), "E101");
    assert_eq!(
        e.to_string(),
        "op `conv_b` (linear): axis c0 is not on input `conv_b.win`, whose axes are [b, H, kH#5, c1]"
    );
}

/// U-Net `torch.concat(x, cLambda, 1)`: concatenating values whose other axes differ.
#[test]
fn concat_of_mismatched_values() {
    let mut b = Builder::new("cat");
    let c = b.axis("c", "4", K::Feature).unwrap();
    let h = b.axis("H", "8", K::Spatial).unwrap();
    let h2 = b.axis("H2", "8", K::Spatial).unwrap();
    let c2 = b.axis("2c", "8", K::Feature).unwrap();
    let x = b.input("x", &[c, h]);
    let y = b.input("skip", &[c, h2]);
    let e = b.concat("concat", &[x, y], &[c, c], c2).unwrap_err();
    assert_eq!(
        e.to_string(),
        "op `concat` (concat): `x` and `skip` differ in axes other than the concatenated one"
    );
}

/// U-Net `forward` returned nothing.
#[test]
fn circuit_without_outputs() {
    let mut b = Builder::new("unet");
    let c = b.axis("c", "4", K::Feature).unwrap();
    let x = b.input("x", &[c]);
    b.relu("relu", x).unwrap();
    assert_eq!(
        b.finish().unwrap_err().to_string(),
        "circuit `unet` has no outputs"
    );
}

/// U-Net padding 1 in `MaxPool2d(2, 2, 1)` and `ConvTranspose2d(…, 2, 2, 1)`: 512 → 257, 32 → 62.
#[test]
fn unet_padded_pool_and_up_conv() {
    let mut b = Builder::new("pad");
    let c = b.axis("c", "1", K::Feature).unwrap();
    let h = b.axis("H", "512", K::Spatial).unwrap();
    let x = b.input("x", &[c, h]);
    let (w, p) = b
        .window("pool", x, &[(h, WindowSpec::new(2).stride(2).padding(1))])
        .unwrap();
    let y = b
        .reduce("max", w, nc_diagram::ir::ReduceKind::Max, &[p[0].1])
        .unwrap();
    let s = b.axis("S", "32", K::Spatial).unwrap();
    let u = b.axis("U", "62", K::Spatial).unwrap();
    let k = b.axis("k", "2", K::Kernel).unwrap();
    let z = b.input("z", &[c, s, k]);
    let up = b
        .window_t(
            "up",
            z,
            &[WindowAxis {
                input: u,
                output: s,
                kernel: k,
                stride: 2,
                dilation: 1,
                padding: 1,
            }],
        )
        .unwrap();
    b.output(y);
    b.output(up);
    let c = b.finish().unwrap();
    let r = check(&c, &bind(&[]));
    assert_eq!(
        r.render(),
        "warning[W006]: op `pool` (window): stride 2 takes axis H from 512 to H' = 257, not 512/2 = 256
  = help: padding 1 is probably not intended
warning[W006]: op `up` (window_t): stride 2 takes axis S from 32 to U = 62, not 32*2 = 64
  = help: padding 1 is probably not intended"
    );
}

/// Visual attention: kernel 3, stride 3 on 16 → 5 → 15 (blamed on "stride > 1").
#[test]
fn visual_attention_floor_division() {
    let c = nc_diagram::zoo::visual_attention();
    let r = check(&c, &c.default_bindings());
    assert_eq!(
        r.render(),
        "warning[W001]: op `window` (window): axis H' = (H - 3)//3 + 1 rounds down: (H - 3)//3 is 13 / 3 = 4 remainder 1; the windows reach only the first 15 of the 16 positions of H; also affects W', y, x, H2, W2
  = help: pad or crop so the stride divides the extent, or use exact division `/` to make this an error"
    );
}

/// ResNet `[ResidualConnection(...)] * N`: one module object repeated = shared weights.
#[test]
fn resnet_implicit_weight_sharing() {
    let mut b = Builder::new("resnet");
    let n = b.axis("n", "4", K::Feature).unwrap();
    let x = b.input("x", &[n]);
    let w = b.param(
        "res.W",
        &[b.circuit().axes[0].id],
        nc_diagram::ir::Init::Normal,
    );
    let _ = w;
    let nin = b.axis("n_in", "4", K::Feature).unwrap();
    let w = b.param("res.W", &[nin, n], nc_diagram::ir::Init::FanIn(vec![nin]));
    let mut y = x;
    for i in 0..2 {
        let r = b
            .linear_with(&format!("res{i}"), y, &[n], &[n], w, None)
            .unwrap();
        y = b.add(&format!("add{i}"), y, r).unwrap();
    }
    b.output(y);
    let c = b.finish().unwrap();
    let r = check(&c, &bind(&[]));
    assert_eq!(
        r.render(),
        "warning[W003]: parameter `res.W~2` is shared by 2 ops (res0, res1) without being declared shared
  = help: give each op its own weights, or declare the sharing (a block with shared weights, or `share`)"
    );
    // declared sharing is fine
    let mut c2 = c.clone();
    c2.params[1].shared = true;
    assert!(check(&c2, &bind(&[])).codes().is_empty());
}

/// Blocks with `share_weights` reuse their parameters on purpose: no warning.
#[test]
fn block_with_declared_sharing() {
    let mut b = Builder::new("shared");
    let n = b.axis("n", "4", K::Feature).unwrap();
    let mut y = b.input("x", &[n]);
    for i in 0..3 {
        b.begin_block("Res", i, 3, true);
        let r = b.linear("L", y, &[n], &[n], true).unwrap();
        y = b.add("add", y, r).unwrap();
        b.end_block().unwrap();
    }
    b.output(y);
    let c = b.finish().unwrap();
    assert_eq!(
        c.params.len(),
        2,
        "one weight and one bias for all three iterations"
    );
    assert!(check(&c, &bind(&[])).codes().is_empty());
}

/// Attention normalised over the query axis ("Fixed SoftMax dimension"), and an MLP whose
/// softmax output is never used (the notebook printed the `Softmax` module instead).
#[test]
fn softmax_axis_and_dangling_softmax() {
    let mut b = Builder::new("attn");
    let y = b.axis("y", "3", K::Token).unwrap();
    let x = b.axis("x", "4", K::Token).unwrap();
    let k = b.axis("k", "2", K::Feature).unwrap();
    let q = b.input("Q", &[y, k]);
    let kk = b.input("K", &[x, k]);
    let v = b.input("V", &[x, k]);
    let s = b.einsum("scores", "y k, x k -> y x", &[q, kk]).unwrap();
    let s = b
        .map("scale", s, Func::ScaleBySize(SizeExpr::sym("k"), -0.5))
        .unwrap();
    let a = b.softmax("softmax", s, &[y]).unwrap();
    let o = b.einsum("mix", "y x, x k -> y k", &[a, v]).unwrap();
    b.softmax("prediction", o, &[k]).unwrap();
    b.output(o);
    let c = b.finish().unwrap();
    let r = check(&c, &bind(&[]));
    assert_eq!(
        r.render(),
        "warning[W004]: op `softmax` (softmax): softmax normalises over [y] but `mix` contracts [x]
  = help: normalise over the axis the weights are averaged over
warning[W005]: dangling wire: `prediction` (output of op `prediction` (softmax)) is never used"
    );
}

/// Sizes that do not fit: a head split that does not multiply out, an inexact division and
/// an unbound symbol, each naming the op, the axes and the sizes.
#[test]
fn size_errors() {
    let mut b = Builder::new("heads");
    let t = b.axis("t", "t", K::Token).unwrap();
    let m = b.axis("m", "m", K::Feature).unwrap();
    let k = b.axis("k", "m / h", K::Feature).unwrap();
    let h = b.axis("h", "3", K::Head).unwrap();
    let x = b.input("x", &[t, m]);
    let y = b.reshape("split_heads", x, &[m], &[k, h]).unwrap();
    b.output(y);
    let c = b.finish().unwrap();
    let r = check(&c, &bind(&[("m", 128), ("h", 3)]));
    assert_eq!(
        r.render(),
        "error[E001]: size symbol `t` (used by axis t) is not bound
  = help: bind it, e.g. --bind t=8
error[E003]: axis k: `m/h` is not exact: 128 is not divisible by 3"
    );
    let mut b = Builder::new("heads");
    let m = b.axis("m", "m", K::Feature).unwrap();
    let k = b.axis("k", "16", K::Feature).unwrap();
    let h = b.axis("h", "3", K::Head).unwrap();
    let x = b.input("x", &[m]);
    let y = b.reshape("split_heads", x, &[m], &[k, h]).unwrap();
    b.output(y);
    let c = b.finish().unwrap();
    assert_eq!(
        check(&c, &bind(&[("m", 128)])).render(),
        "error[E004]: op `split_heads` (reshape): axes [m=128] hold 128 elements but [k=16, h=3] hold 48"
    );
    let e = nc_diagram::exec::Bound::new(&c, &bind(&[("m", 128)])).unwrap_err();
    assert!(
        e.to_string().starts_with("error[E004]"),
        "the executor refuses it too: {e}"
    );
}

/// Issue 13's attempted mask: adding a constant before the softmax passes the type checks
/// but changes nothing (W007); a per-query bias lacking the key axis is uniform too; a real
/// band mask, and a bias that varies along the keys, are not flagged.
#[test]
fn uniform_bias_before_softmax() {
    let build = |kind: &str| {
        let text = format!(
            "circuit att\nsize t = 4\ninput q [t k=2]\ninput kk [s=t k]\ninput bias_t [t]\ninput bias_s [s]\n\
             scores = einsum \"t k, s k -> t s\" q kk\n{}\nw = softmax z over s\noutput w\n",
            match kind {
                "constant" => "m = constant -1e9 [t s]\nz = add scores m",
                "per_query" => "z = add scores bias_t",
                "per_key" => "z = add scores bias_s",
                _ => "z = mask scores t s causal",
            }
        );
        let c = nc_diagram::parse::text::load(&text).unwrap();
        let r = check(&c, &bind(&[("t", 4)]));
        let w007: Vec<String> = r
            .diagnostics
            .iter()
            .filter(|d| d.code == "W007")
            .map(|d| d.to_string())
            .collect();
        w007.join("\n")
    };
    assert_eq!(
        build("constant"),
        "warning[W007]: op `z` (add): `m` is uniform over [s], which softmax `w` normalises, so adding it changes nothing
  = help: a constant is not a mask: hide positions with `mask X ROWS COLS causal` (or `below`/`above`) before the softmax"
    );
    assert!(
        build("per_query").starts_with("warning[W007]: op `z` (add): `bias_t` is uniform over [s]")
    );
    assert_eq!(build("per_key"), "");
    assert_eq!(build("mask"), "");
}
