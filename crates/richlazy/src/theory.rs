//! The two-layer linear student–teacher network of the theory, `f(x) = w₂ᵀ W₁ x`, with its
//! closed-form tangent kernel `K(x, x') = xᵀ M x'`, `M = ‖w₂‖² I + W₁ᵀW₁`.
//!
//! Set-up: d inputs = d hidden units, n = 4d whitened samples
//! (`X Xᵀ = n I`), teacher `y = βᵀX` with `β` a random unit vector, small initialisation of
//! scale σ (`‖W₁‖_F = ‖w₂‖ = σ`), full-batch gradient descent on `‖f − y‖²/(2n)`.
//! With whitened data `e Xᵀ/n = W₁ᵀw₂ − β`, so the dynamics need no samples, and
//! `⟨XᵀAX, XᵀBX⟩_F = n² tr(AB)` makes KA the cosine between `M(0)` and `M(T)` exactly.

use crate::init::gaussian;
use crate::linalg::{LinalgError, frobenius, svd};
use crate::measures::cosine;
use nc_core::rng::stream;
use rand::RngExt;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

/// An initialisation of `W₁`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TheoryInit {
    /// Rank-r truncated SVD of a standard Gaussian `d × d` matrix.
    Random {
        /// The rank.
        rank: usize,
    },
    /// `u βᵀ` with `u ~ N(0, I)`: aligned with the task (Proposition 1).
    Aligned,
}

impl TheoryInit {
    /// A short label.
    pub fn label(&self) -> String {
        match self {
            Self::Random { rank } => format!("rank {rank}"),
            Self::Aligned => "aligned rank 1".into(),
        }
    }
}

/// Settings of the linear-network experiment.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TheoryConfig {
    /// Input = hidden dimension d.
    pub d: usize,
    /// Initial scale σ.
    pub sigma: f64,
    /// Tasks averaged over (each with a fresh initialisation).
    pub tasks: usize,
    /// Gradient-descent learning rate.
    pub lr: f64,
    /// Gradient-descent steps.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
}

impl Default for TheoryConfig {
    /// d = 10, σ = 0.01, 20 tasks, lr 0.05, 3000 steps.
    fn default() -> Self {
        Self {
            d: 10,
            sigma: 0.01,
            tasks: 20,
            lr: 0.05,
            steps: 3000,
            seed: 0,
        }
    }
}

/// Mean alignments of one initialisation over tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TheoryRow {
    /// The initialisation.
    pub init: TheoryInit,
    /// Label.
    pub label: String,
    /// Mean tangent kernel alignment `cos(M(0), M(T))`.
    pub ka: f64,
    /// Mean hidden-representation alignment `cos(W₁ᵀW₁(0), W₁ᵀW₁(T))`.
    pub ra: f64,
    /// Mean relative weight change `‖ΔW₁‖_F / ‖W₁(0)‖_F`.
    pub weight_change_rel: f64,
    /// Mean final loss.
    pub final_loss: f64,
    /// Mean initial kernel–task alignment `βᵀM(0)β / tr M(0)`.
    pub kta0: f64,
}

/// `M = ‖w₂‖² I + W₁ᵀW₁` (d × d) and `W₁ᵀW₁`.
pub(crate) fn kernels(w1: &[f64], w2: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let h = w2.len();
    let mut g = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..d {
            g[i * d + j] = (0..h).map(|a| w1[a * d + i] * w1[a * d + j]).sum();
        }
    }
    let w2n: f64 = w2.iter().map(|v| v * v).sum();
    let mut m = g.clone();
    for i in 0..d {
        m[i * d + i] += w2n;
    }
    (m, g)
}

pub(crate) fn scale_to(v: &mut [f64], target: f64) {
    let f = frobenius(v);
    if f > 0.0 {
        v.iter_mut().for_each(|x| *x *= target / f);
    }
}

