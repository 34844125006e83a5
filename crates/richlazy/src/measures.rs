//! The measures of how far learning moves a circuit, as defined in the original's
//! `main.py` (BioRNN_RichLazy): `‖W_h(T) − W_h(0)‖_F` of the recurrent weights, the
//! uncentred alignment of the decision-step state Gram matrices (RA), the alignment of the
//! tangent kernels restricted to `W_h` (KA) and sign similarity; plus the reviewers' extras
//! (kernel–target alignment, effective ranks), decision accuracy and the centred alignment
//! (CKA) that Kornblith et al. (2019) recommend over RA. [`Measure`] names the
//! ones tracked over training.

use crate::kernel::TangentKernel;
use crate::linalg::{LinalgError, frobenius, singular_values};
use serde::{Deserialize, Serialize};

/// Frobenius cosine `⟨A, B⟩ / (‖A‖ ‖B‖)`; 0 when either is zero.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

/// `‖W(T) − W(0)‖_F` and the same divided by `‖W(0)‖_F` (0 when `W(0) = 0`).
pub fn weight_change(w0: &[f64], wt: &[f64]) -> (f64, f64) {
    let d: f64 = w0
        .iter()
        .zip(wt)
        .map(|(a, b)| (b - a) * (b - a))
        .sum::<f64>()
        .sqrt();
    let n0 = frobenius(w0);
    (d, if n0 > 0.0 { d / n0 } else { 0.0 })
}

/// `H Hᵀ` of a row-major `p × n` matrix.
pub fn gram(h: &[f64], p: usize, n: usize) -> Vec<f64> {
    let mut g = vec![0.0; p * p];
    nc_core::gemm::gemm_internal(
        1.0,
        nc_core::gemm::MatRef::row_major(h, p, n),
        nc_core::gemm::MatRef::row_major(h, p, n).t(),
        0.0,
        nc_core::gemm::MatMut::row_major(&mut g, p, p),
    );
    g
}

/// Representation alignment: uncentred cosine between `K_R = H Hᵀ` before and after, with
/// `H` the decision-step states of the probe trials (`p × n`).
pub fn representation_alignment(h0: &[f64], ht: &[f64], p: usize, n: usize) -> f64 {
    cosine(&gram(h0, p, n), &gram(ht, p, n))
}

/// Linear centred kernel alignment (CKA, Kornblith et al. 2019) of two sets of states of the
/// same `p` trials (`p × n`, row-major): the cosine between the Gram matrices of the states
/// after each unit's mean over trials is removed, `‖Ycᵀ Xc‖_F² / (‖Xcᵀ Xc‖_F ‖Ycᵀ Yc‖_F)`.
/// Unlike [`representation_alignment`], a shared offset of every state does not count as
/// alignment. 0 when either centred set is zero.
pub fn centred_kernel_alignment(h0: &[f64], ht: &[f64], p: usize, n: usize) -> f64 {
    representation_alignment(&centre_columns(h0, p, n), &centre_columns(ht, p, n), p, n)
}

/// `H` with each column's mean over the `p` rows removed.
fn centre_columns(h: &[f64], p: usize, n: usize) -> Vec<f64> {
    let mut mean = vec![0.0; n];
    for row in h.chunks_exact(n) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += v;
        }
    }
    let inv = 1.0 / p.max(1) as f64;
    let mut out = h.to_vec();
    for row in out.chunks_exact_mut(n) {
        for (v, m) in row.iter_mut().zip(&mean) {
            *v -= m * inv;
        }
    }
    out
}

/// Fraction of entries whose sign (−1, 0, +1 as in `np.sign`) is unchanged.
pub fn sign_similarity(h0: &[f64], ht: &[f64]) -> f64 {
    let sgn = |v: f64| {
        if v > 0.0 {
            1
        } else if v < 0.0 {
            -1
        } else {
            0
        }
    };
    let same = h0
        .iter()
        .zip(ht)
        .filter(|(a, b)| sgn(**a) == sgn(**b))
        .count();
    same as f64 / h0.len().max(1) as f64
}

/// Kernel–target alignment `yᵀ K y / (‖y‖² tr K)` (0 for a zero kernel or target).
pub fn kernel_target_alignment(k: &TangentKernel, y: &[f64]) -> f64 {
    let r = k.rows;
    let tr: f64 = (0..r).map(|i| k.k[i * r + i]).sum();
    let yy: f64 = y.iter().map(|v| v * v).sum();
    if tr == 0.0 || yy == 0.0 {
        return 0.0;
    }
    let mut q = 0.0;
    for i in 0..r {
        let row = &k.k[i * r..(i + 1) * r];
        q += y[i] * row.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    }
    q / (yy * tr)
}

