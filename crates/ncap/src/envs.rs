//! The parallel training environments shared by PPO and DDPG: running episodes, their returns,
//! and resets drawn from the run's training reset stream, on the swim task or the target task
//! ([`TaskEnv`]). Each trainer keeps only what it records per transition.

use crate::experiments::unit::Task;
use crate::train::{TrainError, step_envs, train_seed};
use nc_swimmer::{Episodic, NavigateEnv, SimError, StepOutcome, SwimConfig, SwimEnv};
use serde::{Deserialize, Serialize};

/// One training or test environment: the paper's swim task or the target task.
#[derive(Clone, Debug)]
pub enum TaskEnv {
    /// Swim forward.
    Swim(SwimEnv),
    /// Reach a target.
    Navigate(NavigateEnv),
}

impl TaskEnv {
    /// The environment of `task` for the swimmer `swim`.
    pub fn new(task: Task, swim: SwimConfig) -> Result<Self, nc_swimmer::ConfigError> {
        Ok(match task {
            Task::Swim => TaskEnv::Swim(SwimEnv::new(swim)?),
            Task::Navigate => TaskEnv::Navigate(NavigateEnv::new(swim)?),
        })
    }
    /// The swimmer underneath.
    pub fn swim(&self) -> &SwimEnv {
        match self {
            TaskEnv::Swim(e) => e,
            TaskEnv::Navigate(e) => e.swim(),
        }
    }
    /// The target's position (the target task only).
    pub fn target(&self) -> Option<[f64; 2]> {
        match self {
            TaskEnv::Swim(_) => None,
            TaskEnv::Navigate(e) => Some(e.target()),
        }
    }
    // continues an episode from a checkpoint's state (a target on the target task only)
    fn restore(
        &mut self,
        qpos: &[f64],
        qvel: &[f64],
        step: usize,
        target: Option<[f64; 2]>,
    ) -> Result<(), String> {
        match (self, target) {
            (TaskEnv::Swim(e), None) => e.restore(qpos, qvel, step).map_err(|e| e.to_string()),
            (TaskEnv::Navigate(e), Some(t)) => {
                e.set_target(t).map_err(|e| e.to_string())?;
                e.restore(qpos, qvel, step).map_err(|e| e.to_string())
            }
            _ => Err("the state is of the other task".into()),
        }
    }
}

impl Episodic for TaskEnv {
    fn reset(&mut self, seed: u64) {
        match self {
            TaskEnv::Swim(e) => e.reset(seed),
            TaskEnv::Navigate(e) => e.reset(seed),
        }
    }
    fn obs_dim(&self) -> usize {
        match self {
            TaskEnv::Swim(e) => e.obs_dim(),
            TaskEnv::Navigate(e) => e.obs_dim(),
        }
    }
    fn n_joints(&self) -> usize {
        self.swim().n_joints()
    }
    fn observe(&self, out: &mut [f64]) {
        match self {
            TaskEnv::Swim(e) => e.observe(out),
            TaskEnv::Navigate(e) => e.observe(out),
        }
    }
    fn step(&mut self, action: &[f64]) -> Result<StepOutcome, SimError> {
        match self {
            TaskEnv::Swim(e) => e.step(action),
            TaskEnv::Navigate(e) => e.step(action),
        }
    }
    fn episode_step(&self) -> usize {
        self.swim().episode_step()
    }
}

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
    /// The target task's targets, `(x, y)` per environment (empty on the swim task, and left
    /// out of its checkpoints).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<f64>,
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
    envs: Vec<TaskEnv>,
    obs: Vec<f64>,
    // per-step buffers: the episode steps before a step, the observation after it, and the
    // environments' outcomes
    steps: Vec<usize>,
    next: Vec<f64>,
    outcomes: Vec<Result<(f64, bool), SimError>>,
    obs_dim: usize,
    act_dim: usize,
    returns: Vec<f64>,
    seed: u64,
    resets_done: u64,
    finished: Vec<f64>,
}

impl TrainingEnvs {
    /// `n` swim environments, each reset from the training reset stream of run `seed`.
    pub fn new(swim: SwimConfig, n: usize, seed: u64) -> Result<Self, TrainError> {
        Self::with_task(Task::Swim, swim, n, seed)
    }

    /// `n` environments of `task`, each reset from the training reset stream of run `seed`.
    pub fn with_task(
        task: Task,
        swim: SwimConfig,
        n: usize,
        seed: u64,
    ) -> Result<Self, TrainError> {
        let envs = (0..n)
            .map(|_| TaskEnv::new(task, swim))
            .collect::<Result<Vec<_>, _>>()?;
        let (obs_dim, act_dim) = (envs[0].obs_dim(), envs[0].n_joints());
        let mut c = Self {
            envs,
            obs: vec![0.0; n * obs_dim],
            steps: vec![0; n],
            next: vec![0.0; obs_dim],
            outcomes: Vec::with_capacity(n),
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
            qpos: self
                .envs
                .iter()
                .flat_map(|e| e.swim().qpos().to_vec())
                .collect(),
            qvel: self
                .envs
                .iter()
                .flat_map(|e| e.swim().qvel().to_vec())
                .collect(),
            steps: self.episode_steps(),
            returns: self.returns.clone(),
            resets_done: self.resets_done,
            targets: self
                .envs
                .iter()
                .filter_map(TaskEnv::target)
                .flatten()
                .collect(),
        }
    }

