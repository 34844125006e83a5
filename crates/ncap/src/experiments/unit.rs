//! One training run of a sweep: which algorithm, which policy, which seed and budget.

use crate::actor::GaussianActor;
use crate::ddpg::DdpgConfig;
use crate::es::{EsConfig, RunSummary};
use crate::ncap::{Ncap, NcapConfig};
use crate::ppo::PpoConfig;
use crate::train::{Progress, TrainError, read_json};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Training algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// Evolution strategies.
    Es,
    /// Proximal policy optimisation.
    Ppo,
    /// Deep deterministic policy gradient.
    Ddpg,
}

impl Algo {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Algo::Es => "es",
            Algo::Ppo => "ppo",
            Algo::Ddpg => "ddpg",
        }
    }
}

/// Policy architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// NCAP (with the unit's ablation code).
    Ncap,
    /// The MLP baseline of the algorithm.
    Mlp,
}

impl ModelKind {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Ncap => "ncap",
            ModelKind::Mlp => "mlp",
        }
    }
}

/// Everything that defines one training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSpec {
    /// Algorithm.
    pub algo: Algo,
    /// Policy architecture.
    pub model: ModelKind,
    /// NCAP ablation code `[sharing, signs, constant init]` (ignored for the MLP).
    pub ablation: String,
    /// Run seed (initialisation, noise, resets).
    pub seed: u64,
    /// Environment-step budget.
    pub steps: u64,
    /// Bodies of the swimmer.
    pub n_bodies: usize,
    /// Control steps per episode.
    pub episode_len: usize,
    /// Test episodes per epoch.
    pub test_episodes: usize,
}

impl TrainSpec {
    /// A unit name that is unique within a sweep and safe as a folder name.
    pub fn name(&self) -> String {
        match self.model {
            ModelKind::Ncap => format!(
                "{}-ncap{}-n{}-s{}",
                self.algo.name(),
                self.ablation,
                self.n_bodies,
                self.seed
            ),
            ModelKind::Mlp => format!("{}-mlp-n{}-s{}", self.algo.name(), self.n_bodies, self.seed),
        }
    }

    /// The initial NCAP of this unit (seeded by the run seed).
    pub fn initial_ncap(&self) -> Result<Ncap, TrainError> {
        let cfg =
            NcapConfig::from_code(&self.ablation).map_err(|e| TrainError::Config(e.to_string()))?;
        let mut rng = nc_core::rng::stream(self.seed, "ncap-init", 0);
        Ncap::new(cfg, self.n_bodies.saturating_sub(1), &mut rng)
            .map_err(|e| TrainError::Config(e.to_string()))
    }
}

/// Runs (or resumes) one unit in `dir`; a unit whose `summary.json` exists is not rerun.
pub fn run_unit(
    spec: &TrainSpec,
    dir: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RunSummary, TrainError> {
    if let Some(s) = read_json::<RunSummary>(dir, "summary.json")?
        && read_json::<TrainSpec>(dir, "spec.json")?.as_ref() == Some(spec)
    {
        return Ok(s);
    }
    std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    crate::train::write_json(dir, "spec.json", spec)?;
    let n_joints = spec.n_bodies.saturating_sub(1);
    match (spec.algo, spec.model) {
        (Algo::Es, model) => {
            let base = if model == ModelKind::Ncap {
                EsConfig::default()
            } else {
                EsConfig::script()
            };
            let cfg = EsConfig {
                seed: spec.seed,
                max_steps: spec.steps,
                n_bodies: spec.n_bodies,
                episode_len: spec.episode_len,
                test_episodes: spec.test_episodes,
                ..base
            };
            match model {
                ModelKind::Ncap => {
                    crate::es::train(&cfg, spec.initial_ncap()?, Some(dir), progress)?;
                }
                ModelKind::Mlp => {
                    let mut rng = nc_core::rng::stream(spec.seed, "mlp-init", 0);
                    let obs = n_joints + 3 * spec.n_bodies;
                    let actor = GaussianActor::new(obs, n_joints, &[64, 64], &mut rng)
                        .map_err(|e| TrainError::Config(e.to_string()))?;
                    crate::es::train(&cfg, actor, Some(dir), progress)?;
                }
            }
        }
        (Algo::Ppo, model) => {
            let cfg = PpoConfig {
                seed: spec.seed,
                max_steps: spec.steps,
                n_bodies: spec.n_bodies,
                episode_len: spec.episode_len,
                test_episodes: spec.test_episodes,
                epoch_steps: ppo_epoch(spec.steps),
                ..PpoConfig::default()
            };
            let actor = match model {
                ModelKind::Ncap => crate::ppo::ncap_actor(&cfg, spec.initial_ncap()?),
                ModelKind::Mlp => crate::ppo::mlp_actor(&cfg)?,
            };
            crate::ppo::train(&cfg, actor, Some(dir), progress)?;
        }
        (Algo::Ddpg, model) => {
            // Tonic's warm-up phases, shortened for small budgets
            let cfg = DdpgConfig {
                seed: spec.seed,
                max_steps: spec.steps,
                n_bodies: spec.n_bodies,
                episode_len: spec.episode_len,
                test_episodes: spec.test_episodes,
                epoch_steps: 20_000.min((spec.steps / 5).max(1000)),
                random_steps: 20_000.min(spec.steps / 4),
                steps_before_batches: 10_000.min(spec.steps / 4),
                ..DdpgConfig::default()
            };
            let actor = match model {
                ModelKind::Ncap => crate::ddpg::ncap_actor(spec.initial_ncap()?),
                ModelKind::Mlp => crate::ddpg::mlp_actor(&cfg)?,
            };
            crate::ddpg::train(&cfg, actor, Some(dir), progress)?;
        }
    }
    read_json::<RunSummary>(dir, "summary.json")?
        .ok_or_else(|| TrainError::Config(format!("run in {} wrote no summary", dir.display())))
}

/// Tonic's 20,000-step epochs, shortened for small budgets so a run logs at least ~5 tests.
fn ppo_epoch(steps: u64) -> u64 {
    20_000.min((steps / 5).max(4096))
}
