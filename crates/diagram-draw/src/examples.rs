//! Hand-built diagrams of the paper's architectures and the toolkit's other models.
//!
//! These exercise every pictogram without the circuit IR, and serve as fixed test cases.

use crate::model::{Builder, Diagram, OpKind, Repeat, WireId};

fn lin(name: &str, bias: bool) -> OpKind {
    OpKind::Linear {
        bias,
        name: name.to_owned(),
    }
}

fn ew(f: &str) -> OpKind {
    OpKind::Elementwise(f.to_owned())
}

fn win(kernel: &str, stride: &str, transposed: bool) -> OpKind {
    OpKind::Window {
        kernel: kernel.into(),
        stride: stride.into(),
        dilation: String::new(),
        groups: String::new(),
        transposed,
    }
}

fn con(i: &[&str], o: &[&str]) -> OpKind {
    OpKind::Contract {
        axes_in: i.iter().map(|s| (*s).to_owned()).collect(),
        axes_out: o.iter().map(|s| (*s).to_owned()).collect(),
        marks: Vec::new(),
    }
}

/// Every example, by file stem.
#[must_use]
pub fn all() -> Vec<(&'static str, Diagram)> {
    vec![
        ("mlp", mlp()),
        ("attention", attention()),
        ("multihead", multihead()),
        ("transformer", transformer()),
        ("convolutions", convolutions()),
        ("resnet", resnet()),
        ("resnet_block", resnet_block()),
        ("unet", unet()),
        ("vit", vit()),
        ("ncap", ncap()),
        ("rnn", rnn()),
    ]
}

/// Fig. 19: the basic image recogniser.
#[must_use]
pub fn mlp() -> Diagram {
    let mut b = Builder::new("Basic image recogniser (MLP)");
    let x = b.input(&["x = 28", "y = 28"]);
    let f = b.op(OpKind::Reshape, false, &x, &["28²"]);
    b.begin_block("Linear", "", None, &f);
    let h = b.op(lin("", true), true, &f, &["512"]);
    let h = b.op(ew("R"), false, &h, &["512"]);
    let h = b.op(lin("", true), true, &h, &["512"]);
    let h = b.op(ew("R"), false, &h, &["512"]);
    let h = b.op(lin("", true), true, &h, &["k = 10"]);
    b.end_block();
    b.op(OpKind::Softmax, false, &h, &["10"]);
    b.finish()
}

/// The scaled dot-product core shared by the attention figures.
fn sdpa(b: &mut Builder, q: &[WireId], k: &[WireId], v: &[WireId], heads: bool) -> Vec<WireId> {
    let (ins, mid, outs): (Vec<&str>, Vec<&str>, Vec<&str>) = if heads {
        (
            vec!["y", "k", "h", "x", "k", "h"],
            vec!["y", "x", "h"],
            vec!["y", "k", "h"],
        )
    } else {
        (vec!["y", "k", "x", "k"], vec!["y", "x"], vec!["y", "k"])
    };
    let mut a: Vec<WireId> = q.to_vec();
    a.extend(k);
    let mid_labels: Vec<&str> = if heads {
        vec!["=ȳ", "=x̄", "h"]
    } else {
        vec!["=ȳ", "=x̄"]
    };
    let s = b.op(con(&ins, &mid), false, &a, &mid_labels);
    let x = b.op(OpKind::Scale("k^-1/2".into()), false, &s[1..2], &["=x̄"]);
    let x = b.op(OpKind::Softmax, false, &x, &["=x̄"]);
    let mut a = vec![s[0], x[0]];
    a.extend(&s[2..]);
    a.extend(v);
    let mut ins2 = mid.clone();
    ins2.extend(if heads {
        vec!["x", "k", "h"]
    } else {
        vec!["x", "k"]
    });
    let out_labels: Vec<&str> = if heads {
        vec!["=ȳ", "k", "h"]
    } else {
        vec!["=ȳ", "k"]
    };
    b.op(con(&ins2, &outs), false, &a, &out_labels)
}

/// Fig. 20: scaled dot-product attention.
#[must_use]
pub fn attention() -> Diagram {
    let mut b = Builder::new("Scaled dot-product attention");
    let q = b.input(&["=ȳ", "k"]);
    let k = b.input(&["=x̄", "k"]);
    let v = b.input(&["=x̄", "k"]);
    sdpa(&mut b, &q, &k, &v, false);
    b.finish()
}

