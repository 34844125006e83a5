//! Connectome-like matrices with low effective rank, a loader for a user's matrix ([`load`]:
//! dense CSV, NPY, a sparse edge list or safetensors) and the shuffle control that keeps the
//! weight distribution and destroys the structure; [`v1`]: connectivity drawn from published
//! mouse V1 cell-class statistics.

use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

pub mod load;
pub mod v1;
pub use load::{LoadError, MatrixReport, load_matrix, load_square, load_tensor, matrix_report};
pub use v1::{V1Stats, v1_cell_classes, v1_stats};

/// Permutes all entries: same weight distribution, no structure (higher effective rank).
pub fn shuffle<R: Rng + ?Sized>(w: &mut [f64], rng: &mut R) {
    w.shuffle(rng);
}

/// Cell-type block connectivity: `types` types (the first ~80% of units excitatory types,
/// the rest inhibitory), connection probability `p_ab ~ U(0.05, 0.5)` and mean strength
/// `μ_ab ~ U(0.5, 1.5)` per type pair, entries `Bernoulli(p_ab)·μ_ab·|1 + 0.3ξ|` with the
/// presynaptic type's sign. The block means dominate, so the effective rank is low.
pub fn cell_types<R: Rng + ?Sized>(
    n: usize,
    types: usize,
    rng: &mut R,
) -> Result<Vec<f64>, LoadError> {
    if types == 0 || types > n {
        return Err(LoadError::Param {
            what: "types",
            expected: "1 <= types <= N",
            got: types as f64,
        });
    }
    let of = |i: usize| i * types / n;
    let n_exc_types = (types * 4).div_ceil(5).max(1);
    let p: Vec<f64> = (0..types * types)
        .map(|_| rng.random_range(0.05..0.5))
        .collect();
    let mu: Vec<f64> = (0..types * types)
        .map(|_| rng.random_range(0.5..1.5))
        .collect();
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let (a, b) = (of(i), of(j));
            if rng.random::<f64>() < p[a * types + b] {
                let sign = if b < n_exc_types { 1.0 } else { -1.0 };
                let xi: f64 = rng.sample(StandardNormal);
                w[i * n + j] = sign * mu[a * types + b] * (1.0 + 0.3 * xi).abs();
            }
        }
    }
    Ok(w)
}

/// Watts–Strogatz small world: a ring lattice linking each unit to `k` neighbours on each
/// side, each link rewired to a random target with probability `p`; Gaussian weights.
pub fn small_world<R: Rng + ?Sized>(
    n: usize,
    k: usize,
    p: f64,
    rng: &mut R,
) -> Result<Vec<f64>, LoadError> {
    if k == 0 || 2 * k >= n {
        return Err(LoadError::Param {
            what: "k",
            expected: "1 <= k < N/2",
            got: k as f64,
        });
    }
    if !(0.0..=1.0).contains(&p) {
        return Err(LoadError::Param {
            what: "p",
            expected: "0 <= p <= 1",
            got: p,
        });
    }
    let mut w = vec![0.0; n * n];
    for i in 0..n {
        for d in 1..=k {
            for j0 in [(i + d) % n, (i + n - d) % n] {
                let mut j = j0;
                if rng.random::<f64>() < p {
                    j = rng.random_range(0..n);
                    while j == i || w[i * n + j] != 0.0 {
                        j = rng.random_range(0..n);
                    }
                }
                w[i * n + j] = rng.sample(StandardNormal);
            }
        }
    }
    Ok(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::effective_ranks;

    #[test]
    fn structured_matrices_have_lower_effective_rank_than_their_shuffles() {
        let mut rng = nc_core::rng::stream(4, "connectome", 0);
        let n = 60;
        let w = cell_types(n, 4, &mut rng).unwrap();
        let mut s = w.clone();
        shuffle(&mut s, &mut rng);
        let (a, b) = (
            effective_ranks(&w, n, n).unwrap(),
            effective_ranks(&s, n, n).unwrap(),
        );
        assert!(
            a.nuclear < b.nuclear && a.entropy < b.entropy,
            "{a:?} vs {b:?}"
        );
        let mut sorted_w = w.clone();
        let mut sorted_s = s.clone();
        sorted_w.sort_by(f64::total_cmp);
        sorted_s.sort_by(f64::total_cmp);
        assert_eq!(sorted_w, sorted_s);
        assert!(small_world(10, 5, 0.1, &mut rng).is_err());
    }
}
