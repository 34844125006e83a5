//! The ES update: antithetic sampling, centred ranks, the gradient estimate and Adam.

use crate::optim::Adam;
use rand::Rng;
use rand_distr::{Distribution, Normal};

/// Antithetic perturbations `[ε_1..ε_h, −ε_1..−ε_h]` with `ε ~ N(0, σ²)` (estorch order).
pub fn antithetic_noise(
    rng: &mut impl Rng,
    population: usize,
    dim: usize,
    sigma: f64,
) -> Vec<Vec<f64>> {
    let normal = Normal::new(0.0, sigma).expect("sigma is validated positive");
    let half: Vec<Vec<f64>> = (0..population / 2)
        .map(|_| (0..dim).map(|_| normal.sample(rng)).collect())
        .collect();
    let mut all = half.clone();
    all.extend(half.iter().map(|e| e.iter().map(|x| -x).collect()));
    all
}

/// Centred ranks in [−0.5, 0.5]: the worst return gets −0.5, the best +0.5 (ties by index,
/// as numpy's argsort).
pub fn centred_ranks(returns: &[f64]) -> Vec<f64> {
    let n = returns.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| returns[a].total_cmp(&returns[b]));
    let mut out = vec![0.0; n];
    for (rank, &i) in order.iter().enumerate() {
        out[i] = if n > 1 {
            rank as f64 / (n - 1) as f64 - 0.5
        } else {
            0.0
        };
    }
    out
}

/// Ascent direction `Σ_j rank_j ε_j / (n σ)` (estorch's `_calculate_grad`).
pub fn gradient(ranks: &[f64], noise: &[Vec<f64>], sigma: f64) -> Vec<f64> {
    let dim = noise.first().map_or(0, Vec::len);
    let mut g = vec![0.0; dim];
    for (r, e) in ranks.iter().zip(noise) {
        for (gk, ek) in g.iter_mut().zip(e) {
            *gk += r * ek;
        }
    }
    let scale = 1.0 / (ranks.len() as f64 * sigma);
    g.iter_mut().for_each(|v| *v *= scale);
    g
}

/// Adam step on the negated, clamped gradient estimate (estorch sets `grad = −g`, clamps to
/// ±clip, and torch's Adam adds the weight decay).
pub fn apply(adam: &mut Adam, params: &mut [f64], ascent: &[f64], clip: f64) {
    let g: Vec<f64> = ascent.iter().map(|v| (-v).clamp(-clip, clip)).collect();
    adam.step(params, &g);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_match_estorch_docstring() {
        // estorch.rank_transformation([-123, -50, 3, -5, 20, 10, 100])
        let r = centred_ranks(&[-123.0, -50.0, 3.0, -5.0, 20.0, 10.0, 100.0]);
        let want = [-0.5, -1.0 / 3.0, 0.0, -1.0 / 6.0, 1.0 / 3.0, 1.0 / 6.0, 0.5];
        for (a, b) in r.iter().zip(want) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn gradient_estimate_points_uphill_on_a_linear_objective() {
        let mut rng = nc_core::rng::stream(3, "t", 0);
        let c = [1.0, -2.0, 0.5];
        let mut mean = [0.0; 3];
        for _ in 0..200 {
            let noise = antithetic_noise(&mut rng, 50, 3, 0.1);
            let f: Vec<f64> = noise
                .iter()
                .map(|e| e.iter().zip(&c).map(|(a, b)| a * b).sum())
                .collect();
            let g = gradient(&centred_ranks(&f), &noise, 0.1);
            for k in 0..3 {
                mean[k] += g[k] / 200.0;
            }
        }
        let cos = mean.iter().zip(&c).map(|(a, b)| a * b).sum::<f64>()
            / (mean.iter().map(|a| a * a).sum::<f64>().sqrt()
                * c.iter().map(|a| a * a).sum::<f64>().sqrt());
        assert!(cos > 0.99, "cos {cos}");
        let noise = antithetic_noise(&mut rng, 4, 2, 1.0);
        assert_eq!(noise[0][1], -noise[2][1]);
    }
}
