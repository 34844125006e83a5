use crate::builder::{BuildError, Builder, WindowSpec};
use crate::ir::{AxisId, AxisKind as K, Circuit, Func, ReduceKind, ValueId};
use crate::size::SizeExpr;

type R<T> = Result<T, BuildError>;

/// Scaled dot-product attention (Fig. 20): Q over (y, k), K and V over (x, k).
pub fn sdpa() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("sdpa");
        for (s, v) in [("y", 8), ("x", 10), ("k", 16)] {
            b.size(s, Some(v));
        }
        let y = b.axis("y", "y", K::Token)?;
        let x = b.axis("x", "x", K::Token)?;
        let k = b.axis("k", "k", K::Feature)?;
        let q = b.input("Q", &[y, k]);
        let kk = b.input("K", &[x, k]);
        let v = b.input("V", &[x, k]);
        let s = b.einsum("scores", "y k, x k -> y x", &[q, kk])?;
        let s = b.map("scale", s, Func::ScaleBySize(SizeExpr::sym("k"), -0.5))?;
        let a = b.softmax("softmax", s, &[x])?;
        let o = b.einsum("mix", "y x, x k -> y k", &[a, v])?;
        b.output(o);
        b.finish()
    })())
}

/// Multi-head attention core over existing axes; returns the output over (…, y, m).
#[allow(clippy::too_many_arguments)]
pub(crate) fn mha_core(
    b: &mut Builder,
    xq: ValueId,
    xkv: ValueId,
    y: AxisId,
    x: AxisId,
    m: AxisId,
    k: AxisId,
    h: AxisId,
    bias: bool,
) -> R<ValueId> {
    let nm = |a: AxisId| b.circuit().axis(a).name.clone();
    let (yn, xn, kn, hn) = (nm(y), nm(x), nm(k), nm(h));
    let q = b.linear("LQ", xq, &[m], &[k, h], bias)?;
    let kk = b.linear("LK", xkv, &[m], &[k, h], bias)?;
    let v = b.linear("LV", xkv, &[m], &[k, h], bias)?;
    let s = b.einsum(
        "scores",
        &format!("{yn} {kn} {hn}, {xn} {kn} {hn} -> {yn} {xn} {hn}"),
        &[q, kk],
    )?;
    let s = b.map(
        "scale",
        s,
        Func::ScaleBySize(b.circuit().axis(k).size.clone(), -0.5),
    )?;
    let a = b.softmax("softmax", s, &[x])?;
    let o = b.einsum(
        "mix",
        &format!("{yn} {xn} {hn}, {xn} {kn} {hn} -> {yn} {kn} {hn}"),
        &[a, v],
    )?;
    b.linear("LO", o, &[k, h], &[m], bias)
}

/// Multi-head attention as in Fig. 21, bias-free: queries from (y, m), keys and values from
/// the copied (x, m). 4·m·k·h parameters (32,768 at m = 128, k = 16, h = 4).
pub fn mha() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("mha");
        for (s, v) in [("m", 128), ("k", 16), ("h", 4), ("y", 20), ("x", 22)] {
            b.size(s, Some(v));
        }
        let y = b.axis("y", "y", K::Token)?;
        let x = b.axis("x", "x", K::Token)?;
        let m = b.axis("m", "m", K::Feature)?;
        let k = b.axis("k", "k", K::Feature)?;
        let h = b.axis("h", "h", K::Head)?;
        let xq = b.input("X", &[y, m]);
        let z = b.input("Z", &[x, m]);
        let zc = b.copy("copy", z, 2)?;
        let q = b.linear("LQ", xq, &[m], &[k, h], false)?;
        let kk = b.linear("LK", zc[0], &[m], &[k, h], false)?;
        let v = b.linear("LV", zc[1], &[m], &[k, h], false)?;
        let s = b.einsum("scores", "y k h, x k h -> y x h", &[q, kk])?;
        let s = b.map("scale", s, Func::ScaleBySize(SizeExpr::sym("k"), -0.5))?;
        let a = b.softmax("softmax", s, &[x])?;
        let o = b.einsum("mix", "y x h, x k h -> y k h", &[a, v])?;
        let out = b.linear("LO", o, &[k, h], &[m], false)?;
        b.output(out);
        b.finish()
    })())
}

