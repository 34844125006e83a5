//! On-policy collection: parallel environments stepped with rayon, actions sampled on one
//! seeded stream, transitions stored as in Tonic's `Segment`.

use super::actor::{ActorCache, PpoActor};
use crate::actor::gaussian_log_prob;
use crate::normalizer::MeanStd;
use crate::train::TrainError;
use nc_swimmer::{SwimConfig, SwimEnv};
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

/// Parallel environments and their running episodes.
#[derive(Debug)]
pub struct Collector {
    envs: Vec<SwimEnv>,
    obs: Vec<f64>,
    obs_dim: usize,
    act_dim: usize,
    returns: Vec<f64>,
    seed: u64,
    resets_done: u64,
    /// Returns of the episodes finished since the last [`Collector::take_finished`].
    finished: Vec<f64>,
}

impl Collector {
    /// `n` environments, each reset from the run's training reset stream.
    pub fn new(swim: SwimConfig, n: usize, seed: u64) -> Result<Self, TrainError> {
        let envs = (0..n)
            .map(|_| SwimEnv::new(swim))
            .collect::<Result<Vec<_>, _>>()?;
        let obs_dim = envs[0].obs_dim();
        let act_dim = envs[0].n_joints();
        let mut c = Self {
            envs,
            obs: vec![0.0; n * obs_dim],
            obs_dim,
            act_dim,
            returns: vec![0.0; n],
            seed,
            resets_done: 0,
            finished: Vec::new(),
        };
        for e in 0..n {
            c.reset(e);
        }
        Ok(c)
    }

    fn reset(&mut self, e: usize) {
        let s = crate::train::train_seed(self.seed, self.resets_done);
        self.resets_done += 1;
        self.envs[e].reset(s);
        self.envs[e].observe(&mut self.obs[e * self.obs_dim..(e + 1) * self.obs_dim]);
        self.returns[e] = 0.0;
    }

    /// Observation width.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }

    /// Returns of the episodes finished since the last call.
    pub fn take_finished(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.finished)
    }

    /// Collects `per_env` steps from every environment with actions from `actor`.
    /// Observations are recorded into `norm` for its next update.
    pub fn collect(
        &mut self,
        actor: &PpoActor,
        norm: &mut MeanStd,
        rng: &mut impl Rng,
        per_env: usize,
    ) -> Result<Segment, TrainError> {
        let (n, d, a) = (self.envs.len(), self.obs_dim, self.act_dim);
        let mut seg = Segment {
            len: per_env * n,
            ..Segment::default()
        };
        let mut cache = ActorCache::default();
        let mut normed = vec![0.0; n * d];
        let mut loc = Vec::new();
        let scale = actor.scale();
        let mut act = vec![0.0; n * a];
        let mut rewards = vec![0.0; n];
        let mut dummy_l = vec![0.0; a];
        let mut dummy_s = vec![0.0; a];
        for _ in 0..per_env {
            norm.normalize(&self.obs, &mut normed);
            let steps: Vec<usize> = self.envs.iter().map(SwimEnv::episode_step).collect();
            actor.loc(&normed, &self.obs, &steps, n, &mut cache, &mut loc);
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
            seg.obs.extend_from_slice(&self.obs);
            seg.steps.extend_from_slice(&steps);
            seg.actions.extend_from_slice(&act);
            norm.record(&self.obs);
            // step all environments in parallel
            let outcomes = crate::train::step_envs(&mut self.envs, &act, a);
            for (e, o) in outcomes.into_iter().enumerate() {
                let (r, done) = o?;
                rewards[e] = r;
                self.returns[e] += r;
                self.envs[e].observe(&mut self.obs[e * d..(e + 1) * d]);
                seg.next_obs
                    .extend_from_slice(&self.obs[e * d..(e + 1) * d]);
                seg.next_steps.push(self.envs[e].episode_step());
                seg.rewards.push(r);
                seg.resets.push(if done { 1.0 } else { 0.0 });
                if done {
                    self.finished.push(self.returns[e]);
                    self.reset(e);
                }
            }
        }
        Ok(seg)
    }
}
