//! A sparse mixture-of-experts block in Mixtral's form: RMSNorm, a bias-free router, the
//! top-k of its softmax renormalised, k of E SwiGLU experts, their weighted sum, a residual.

use crate::builder::Builder;
use crate::ir::{AxisKind as K, Circuit, Func, Init, ReduceKind};

/// How many experts each token is routed to (Mixtral's `num_experts_per_tok`).
const MOE_TOP_K: usize = 2;

/// Mixtral's sparse MoE block over tokens t and width m: `x + Σ_e w[t,e] · down_e(silu(
/// gate_e(n)) ⊙ up_e(n))`, `n = RMSNorm(x)`, where `w = softmax over e of the router logits
/// kept at their top k` (equal to Mixtral's softmax, top-k, renormalise) is zero for the
/// experts a token is not routed to. E experts (axis e), expert hidden width f.
///
/// The executor runs every expert on every token and the zero weights drop the unrouted
/// ones, so outputs and gradients are Mixtral's; the cost model counts this dense work,
/// E/k times the routed FLOPs of an implementation that gathers each expert's tokens.
/// m + me + 3mef parameters (24,736 at the defaults).
pub fn moe_block() -> Circuit {
    super::built((|| {
        let mut b = Builder::new("moe_block");
        for (s, v) in [("t", 8), ("m", 32), ("e", 4), ("f", 64)] {
            b.size(s, Some(v));
        }
        let t = b.axis("t", "t", K::Token)?;
        let m = b.axis("m", "m", K::Feature)?;
        let e = b.axis("e", "e", K::Head)?;
        let f = b.axis("f", "f", K::Feature)?;
        let x = b.input("x", &[t, m]);
        let n = b.rms_norm("norm", x, &[m], 1e-5)?;
        let logits = b.linear("router", n, &[m], &[e], false)?;
        let w = b.top_k("top_k", logits, e, MOE_TOP_K)?;
        let w = b.softmax("routing", w, &[e])?;
        // every expert's gate and up projections at once: m → (e, f)
        let gate = b.linear("gate_proj", n, &[m], &[e, f], false)?;
        let gate = b.map("silu", gate, Func::Silu)?;
        let up = b.linear("up_proj", n, &[m], &[e, f], false)?;
        let h = b.mul("swiglu", gate, up)?;
        let wd = b.param("down_proj.W", &[e, f, m], Init::FanIn(vec![f]));
        let d = b.grouped_linear("down_proj", h, &[e], &[f], &[m], wd, None)?;
        let d = b.mul("weight", d, w)?;
        let s = b.reduce("combine", d, ReduceKind::Sum, &[e])?;
        let y = b.add("residual", x, s)?;
        b.output(y);
        b.finish()
    })())
}
