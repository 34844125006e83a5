//! One training run: which algorithm, which policy, which seed, budget and sizes, and the run
//! folder it is trained in (built beside its final place and renamed there when finished).

use crate::actor::GaussianActor;
use crate::ddpg::DdpgConfig;
use crate::es::navigate::Navigating;
use crate::es::{EsConfig, EsSettings};
use crate::ncap::{Ncap, NcapConfig};
use crate::ppo::PpoConfig;
use crate::precision::Precision;
use crate::train::{Progress, RunSummary, TrainError, differing_fields, read_json};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
    /// Every algorithm.
    pub const ALL: [Algo; 3] = [Algo::Es, Algo::Ppo, Algo::Ddpg];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Algo::Es => "es",
            Algo::Ppo => "ppo",
            Algo::Ddpg => "ddpg",
        }
    }

    /// The reference's MLP hidden sizes: garage's ES and Tonic's PPO 64×64, Tonic's DDPG
    /// 256×256.
    pub fn default_mlp_hidden(self) -> Vec<usize> {
        match self {
            Algo::Ddpg => vec![256, 256],
            _ => vec![64, 64],
        }
    }

    /// The reference's critic hidden sizes (none for ES).
    pub fn default_critic_hidden(self) -> Vec<usize> {
        match self {
            Algo::Es => Vec::new(),
            Algo::Ppo => PpoConfig::default().critic_hidden,
            Algo::Ddpg => DdpgConfig::default().critic_hidden,
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

/// What the swimmer is asked to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Swim forward as fast as possible (the paper's task).
    #[default]
    Swim,
    /// Reach a randomly placed target (dm_control's swimmer task, the reference's `navigate`).
    Navigate,
}

impl Task {
    /// Whether this is the paper's swim task (the default, left out of `spec.json`).
    pub fn is_swim(&self) -> bool {
        *self == Task::Swim
    }
}

/// Everything that defines one training run (written to its folder as `spec.json`).
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
    /// Environment-step budget (spent in whole updates: see [`TrainSpec::trained_steps`]).
    pub steps: u64,
    /// Bodies of the swimmer.
    pub n_bodies: usize,
    /// Control steps per episode.
    pub episode_len: usize,
    /// Test episodes per epoch.
    pub test_episodes: usize,
    /// Hidden sizes of the MLP actor (recorded for NCAP runs too: the comparison's baseline).
    pub mlp_hidden: Vec<usize>,
    /// Hidden sizes of the critic, the same for NCAP and the MLP (empty for ES).
    pub critic_hidden: Vec<usize>,
    /// ES update settings (ES runs only).
    pub es: Option<EsSettings>,
    /// Float type of the PPO and DDPG networks (ES works in f64; specs written before this
    /// field existed read as f64).
    #[serde(default = "Precision::legacy")]
    pub precision: Precision,
    /// The task (swim unless stated; specs of swim runs do not name it).
    #[serde(default, skip_serializing_if = "Task::is_swim")]
    pub task: Task,
}

impl TrainSpec {
    /// A run with the reference's defaults: the default NCAP (`111`), 6 bodies, 1,000-step
    /// episodes, 5 test episodes, the algorithm's MLP and critic sizes, and for ES the
    /// estorch script's settings.
    pub fn new(algo: Algo, model: ModelKind, seed: u64, steps: u64) -> Self {
        Self {
            algo,
            model,
            ablation: "111".into(),
            seed,
            steps,
            n_bodies: 6,
            episode_len: 1000,
            test_episodes: 5,
            mlp_hidden: algo.default_mlp_hidden(),
            critic_hidden: algo.default_critic_hidden(),
            es: (algo == Algo::Es).then_some(EsSettings::SCRIPT),
            precision: Precision::default(),
            task: Task::Swim,
        }
    }

