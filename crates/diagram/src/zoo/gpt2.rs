//! GPT-2's transformer block: pre-norm, a fused QKV projection split in three, causal
//! multi-head attention, a tanh-GELU MLP of width 4m, biases everywhere.

use crate::builder::Builder;
use crate::ir::{AxisKind as K, Circuit, Func};
use crate::size::{Constraint, SizeExpr};

/// One GPT-2 block over (b, t, m): `x + proj(attn(split(qkv(LN(x)))))`, then
/// `+ down(gelu(up(LN(·))))`. Heads are head-major in the features (feature `h·k + kk`), as
/// GPT-2's `view(b, t, h, k)`; keys and values get their own token axis `s`, and the
/// attention is causal over (t, s). 12m² + 13m parameters (49,984 at m = 64).
pub fn gpt2_block() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("gpt2_block");
        for (s, v) in [("b", 2), ("t", 16), ("m", 64), ("h", 4)] {
            b.size(s, Some(v));
        }
        b.constraint(Constraint::Divides(SizeExpr::sym("h"), SizeExpr::sym("m")));
        let n = b.axis("b", "b", K::Batch)?;
        let t = b.axis("t", "t", K::Token)?;
        let s = b.axis("s", "t", K::Token)?;
        let m = b.axis("m", "m", K::Feature)?;
        let f3 = b.axis("qkv", "3*m", K::Feature)?;
        let parts = [
            b.axis("q", "m", K::Feature)?,
            b.axis("kv", "m", K::Feature)?,
            b.axis("v", "m", K::Feature)?,
        ];
        let h = b.axis("h", "h", K::Head)?;
        let k = b.axis("k", "m / h", K::Feature)?;
        let hk = b.axis("hk", "m", K::Feature)?;
        let f = b.axis("f", "4*m", K::Feature)?;
        let x = b.input("x", &[n, t, m]);
        let n1 = b.layer_norm("ln_1", x, &[m])?;
        let qkv = b.linear("c_attn", n1, &[m], &[f3], true)?;
        let split = b.split("split", qkv, f3, &parts)?;
        let q = b.reshape("heads_q", split[0], &[parts[0]], &[h, k])?;
        let kk = b.reshape("heads_k", split[1], &[parts[1]], &[h, k])?;
        let kk = b.rename("keys", kk, t, s)?;
        let v = b.reshape("heads_v", split[2], &[parts[2]], &[h, k])?;
        let v = b.rename("values", v, t, s)?;
        let sc = b.einsum("scores", "t h k, s h k -> t s h", &[q, kk])?;
        let width = b.circuit().axis(k).size.clone();
        let sc = b.map("scale", sc, Func::ScaleBySize(width, -0.5))?;
        let sc = b.mask("causal", sc, t, s, None, Some(0))?;
        let a = b.softmax("softmax", sc, &[s])?;
        let o = b.einsum("mix", "t s h, s h k -> t h k", &[a, v])?;
        let o = b.reshape("merge", o, &[h, k], &[hk])?;
        let o = b.linear("c_proj", o, &[hk], &[m], true)?;
        let x = b.add("residual1", x, o)?;
        let n2 = b.layer_norm("ln_2", x, &[m])?;
        let u = b.linear("c_fc", n2, &[m], &[f], true)?;
        let u = b.map("gelu", u, Func::Gelu)?;
        let d = b.linear("mlp_proj", u, &[f], &[m], true)?;
        let y = b.add("residual2", x, d)?;
        b.output(y);
        b.finish()
    })())
}