/// Runs one (task, init) pair; returns (KA, RA, ΔW₁ rel, final loss, initial KTA).
fn one(cfg: &TheoryConfig, init: TheoryInit, task: usize) -> Result<[f64; 5], LinalgError> {
    let d = cfg.d;
    let mut rng = stream(cfg.seed, "theory-task", task as u64);
    let mut beta: Vec<f64> = (0..d).map(|_| rng.sample(StandardNormal)).collect();
    scale_to(&mut beta, 1.0);
    let mut irng = stream(
        cfg.seed,
        &format!("theory-init-{}", init.label()),
        task as u64,
    );
    let mut w1 = match init {
        TheoryInit::Random { rank } => {
            let g = gaussian(d, (d as f64).sqrt(), &mut irng);
            svd(&g, d, d)?.truncate(rank)
        }
        TheoryInit::Aligned => {
            let u: Vec<f64> = (0..d).map(|_| irng.sample(StandardNormal)).collect();
            (0..d * d).map(|k| u[k / d] * beta[k % d]).collect()
        }
    };
    scale_to(&mut w1, cfg.sigma);
    let mut w2: Vec<f64> = (0..d).map(|_| irng.sample(StandardNormal)).collect();
    scale_to(&mut w2, cfg.sigma);
    let w1_0 = w1.clone();
    let (m0, g0) = kernels(&w1, &w2, d);
    let tr0: f64 = (0..d).map(|i| m0[i * d + i]).sum();
    let bmb: f64 = (0..d)
        .map(|i| {
            (0..d)
                .map(|j| beta[i] * m0[i * d + j] * beta[j])
                .sum::<f64>()
        })
        .sum();
    let mut v = vec![0.0; d];
    for _ in 0..cfg.steps {
        // v = W₁ᵀw₂ − β: the whitened-data residual direction
        for (j, vj) in v.iter_mut().enumerate() {
            *vj = (0..d).map(|a| w1[a * d + j] * w2[a]).sum::<f64>() - beta[j];
        }
        let dw2: Vec<f64> = (0..d)
            .map(|a| (0..d).map(|j| w1[a * d + j] * v[j]).sum())
            .collect();
        for a in 0..d {
            for j in 0..d {
                w1[a * d + j] -= cfg.lr * w2[a] * v[j];
            }
        }
        w2.iter_mut().zip(&dw2).for_each(|(w, g)| *w -= cfg.lr * g);
    }
    for (j, vj) in v.iter_mut().enumerate() {
        *vj = (0..d).map(|a| w1[a * d + j] * w2[a]).sum::<f64>() - beta[j];
    }
    // loss = ‖v‖²/2 for whitened data
    let loss = 0.5 * v.iter().map(|x| x * x).sum::<f64>();
    let (mt, gt) = kernels(&w1, &w2, d);
    let dw: Vec<f64> = w1.iter().zip(&w1_0).map(|(a, b)| a - b).collect();
    Ok([
        cosine(&m0, &mt),
        cosine(&g0, &gt),
        frobenius(&dw) / frobenius(&w1_0),
        loss,
        bmb / tr0,
    ])
}

/// KA and RA_h after training for one (d, σ), averaged over tasks: random initialisations of
/// rank 1, 2, d/2 and d, and the rank-1 initialisation aligned with the task (`W₁ ∝ u βᵀ`).
pub fn table(cfg: &TheoryConfig) -> Result<Vec<TheoryRow>, LinalgError> {
    let d = cfg.d;
    let mut inits: Vec<TheoryInit> = Vec::new();
    for r in [1, 2, d / 2, d] {
        let i = TheoryInit::Random { rank: r.max(1) };
        if !inits.contains(&i) {
            inits.push(i);
        }
    }
    inits.push(TheoryInit::Aligned);
    inits.into_iter().map(|init| row(cfg, init)).collect()
}

/// Mean measures of one initialisation over `cfg.tasks` tasks.
pub fn row(cfg: &TheoryConfig, init: TheoryInit) -> Result<TheoryRow, LinalgError> {
    let mut acc = [0.0; 5];
    for t in 0..cfg.tasks {
        let r = one(cfg, init, t)?;
        acc.iter_mut()
            .zip(r)
            .for_each(|(a, v)| *a += v / cfg.tasks as f64);
    }
    Ok(TheoryRow {
        init,
        label: init.label(),
        ka: acc[0],
        ra: acc[1],
        weight_change_rel: acc[2],
        final_loss: acc[3],
        kta0: acc[4],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_kernel_matches_jacobian() {
        // K(x, x') = Σ_θ ∂f/∂θ(x) ∂f/∂θ(x') with ∂f/∂W₁ = w₂ xᵀ, ∂f/∂w₂ = W₁ x
        let d = 3;
        let w1 = [0.3, -0.2, 0.5, 0.1, 0.4, -0.6, 0.7, 0.0, 0.2];
        let w2 = [0.5, -1.0, 0.25];
        let (x, xp) = ([1.0, 2.0, -1.0], [0.5, -0.3, 2.0]);
        let (m, _) = kernels(&w1, &w2, d);
        let closed: f64 = (0..d)
            .map(|i| (0..d).map(|j| x[i] * m[i * d + j] * xp[j]).sum::<f64>())
            .sum();
        let w1x = |x: &[f64; 3]| -> Vec<f64> {
            (0..d)
                .map(|a| (0..d).map(|j| w1[a * d + j] * x[j]).sum())
                .collect()
        };
        let mut direct = 0.0;
        for w in w2 {
            for j in 0..d {
                direct += w * x[j] * w * xp[j];
            }
        }
        direct += w1x(&x)
            .iter()
            .zip(w1x(&xp))
            .map(|(a, b)| a * b)
            .sum::<f64>();
        assert!((closed - direct).abs() < 1e-12);
    }
}
