//! OpenAI-style evolution strategies (estorch): antithetic pairs, centred ranks, gradient clamp,
//! Adam, one deterministic episode per candidate. Works for NCAP and for the MLP baseline.
//!
//! A run with an output folder writes `log.csv` (Tonic columns), `checkpoint.json` every few
//! generations and `policy.json` + `summary.json` at the end; rerunning the same config in the
//! same folder resumes from the checkpoint and gives the same result as an uninterrupted run.

pub mod config;
pub mod rollout;
pub mod update;

pub use config::{EsConfig, EsConfigError};

use crate::actor::GaussianActor;
use crate::mlp::MlpCache;
use crate::ncap::Ncap;
use crate::optim::Adam;
use crate::policy::{PolicyError, SavedPolicy};
use crate::train::{
    LogRow, Progress, TrainError, read_json, rows_to_csv, test_seed, write_json, write_text,
};
use nc_swimmer::{SwimConfig, SwimEnv, run_episode};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

/// A policy ES can optimise: a flat parameter vector and a deterministic episode.
pub trait EsPolicy: Clone + Send + Sync {
    /// The flat parameters.
    fn params(&self) -> Vec<f64>;
    /// Replaces the flat parameters.
    fn set_params(&mut self, p: &[f64]);
    /// The return of one deterministic episode from `reset(seed)`.
    fn episode(&self, swim: SwimConfig, seed: u64) -> Result<f64, PolicyError>;
    /// The policy in its saved form.
    fn saved(&self) -> SavedPolicy;
}

impl EsPolicy for Ncap {
    fn params(&self) -> Vec<f64> {
        Ncap::params(self).to_vec()
    }
    fn set_params(&mut self, p: &[f64]) {
        self.params_mut().copy_from_slice(p);
    }
    fn episode(&self, swim: SwimConfig, seed: u64) -> Result<f64, PolicyError> {
        let n = swim.n_bodies.saturating_sub(1);
        let ncap = self.with_joints(n)?;
        let mut env = SwimEnv::new(swim)?;
        Ok(run_episode(&mut env, seed, |obs, t, a| {
            ncap.act(&obs[..n], t, a)
        })?)
    }
    fn saved(&self) -> SavedPolicy {
        SavedPolicy::Ncap { ncap: self.clone() }
    }
}

/// The garage-style MLP for ES: raw observations (no time feature), actions = the tanh mean.
impl EsPolicy for GaussianActor {
    fn params(&self) -> Vec<f64> {
        GaussianActor::params(self)
    }
    fn set_params(&mut self, p: &[f64]) {
        GaussianActor::set_params(self, p);
    }
    fn episode(&self, swim: SwimConfig, seed: u64) -> Result<f64, PolicyError> {
        let mut env = SwimEnv::new(SwimConfig {
            time_feature: false,
            ..swim
        })?;
        if env.obs_dim() != self.mlp.n_in() {
            return Err(PolicyError::ObsDim {
                expected: self.mlp.n_in(),
                got: env.obs_dim(),
                n_bodies: swim.n_bodies,
            });
        }
        let mut cache = MlpCache::default();
        Ok(run_episode(&mut env, seed, |obs, _, a| {
            self.mlp
                .forward(obs, 1, &mut cache)
                .expect("input width checked above");
            a.copy_from_slice(cache.output());
        })?)
    }
    fn saved(&self) -> SavedPolicy {
        SavedPolicy::Gaussian {
            actor: self.clone(),
            normalizer: None,
            time_feature: false,
        }
    }
}

/// Resumable state of an ES run.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Checkpoint {
    config: EsConfig,
    generation: usize,
    steps: u64,
    episodes: u64,
    seconds: f64,
    params: Vec<f64>,
    adam: Adam,
    rows: Vec<LogRow>,
}

/// The result of an ES run.
#[derive(Clone, Debug)]
pub struct EsOutcome<P> {
    /// The final mean policy.
    pub policy: P,
    /// One log row per tested generation (row 0: the initial policy at 0 steps).
    pub rows: Vec<LogRow>,
}

/// Summary written at the end of a run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunSummary {
    /// Algorithm name.
    pub algorithm: String,
    /// Steps used.
    pub steps: u64,
    /// Initial mean test return.
    pub initial_return: f64,
    /// Final mean test return.
    pub final_return: f64,
    /// Parameter count of the policy.
    pub n_params: usize,
    /// Wall time (seconds).
    pub seconds: f64,
}

