//! Population and test rollouts, parallel over candidates and episodes (rayon).

use super::EsPolicy;
use crate::policy::PolicyError;
use nc_swimmer::SwimConfig;
use rayon::prelude::*;

/// Returns of every candidate parameter vector (rows of `candidates`), one episode each from the
/// given reset seeds; independent of the thread count.
pub fn population_returns<P: EsPolicy>(
    policy: &P,
    candidates: &[Vec<f64>],
    swim: SwimConfig,
    seeds: &[u64],
) -> Result<Vec<f64>, PolicyError> {
    candidates
        .par_iter()
        .zip(seeds.par_iter())
        .map(|(theta, &seed)| {
            let mut p = policy.clone();
            p.set_params(theta);
            p.episode(swim, seed)
        })
        .collect()
}

/// Test returns of one policy on the given reset seeds.
pub fn test_returns<P: EsPolicy>(
    policy: &P,
    swim: SwimConfig,
    seeds: &[u64],
) -> Result<Vec<f64>, PolicyError> {
    seeds.par_iter().map(|&s| policy.episode(swim, s)).collect()
}
