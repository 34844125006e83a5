//! The NCAP swimmer circuit (Bhattasali, Zador & Engel 2022), shared-weight version, written
//! over a joint axis `j` (size `n`, head joint first) and a side axis `s` (dorsal, ventral).
//!
//! ```text
//! head:    bᵈ_0 = graded(w_osc·oᵈ)            bᵛ_0 = graded(w_osc·oᵛ)
//! i ≥ 1:   bᵈ_i = graded(w_prop·q̂ᵈ_{i−1})      bᵛ_i = graded(w_prop·q̂ᵛ_{i−1})
//! muscle:  mˢ_i = graded(w_ipsi·bˢ_i + w_contra·b^{s̄}_i)
//! torque:  a_i  = mᵈ_i − mᵛ_i
//! ```
//!
//! How each piece is said in the language:
//! - `graded(x) = clamp(x, 0, 1)` is `1 − relu(1 − relu(x))`;
//! - the dorsal/ventral split of `q̂` is `graded` of `q̂` and `−q̂` concatenated along `s`;
//! - "from the anterior joint" is a shift along the joint axis: the head's drive and the body
//!   drives are concatenated (`1 + n` positions), a zero is put in front (`n + 2`), and a
//!   centre crop by one gives `n` positions, `[head, q̂_0, …, q̂_{n−2}]`;
//! - the contralateral side is `Σ_s b − b` (for two sides, the other one);
//! - the torque is `Σ_s σ_s m_s` with the constant signs `σ = (+1, −1)`;
//! - the 4 weights are scalar linear maps broadcast over joints and sides (that is the
//!   sharing), starting at (+1, +1, +1, −1). The original's sign constraints
//!   (`excitatory(w) = relu(w)`, `inhibitory(w) = −relu(−w)`) are applied to the products,
//!   which is the same function and gradient because every weighted signal is ≥ 0 (the
//!   oscillator input must lie in [0, 1]).
//!
//! Inputs: `osc[b, h, s]` (the 2-channel head oscillator, `h` of size 1) and `q[b, j]`, the
//! normalised joint angles `q̂ ∈ [−1, 1]`. Output: `a[b, j]`. The tail's own angle drives
//! nothing (it is cropped away).

use crate::builder::{BuildError, Builder};
use crate::ir::{AxisId, AxisKind as K, Circuit, Func, Init, ReduceKind, ValueId};

type R<T> = Result<T, BuildError>;

/// `clamp(x, 0, 1)` as `1 − relu(1 − relu(x))`.
fn graded(b: &mut Builder, name: &str, x: ValueId) -> R<ValueId> {
    let r = b.map(&format!("{name}.relu"), x, Func::Relu)?;
    let n = b.map(&format!("{name}.neg"), r, Func::Scale(-1.0))?;
    let one = b.constant(&format!("{name}.one"), &[], 1.0)?;
    let u = b.add(&format!("{name}.1-"), n, one)?;
    let r2 = b.map(&format!("{name}.relu2"), u, Func::Relu)?;
    let n2 = b.map(&format!("{name}.neg2"), r2, Func::Scale(-1.0))?;
    b.add(name, n2, one)
}

/// `w·x` for a shared scalar weight `w` (a linear map over no axes, broadcast over all of
/// `x`'s), with the sign constraint of the original. Since `x ≥ 0` here, `relu(w)·x =
/// relu(w·x)` and `−relu(−w)·x = −relu(−w·x)`, so the clamp is applied to the product.
/// The map goes to a singleton axis `one` that is summed away at once, so the drawing has a
/// wire to hang the weight on.
fn weighted(b: &mut Builder, name: &str, x: ValueId, one: AxisId, excitatory: bool) -> R<ValueId> {
    let init = if excitatory { 1.0 } else { -1.0 };
    let p = b.param(name, &[one], Init::Const(init));
    let wx = b.linear_with(&format!("{name}·"), x, &[], &[one], p, None)?;
    let wx = b.reduce(&format!("{name}.squeeze"), wx, ReduceKind::Sum, &[one])?;
    if excitatory {
        b.map(&format!("{name}.exc"), wx, Func::Relu)
    } else {
        let n = b.map(&format!("{name}.neg"), wx, Func::Scale(-1.0))?;
        let r = b.map(&format!("{name}.relu"), n, Func::Relu)?;
        b.map(&format!("{name}.inh"), r, Func::Scale(-1.0))
    }
}

