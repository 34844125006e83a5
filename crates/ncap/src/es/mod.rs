//! OpenAI-style evolution strategies (estorch): antithetic pairs, centred ranks, gradient clamp,
//! Adam, one deterministic episode per candidate. Works for NCAP and for the MLP baseline.
//!
//! A run with an output folder writes `log.csv` (Tonic columns), `checkpoint.json` every few
//! generations and `policy.json` + `summary.json` at the end; rerunning the same config in the
//! same folder resumes from the checkpoint and gives the same result as an uninterrupted run.

pub mod config;
pub mod navigate;
pub mod rollout;
pub mod update;

pub use crate::train::RunSummary;
pub use config::{EsConfig, EsConfigError, EsSettings};

use crate::actor::GaussianActor;
use crate::mlp::MlpCache;
use crate::ncap::Ncap;
use crate::optim::Adam;
use crate::policy::{PolicyError, SavedPolicy};
use crate::train::{Ledger, LogRow, Progress, TrainError, test_seed};
use nc_swimmer::{SwimConfig, SwimEnv, run_episode};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::path::Path;

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

/// The algorithm's part of an ES checkpoint (the ledger holds the counters and the log).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct State {
    params: Vec<f64>,
    adam: Adam,
}

/// The result of an ES run.
#[derive(Clone, Debug)]
pub struct EsOutcome<P> {
    /// The final mean policy.
    pub policy: P,
    /// One log row per tested generation (row 0: the initial policy at 0 steps).
    pub rows: Vec<LogRow>,
    /// What was written to `summary.json` (also without a folder).
    pub summary: RunSummary,
}

