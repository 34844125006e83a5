//! The parallel training environments shared by PPO and DDPG: running episodes, their returns,
//! and resets drawn from the run's training reset stream. Each trainer keeps only what it
//! records per transition.

use crate::train::{TrainError, step_envs, train_seed};
use nc_swimmer::{SwimConfig, SwimEnv};

/// One environment's step, as seen by a trainer's recorder.
#[derive(Debug)]
pub struct Transition<'a> {
    /// Environment index.
    pub env: usize,
    /// Raw observation the action was chosen from.
    pub obs: &'a [f64],
    /// Episode step at `obs` (NCAP's clock).
    pub step: usize,
    /// Action row.
    pub action: &'a [f64],
    /// Reward.
    pub reward: f64,
    /// Whether the episode ended (time limit: a reset, not a termination).
    pub done: bool,
    /// Raw observation after the step, before any reset.
    pub next_obs: &'a [f64],
    /// Episode step at `next_obs`.
    pub next_step: usize,
}

/// Parallel environments and their running episodes.
#[derive(Debug)]
pub struct TrainingEnvs {
    envs: Vec<SwimEnv>,
    obs: Vec<f64>,
    obs_dim: usize,
    act_dim: usize,
    returns: Vec<f64>,
    seed: u64,
    resets_done: u64,
    finished: Vec<f64>,
}

impl TrainingEnvs {
    /// `n` environments, each reset from the training reset stream of run `seed`.
    pub fn new(swim: SwimConfig, n: usize, seed: u64) -> Result<Self, TrainError> {
        let envs = (0..n)
            .map(|_| SwimEnv::new(swim))
            .collect::<Result<Vec<_>, _>>()?;
        let (obs_dim, act_dim) = (envs[0].obs_dim(), envs[0].n_joints());
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
        let s = train_seed(self.seed, self.resets_done);
        self.resets_done += 1;
        self.envs[e].reset(s);
        self.envs[e].observe(&mut self.obs[e * self.obs_dim..(e + 1) * self.obs_dim]);
        self.returns[e] = 0.0;
    }

    /// Number of environments.
    pub fn len(&self) -> usize {
        self.envs.len()
    }
    /// Whether there are none (never, once constructed with `n > 0`).
    pub fn is_empty(&self) -> bool {
        self.envs.is_empty()
    }
    /// Observation width.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }
    /// Action width.
    pub fn act_dim(&self) -> usize {
        self.act_dim
    }
    /// Current raw observations, environment-major.
    pub fn obs(&self) -> &[f64] {
        &self.obs
    }
    /// Current episode step of each environment.
    pub fn episode_steps(&self) -> Vec<usize> {
        self.envs.iter().map(SwimEnv::episode_step).collect()
    }
    /// Returns of the episodes finished since the last call.
    pub fn take_finished(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.finished)
    }

    /// Steps every environment with its row of `actions` (in parallel), hands each transition
    /// to `record` in environment order, then resets the environments whose episode ended.
    pub fn step(
        &mut self,
        actions: &[f64],
        mut record: impl FnMut(Transition<'_>),
    ) -> Result<(), TrainError> {
        let (d, a) = (self.obs_dim, self.act_dim);
        let steps = self.episode_steps();
        let outcomes = step_envs(&mut self.envs, actions, a);
        let mut next = vec![0.0; d];
        for (e, o) in outcomes.into_iter().enumerate() {
            let (reward, done) = o?;
            self.returns[e] += reward;
            self.envs[e].observe(&mut next);
            record(Transition {
                env: e,
                obs: &self.obs[e * d..(e + 1) * d],
                step: steps[e],
                action: &actions[e * a..(e + 1) * a],
                reward,
                done,
                next_obs: &next,
                next_step: self.envs[e].episode_step(),
            });
            self.obs[e * d..(e + 1) * d].copy_from_slice(&next);
            if done {
                self.finished.push(self.returns[e]);
                self.reset(e);
            }
        }
        Ok(())
    }
}

/// Returns of `episodes` test episodes run in parallel, episode `k` reset from
/// [`crate::train::test_seed`]`(run_seed, k)` and driven by the policy `make_policy(k)` builds
/// (`policy(obs, episode_step, action)`).
pub fn test_returns<P>(
    swim: SwimConfig,
    episodes: usize,
    run_seed: u64,
    make_policy: impl Fn(usize) -> P + Sync,
) -> Result<Vec<f64>, TrainError>
where
    P: FnMut(&[f64], usize, &mut [f64]),
{
    use rayon::prelude::*;
    (0..episodes)
        .into_par_iter()
        .map(|k| {
            let mut env = SwimEnv::new(swim)?;
            let policy = make_policy(k);
            Ok(nc_swimmer::run_episode(
                &mut env,
                crate::train::test_seed(run_seed, k),
                policy,
            )?)
        })
        .collect()
}
