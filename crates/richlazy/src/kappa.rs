//! Experiment 3, the aligned exception (the paper's Fig. 3): the two-layer linear network on
//! anisotropic features `z = F x`, where F's top half of singular values equal κ and the
//! bottom half 1, with teacher `y = wᵀz`. Compared: random rank 1, random full rank, aligned
//! (`W₁ ∝ u wᵀ`) and partially aligned (the rank-d/2 truncation of F).
//!
//! With `Σ = F Fᵀ` (whitened x), the residual direction is `v = Σ(W₁ᵀw₂ − w)`, the loss is
//! `½ (W₁ᵀw₂ − w)ᵀ Σ (W₁ᵀw₂ − w)` and `⟨ZᵀAZ, ZᵀBZ⟩ = n² tr(ΣAΣB)`, so KA is the cosine of
//! `S M S` with `S = Σ^{1/2}`.

use crate::init::gaussian;
use crate::linalg::{LinalgError, haar_orthogonal, svd};
use crate::measures::cosine;
use crate::theory::{kernels, scale_to};
use nc_core::rng::stream;
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// Initialisations compared in Fig. 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KappaInit {
    /// Rank-1 truncation of a Gaussian.
    RandomLow,
    /// A full-rank Gaussian.
    RandomHigh,
    /// `u wᵀ`, aligned with the teacher.
    Aligned,
    /// The rank-d/2 truncation of F (aligned with the data's strong directions).
    Partial,
}

impl KappaInit {
    /// All four, in plotting order.
    pub const ALL: [KappaInit; 4] = [
        Self::RandomLow,
        Self::RandomHigh,
        Self::Aligned,
        Self::Partial,
    ];
}

/// Mean measures of one (κ, initialisation) over tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KappaRow {
    /// Condition number κ.
    pub kappa: f64,
    /// Initialisation.
    pub init: KappaInit,
    /// Mean tangent kernel alignment.
    pub ka: f64,
    /// Mean hidden-representation alignment.
    pub ra: f64,
    /// Mean final loss.
    pub final_loss: f64,
}

fn matmul(a: &[f64], b: &[f64], d: usize) -> Vec<f64> {
    let mut c = vec![0.0; d * d];
    for i in 0..d {
        for k in 0..d {
            let aik = a[i * d + k];
            for j in 0..d {
                c[i * d + j] += aik * b[k * d + j];
            }
        }
    }
    c
}

fn sandwich(s: &[f64], m: &[f64], d: usize) -> Vec<f64> {
    matmul(&matmul(s, m, d), s, d)
}

/// Runs the Fig. 3 grid: `tasks` tasks for every κ in `kappas` and every initialisation.
/// Learning rate `0.05/κ²` and `3000·κ²` steps keep gradient descent stable and converged.
pub fn kappa_sweep(
    d: usize,
    sigma: f64,
    tasks: usize,
    kappas: &[f64],
    seed: u64,
) -> Result<Vec<KappaRow>, LinalgError> {
    let mut rows = Vec::new();
    for &kappa in kappas {
        for init in KappaInit::ALL {
            let mut acc = [0.0; 3];
            for t in 0..tasks {
                let r = one(d, sigma, kappa, init, t as u64, seed)?;
                acc.iter_mut()
                    .zip(r)
                    .for_each(|(a, v)| *a += v / tasks as f64);
            }
            rows.push(KappaRow {
                kappa,
                init,
                ka: acc[0],
                ra: acc[1],
                final_loss: acc[2],
            });
        }
    }
    Ok(rows)
}