/// Trains `policy` by ES. With `dir`, logs and checkpoints go there, and a checkpoint of the
/// same config is resumed exactly: every generation draws its noise and reset seeds from
/// streams indexed by the generation, and the checkpoint holds the parameters and Adam's
/// moments, so a resumed run is bit-identical to an uninterrupted one.
pub fn train<P: EsPolicy>(
    cfg: &EsConfig,
    policy: P,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<EsOutcome<P>, TrainError> {
    cfg.validate()?;
    let swim = SwimConfig {
        n_bodies: cfg.n_bodies,
        episode_len: cfg.episode_len,
        ..SwimConfig::default()
    };
    swim.validate()?;
    crate::train::require_budget("es", cfg.max_steps, cfg.min_budget())?;
    let per_gen = cfg.steps_per_generation();
    let tests: Vec<u64> = (0..cfg.test_episodes)
        .map(|k| test_seed(cfg.seed, k))
        .collect();
    let mut policy = policy;
    let mut params = policy.params();
    let mut adam = Adam::new(params.len(), cfg.lr);
    adam.weight_decay = cfg.weight_decay;
    let (mut ledger, resumed) = Ledger::open::<_, State>(dir, cfg, cfg.max_steps)?;
    if let Some((st, _)) = resumed {
        if st.params.len() != params.len() || !st.adam.fits(params.len()) {
            return Err(ledger.checkpoint_error(format!(
                "holds {} parameters (or Adam moments of another size); the policy has {}",
                st.params.len(),
                params.len()
            )));
        }
        params = st.params;
        adam = st.adam;
        policy.set_params(&params);
    }
    ledger.first_test(|| Ok(rollout::test_returns(&policy, swim, &tests)?))?;
    while ledger.steps + per_gen <= cfg.max_steps {
        // sample, evaluate, rank, step
        let generation = ledger.epoch as u64;
        let mut rng = nc_core::rng::stream(cfg.seed, "es-noise", generation);
        let noise = update::antithetic_noise(&mut rng, cfg.population, params.len(), cfg.sigma);
        let candidates: Vec<Vec<f64>> = noise
            .iter()
            .map(|e| params.iter().zip(e).map(|(p, x)| p + x).collect())
            .collect();
        let mut r = nc_core::rng::stream(cfg.seed, "es-reset", generation);
        let seeds: Vec<u64> = if cfg.common_reset {
            vec![u64::from(r.random::<u32>()); cfg.population]
        } else {
            (0..cfg.population)
                .map(|_| u64::from(r.random::<u32>()))
                .collect()
        };
        let returns = rollout::population_returns(&policy, &candidates, swim, &seeds)?;
        let grad = update::gradient(&update::centred_ranks(&returns), &noise, cfg.sigma);
        update::apply(&mut adam, &mut params, &grad, cfg.grad_clip);
        if params.iter().any(|p| !p.is_finite()) {
            return Err(TrainError::NonFinite {
                what: "ES parameters",
                epoch: ledger.epoch,
            });
        }
        policy.set_params(&params);
        ledger.epoch += 1;
        ledger.add(per_gen, &returns);
        if ledger.epoch.is_multiple_of(cfg.test_every) || ledger.steps + per_gen > cfg.max_steps {
            ledger.log_test(&rollout::test_returns(&policy, swim, &tests)?);
        }
        if cfg.checkpoint_every > 0 && ledger.epoch.is_multiple_of(cfg.checkpoint_every) {
            let state = State {
                params: params.clone(),
                adam: adam.clone(),
            };
            ledger.checkpoint(cfg, &state, &Default::default())?;
        }
        progress(&ledger.progress());
    }
    let summary = ledger.finish("es", cfg, &policy.saved())?;
    Ok(EsOutcome {
        policy,
        rows: ledger.rows,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::CHECKPOINT_FILE;

    fn quick() -> EsConfig {
        EsConfig {
            max_steps: 4 * 8 * 100,
            episode_len: 100,
            test_episodes: 2,
            ..EsConfig::with_settings(EsSettings::NCAP_FAST)
        }
    }

    #[test]
    fn es_is_deterministic_and_resumes_exactly() {
        let cfg = quick();
        let full = train(&cfg, Ncap::default_for(5).unwrap(), None, &mut |_| {}).unwrap();
        let again = train(&cfg, Ncap::default_for(5).unwrap(), None, &mut |_| {}).unwrap();
        assert_eq!(full.policy, again.policy);
        assert_eq!(full.rows.len(), 5);
        assert!(full.policy != Ncap::default_for(5).unwrap());
        // keep the checkpoint written after generation 2 of a run, as a kill would leave it
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        train(
            &cfg,
            Ncap::default_for(5).unwrap(),
            Some(a.path()),
            &mut |p| {
                if p.steps == 2 * 800 {
                    std::fs::copy(
                        a.path().join(CHECKPOINT_FILE),
                        b.path().join(CHECKPOINT_FILE),
                    )
                    .unwrap();
                }
            },
        )
        .unwrap();
        let resumed = train(
            &cfg,
            Ncap::default_for(5).unwrap(),
            Some(b.path()),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(resumed.policy, full.policy);
        assert_eq!(resumed.rows.len(), full.rows.len());
        for (x, y) in resumed.rows.iter().zip(&full.rows) {
            assert_eq!(
                (x.steps, x.test_mean, x.train_mean),
                (y.steps, y.test_mean, y.train_mean)
            );
        }
        let read = |d: &Path| std::fs::read(d.join(crate::policy_file::POLICY_FILE)).unwrap();
        assert_eq!(read(a.path()), read(b.path()));
        assert!(
            !b.path().join(CHECKPOINT_FILE).exists(),
            "a finished run drops its checkpoint"
        );
        // a checkpoint of another configuration is refused, naming the field
        std::fs::copy(a.path().join("summary.json"), b.path().join("x")).unwrap();
        let c = tempfile::tempdir().unwrap();
        let other = EsConfig {
            sigma: 0.07,
            ..cfg.clone()
        };
        train(
            &cfg,
            Ncap::default_for(5).unwrap(),
            Some(c.path()),
            &mut |p| {
                if p.steps == 800 {
                    std::fs::copy(
                        c.path().join(CHECKPOINT_FILE),
                        b.path().join(CHECKPOINT_FILE),
                    )
                    .unwrap();
                }
            },
        )
        .unwrap();
        let e = train(
            &other,
            Ncap::default_for(5).unwrap(),
            Some(b.path()),
            &mut |_| {},
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("sigma: 0.05 → 0.07") && e.contains("--force"),
            "{e}"
        );
    }

    #[test]
    fn mlp_es_runs_and_bad_configs_and_budgets_are_refused() {
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
        let e = train(&bad, Ncap::default_for(5).unwrap(), None, &mut |_| {}).unwrap_err();
        assert!(
            e.to_string().starts_with("invalid ES settings: population"),
            "{e}"
        );
        // less than one generation (8 episodes of 100 steps) trains nothing: refused
        let small = EsConfig {
            max_steps: 799,
            ..quick()
        };
        let e = train(&small, Ncap::default_for(5).unwrap(), None, &mut |_| {})
            .unwrap_err()
            .to_string();
        assert!(e.contains("at least 800") && e.contains("799"), "{e}");
        // a budget between whole generations trains the whole ones and says so in the summary
        let odd = EsConfig {
            max_steps: 1700,
            ..quick()
        };
        let s = train(&odd, Ncap::default_for(5).unwrap(), None, &mut |_| {})
            .unwrap()
            .summary;
        assert_eq!((s.steps, s.max_steps), (1600, 1700));
    }
}