struct Axes {
    t: AxisId,
    s: AxisId,
    m: AxisId,
    k: AxisId,
    h: AxisId,
    f: AxisId,
}

fn axes(b: &mut Builder, token: &str) -> R<Axes> {
    Ok(Axes {
        t: b.axis("t", token, K::Token)?,
        s: b.axis("s", token, K::Token)?,
        m: b.axis("m", "m", K::Feature)?,
        k: b.axis("k", "m / h", K::Feature)?,
        h: b.axis("h", "h", K::Head)?,
        f: b.axis("f", "4*m", K::Feature)?,
    })
}

/// One pre-norm block: x + MHA(LN(x)), then + MLP(LN(·)) with GELU. Self-attention gives the
/// keys their own token axis `s` (a renamed copy of `t`), so queries and keys stay distinct.
fn block(b: &mut Builder, x: ValueId, a: &Axes) -> R<ValueId> {
    let n1 = b.layer_norm("ln1", x, &[a.m])?;
    let kv = b.rename("keys", n1, a.t, a.s)?;
    let att = mha_core(b, n1, kv, a.t, a.s, a.m, a.k, a.h, true)?;
    let x = b.add("residual1", x, att)?;
    let n2 = b.layer_norm("ln2", x, &[a.m])?;
    let u = b.linear("up", n2, &[a.m], &[a.f], true)?;
    let u = b.map("gelu", u, Func::Gelu)?;
    let d = b.linear("down", u, &[a.f], &[a.m], true)?;
    b.add("residual2", x, d)
}

/// A pre-norm transformer block over (b, t, m) with h heads of width m/h and a 4m MLP.
pub fn transformer_block() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("transformer_block");
        for (s, v) in [("b", 2), ("t", 16), ("m", 64), ("h", 4)] {
            b.size(s, Some(v));
        }
        b.constraint(crate::size::Constraint::Divides(
            SizeExpr::sym("h"),
            SizeExpr::sym("m"),
        ));
        let n = b.axis("b", "b", K::Batch)?;
        let a = axes(&mut b, "t")?;
        let x = b.input("x", &[n, a.t, a.m]);
        let y = block(&mut b, x, &a)?;
        b.output(y);
        b.finish()
    })())
}

/// Learned positions added to `tokens`, then `depth` pre-norm blocks with their own weights,
/// then the final layer norm `ln_f`: the trunk the transformer and the ViT share.
fn encoder(b: &mut Builder, tokens: ValueId, a: &Axes, depth: u32) -> R<ValueId> {
    let pos = b.learned("pos", &[a.t, a.m])?;
    let mut x = b.add("add_pos", tokens, pos)?;
    for i in 0..depth {
        b.begin_block("Block", i, depth, false);
        x = block(b, x, a)?;
        b.end_block()?;
    }
    b.layer_norm("ln_f", x, &[a.m])
}

/// A decoder-style transformer: token embedding, learned positions, N blocks (own weights),
/// final LN and an unembedding to the vocabulary.
pub fn transformer() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("transformer");
        for (s, v) in [("b", 2), ("t", 16), ("m", 64), ("h", 4), ("v", 100)] {
            b.size(s, Some(v));
        }
        let n = b.axis("b", "b", K::Batch)?;
        let a = axes(&mut b, "t")?;
        let voc = b.axis("v", "v", K::Feature)?;
        let ids = b.index_input("tokens", &[n, a.t]);
        let e = b.embed("embed", ids, voc, &[a.m])?;
        let x = encoder(&mut b, e, &a, 2)?;
        let voc_out = b.axis("v_out", "v", K::Feature)?;
        let logits = b.linear("unembed", x, &[a.m], &[voc_out], false)?;
        b.output(logits);
        b.finish()
    })())
}