/// Self-contained multi-head attention on (queries, keys/values) inputs.
fn mha_body(b: &mut Builder, y: &[WireId], x: &[WireId]) -> Vec<WireId> {
    let (x1, x2) = b.copy(x);
    let q = b.op(lin("Q", false), true, &y[1..2], &["k", "h"]);
    let k = b.op(lin("K", false), true, &x1[1..2], &["k", "h"]);
    let v = b.op(lin("V", false), true, &x2[1..2], &["k", "h"]);
    let qq = [y[0], q[0], q[1]];
    let kk = [x1[0], k[0], k[1]];
    let vv = [x2[0], v[0], v[1]];
    b.begin_block(
        "Scaled dot-product attention",
        "",
        None,
        &[qq.as_slice(), &kk, &vv].concat(),
    );
    let o = sdpa(b, &qq, &kk, &vv, true);
    b.end_block();
    let m = b.op(lin("O", false), true, &o[1..], &["m"]);
    vec![o[0], m[0]]
}

/// Fig. 21: multi-head attention.
#[must_use]
pub fn multihead() -> Diagram {
    let mut b = Builder::new("Multi-head attention");
    let y = b.input(&["=ȳ", "m"]);
    let x = b.input(&["=x̄", "m"]);
    b.begin_block(
        "Multi-head attention",
        "",
        None,
        &[y.as_slice(), &x].concat(),
    );
    mha_body(&mut b, &y, &x);
    b.end_block();
    b.legend("m = 128, k = 16, h = 4");
    b.finish()
}

/// A pre-norm transformer block, repeated N times.
#[must_use]
pub fn transformer() -> Diagram {
    let mut b = Builder::new("Transformer (pre-norm)");
    let x = b.input(&["=x̄", "m"]);
    b.begin_block("Transformer block", "", Some(Repeat::Times("N".into())), &x);
    let (r, a) = b.copy(&x);
    let n = b.op(OpKind::Norm, true, &a[1..2], &["m"]);
    let a = [a[0], n[0]];
    b.begin_block("MHA", "(h)", None, &a);
    let (a1, a2) = b.copy(&a);
    let o = mha_body(&mut b, &a1, &a2);
    b.end_block();
    let x = b.add(&r, &o);
    let (r, a) = b.copy(&x);
    let n = b.op(OpKind::Norm, true, &a[1..2], &["m"]);
    b.begin_block("MLP", "", None, &n);
    let h = b.op(lin("", true), true, &n, &["4m"]);
    let h = b.op(ew("G"), false, &h, &["4m"]);
    let h = b.op(lin("", true), true, &h, &["m"]);
    b.end_block();
    b.add(&r, &[a[0], h[0]]);
    b.end_block();
    b.legend("m = 512, h = 8, k = m/h");
    b.finish()
}

/// The convolution family as windows and linear maps.
#[must_use]
pub fn convolutions() -> Diagram {
    let mut b = Builder::new("Convolutions: strided, grouped, transposed");
    let x = b.input(&["=x̄", "g", "c/g"]);
    let w = b.op(win("3", "2", false), false, &x[..1], &["=x̄/2", "3²"]);
    let c = b.op(lin("", true), true, &[x[2], w[1]], &["d/g"]);
    let u = b.op(win("2", "2", true), false, &[w[0]], &["=x̄", "2²"]);
    b.op(lin("", true), true, &[x[1], c[0], u[1]], &["e"]);
    b.legend("x̄ = (H, W), c = 32, g = 4");
    b.finish()
}

/// Fig. 26 (overall): the identity ResNet.
#[must_use]
pub fn resnet() -> Diagram {
    let mut b = Builder::new("Identity ResNet");
    let x = b.input(&["=x̄", "3"]);
    let h = b.op(win("3", "", false), true, &x, &["=x̄", "n₁"]);
    let mut cur = h;
    for (s, lab) in [("1", "=x̄"), ("2", "=x̄/2"), ("2", "=x̄/4")] {
        b.begin_block("Block", &format!("({s},N)"), None, &cur);
        let o = b.op(OpKind::Other("…".into()), true, &cur, &[lab, "n"]);
        b.end_block();
        cur = o;
    }
    let n = b.op(OpKind::Norm, true, &cur[1..], &["n₃"]);
    let n = b.op(ew("R"), false, &n, &["n₃"]);
    let p = b.op(win("8", "8", false), false, &cur[..1], &["=1", "8²"]);
    let m = b.op(OpKind::Reduce("𝔼".into()), false, &p[1..], &[]);
    let _ = m;
    let l = b.op(lin("", true), true, &[p[0], n[0]], &["10"]);
    b.op(OpKind::Softmax, false, &l, &["10"]);
    b.legend("n = [16, 64, 128, 256], N = 3");
    let mut d = b.finish();
    collapse_all(&mut d);
    d
}