/// Four continuous measures of a matrix's effective rank (all 0 for a zero matrix).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EffectiveRanks {
    /// `Σσ_i / σ_1` (nuclear over spectral norm), in `[1, N]`.
    pub nuclear: f64,
    /// Roy–Vetterli entropy rank `exp(−Σ p_i ln p_i)`, `p_i = σ_i / Σσ`.
    pub entropy: f64,
    /// Stable rank `‖W‖_F² / σ_1²`.
    pub stable: f64,
    /// Participation ratio of the squared spectrum `(Σσ_i²)² / Σσ_i⁴` (0 in runs saved
    /// before it was computed).
    #[serde(default)]
    pub participation: f64,
}

/// Effective ranks of a row-major `rows × cols` matrix.
pub fn effective_ranks(w: &[f64], rows: usize, cols: usize) -> Result<EffectiveRanks, LinalgError> {
    let s = singular_values(w, rows, cols)?;
    Ok(ranks_from_singular_values(&s))
}

/// Effective ranks from singular values (any order).
pub fn ranks_from_singular_values(s: &[f64]) -> EffectiveRanks {
    let s1 = s.iter().copied().fold(0.0, f64::max);
    let sum: f64 = s.iter().sum();
    if s1 <= 0.0 || sum <= 0.0 {
        return EffectiveRanks::default();
    }
    let h: f64 = s
        .iter()
        .filter(|&&v| v > 0.0)
        .map(|&v| -(v / sum) * (v / sum).ln())
        .sum();
    let fro2: f64 = s.iter().map(|v| v * v).sum();
    let fro4: f64 = s.iter().map(|v| v.powi(4)).sum();
    EffectiveRanks {
        nuclear: sum / s1,
        entropy: h.exp(),
        stable: fro2 / (s1 * s1),
        participation: fro2 * fro2 / fro4,
    }
}

/// Fraction of trials whose arg-max logit at `step` equals the label.
pub fn accuracy(y: &[f64], labels: &[u32], step: usize, batch: usize, n_out: usize) -> f64 {
    let mut correct = 0usize;
    for b in 0..batch {
        let r = step * batch + b;
        let row = &y[r * n_out..(r + 1) * n_out];
        let mut best = 0;
        for (j, v) in row.iter().enumerate() {
            if *v > row[best] {
                best = j;
            }
        }
        if best as u32 == labels[r] {
            correct += 1;
        }
    }
    correct as f64 / batch.max(1) as f64
}

/// A measure tracked over training, as named in the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// `‖W_h(t) − W_h(0)‖_F`.
    WeightChange,
    /// The same over `‖W_h(0)‖_F`.
    WeightChangeRel,
    /// Tangent kernel alignment `K(0)·K(t)`.
    Ka,
    /// Representation alignment at the decision step.
    Ra,
    /// Centred kernel alignment (CKA) of the decision-step states.
    Cka,
    /// Sign similarity of decision-step states.
    SignSimilarity,
    /// Decision-step accuracy on the probe set.
    Accuracy,
    /// Kernel–target alignment of `K(t)`.
    Kta,
}