    /// A unit name that is unique within a sweep and safe as a folder name.
    pub fn name(&self) -> String {
        let task = match self.task {
            Task::Swim => "",
            Task::Navigate => "nav-",
        };
        let name = match self.model {
            ModelKind::Ncap => format!(
                "{}-ncap{}-n{}-s{}",
                self.algo.name(),
                self.ablation,
                self.n_bodies,
                self.seed
            ),
            // the size is named where it is not the reference's, so both sizes fit one sweep
            ModelKind::Mlp if self.mlp_hidden != self.algo.default_mlp_hidden() => format!(
                "{}-mlp{}-n{}-s{}",
                self.algo.name(),
                super::curves::hidden_name(&self.mlp_hidden),
                self.n_bodies,
                self.seed
            ),
            ModelKind::Mlp => format!("{}-mlp-n{}-s{}", self.algo.name(), self.n_bodies, self.seed),
        };
        // f32 is the learners' default; an f64 run of PPO or DDPG says so (ES is always f64)
        let precision = match (self.algo, self.precision) {
            (Algo::Ppo | Algo::Ddpg, Precision::F64) => "-f64",
            _ => "",
        };
        format!("{task}{name}{precision}")
    }

    /// Observations of the MLP: the swim observation, plus `to_target` on the target task.
    pub fn mlp_obs_dim(&self) -> usize {
        let swim = nc_swimmer::SwimConfig {
            n_bodies: self.n_bodies,
            ..nc_swimmer::SwimConfig::default()
        }
        .obs_dim();
        swim + match self.task {
            Task::Swim => 0,
            Task::Navigate => 2,
        }
    }

    /// The initial NCAP of this unit (seeded by the run seed).
    pub fn initial_ncap(&self) -> Result<Ncap, TrainError> {
        let cfg = NcapConfig::from_code(&self.ablation)?;
        let mut rng = nc_core::rng::stream(self.seed, "ncap-init", 0);
        Ok(Ncap::new(cfg, self.n_bodies.saturating_sub(1), &mut rng)?)
    }

    /// The ES configuration of this unit.
    pub fn es_config(&self) -> EsConfig {
        EsConfig {
            seed: self.seed,
            max_steps: self.steps,
            n_bodies: self.n_bodies,
            episode_len: self.episode_len,
            test_episodes: self.test_episodes,
            ..EsConfig::default()
        }
        .settings_applied(self.es.unwrap_or(EsSettings::SCRIPT))
    }

    /// The PPO configuration of this unit: Tonic's, with 20,000-step epochs shortened for
    /// small budgets so a run logs about 5 tests.
    pub fn ppo_config(&self) -> PpoConfig {
        PpoConfig {
            seed: self.seed,
            max_steps: self.steps,
            n_bodies: self.n_bodies,
            episode_len: self.episode_len,
            test_episodes: self.test_episodes,
            epoch_steps: 20_000.min((self.steps / 5).max(4096)),
            mlp_hidden: self.mlp_hidden.clone(),
            critic_hidden: self.critic_hidden.clone(),
            precision: self.precision,
            task: self.task,
            ..PpoConfig::default()
        }
    }

    /// The DDPG configuration of this unit: Tonic's, with the warm-up phases and epochs
    /// shortened for small budgets (a quarter of the budget random, at least 5 tests).
    pub fn ddpg_config(&self) -> DdpgConfig {
        DdpgConfig {
            seed: self.seed,
            max_steps: self.steps,
            n_bodies: self.n_bodies,
            episode_len: self.episode_len,
            test_episodes: self.test_episodes,
            epoch_steps: 20_000.min((self.steps / 5).max(200)),
            random_steps: 20_000.min(self.steps / 4),
            steps_before_batches: 10_000.min(self.steps / 4),
            mlp_hidden: self.mlp_hidden.clone(),
            critic_hidden: self.critic_hidden.clone(),
            precision: self.precision,
            ..DdpgConfig::default()
        }
    }

