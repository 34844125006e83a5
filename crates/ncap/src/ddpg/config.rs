//! DDPG hyper-parameters: Tonic's defaults (the v0.3-era `tonic.torch.agents.DDPG`: a 10⁶
//! transition buffer, batches of 100, 50 updates every 50 steps after 10⁴ steps, 2·10⁴
//! uniform-random steps, Gaussian exploration 0.1, Adam 10⁻³, Polyak 0.005).

use crate::precision::Precision;
use serde::{Deserialize, Serialize};

/// DDPG settings; defaults are Tonic's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DdpgConfig {
    /// Run seed.
    pub seed: u64,
    /// Training budget in environment steps.
    pub max_steps: u64,
    /// Parallel environments.
    pub n_envs: usize,
    /// Replay capacity.
    pub replay_size: usize,
    /// Minibatch size.
    pub batch_size: usize,
    /// Environment steps between update rounds.
    pub steps_between_batches: u64,
    /// Gradient steps per update round.
    pub batch_iterations: usize,
    /// No updates before this many steps.
    pub steps_before_batches: u64,
    /// Uniform random actions for this many steps.
    pub random_steps: u64,
    /// Exploration noise standard deviation afterwards.
    pub noise: f64,
    /// Discount γ.
    pub gamma: f64,
    /// Polyak factor of the target networks.
    pub tau: f64,
    /// Actor Adam learning rate.
    pub actor_lr: f64,
    /// Critic Adam learning rate.
    pub critic_lr: f64,
    /// Hidden sizes of the ReLU MLP actor (Tonic: (256, 256)). Unused by NCAP actors.
    pub mlp_hidden: Vec<usize>,
    /// Hidden sizes of the ReLU critic (Tonic: (256, 256)), the same for NCAP and the MLP.
    pub critic_hidden: Vec<usize>,
    /// Environment steps per epoch (a test after each).
    pub epoch_steps: u64,
    /// Test episodes per epoch (greedy).
    pub test_episodes: usize,
    /// Bodies of the swimmer.
    pub n_bodies: usize,
    /// Control steps per episode.
    pub episode_len: usize,
    /// Float type of the networks and Adam (configurations saved before it existed: f64).
    #[serde(default = "Precision::legacy")]
    pub precision: Precision,
}

impl Default for DdpgConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            max_steps: 1_000_000,
            n_envs: 1,
            replay_size: 1_000_000,
            batch_size: 100,
            steps_between_batches: 50,
            batch_iterations: 50,
            steps_before_batches: 10_000,
            random_steps: 20_000,
            noise: 0.1,
            gamma: 0.99,
            tau: 0.005,
            actor_lr: 1e-3,
            critic_lr: 1e-3,
            mlp_hidden: vec![256, 256],
            critic_hidden: vec![256, 256],
            epoch_steps: 20_000,
            test_episodes: 5,
            n_bodies: 6,
            episode_len: 1000,
            precision: Precision::default(),
        }
    }
}

impl DdpgConfig {
    /// The environment step after which the first update runs: the first multiple of
    /// `steps_between_batches` at or after `steps_before_batches`. A budget below it trains
    /// nothing.
    pub fn first_update_step(&self) -> u64 {
        let every = self.steps_between_batches.max(1);
        self.steps_before_batches
            .max(1)
            .div_ceil(every)
            .saturating_mul(every)
    }

    /// The smallest budget that trains: up to the first update, and why.
    pub fn min_budget(&self) -> (u64, String) {
        (
            self.first_update_step(),
            format!(
                "updates start after {} steps, every {} steps",
                self.steps_before_batches, self.steps_between_batches
            ),
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
        if self.batch_iterations == 0 || self.test_episodes == 0 || self.episode_len == 0 {
            return Err("batch_iterations, test_episodes and episode_len must be positive".into());
        }
        if self.n_envs == 0
            || self.batch_size == 0
            || self.replay_size == 0
            || self.epoch_steps == 0
        {
            return Err("n_envs, batch_size, replay_size and epoch_steps must be positive".into());
        }
        if self.steps_between_batches == 0
            || !self
                .steps_between_batches
                .is_multiple_of(self.n_envs as u64)
        {
            return Err(format!(
                "steps_between_batches {} must be a positive multiple of n_envs {}",
                self.steps_between_batches, self.n_envs
            ));
        }
        for (name, v) in [
            ("actor_lr", self.actor_lr),
            ("critic_lr", self.critic_lr),
            ("tau", self.tau),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("{name} must be positive, got {v}"));
            }
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(format!("noise must be non-negative, got {}", self.noise));
        }
        Ok(())
    }
}