impl Measure {
    /// Every measure, in table order.
    pub const ALL: [Measure; 8] = [
        Measure::WeightChange,
        Measure::WeightChangeRel,
        Measure::Ka,
        Measure::Ra,
        Measure::SignSimilarity,
        Measure::Accuracy,
        Measure::Kta,
        Measure::Cka,
    ];

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Measure::WeightChange => "weight_change",
            Measure::WeightChangeRel => "weight_change_rel",
            Measure::Ka => "ka",
            Measure::Ra => "ra",
            Measure::Cka => "cka",
            Measure::SignSimilarity => "sign_similarity",
            Measure::Accuracy => "accuracy",
            Measure::Kta => "kta",
        }
    }

    /// The measure called `name`, if any.
    pub fn from_name(name: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Its value in `m`.
    pub fn of(self, m: &crate::train::Measures) -> f64 {
        match self {
            Measure::WeightChange => m.weight_change,
            Measure::WeightChangeRel => m.weight_change_rel,
            Measure::Ka => m.ka,
            Measure::Ra => m.ra,
            Measure::Cka => m.cka,
            Measure::SignSimilarity => m.sign_similarity,
            Measure::Accuracy => m.accuracy,
            Measure::Kta => m.kta,
        }
    }

    /// A label for figures (plain Unicode: no markup).
    pub fn title(self) -> &'static str {
        match self {
            Measure::WeightChange => "‖ΔWₕ‖ (Frobenius)",
            Measure::WeightChangeRel => "‖ΔWₕ‖ / ‖Wₕ(0)‖ (Frobenius)",
            Measure::Ka => "tangent kernel alignment",
            Measure::Ra => "representation alignment",
            Measure::Cka => "centred kernel alignment (CKA)",
            Measure::SignSimilarity => "sign similarity",
            Measure::Accuracy => "decision accuracy",
            Measure::Kta => "kernel–target alignment",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_measure_has_its_own_name_and_field() {
        let m = crate::train::Measures {
            iter: 0,
            weight_change: 1.0,
            weight_change_rel: 2.0,
            ka: 3.0,
            ra: 4.0,
            sign_similarity: 5.0,
            accuracy: 6.0,
            kta: 7.0,
            cka: 8.0,
        };
        for (i, k) in Measure::ALL.into_iter().enumerate() {
            assert_eq!(k.of(&m), (i + 1) as f64, "{k:?}");
            assert_eq!(Measure::from_name(k.name()), Some(k));
            assert!(!k.title().contains('_'), "{}", k.title());
        }
        assert_eq!(Measure::from_name("nope"), None);
    }

    #[test]
    fn effective_ranks_by_hand() {
        // diag(3, 1): nuclear 4/3, stable 10/9, participation 100/82, entropy exp(H(3/4, 1/4))
        let r = effective_ranks(&[3.0, 0.0, 0.0, 1.0], 2, 2).unwrap();
        assert!((r.nuclear - 4.0 / 3.0).abs() < 1e-12);
        assert!((r.participation - 100.0 / 82.0).abs() < 1e-12);
        assert!((r.stable - 10.0 / 9.0).abs() < 1e-12);
        let h: f64 = -(0.75f64 * 0.75f64.ln() + 0.25 * 0.25f64.ln());
        assert!((r.entropy - h.exp()).abs() < 1e-12);
        // identity: every measure equals N
        let r = effective_ranks(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], 3, 3).unwrap();
        assert!(
            (r.nuclear - 3.0).abs() < 1e-12
                && (r.entropy - 3.0).abs() < 1e-12
                && (r.stable - 3.0).abs() < 1e-12
                && (r.participation - 3.0).abs() < 1e-12
        );
        assert_eq!(
            effective_ranks(&[0.0; 4], 2, 2).unwrap(),
            EffectiveRanks::default()
        );
    }

    #[test]
    fn cka_by_hand_ignores_offsets_that_ra_counts() {
        // one unit: CKA is the squared Pearson correlation, (−1,0,1)·(−1,1,0) = 1 over 2·2
        assert!(
            (centred_kernel_alignment(&[1.0, 2.0, 3.0], &[1.0, 3.0, 2.0], 3, 1) - 0.25).abs()
                < 1e-15
        );
        // a shared offset of every state: CKA stays 1, RA does not
        let h = [1.0, 0.0, 0.0, 1.0, -1.0, 2.0];
        let shifted: Vec<f64> = h.iter().map(|v| v + 5.0).collect();
        assert!((centred_kernel_alignment(&h, &shifted, 3, 2) - 1.0).abs() < 1e-12);
        assert!(representation_alignment(&h, &shifted, 3, 2) < 0.95);
        // a rotation and a scaling of the units leave it at 1
        let (c, s) = (0.6, 0.8);
        let rot: Vec<f64> = h
            .chunks(2)
            .flat_map(|r| [3.0 * (c * r[0] - s * r[1]), 3.0 * (s * r[0] + c * r[1])])
            .collect();
        assert!((centred_kernel_alignment(&h, &rot, 3, 2) - 1.0).abs() < 1e-12);
        // states that do not vary across trials have no centred kernel
        assert_eq!(
            centred_kernel_alignment(&[1.0, 1.0], &[1.0, 2.0], 2, 1),
            0.0
        );
    }

    #[test]
    fn alignment_and_change_by_hand() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 1.0]) - 0.5f64.sqrt()).abs() < 1e-15);
        assert_eq!(weight_change(&[3.0, 4.0], &[3.0, 5.0]), (1.0, 0.2));
        // scaling the states leaves RA at 1; rotating one state away lowers it
        let h = [1.0, 0.0, 0.0, 1.0];
        assert!((representation_alignment(&h, &[2.0, 0.0, 0.0, 2.0], 2, 2) - 1.0).abs() < 1e-15);
        assert!(representation_alignment(&h, &[1.0, 0.0, 1.0, 0.0], 2, 2) < 0.99);
        assert_eq!(
            sign_similarity(&[1.0, 0.0, -1.0, 2.0], &[3.0, 0.0, 1.0, 0.0]),
            0.5
        );
        let k = TangentKernel {
            rows: 2,
            k: vec![2.0, 0.0, 0.0, 0.0],
        };
        assert!((kernel_target_alignment(&k, &[1.0, 0.0]) - 1.0).abs() < 1e-15);
        assert!((kernel_target_alignment(&k, &[0.0, 1.0])).abs() < 1e-15);
        assert_eq!(
            accuracy(&[0.0, 1.0, 0.0, 5.0, 0.0, 0.0], &[1, 2], 0, 2, 3),
            0.5
        );
    }
}