fn collapse_all(d: &mut Diagram) {
    for it in &mut d.items {
        if let crate::model::Item::Block(bl) = it {
            bl.expanded = false;
        }
    }
}

/// One pre-activation bottleneck: BN-ReLU, 1×1, BN-ReLU, 3×3, BN-ReLU, 1×1.
fn bottleneck(b: &mut Builder, x: &[WireId], first: bool) -> Vec<WireId> {
    let mut c = vec![x[1]];
    let mut sp = x[0];
    if first {
        let w = b.op(win("1", "s", false), false, &[sp], &["=x̄/s", "1²"]);
        sp = w[0];
        c = b.op(lin("", true), true, &[x[1], w[1]], &["n_b"]);
    } else {
        c = b.op(win("1", "", false), true, &c, &["n_b"]);
    }
    let n = b.op(OpKind::Norm, true, &c, &["n_b"]);
    let r = b.op(ew("R"), false, &n, &["n_b"]);
    let k = b.op(win("3", "", false), true, &[sp, r[0]], &["=x̄/s", "n_b"]);
    let n = b.op(OpKind::Norm, true, &k[1..], &["n_b"]);
    let r = b.op(ew("R"), false, &n, &["n_b"]);
    b.op(win("1", "", false), true, &[k[0], r[0]], &["=x̄/s", "n₁"])
}

/// Fig. 26 (detail): Block(s, N) with its λ loop of identity residual components.
#[must_use]
pub fn resnet_block() -> Diagram {
    let mut b = Builder::new("ResNet Block(s,N)");
    let x = b.input(&["=x̄", "n₀"]);
    let n = b.op(OpKind::Norm, true, &x[1..], &["n₀"]);
    let r = b.op(ew("R"), false, &n, &["n₀"]);
    let (a, p) = b.copy(&[x[0], r[0]]);
    b.begin_block("Residual component", "", None, &a);
    let o = bottleneck(&mut b, &a, true);
    b.end_block();
    let w = b.op(win("1", "s", false), false, &p[..1], &["=x̄/s", "1²"]);
    let s = b.op(lin("", true), true, &[p[1], w[1]], &["n₁"]);
    let y = b.add(&o, &[w[0], s[0]]);
    b.begin_block(
        "Identity residual",
        "",
        Some(Repeat::Lambda {
            lo: "1".into(),
            hi: "N−1".into(),
        }),
        &y,
    );
    let (a, r) = b.copy(&y);
    let n = b.op(OpKind::Norm, true, &a[1..], &["n₁"]);
    let n = b.op(ew("R"), false, &n, &["n₁"]);
    let o = bottleneck(&mut b, &[a[0], n[0]], false);
    b.add(&o, &r);
    b.end_block();
    b.legend("n_b = n₁/4");
    b.finish()
}

fn double_conv(b: &mut Builder, x: &[WireId], sp: &str, c: &str) -> Vec<WireId> {
    b.begin_block("Double convolution", "", None, x);
    let h = b.op(win("3", "", false), true, x, &[sp, c]);
    let r = b.op(ew("R"), false, &h[1..], &[c]);
    let h = b.op(win("3", "", false), true, &[h[0], r[0]], &[sp, c]);
    let r = b.op(ew("R"), false, &h[1..], &[c]);
    b.end_block();
    vec![h[0], r[0]]
}

