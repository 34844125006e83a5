//! ES hyper-parameters.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// OpenAI-style antithetic ES settings (estorch defaults where noted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsConfig {
    /// Run seed.
    pub seed: u64,
    /// Candidates per generation, an even number (estorch script: 8).
    pub population: usize,
    /// Perturbation standard deviation (script: 0.02; the default 0.05 suits the 4 NCAP weights).
    pub sigma: f64,
    /// Adam learning rate (script: 0.01; the default 0.1 reaches 860 on NCAP within 5e4 steps).
    pub lr: f64,
    /// Adam L2 weight decay (script: 0.005).
    pub weight_decay: f64,
    /// Per-element clamp of the gradient estimate (script: 1).
    pub grad_clip: f64,
    /// Training budget in environment steps (population rollouts only).
    pub max_steps: u64,
    /// Test episodes after each generation (Tonic: 5).
    pub test_episodes: usize,
    /// Run a test every this many generations.
    pub test_every: usize,
    /// All candidates of a generation start from the same reset seed (common random numbers).
    pub common_reset: bool,
    /// Bodies of the swimmer.
    pub n_bodies: usize,
    /// Control steps per episode.
    pub episode_len: usize,
    /// Write a checkpoint every this many generations (0: never).
    pub checkpoint_every: usize,
}

impl Default for EsConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            population: 8,
            sigma: 0.05,
            lr: 0.1,
            weight_decay: 0.005,
            grad_clip: 1.0,
            max_steps: 1_000_000,
            test_episodes: 5,
            test_every: 1,
            common_reset: true,
            n_bodies: 6,
            episode_len: 1000,
            checkpoint_every: 10,
        }
    }
}

/// Why an ES configuration was refused.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum EsConfigError {
    /// The population must be a positive even number (antithetic pairs).
    #[error("population must be a positive even number, got {0}")]
    Population(usize),
    /// A positive finite number was expected.
    #[error("{field} must be positive and finite, got {value}")]
    NotPositive {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

impl EsConfig {
    /// The estorch script's settings (σ 0.02, lr 0.01), used for the MLP baseline.
    pub fn script() -> Self {
        Self {
            sigma: 0.02,
            lr: 0.01,
            ..Self::default()
        }
    }

    /// Checks the settings.
    pub fn validate(&self) -> Result<(), EsConfigError> {
        if self.population == 0 || !self.population.is_multiple_of(2) {
            return Err(EsConfigError::Population(self.population));
        }
        for (field, value) in [
            ("sigma", self.sigma),
            ("lr", self.lr),
            ("grad_clip", self.grad_clip),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(EsConfigError::NotPositive { field, value });
            }
        }
        for (field, value) in [
            ("test_every", self.test_every),
            ("test_episodes", self.test_episodes),
            ("episode_len", self.episode_len),
        ] {
            if value == 0 {
                return Err(EsConfigError::NotPositive { field, value: 0.0 });
            }
        }
        Ok(())
    }
}