    /// Continues the episodes of a [`TrainingEnvs::snapshot`]; a state that does not fit
    /// these environments is refused with the reason.
    pub fn restore(&mut self, s: &EnvsState) -> Result<(), String> {
        let n = self.envs.len();
        let nq = self.envs[0].swim().qpos().len();
        let len = self.envs[0].swim().config().episode_len;
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
        let navigate = self.envs[0].target().is_some();
        let want = if navigate { 2 * n } else { 0 };
        if s.targets.len() != want {
            return Err(format!(
                "environment state has {} target coordinates; {n} environments of the {} task need {want}",
                s.targets.len(),
                if navigate { "target" } else { "swim" }
            ));
        }
        if let Some(t) = s.targets.iter().find(|t| !t.is_finite()) {
            return Err(format!("a target coordinate is {t}, not a finite number"));
        }
        for e in 0..n {
            let r = e * nq..(e + 1) * nq;
            let target = navigate.then(|| [s.targets[2 * e], s.targets[2 * e + 1]]);
            self.envs[e]
                .restore(&s.qpos[r.clone()], &s.qvel[r], s.steps[e], target)
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
        self.envs.iter().map(|e| e.episode_step()).collect()
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
        for (s, e) in self.steps.iter_mut().zip(&self.envs) {
            *s = e.episode_step();
        }
        let mut outcomes = std::mem::take(&mut self.outcomes);
        step_envs(&mut self.envs, actions, a, &mut outcomes);
        for (e, o) in outcomes.drain(..).enumerate() {
            let (reward, done) = o?;
            self.returns[e] += reward;
            self.envs[e].observe(&mut self.next);
            record(Transition {
                env: e,
                obs: &self.obs[e * d..(e + 1) * d],
                step: self.steps[e],
                action: &actions[e * a..(e + 1) * a],
                reward,
                done,
                next_obs: &self.next,
                next_step: self.envs[e].episode_step(),
            });
            self.obs[e * d..(e + 1) * d].copy_from_slice(&self.next);
            if done {
                self.finished.push(self.returns[e]);
                self.reset(e);
            }
        }
        self.outcomes = outcomes;
        Ok(())
    }
}

/// Returns of `episodes` test episodes of `task` run in parallel, episode `k` reset from
/// [`crate::train::test_seed`]`(run_seed, k)` and driven by the policy `make_policy(k)` builds
/// (`policy(obs, episode_step, action)`).
pub fn test_returns<P>(
    task: Task,
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
            let mut env = TaskEnv::new(task, swim)?;
            let policy = make_policy(k);
            Ok(nc_swimmer::run_episode(
                &mut env,
                crate::train::test_seed(run_seed, k),
                policy,
            )?)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swim() -> SwimConfig {
        SwimConfig {
            episode_len: 50,
            time_feature: true,
            ..SwimConfig::default()
        }
    }

    // steps every environment `k` times with fixed actions
    fn run(envs: &mut TrainingEnvs, k: usize) -> Vec<f64> {
        let actions: Vec<f64> = (0..envs.len() * envs.act_dim())
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let mut rewards = Vec::new();
        for _ in 0..k {
            envs.step(&actions, |t| rewards.push(t.reward)).unwrap();
        }
        rewards
    }

    #[test]
    fn a_restored_target_task_continues_exactly_and_bad_targets_are_refused() {
        let mut a = TrainingEnvs::with_task(Task::Navigate, swim(), 2, 7).unwrap();
        // the target task's observation: the swim one plus `to_target`
        assert_eq!(a.obs_dim(), SwimEnv::new(swim()).unwrap().obs_dim() + 2);
        run(&mut a, 30);
        let s = a.snapshot();
        assert_eq!(s.targets.len(), 4);
        // a copy continued from the snapshot sees the same rewards and observations, through
        // the resets of step 50
        // (past its first resets, so that its targets differ from those of the snapshot)
        let mut b = TrainingEnvs::with_task(Task::Navigate, swim(), 2, 7).unwrap();
        run(&mut b, 60);
        assert_ne!(b.snapshot().targets, s.targets);
        b.restore(&s).unwrap();
        assert_eq!(b.obs(), a.obs());
        assert_eq!(run(&mut b, 40), run(&mut a, 40));
        assert_eq!((b.obs(), b.snapshot()), (a.obs(), a.snapshot()));
        for (bad, why) in [
            (vec![0.5; 3], "3 target coordinates"),
            (vec![], "0 target coordinates"),
            (vec![0.5, f64::NAN, 0.0, 0.0], "not a finite number"),
        ] {
            let e = b
                .restore(&EnvsState {
                    targets: bad,
                    ..s.clone()
                })
                .unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        // a swim state names no targets, and its environments take none
        let mut w = TrainingEnvs::new(swim(), 2, 7).unwrap();
        let sw = w.snapshot();
        assert!(sw.targets.is_empty());
        assert!(serde_json::to_value(&sw).unwrap().get("targets").is_none());
        let e = w.restore(&s).unwrap_err();
        assert!(e.contains("swim task need 0"), "{e}");
        w.restore(&sw).unwrap();
    }
}
