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
    /// Perturbation standard deviation (script: 0.02).
    pub sigma: f64,
    /// Adam learning rate (script: 0.01).
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

/// The ES settings a run records in its spec: the ones that decide the update.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EsSettings {
    /// Candidates per generation, an even number.
    pub population: usize,
    /// Perturbation standard deviation.
    pub sigma: f64,
    /// Adam learning rate.
    pub lr: f64,
    /// Adam L2 weight decay.
    pub weight_decay: f64,
    /// Per-element clamp of the gradient estimate.
    pub grad_clip: f64,
}

impl EsSettings {
    /// The estorch script's settings (`train_swimmer_es.py`): population 8, σ 0.02, Adam lr
    /// 0.01 with weight decay 0.005, gradient clamp 1. NCAP and the MLP both train with these
    /// in the learning-curve and efficiency experiments.
    pub const SCRIPT: EsSettings = EsSettings {
        population: 8,
        sigma: 0.02,
        lr: 0.01,
        weight_decay: 0.005,
        grad_clip: 1.0,
    };
    /// Larger steps (σ 0.05, lr 0.1) that suit NCAP's 4 weights: NCAP reaches a test return
    /// of 860 within 5·10⁴ steps instead of about 3.5·10⁵. Used only where no MLP is compared
    /// (transfer, ablations, raster).
    pub const NCAP_FAST: EsSettings = EsSettings {
        sigma: 0.05,
        lr: 0.1,
        ..EsSettings::SCRIPT
    };
}

impl Default for EsConfig {
    fn default() -> Self {
        let s = EsSettings::SCRIPT;
        Self {
            seed: 0,
            population: s.population,
            sigma: s.sigma,
            lr: s.lr,
            weight_decay: s.weight_decay,
            grad_clip: s.grad_clip,
            max_steps: 1_000_000,
            test_episodes: 5,
            test_every: 1,
            common_reset: true,
            n_bodies: 6,
            episode_len: 1000,
            checkpoint_every: 1,
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
    /// A non-negative finite number was expected.
    #[error("{field} must be non-negative and finite, got {value}")]
    Negative {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

impl EsConfig {
    /// The default configuration with `settings`.
    pub fn with_settings(settings: EsSettings) -> Self {
        Self::default().settings_applied(settings)
    }

    /// This configuration with its update settings replaced by `s`.
    pub fn settings_applied(self, s: EsSettings) -> Self {
        Self {
            population: s.population,
            sigma: s.sigma,
            lr: s.lr,
            weight_decay: s.weight_decay,
            grad_clip: s.grad_clip,
            ..self
        }
    }

    /// The update settings of this configuration.
    pub fn settings(&self) -> EsSettings {
        EsSettings {
            population: self.population,
            sigma: self.sigma,
            lr: self.lr,
            weight_decay: self.weight_decay,
            grad_clip: self.grad_clip,
        }
    }

    /// Environment steps of one generation (`population × episode_len`): the budget is spent
    /// in whole generations.
    pub fn steps_per_generation(&self) -> u64 {
        (self.population as u64).saturating_mul(self.episode_len as u64)
    }

    /// The smallest budget that trains: one generation, and what it is.
    pub fn min_budget(&self) -> (u64, String) {
        (
            self.steps_per_generation(),
            format!(
                "one generation of {} episodes of {} steps",
                self.population, self.episode_len
            ),
        )
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
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(EsConfigError::Negative {
                field: "weight_decay",
                value: self.weight_decay,
            });
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
