//! Simulated manifold capacity (Cohen, Chung, Lee & Sompolinsky 2020; the measure of
//! richness that Chou, Le, Wang & Chung, ICML 2025, "Feature learning beyond the lazy–rich
//! dichotomy", apply to these RNNs).
//!
//! The states of the probe trials at the decision step are grouped by their label: one point
//! cloud (manifold) per class, at most [`CapacityConfig::per_class`] points each, as in the
//! authors' RNN code. For a projection dimension `n`, each of [`CapacityConfig::reps`]
//! repetitions draws a random dichotomy of the `P` manifolds (`⌊P/2⌋` of them labelled +1) and
//! a Gaussian projection `ℝᴺ → ℝⁿ` with unit-norm columns, and asks whether a hyperplane with
//! a bias puts every point of every +1 manifold on one side and every point of the others on
//! the other: the hard-margin SVM `min ½‖w‖² s.t. yᵢ(w·xᵢ + b) ≥ 1`, a small quadratic program
//! solved by Clarabel (an interior-point solver that certifies infeasibility, i.e. "not
//! separable", rather than failing). `p(n)` is the fraction that separate. A bisection over
//! `n ∈ [0, N]` (with `p(0) = 0`: no direction, no separation) finds where `p` crosses ½;
//! `n_c` is interpolated linearly between the two neighbouring dimensions and the capacity is
//! `α = P / n_c`. Higher capacity: fewer dimensions suffice to read out a random labelling of
//! the classes, i.e. smaller, better separated manifolds.
//!
//! Every dimension `n` reuses the same random stream (common random numbers, as the authors'
//! code re-seeds per `n`), so `p(n)` is less noisy across `n`. When even the full space does
//! not separate half the dichotomies, the capacity is below `P / N` and is reported as absent
//! (`None`), never as a number.

use nc_core::rng::stream;
use rand::{Rng, RngExt, seq::index::sample};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How capacity is estimated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityConfig {
    /// Random (projection, dichotomy) draws per projection dimension (0: capacity off).
    pub reps: usize,
    /// Points per class manifold at most (the first ones of each class in probe order).
    pub per_class: usize,
}

impl Default for CapacityConfig {
    /// 20 draws per dimension, 50 points per class (the authors' `num_sample`).
    fn default() -> Self {
        Self {
            reps: 20,
            per_class: 50,
        }
    }
}

/// The simulated capacity of a set of manifolds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// `α = P / n_c`.
    pub alpha: f64,
    /// The projection dimension where half the draws separate (interpolated).
    pub n_c: f64,
    /// Number of manifolds `P`.
    pub manifolds: usize,
    /// Every `(n, p(n))` the bisection evaluated, by `n`.
    pub curve: Vec<(usize, f64)>,
}

/// Why capacity could not be estimated.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CapacityError {
    /// The data do not fit the stated shapes.
    #[error("capacity: {what}")]
    Shape {
        /// What is wrong.
        what: String,
    },
    /// The solver refused the problem.
    #[error(
        "capacity: the QP solver refused a separability problem of {points} points in {dim} dimensions: {why}"
    )]
    Solver {
        /// Points.
        points: usize,
        /// Dimensions.
        dim: usize,
        /// The solver's message.
        why: String,
    },
}