    /// The steps that will be trained: the budget rounded down to whole ES generations or
    /// PPO segments (DDPG trains every step).
    pub fn trained_steps(&self) -> u64 {
        let unit = match self.algo {
            Algo::Es => self.es_config().steps_per_generation().max(1),
            Algo::Ppo => self.ppo_config().segment.max(1) as u64,
            Algo::Ddpg => 1,
        };
        self.steps / unit * unit
    }

    /// Checks everything a run needs before anything is written: the body, the ablation code,
    /// the network sizes, the algorithm's settings and a budget of at least one update.
    pub fn check(&self) -> Result<(), TrainError> {
        let swim = nc_swimmer::SwimConfig {
            n_bodies: self.n_bodies,
            episode_len: self.episode_len,
            ..nc_swimmer::SwimConfig::default()
        };
        swim.validate()?;
        let steered =
            self.model == ModelKind::Ncap && self.initial_ncap()?.config().steering.is_some();
        let (algo, steps) = (self.algo.name(), self.steps);
        if steered && self.task == Task::Swim && self.algo == Algo::Ppo {
            return Err(TrainError::Settings {
                algo,
                message: format!(
                    "NCAP {} steers by to_target, which only the target task observes",
                    self.ablation
                ),
            });
        }
        if self.task == Task::Navigate && self.algo == Algo::Ddpg {
            return Err(TrainError::Settings {
                algo,
                message: "the target task is trained by ES and PPO only; DDPG trains on swim"
                    .into(),
            });
        }
        match self.algo {
            Algo::Es => {
                let cfg = self.es_config();
                cfg.validate()?;
                crate::train::require_budget(algo, steps, cfg.min_budget())?;
            }
            Algo::Ppo => {
                let cfg = self.ppo_config();
                cfg.validate()
                    .map_err(|message| TrainError::Settings { algo, message })?;
                crate::train::require_budget(algo, steps, cfg.min_budget())?;
            }
            Algo::Ddpg => {
                let cfg = self.ddpg_config();
                cfg.validate()
                    .map_err(|message| TrainError::Settings { algo, message })?;
                crate::train::require_budget(algo, steps, cfg.min_budget())?;
            }
        }
        if self.model == ModelKind::Mlp {
            let sizes = [
                &[self.mlp_obs_dim()][..],
                &self.mlp_hidden,
                &[self.n_bodies - 1],
            ]
            .concat();
            crate::mlp::param_count(&sizes)?;
        }
        Ok(())
    }
}

/// The sibling folder a run is trained in before it is renamed to `dir`.
pub fn partial_dir(dir: &Path) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    dir.with_file_name(format!(".{name}.partial"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

// what a run folder holds: nothing, an empty folder, a run of some spec, or foreign files
fn stored_spec(dir: &Path, spec: &TrainSpec) -> Result<Option<Result<(), String>>, TrainError> {
    if !dir.exists() {
        return Ok(None);
    }
    let wanted = serde_json::to_value(spec).unwrap_or_default();
    match read_json::<serde_json::Value>(dir, "spec.json") {
        Ok(Some(v)) if v == wanted => Ok(Some(Ok(()))),
        Ok(Some(v)) => Ok(Some(Err(differing_fields(&v, &wanted)))),
        Ok(None) => {
            let empty = std::fs::read_dir(dir).map_err(io(dir))?.next().is_none();
            Ok((!empty).then(|| Err("it holds files but no spec.json".into())))
        }
        Err(e) => Ok(Some(Err(format!("its spec.json is unreadable: {e}")))),
    }
}

fn remove_dir(dir: &Path) -> Result<(), TrainError> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(dir)(e)),
        _ => Ok(()),
    }
}