fn one(
    d: usize,
    sigma: f64,
    kappa: f64,
    init: KappaInit,
    task: u64,
    seed: u64,
) -> Result<[f64; 3], LinalgError> {
    let mut rng = stream(seed, "kappa-task", task);
    let g1: Vec<f64> = (0..d * d).map(|_| rng.sample(StandardNormal)).collect();
    let g2: Vec<f64> = (0..d * d).map(|_| rng.sample(StandardNormal)).collect();
    let (u, v) = (haar_orthogonal(&g1, d), haar_orthogonal(&g2, d));
    let sv: Vec<f64> = (0..d)
        .map(|i| if i < d / 2 { kappa } else { 1.0 })
        .collect();
    // F = U diag(s) Vᵀ, Σ = U diag(s²) Uᵀ, S = Σ^{1/2} = U diag(s) Uᵀ
    let build = |p: &dyn Fn(f64) -> f64, right: &[f64]| -> Vec<f64> {
        let mut m = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                m[i * d + j] = (0..d)
                    .map(|k| u[i * d + k] * p(sv[k]) * right[j * d + k])
                    .sum();
            }
        }
        m
    };
    let f = build(&|s| s, &v);
    let sig = build(&|s| s * s, &u);
    let sq = build(&|s| s, &u);
    let mut w: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    // ‖Fᵀw‖ = 1: the x-space teacher β = Fᵀw is a unit vector
    let beta_norm: f64 = (0..d)
        .map(|j| (0..d).map(|i| f[i * d + j] * w[i]).sum::<f64>().powi(2))
        .sum::<f64>()
        .sqrt();
    w.iter_mut().for_each(|x| *x /= beta_norm);
    let mut irng = stream(seed, &format!("kappa-init-{init:?}"), task);
    let mut w1 = match init {
        KappaInit::RandomLow => svd(&gaussian(d, 1.0, &mut irng), d, d)?.truncate(1),
        KappaInit::RandomHigh => gaussian(d, 1.0, &mut irng),
        KappaInit::Aligned => {
            let a: Vec<f64> = (0..d).map(|_| irng.sample(StandardNormal)).collect();
            (0..d * d).map(|k| a[k / d] * w[k % d]).collect()
        }
        KappaInit::Partial => svd(&f, d, d)?.truncate(d / 2),
    };
    scale_to(&mut w1, sigma);
    let mut w2: Vec<f64> = (0..d).map(|_| irng.sample(StandardNormal)).collect();
    scale_to(&mut w2, sigma);
    let (m0, g0) = kernels(&w1, &w2, d);
    let lr = 0.05 / (kappa * kappa);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let steps = (3000.0 * kappa * kappa).min(400_000.0) as usize;
    let residual = |w1: &[f64], w2: &[f64]| -> Vec<f64> {
        (0..d)
            .map(|j| (0..d).map(|a| w1[a * d + j] * w2[a]).sum::<f64>() - w[j])
            .collect()
    };
    for _ in 0..steps {
        let r = residual(&w1, &w2);
        let vv: Vec<f64> = (0..d)
            .map(|i| (0..d).map(|j| sig[i * d + j] * r[j]).sum())
            .collect();
        let dw2: Vec<f64> = (0..d)
            .map(|a| (0..d).map(|j| w1[a * d + j] * vv[j]).sum())
            .collect();
        for a in 0..d {
            for j in 0..d {
                w1[a * d + j] -= lr * w2[a] * vv[j];
            }
        }
        w2.iter_mut().zip(&dw2).for_each(|(x, g)| *x -= lr * g);
    }
    let r = residual(&w1, &w2);
    let loss = 0.5
        * (0..d)
            .map(|i| r[i] * (0..d).map(|j| sig[i * d + j] * r[j]).sum::<f64>())
            .sum::<f64>();
    let (mt, gt) = kernels(&w1, &w2, d);
    Ok([
        cosine(&sandwich(&sq, &m0, d), &sandwich(&sq, &mt, d)),
        cosine(&sandwich(&sq, &g0, d), &sandwich(&sq, &gt, d)),
        loss,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_stays_lazy_and_isotropic_case_matches_theory() {
        let rows = kappa_sweep(8, 0.01, 4, &[1.0, 3.0], 0).unwrap();
        let get = |k: f64, i: KappaInit| rows.iter().find(|r| r.kappa == k && r.init == i).unwrap();
        for k in [1.0, 3.0] {
            assert!(
                get(k, KappaInit::Aligned).ka > 0.999,
                "aligned at κ={k}: {}",
                get(k, KappaInit::Aligned).ka
            );
            for i in KappaInit::ALL {
                assert!(
                    get(k, i).final_loss < 1e-6,
                    "{i:?} κ={k} not converged: {}",
                    get(k, i).final_loss
                );
            }
        }
        assert!(get(1.0, KappaInit::RandomLow).ka < get(1.0, KappaInit::RandomHigh).ka);
    }
}