/// Whether `m` points (`x`, row-major `m × d`) with labels `y` (±1) are linearly separable
/// with a bias, by the hard-margin SVM QP.
pub fn separable(x: &[f64], m: usize, d: usize, y: &[f64]) -> Result<bool, CapacityError> {
    use clarabel::algebra::CscMatrix;
    use clarabel::solver::{
        DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus,
    };
    if x.len() != m * d || y.len() != m {
        return Err(CapacityError::Shape {
            what: format!(
                "{} values and {} labels for {m} points in {d} dimensions",
                x.len(),
                y.len()
            ),
        });
    }
    if !x.iter().all(|v| v.is_finite()) {
        return Err(CapacityError::Shape {
            what: "a state is not finite".into(),
        });
    }
    let (has_pos, has_neg) = (y.iter().any(|&v| v > 0.0), y.iter().any(|&v| v < 0.0));
    if !(has_pos && has_neg) {
        return Ok(true);
    }
    // separability does not depend on scale; unit RMS norm keeps the QP well conditioned
    let rms = (x.iter().map(|v| v * v).sum::<f64>() / m.max(1) as f64).sqrt();
    let s = if rms > 0.0 { 1.0 / rms } else { 1.0 };
    // variables z = (w, b); P = diag(1, …, 1, 0); rows −yᵢ (xᵢ, 1) z ≤ −1
    let nv = d + 1;
    let p_mat = CscMatrix::new(
        nv,
        nv,
        (0..=nv).map(|j| j.min(d)).collect(),
        (0..d).collect(),
        vec![1.0; d],
    );
    let mut colptr = Vec::with_capacity(nv + 1);
    let mut rowval = Vec::with_capacity(m * nv);
    let mut nzval = Vec::with_capacity(m * nv);
    colptr.push(0);
    for j in 0..nv {
        for i in 0..m {
            let v = if j < d { x[i * d + j] * s } else { 1.0 };
            if v != 0.0 {
                rowval.push(i);
                nzval.push(-y[i] * v);
            }
        }
        colptr.push(rowval.len());
    }
    let a_mat = CscMatrix::new(m, nv, colptr, rowval, nzval);
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .max_iter(500)
        .build()
        .map_err(|e| solver_error(m, d, e.to_string()))?;
    let mut solver = DefaultSolver::new(
        &p_mat,
        &vec![0.0; nv],
        &a_mat,
        &vec![-1.0; m],
        &[NonnegativeConeT(m)],
        settings,
    )
    .map_err(|e| solver_error(m, d, e.to_string()))?;
    solver.solve();
    match solver.solution.status {
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => Ok(false),
        // a solution (or the best iterate) separates when every point is on its side
        _ => {
            let z = &solver.solution.x;
            Ok((0..m).all(|i| {
                let f: f64 = (0..d).map(|j| z[j] * x[i * d + j] * s).sum::<f64>() + z[d];
                f * y[i] > 0.0
            }))
        }
    }
}

fn solver_error(points: usize, dim: usize, why: String) -> CapacityError {
    CapacityError::Solver { points, dim, why }
}

/// Point clouds in `ℝᴺ`: manifold `i` holds `points[i].len() / dim` points, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifolds {
    /// The ambient dimension `N`.
    pub dim: usize,
    /// One row-major `mᵢ × N` block per manifold.
    pub points: Vec<Vec<f64>>,
}

impl Manifolds {
    /// The decision-step states (`p × n`, row-major) grouped by label, classes in increasing
    /// label order, at most `per_class` points each (the first in probe order).
    pub fn by_label(states: &[f64], p: usize, n: usize, labels: &[u32], per_class: usize) -> Self {
        let mut classes: Vec<u32> = labels.iter().take(p).copied().collect();
        classes.sort_unstable();
        classes.dedup();
        let points = classes
            .iter()
            .map(|&c| {
                (0..p)
                    .filter(|&i| labels[i] == c)
                    .take(per_class)
                    .flat_map(|i| states[i * n..(i + 1) * n].iter().copied())
                    .collect()
            })
            .collect();
        Self { dim: n, points }
    }

    /// The fraction of `reps` draws (a random dichotomy, labelled by `label`, and a random
    /// projection to `n` dimensions) that are linearly separable. `label(rng, P)` gives the
    /// ±1 label of every manifold.
    pub fn separable_fraction(
        &self,
        n: usize,
        reps: usize,
        rng: &mut dyn Rng,
        label: &mut dyn FnMut(&mut dyn Rng, usize) -> Vec<f64>,
    ) -> Result<f64, CapacityError> {
        let big_n = self.dim;
        let total: usize = self.points.iter().map(|m| m.len() / big_n.max(1)).sum();
        if n == 0 || reps == 0 {
            return Ok(0.0);
        }
        let mut ok = 0usize;
        for _ in 0..reps {
            let signs = label(rng, self.points.len());
            // W: N × n, Gaussian with unit-norm columns
            let mut w: Vec<f64> = (0..big_n * n)
                .map(|_| rng.sample::<f64, _>(StandardNormal))
                .collect();
            for j in 0..n {
                let norm = (0..big_n).map(|i| w[i * n + j].powi(2)).sum::<f64>().sqrt();
                if norm > 0.0 {
                    (0..big_n).for_each(|i| w[i * n + j] /= norm);
                }
            }
            let mut x = Vec::with_capacity(total * n);
            let mut y = Vec::with_capacity(total);
            for (k, m) in self.points.iter().enumerate() {
                for row in m.chunks_exact(big_n) {
                    let mut proj = vec![0.0; n];
                    for (i, &v) in row.iter().enumerate() {
                        if v != 0.0 {
                            let wi = &w[i * n..(i + 1) * n];
                            proj.iter_mut().zip(wi).for_each(|(a, b)| *a += v * b);
                        }
                    }
                    x.extend(proj);
                    y.push(signs[k]);
                }
            }
            if separable(&x, total, n, &y)? {
                ok += 1;
            }
        }
        Ok(ok as f64 / reps as f64)
    }