/// Trains `policy` by ES. With `dir`, logs and checkpoints go there and an existing checkpoint
/// of the same config is resumed.
pub fn train<P: EsPolicy>(
    cfg: &EsConfig,
    policy: P,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<EsOutcome<P>, TrainError> {
    cfg.validate()
        .map_err(|e| TrainError::Config(e.to_string()))?;
    let swim = SwimConfig {
        n_bodies: cfg.n_bodies,
        episode_len: cfg.episode_len,
        ..SwimConfig::default()
    };
    swim.validate()?;
    let tests: Vec<u64> = (0..cfg.test_episodes)
        .map(|k| test_seed(cfg.seed, k))
        .collect();
    let mut policy = policy;
    let mut params = policy.params();
    let mut adam = Adam::new(params.len(), cfg.lr);
    adam.weight_decay = cfg.weight_decay;
    let (mut generation, mut steps, mut episodes, mut seconds_before) = (0usize, 0u64, 0u64, 0.0);
    let mut rows: Vec<LogRow> = Vec::new();

    // resume
    if let Some(d) = dir
        && let Some(ck) = read_json::<Checkpoint>(d, "checkpoint.json")?
        && ck.config == *cfg
        && ck.params.len() == params.len()
    {
        (generation, steps, episodes, seconds_before) =
            (ck.generation, ck.steps, ck.episodes, ck.seconds);
        params = ck.params;
        adam = ck.adam;
        rows = ck.rows;
        policy.set_params(&params);
    }
    let start = Instant::now();
    let elapsed = |s: &Instant| seconds_before + s.elapsed().as_secs_f64();
    if rows.is_empty() {
        let test = rollout::test_returns(&policy, swim, &tests)?;
        rows.push(LogRow::new(0, 0, 0, elapsed(&start), &test, 0.0));
    }
    let per_gen = (cfg.population * cfg.episode_len) as u64;
    while steps + per_gen <= cfg.max_steps {
        // sample, evaluate, rank, step
        let mut rng = nc_core::rng::stream(cfg.seed, "es-noise", generation as u64);
        let noise = update::antithetic_noise(&mut rng, cfg.population, params.len(), cfg.sigma);
        let candidates: Vec<Vec<f64>> = noise
            .iter()
            .map(|e| params.iter().zip(e).map(|(p, x)| p + x).collect())
            .collect();
        let seeds: Vec<u64> = if cfg.common_reset {
            let s = nc_core::rng::stream(cfg.seed, "es-reset", generation as u64).random::<u32>()
                as u64;
            vec![s; cfg.population]
        } else {
            let mut r = nc_core::rng::stream(cfg.seed, "es-reset", generation as u64);
            (0..cfg.population)
                .map(|_| r.random::<u32>() as u64)
                .collect()
        };
        let returns = rollout::population_returns(&policy, &candidates, swim, &seeds)?;
        let grad = update::gradient(&update::centred_ranks(&returns), &noise, cfg.sigma);
        update::apply(&mut adam, &mut params, &grad, cfg.grad_clip);
        if params.iter().any(|p| !p.is_finite()) {
            return Err(TrainError::NonFinite {
                what: "ES parameters",
                epoch: generation,
            });
        }
        policy.set_params(&params);
        generation += 1;
        steps += per_gen;
        episodes += cfg.population as u64;
        let train_mean = returns.iter().sum::<f64>() / returns.len() as f64;
        if generation % cfg.test_every == 0 || steps + per_gen > cfg.max_steps {
            let test = rollout::test_returns(&policy, swim, &tests)?;
            rows.push(LogRow::new(
                generation,
                steps,
                episodes,
                elapsed(&start),
                &test,
                train_mean,
            ));
        }
        progress(&Progress {
            steps,
            max_steps: cfg.max_steps,
            test_mean: rows.last().map_or(0.0, |r| r.test_mean),
        });
        if let Some(d) = dir
            && cfg.checkpoint_every > 0
            && generation % cfg.checkpoint_every == 0
        {
            let ck = Checkpoint {
                config: cfg.clone(),
                generation,
                steps,
                episodes,
                seconds: elapsed(&start),
                params: params.clone(),
                adam: adam.clone(),
                rows: rows.clone(),
            };
            write_json(d, "checkpoint.json", &ck)?;
            write_text(d, "log.csv", &rows_to_csv(&rows))?;
        }
    }
    if let Some(d) = dir {
        write_text(d, "log.csv", &rows_to_csv(&rows))?;
        policy.saved().save(&d.join("policy.json"))?;
        let summary = RunSummary {
            algorithm: "es".into(),
            steps,
            initial_return: rows[0].test_mean,
            final_return: rows.last().map_or(0.0, |r| r.test_mean),
            n_params: params.len(),
            seconds: elapsed(&start),
        };
        write_json(d, "summary.json", &summary)?;
        write_json(d, "config.json", cfg)?;
    }
    Ok(EsOutcome { policy, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> EsConfig {
        EsConfig {
            max_steps: 4 * 8 * 100,
            episode_len: 100,
            test_episodes: 2,
            checkpoint_every: 2,
            ..EsConfig::default()
        }
    }

    #[test]
    fn es_is_deterministic_and_resumes_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = quick();
        let full = train(&cfg, Ncap::default_for(5).unwrap(), None, &mut |_| {}).unwrap();
        let again = train(&cfg, Ncap::default_for(5).unwrap(), None, &mut |_| {}).unwrap();
        assert_eq!(full.policy, again.policy);
        assert_eq!(full.rows.len(), 5);
        // stop after 2 generations (checkpoint), then resume to 4 in the same folder
        let half = EsConfig {
            max_steps: 2 * 8 * 100,
            ..cfg.clone()
        };
        train(
            &half,
            Ncap::default_for(5).unwrap(),
            Some(dir.path()),
            &mut |_| {},
        )
        .unwrap();
        let mut ck: Checkpoint = read_json(dir.path(), "checkpoint.json").unwrap().unwrap();
        ck.config = cfg.clone();
        write_json(dir.path(), "checkpoint.json", &ck).unwrap();
        let resumed = train(
            &cfg,
            Ncap::default_for(5).unwrap(),
            Some(dir.path()),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(resumed.policy, full.policy);
        assert!(dir.path().join("policy.json").exists() && dir.path().join("log.csv").exists());
    }

    #[test]
    fn mlp_es_runs_and_rejects_bad_configs() {
        let mut rng = nc_core::rng::stream(0, "t", 0);
        let actor = GaussianActor::new(23, 5, &[8], &mut rng).unwrap();
        let out = train(
            &EsConfig {
                max_steps: 800,
                ..quick()
            },
            actor,
            None,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(out.rows.len(), 2);
        let bad = EsConfig {
            population: 7,
            ..quick()
        };
        assert!(train(&bad, Ncap::default_for(5).unwrap(), None, &mut |_| {}).is_err());
    }
}
