//! On-policy collection: actions sampled on one seeded stream, transitions of the shared
//! training environments stored as in Tonic's `Segment`.

use super::actor::{ActorCache, PpoActor};
use crate::actor::gaussian_log_prob;
use crate::envs::TrainingEnvs;
use crate::normalizer::MeanStd;
use crate::precision::Real;
use crate::train::TrainError;
use nc_core::gemm::MatRef;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// Transitions of one segment, time-major (`t · n_envs + e`).
#[derive(Clone, Debug, Default)]
pub struct Segment {
    /// Raw observations.
    pub obs: Vec<f64>,
    /// Episode step at each observation (NCAP's clock).
    pub steps: Vec<usize>,
    /// Raw observations after the step (before any reset).
    pub next_obs: Vec<f64>,
    /// Episode step after the step.
    pub next_steps: Vec<usize>,
    /// Sampled actions (before the environment's clamp).
    pub actions: Vec<f64>,
    /// Their log-probabilities under the collecting policy.
    pub log_probs: Vec<f64>,
    /// Rewards.
    pub rewards: Vec<f64>,
    /// 1 where the episode ended at this step (time limit: a reset, not a termination).
    pub resets: Vec<f64>,
    /// Rows.
    pub len: usize,
}

/// Collects `per_env` steps from every environment with actions from `actor`.
/// Observations are recorded into `norm` for its next update.
pub fn collect<T: Real>(
    envs: &mut TrainingEnvs,
    actor: &PpoActor<T>,
    norm: &mut MeanStd,
    rng: &mut impl Rng,
    per_env: usize,
) -> Result<Segment, TrainError> {
    let (n, d, a) = (envs.len(), envs.obs_dim(), envs.act_dim());
    let mut seg = Segment {
        len: per_env * n,
        ..Segment::default()
    };
    let mut cache = ActorCache::default();
    let mut normed = vec![T::zero(); n * d];
    let mut loc = vec![0.0; n * a];
    let scale = actor.scale();
    let mut act = vec![0.0; n * a];
    let mut dummy_l = vec![0.0; a];
    let mut dummy_s = vec![0.0; a];
    for _ in 0..per_env {
        norm.normalize(envs.obs(), &mut normed);
        let steps = envs.episode_steps();
        let x = MatRef::row_major(&normed, n, d);
        actor.loc(x, envs.obs(), &steps, &mut cache, &mut loc);
        for e in 0..n {
            for k in 0..a {
                let z: f64 = StandardNormal.sample(rng);
                act[e * a + k] = loc[e * a + k] + scale[k] * z;
            }
            let lp = gaussian_log_prob(
                &act[e * a..(e + 1) * a],
                &loc[e * a..(e + 1) * a],
                &scale,
                &mut dummy_l,
                &mut dummy_s,
            );
            seg.log_probs.push(lp);
        }
        seg.obs.extend_from_slice(envs.obs());
        seg.steps.extend_from_slice(&steps);
        seg.actions.extend_from_slice(&act);
        norm.record(envs.obs());
        envs.step(&act, |t| {
            seg.next_obs.extend_from_slice(t.next_obs);
            seg.next_steps.push(t.next_step);
            seg.rewards.push(t.reward);
            seg.resets.push(if t.done { 1.0 } else { 0.0 });
        })?;
    }
    Ok(seg)
}