/// A vision transformer: p×p patches by a window ★ with stride p, a linear patch embedding,
/// learned positions, N pre-norm blocks, mean pooling over patches and a linear head.
pub fn vit() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("vit");
        for (s, v) in [
            ("b", 2),
            ("c", 3),
            ("H", 32),
            ("m", 64),
            ("h", 4),
            ("o", 10),
        ] {
            b.size(s, Some(v));
        }
        let p = 8;
        let n = b.axis("b", "b", K::Batch)?;
        let c = b.axis("c", "c", K::Feature)?;
        let hh = b.axis("H", "H", K::Spatial)?;
        let ww = b.axis("W", "H", K::Spatial)?;
        let a = axes(&mut b, "(H/8)*(H/8)")?;
        let o = b.axis("o", "o", K::Feature)?;
        let img = b.input("image", &[n, c, hh, ww]);
        let (patches, sp) = b.window(
            "patchify",
            img,
            &[
                (hh, WindowSpec::new(p).stride(p)),
                (ww, WindowSpec::new(p).stride(p)),
            ],
        )?;
        let emb = b.linear("patch_embed", patches, &[c, sp[0].1, sp[1].1], &[a.m], true)?;
        let tokens = b.reshape("tokens", emb, &[sp[0].0, sp[1].0], &[a.t])?;
        let x = encoder(&mut b, tokens, &a, 2)?;
        let pooled = b.reduce("pool", x, ReduceKind::Mean, &[a.t])?;
        let logits = b.linear("head", pooled, &[a.m], &[o], true)?;
        b.output(logits);
        b.finish()
    })())
}

/// The notebook's visual attention: Q, K, V by 3×3 windows with stride 3 plus linear maps
/// (one head shown per head axis), output by a transposed window. On 16×16 it returns 15×15:
/// the checker's W001 names the floor division that drops a row and a column.
pub fn visual_attention() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("visual_attention");
        for (s, v) in [("b", 1), ("c", 33), ("k", 8), ("h", 4), ("H", 16)] {
            b.size(s, Some(v));
        }
        let n = b.axis("b", "b", K::Batch)?;
        let c = b.axis("c", "c", K::Feature)?;
        let k = b.axis("k", "k", K::Feature)?;
        let h = b.axis("h", "h", K::Head)?;
        let hh = b.axis("H", "H", K::Spatial)?;
        let ww = b.axis("W", "H", K::Spatial)?;
        let x = b.input("x", &[n, c, hh, ww]);
        let spec = WindowSpec::new(3).stride(3);
        let (win, sp) = b.window("window", x, &[(hh, spec), (ww, spec)])?;
        let (ho, kh) = sp[0];
        let (wo, kw) = sp[1];
        let y = b.axis("y", "((H - 3)//3 + 1)*((H - 3)//3 + 1)", K::Token)?;
        let xk = b.axis("x", "((H - 3)//3 + 1)*((H - 3)//3 + 1)", K::Token)?;
        let q = b.linear("LQ", win, &[c, kh, kw], &[k, h], true)?;
        let q = b.reshape("q_tokens", q, &[ho, wo], &[y])?;
        let kk = b.linear("LK", win, &[c, kh, kw], &[k, h], true)?;
        let kk = b.reshape("k_tokens", kk, &[ho, wo], &[xk])?;
        let v = b.linear("LV", win, &[c, kh, kw], &[k, h], true)?;
        let v = b.reshape("v_tokens", v, &[ho, wo], &[xk])?;
        let s = b.einsum("scores", "y k h, x k h -> y x h", &[q, kk])?;
        let s = b.map("scale", s, Func::ScaleBySize(SizeExpr::sym("k"), -0.5))?;
        let a = b.softmax("softmax", s, &[xk])?;
        let o = b.einsum("mix", "y x h, x k h -> y k h", &[a, v])?;
        let o = b.reshape("grid", o, &[y], &[ho, wo])?;
        let h2 = b.axis("H2", "3*((H - 3)//3 + 1)", K::Spatial)?;
        let w2 = b.axis("W2", "3*((H - 3)//3 + 1)", K::Spatial)?;
        // the output map reads (k, h) together: merge heads first
        let kh_ax = b.axis("kh", "k*h", K::Feature)?;
        let merged = b.reshape("merge_heads", o, &[k, h], &[kh_ax])?;
        let out = b.up_conv(
            "LO",
            merged,
            kh_ax,
            c,
            &[(ho, h2, 3, 3), (wo, w2, 3, 3)],
            true,
        )?;
        b.output(out);
        b.finish()
    })())
}
