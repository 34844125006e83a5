//! The parallel training environments shared by PPO and DDPG: running episodes, their returns,
//! and resets drawn from the run's training reset stream. Each trainer keeps only what it
//! records per transition.

use crate::train::{TrainError, step_envs, train_seed};
use nc_swimmer::{SwimConfig, SwimEnv};
use serde::{Deserialize, Serialize};

/// What a checkpoint keeps of the running episodes: each environment's state and episode
/// step, the returns so far, and how many resets the training reset stream has drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnvsState {
    /// Positions, environment-major.
    pub qpos: Vec<f64>,
    /// Velocities, environment-major.
    pub qvel: Vec<f64>,
    /// Episode step of each environment.
    pub steps: Vec<usize>,
    /// Return so far of each running episode.
    pub returns: Vec<f64>,
    /// Resets drawn from the run's training reset stream.
    pub resets_done: u64,
}

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

    /// The state a checkpoint keeps (call between steps; finished returns are not included).
    pub fn snapshot(&self) -> EnvsState {
        EnvsState {
            qpos: self.envs.iter().flat_map(|e| e.qpos().to_vec()).collect(),
            qvel: self.envs.iter().flat_map(|e| e.qvel().to_vec()).collect(),
            steps: self.episode_steps(),
            returns: self.returns.clone(),
            resets_done: self.resets_done,
        }
    }

    /// Continues the episodes of a [`TrainingEnvs::snapshot`]; a state that does not fit
    /// these environments is refused with the reason.
    pub fn restore(&mut self, s: &EnvsState) -> Result<(), String> {
        let n = self.envs.len();
        let nq = self.envs[0].qpos().len();
        let len = self.envs[0].config().episode_len;
        if s.qpos.len() != n * nq
            || s.qvel.len() != n * nq
            || s.steps.len() != n
            || s.returns.len() != n
        {
            return Err(format!(
                "environment state has {} positions, {} velocities, {} steps and {} returns; {n} environments need {} each for the first two and {n} for the others",
                s.qpos.len(),
                s.qvel.len(),
                s.steps.len(),
                s.returns.len(),
                n * nq
            ));
        }
        if let Some(k) = s.steps.iter().find(|&&k| k >= len) {
            return Err(format!(
                "episode step {k} is not below the episode length {len}"
            ));
        }
        if !s.returns.iter().all(|r| r.is_finite()) {
            return Err("an episode return is not finite".into());
        }
        for e in 0..n {
            let r = e * nq..(e + 1) * nq;
            self.envs[e]
                .restore(&s.qpos[r.clone()], &s.qvel[r], s.steps[e])
                .map_err(|err| format!("environment {e}: {err}"))?;
            let d = self.obs_dim;
            self.envs[e].observe(&mut self.obs[e * d..(e + 1) * d]);
        }
        self.returns.clone_from(&s.returns);
        self.resets_done = s.resets_done;
        self.finished.clear();
        Ok(())
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