/// Runs (or resumes, or finds finished) one unit whose results belong in `dir`. A folder
/// holding another run is refused; see [`run_unit_with`] to replace it.
pub fn run_unit(
    spec: &TrainSpec,
    dir: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RunSummary, TrainError> {
    run_unit_with(spec, dir, false, progress)
}

/// [`run_unit`], with `force` replacing a folder that holds another run (or this run: it is
/// trained again from scratch).
///
/// Nothing is written when the spec is invalid. The run is trained in
/// [`partial_dir`]`(dir)`, which a rerun resumes exactly from its checkpoint, and renamed to
/// `dir` when finished, so `dir` appears only whole.
pub fn run_unit_with(
    spec: &TrainSpec,
    dir: &Path,
    force: bool,
    progress: &mut dyn FnMut(&Progress),
) -> Result<RunSummary, TrainError> {
    spec.check()?;
    let partial = partial_dir(dir);
    if force {
        remove_dir(dir)?;
        remove_dir(&partial)?;
    }
    let other = |d: &Path, differing: String| TrainError::OtherRun {
        dir: d.to_path_buf(),
        differing,
    };
    match stored_spec(dir, spec)? {
        Some(Ok(())) => {
            if let Some(s) = read_json::<RunSummary>(dir, "summary.json")? {
                return Ok(s);
            }
            // an unfinished run in the final folder (an older layout): finish it beside
            if partial.exists() {
                return Err(other(
                    dir,
                    "an unfinished run, and another beside it".into(),
                ));
            }
            std::fs::rename(dir, &partial).map_err(io(dir))?;
        }
        Some(Err(why)) => return Err(other(dir, why)),
        None => remove_dir(dir)?,
    }
    match stored_spec(&partial, spec)? {
        Some(Ok(())) | None => {}
        Some(Err(why)) if why.starts_with("it holds files") => remove_dir(&partial)?,
        Some(Err(why)) => return Err(other(&partial, why)),
    }
    // the run is staged beside `dir`; name the folder the user asked for, not the stage
    std::fs::create_dir_all(&partial).map_err(|source| TrainError::OutputFolder {
        dir: dir.to_path_buf(),
        source,
    })?;
    crate::train::write_json(&partial, "spec.json", spec)?;
    let p = partial.as_path();
    let summary = match (spec.algo, spec.model) {
        (Algo::Es, ModelKind::Ncap) => {
            let ncap = spec.initial_ncap()?;
            let cfg = spec.es_config();
            match spec.task {
                Task::Swim => crate::es::train(&cfg, ncap, Some(p), progress)?.summary,
                Task::Navigate => {
                    crate::es::train(&cfg, Navigating(ncap), Some(p), progress)?.summary
                }
            }
        }
        (Algo::Es, ModelKind::Mlp) => {
            // garage's policy reads the observation without the time feature
            let mut rng = nc_core::rng::stream(spec.seed, "mlp-init", 0);
            let actor = GaussianActor::new(
                spec.mlp_obs_dim(),
                spec.n_bodies - 1,
                &spec.mlp_hidden,
                &mut rng,
            )?;
            let cfg = spec.es_config();
            match spec.task {
                Task::Swim => crate::es::train(&cfg, actor, Some(p), progress)?.summary,
                Task::Navigate => {
                    crate::es::train(&cfg, Navigating(actor), Some(p), progress)?.summary
                }
            }
        }
        (Algo::Ppo, model) => {
            let cfg = spec.ppo_config();
            let actor = match model {
                ModelKind::Ncap => crate::ppo::ncap_actor(&cfg, spec.initial_ncap()?),
                ModelKind::Mlp => crate::ppo::mlp_actor(&cfg)?,
            };
            crate::ppo::train(&cfg, actor, Some(p), progress)?.summary
        }
        (Algo::Ddpg, model) => {
            let cfg = spec.ddpg_config();
            let actor = match model {
                ModelKind::Ncap => crate::ddpg::ncap_actor(spec.initial_ncap()?),
                ModelKind::Mlp => crate::ddpg::mlp_actor(&cfg)?,
            };
            crate::ddpg::train(&cfg, actor, Some(p), progress)?.summary
        }
    };
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    std::fs::rename(&partial, dir).map_err(io(dir))?;
    Ok(summary)
}