    /// The simulated capacity with balanced random dichotomies (`⌊P/2⌋` manifolds +1), or
    /// `None` when fewer than half the draws separate in the full space (or there are fewer
    /// than two manifolds).
    pub fn capacity(
        &self,
        cfg: CapacityConfig,
        seed: u64,
    ) -> Result<Option<Capacity>, CapacityError> {
        let big_p = self.points.len();
        if big_p < 2 || cfg.reps == 0 || self.dim == 0 {
            return Ok(None);
        }
        if let Some(bad) = self
            .points
            .iter()
            .find(|m| m.is_empty() || m.len() % self.dim != 0)
        {
            return Err(CapacityError::Shape {
                what: format!(
                    "a manifold of {} values in {} dimensions",
                    bad.len(),
                    self.dim
                ),
            });
        }
        let mut curve: Vec<(usize, f64)> = vec![(0, 0.0)];
        let p_at = |n: usize, curve: &mut Vec<(usize, f64)>| -> Result<f64, CapacityError> {
            let mut rng = stream(seed, "capacity", 0);
            let p = self.separable_fraction(n, cfg.reps, &mut rng, &mut balanced)?;
            curve.push((n, p));
            Ok(p)
        };
        let (mut lo, mut hi) = (0usize, self.dim);
        let (mut p_lo, mut p_hi) = (0.0, p_at(hi, &mut curve)?);
        if p_hi < 0.5 {
            return Ok(None);
        }
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            let p = p_at(mid, &mut curve)?;
            if p >= 0.5 {
                (hi, p_hi) = (mid, p);
            } else {
                (lo, p_lo) = (mid, p);
            }
        }
        let n_c = lo as f64 + (0.5 - p_lo) * (hi - lo) as f64 / (p_hi - p_lo);
        curve.sort_by_key(|c| c.0);
        Ok(Some(Capacity {
            alpha: big_p as f64 / n_c,
            n_c,
            manifolds: big_p,
            curve,
        }))
    }
}

/// `⌊P/2⌋` manifolds drawn at random get +1, the others −1.
fn balanced(rng: &mut dyn Rng, p: usize) -> Vec<f64> {
    let mut y = vec![-1.0; p];
    for i in sample(rng, p, p / 2) {
        y[i] = 1.0;
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separability_by_hand() {
        // XOR is not separable, AND is; a 1-D threshold with a bias is
        let xor = [0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0];
        assert!(!separable(&xor, 4, 2, &[1.0, 1.0, -1.0, -1.0]).unwrap());
        assert!(separable(&xor, 4, 2, &[-1.0, 1.0, -1.0, -1.0]).unwrap());
        assert!(separable(&[1.0, 2.0, 3.0], 3, 1, &[-1.0, 1.0, 1.0]).unwrap());
        assert!(!separable(&[1.0, 2.0, 3.0], 3, 1, &[-1.0, 1.0, -1.0]).unwrap());
        // the same point with both labels never separates
        assert!(!separable(&[0.5, 0.5], 2, 1, &[1.0, -1.0]).unwrap());
        assert!(matches!(
            separable(&[1.0], 2, 1, &[1.0, -1.0]),
            Err(CapacityError::Shape { .. })
        ));
    }

    #[test]
    fn too_few_manifolds_or_inseparable_ones_have_no_capacity() {
        let one = Manifolds {
            dim: 2,
            points: vec![vec![0.0, 1.0, 1.0, 0.0]],
        };
        assert_eq!(one.capacity(CapacityConfig::default(), 0).unwrap(), None);
        // two identical clouds cannot be separated in any dimension
        let cloud = vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let same = Manifolds {
            dim: 2,
            points: vec![cloud.clone(), cloud],
        };
        assert_eq!(same.capacity(CapacityConfig::default(), 0).unwrap(), None);
    }
}
