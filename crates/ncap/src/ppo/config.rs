//! PPO hyper-parameters: Tonic's defaults (the v0.3-era `tonic.torch.agents.PPO` with its
//! `Segment` replay, `ClippedRatio` actor updater and `VRegression` critic updater).

use crate::experiments::unit::Task;
use crate::precision::Precision;
use serde::{Deserialize, Serialize};

/// PPO settings; defaults are Tonic's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PpoConfig {
    /// Run seed.
    pub seed: u64,
    /// Training budget in environment steps.
    pub max_steps: u64,
    /// Parallel environments (Tonic's default run uses 1).
    pub n_envs: usize,
    /// Environment steps per update, over all environments (Tonic: 4096).
    pub segment: usize,
    /// Full-batch iterations per update (Tonic: 80).
    pub iterations: usize,
    /// Discount γ.
    pub gamma: f64,
    /// GAE λ (Tonic's trace decay 0.97).
    pub lambda: f64,
    /// Ratio clip.
    pub clip: f64,
    /// The actor stops iterating once the KL estimate exceeds this.
    pub kl_threshold: f64,
    /// Actor Adam learning rate.
    pub actor_lr: f64,
    /// Critic Adam learning rate.
    pub critic_lr: f64,
    /// Hidden sizes of the MLP actor (Tonic's default (64, 64); the paper's videos show
    /// (256, 256)). Unused by NCAP actors, recorded all the same.
    pub mlp_hidden: Vec<usize>,
    /// Hidden sizes of the tanh critic (Tonic: (64, 64)), the same for NCAP and the MLP.
    pub critic_hidden: Vec<usize>,
    /// Fixed action standard deviation of the NCAP actor.
    pub ncap_std: f64,
    /// Environment steps per epoch; each epoch ends with the test episodes (Tonic: 20,000).
    pub epoch_steps: u64,
    /// Test episodes per epoch.
    pub test_episodes: usize,
    /// Tonic's PPO samples actions during tests; false tests the mean.
    pub test_sample: bool,
    /// Bodies of the swimmer.
    pub n_bodies: usize,
    /// Control steps per episode.
    pub episode_len: usize,
    /// Float type of the networks and Adam (configurations saved before it existed: f64).
    #[serde(default = "Precision::legacy")]
    pub precision: Precision,
    /// The task (swim unless stated; swim configurations do not name it, so their
    /// checkpoints and keys are as before the target task existed).
    #[serde(default, skip_serializing_if = "Task::is_swim")]
    pub task: Task,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            max_steps: 1_000_000,
            n_envs: 1,
            segment: 4096,
            iterations: 80,
            gamma: 0.99,
            lambda: 0.97,
            clip: 0.2,
            kl_threshold: 0.015,
            actor_lr: 3e-4,
            critic_lr: 1e-3,
            mlp_hidden: vec![64, 64],
            critic_hidden: vec![64, 64],
            ncap_std: 0.1,
            epoch_steps: 20_000,
            test_episodes: 5,
            test_sample: true,
            n_bodies: 6,
            episode_len: 1000,
            precision: Precision::default(),
            task: Task::Swim,
        }
    }
}

impl PpoConfig {
    /// The smallest budget that trains: one segment, and what it is.
    pub fn min_budget(&self) -> (u64, String) {
        (
            self.segment as u64,
            format!("one segment of {} steps", self.segment),
        )
    }

    /// Checks the settings, returning a message for the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        if self.mlp_hidden.contains(&0) || self.critic_hidden.contains(&0) {
            return Err(format!(
                "hidden widths must be positive, got mlp_hidden {:?} and critic_hidden {:?}",
                self.mlp_hidden, self.critic_hidden
            ));
        }
        for (name, v) in [("gamma", self.gamma), ("lambda", self.lambda)] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must lie in [0, 1], got {v}"));
            }
        }
        if self.n_envs == 0 || self.segment == 0 || !self.segment.is_multiple_of(self.n_envs) {
            return Err(format!(
                "segment {} must be a positive multiple of n_envs {}",
                self.segment, self.n_envs
            ));
        }
        for (name, v) in [
            ("actor_lr", self.actor_lr),
            ("critic_lr", self.critic_lr),
            ("ncap_std", self.ncap_std),
            ("clip", self.clip),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name} must be positive, got {v}"));
            }
        }
        if self.epoch_steps == 0 || self.test_episodes == 0 || self.episode_len == 0 {
            return Err("epoch_steps, test_episodes and episode_len must be positive".into());
        }
        Ok(())
    }
}