/// A value over `axes` plus a singleton axis `one`, equal to `x` (for concatenation).
fn lift(b: &mut Builder, name: &str, x: ValueId, axes: &[AxisId]) -> R<ValueId> {
    let z = b.constant(&format!("{name}.0"), axes, 0.0)?;
    b.add(name, z, x)
}

/// The NCAP swimmer: 5 joints, 4 shared weights.
pub fn ncap_swimmer() -> Circuit {
    super::built((|| -> R<Circuit> {
        let mut b = Builder::new("ncap_swimmer");
        for (s, v) in [("b", 1), ("n", 5)] {
            b.size(s, Some(v));
        }
        let bb = b.axis("b", "b", K::Batch)?;
        let j = b.axis("j", "n", K::Spatial)?;
        let s = b.axis("s", "2", K::Feature)?;
        let h = b.axis("h", "1", K::Spatial)?;
        let sd = b.axis("sd", "1", K::Feature)?;
        let sv = b.axis("sv", "1", K::Feature)?;
        let one = b.axis("w", "1", K::Feature)?;
        let osc = b.input("osc", &[bb, h, s]);
        let q = b.input("q", &[bb, j]);

        // B-neurons
        b.begin_block("B-neurons", 0, 1, false);
        // proprioception split into dorsal and ventral parts
        let qd = lift(&mut b, "q_d", q, &[bb, j, sd])?;
        let qneg = b.map("-q", q, Func::Scale(-1.0))?;
        let qv = lift(&mut b, "q_v", qneg, &[bb, j, sv])?;
        let qs = b.concat("q_dv", &[qd, qv], &[sd, sv], s)?;
        let qs = graded(&mut b, "split", qs)?;

        // B-neuron drives: oscillator on the head, anterior proprioception on the body
        let head = weighted(&mut b, "w_osc", osc, one, true)?;
        let body = weighted(&mut b, "w_prop", qs, one, true)?;
        let u = b.axis("u", "1 + n", K::Spatial)?;
        let drive = b.concat("drive", &[head, body], &[h, j], u)?;
        let z = b.axis("z", "1", K::Spatial)?;
        let zero = b.constant("pad", &[bb, z, s], 0.0)?;
        let p = b.axis("p", "2 + n", K::Spatial)?;
        let padded = b.concat("shift.pad", &[zero, drive], &[z, u], p)?;
        let shifted = b.crop("anterior", padded, &[(p, j, 1)])?;
        let bn = graded(&mut b, "B", shifted)?;
        b.end_block()?;

        // muscles: ipsilateral excitation, contralateral inhibition
        b.begin_block("muscles", 0, 1, false);
        let ipsi = weighted(&mut b, "w_ipsi", bn, one, true)?;
        let tot = b.reduce("Σ_s B", bn, ReduceKind::Sum, &[s])?;
        let negb = b.map("-B", bn, Func::Scale(-1.0))?;
        let other = b.add("contra side", negb, tot)?;
        let contra = weighted(&mut b, "w_contra", other, one, false)?;
        let pre = b.add("muscle in", ipsi, contra)?;
        let m = graded(&mut b, "M", pre)?;
        b.end_block()?;

        // torque = dorsal − ventral
        b.begin_block("torque", 0, 1, false);
        let plus = b.constant("+1", &[sd], 1.0)?;
        let minus = b.constant("-1", &[sv], -1.0)?;
        let sign = b.concat("σ", &[plus, minus], &[sd, sv], s)?;
        let signed = b.mul("σ·M", m, sign)?;
        let a = b.reduce("Σ_s", signed, ReduceKind::Sum, &[s])?;
        b.end_block()?;
        b.output(a);
        b.finish()
    })())
}