/// Fig. 27: the U-Net as drawn.
#[must_use]
pub fn unet() -> Diagram {
    let mut b = Builder::new("U-Net (with padding)");
    let x = b.input(&["=x̄₁", "c₀"]);
    let lam = |lo: &str, hi: &str| {
        Some(Repeat::Lambda {
            lo: lo.into(),
            hi: hi.into(),
        })
    };
    b.begin_block("Down block", "", lam("1", "4"), &x);
    let h = double_conv(&mut b, &x, "=x̄_λ", "c_λ");
    let (s, k) = b.copy(&h);
    b.op(OpKind::Save("C_λ".into()), false, &s, &[]);
    let p = b.op(win("2", "2", false), false, &k[..1], &["=x̄_λ+1", "2²"]);
    b.op(OpKind::Reduce("Max".into()), false, &p[1..], &[]);
    b.end_block();
    let h = double_conv(&mut b, &[p[0], k[1]], "=x̄₅", "c₅");
    let u = b.op(win("2", "", true), false, &h[..1], &["=x̄₄", "2²"]);
    let c = b.op(lin("", true), true, &[h[1], u[1]], &["c₄"]);
    let cur = [u[0], c[0]];
    b.begin_block("Up block", "", lam("1", "3"), &cur);
    let l = b.op(
        OpKind::Load("C_5−λ".into()),
        false,
        &[],
        &["=x̄_5−λ", "c_5−λ"],
    );
    let cat = b.op(
        OpKind::Reshape,
        false,
        &[cur[0], cur[1], l[0], l[1]],
        &["=x̄_5−λ", "2c_5−λ"],
    );
    let h = double_conv(&mut b, &cat, "=x̄_5−λ", "c_5−λ");
    let u = b.op(win("2", "", true), false, &h[..1], &["=x̄_4−λ", "2²"]);
    let c = b.op(lin("", true), true, &[h[1], u[1]], &["c_4−λ"]);
    b.end_block();
    b.op(win("1", "", false), true, &[u[0], c[0]], &["=x̄₁", "y"]);
    b.legend("x̄ᵢ = 512·2^(1−i)");
    b.legend("c₀ = 1, cᵢ = 64·2^i");
    b.legend("y = 2");
    b.finish()
}

/// Fig. 28: visual attention, one head, windows before the linear maps.
#[must_use]
pub fn vit() -> Diagram {
    let mut b = Builder::new("Visual attention");
    let y = b.input(&["=ȳ", "c"]);
    let x = b.input(&["=x̄", "c"]);
    let (x1, x2) = b.copy(&x);
    let proj = |b: &mut Builder, w: &[WireId], n: &str| {
        let s = b.op(
            win("1", "", false),
            false,
            &w[..1],
            &[if n == "Q" { "=ȳ" } else { "=x̄" }, "1²"],
        );
        let k = b.op(lin(n, false), true, &[w[1], s[1]], &["k"]);
        vec![s[0], k[0]]
    };
    let q = proj(&mut b, &y, "Q");
    let k = proj(&mut b, &x1, "K");
    let v = proj(&mut b, &x2, "V");
    let o = sdpa(&mut b, &q, &k, &v, false);
    let s = b.op(win("1", "", true), false, &o[..1], &["=ȳ", "1²"]);
    b.op(lin("O", false), true, &[o[1], s[1]], &["c"]);
    b.legend("c = 33, k = 8, kernel 3, stride 3");
    b.finish()
}

/// The NCAP swimmer circuit: proprioception, B-neurons, oscillator and muscles per joint.
#[must_use]
pub fn ncap() -> Diagram {
    let mut b = Builder::new("NCAP swimmer circuit");
    let q = b.input(&["j", "θ"]);
    let s = b.op(OpKind::Other("shift j".into()), false, &q[..1], &["j"]);
    let bn = b.op(lin("B", false), true, &[q[1]], &["d|v"]);
    let o = b.op(OpKind::Load("osc(t)".into()), false, &[], &["j", "d|v"]);
    let a = b.add(&[s[0], bn[0]], &o);
    let c = b.op(ew("σ"), false, &a[1..], &["d|v"]);
    let m = b.op(lin("M", false), true, &c, &["d|v"]);
    b.op(OpKind::Other("d−v".into()), false, &m, &["τ"]);
    b.legend("j = joints, d|v = dorsal/ventral");
    b.finish()
}

/// A vanilla RNN cell, fed back T times.
#[must_use]
pub fn rnn() -> Diagram {
    let mut b = Builder::new("Vanilla RNN cell");
    let h = b.input(&["h"]);
    let x = b.input(&["x"]);
    let cell = [h[0], x[0]];
    b.begin_block(
        "RNN cell",
        "",
        Some(Repeat::Lambda {
            lo: "1".into(),
            hi: "T".into(),
        }),
        &cell,
    );
    let a = b.op(lin("W", false), true, &h, &["h"]);
    let u = b.op(lin("U", true), true, &x, &["h"]);
    let s = b.add(&a, &u);
    let t = b.op(ew("tanh"), false, &s, &["h"]);
    let (h2, y) = b.copy(&t);
    b.op(OpKind::Save("h_λ".into()), false, &y, &[]);
    let _ = h2;
    b.end_block();
    b.finish()
}
