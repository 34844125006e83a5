//! A LLaMA decoder block: RMSNorm, grouped-query attention with rotary positions and a causal
//! mask, a SwiGLU MLP, no biases.

use crate::builder::Builder;
use crate::ir::{AxisKind as K, Circuit, Func};
use crate::size::{Constraint, SizeExpr};

/// One LLaMA block over (b, t, m): `x + o(attn(rope(q), rope(k), v))` on `RMSNorm(x)`, then
/// `+ down(silu(gate(·)) ⊙ up(·))` on `RMSNorm(·)`. Query heads h share key/value heads g in
/// groups of r = h/g (query head `g·r + i` reads key head `g`, as `repeat_kv`); head width
/// k = m/h; MLP hidden f. 2m² + 2m²g/h + 3mf + 2m parameters (36,992 at the defaults).
pub fn llama_block() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("llama_block");
        for (s, v) in [
            ("b", 2),
            ("t", 16),
            ("m", 64),
            ("h", 4),
            ("g", 2),
            ("f", 128),
        ] {
            b.size(s, Some(v));
        }
        b.constraint(Constraint::Divides(SizeExpr::sym("h"), SizeExpr::sym("m")));
        b.constraint(Constraint::Divides(SizeExpr::sym("g"), SizeExpr::sym("h")));
        let n = b.axis("b", "b", K::Batch)?;
        let t = b.axis("t", "t", K::Token)?;
        let s = b.axis("s", "t", K::Token)?;
        let m = b.axis("m", "m", K::Feature)?;
        let h = b.axis("h", "h", K::Head)?;
        let g = b.axis("g", "g", K::Head)?;
        b.axis("r", "h / g", K::Head)?;
        let k = b.axis("k", "m / h", K::Feature)?;
        let f = b.axis("f", "f", K::Feature)?;
        let x = b.input("x", &[n, t, m]);
        let n1 = b.rms_norm("input_norm", x, &[m], 1e-5)?;
        let q = b.linear("q_proj", n1, &[m], &[h, k], false)?;
        let kk = b.linear("k_proj", n1, &[m], &[g, k], false)?;
        let v = b.linear("v_proj", n1, &[m], &[g, k], false)?;
        let q = b.rope("rope_q", q, t, k, 10000.0)?;
        let kk = b.rope("rope_k", kk, t, k, 10000.0)?;
        let kk = b.rename("keys", kk, t, s)?;
        let v = b.rename("values", v, t, s)?;
        // query head h = (g r): the einsums view it grouped, so no reshape is drawn
        let sc = b.einsum("scores", "t h:(g r) k, s g k -> t s g r", &[q, kk])?;
        let width = b.circuit().axis(k).size.clone();
        let sc = b.map("scale", sc, Func::ScaleBySize(width, -0.5))?;
        let sc = b.mask("causal", sc, t, s, None, Some(0))?;
        let a = b.softmax("softmax", sc, &[s])?;
        let o = b.einsum("mix", "t s g r, s g k -> t h:(g r) k", &[a, v])?;
        let o = b.linear("o_proj", o, &[h, k], &[m], false)?;
        let x = b.add("residual1", x, o)?;
        let n2 = b.rms_norm("post_norm", x, &[m], 1e-5)?;
        let gate = b.linear("gate_proj", n2, &[m], &[f], false)?;
        let gate = b.map("silu", gate, Func::Silu)?;
        let up = b.linear("up_proj", n2, &[m], &[f], false)?;
        let u = b.mul("swiglu", gate, up)?;
        let d = b.linear("down_proj", u, &[f], &[m], false)?;
        let y = b.add("residual2", x, d)?;
        b.output(y);
        b.finish()
    })())
}
