//! What the trainers share: errors, Tonic-style logs, test and reset seeds, the run
//! [`Ledger`] (resume, first test row, epoch bookkeeping, checkpoints, log, summary) and the
//! checkpoint file.

mod checkpoint;
mod ledger;

pub use checkpoint::{CHECKPOINT_FILE, Tensors, read_checkpoint, write_checkpoint};
pub use ledger::{Ledger, RunSummary};

use crate::es::EsConfigError;
use crate::mlp::MlpError;
use crate::ncap::NcapError;
use crate::policy::PolicyError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a training run (or an experiment built on training runs) failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrainError {
    /// A policy or simulation failure.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The NCAP controller could not be built.
    #[error(transparent)]
    Ncap(#[from] NcapError),
    /// The MLP could not be built.
    #[error(transparent)]
    Mlp(#[from] MlpError),
    /// Bad ES settings.
    #[error("invalid ES settings: {0}")]
    Es(#[from] EsConfigError),
    /// Bad PPO or DDPG settings.
    #[error("invalid {algo} settings: {message}")]
    Settings {
        /// `ppo` or `ddpg`.
        algo: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The step budget cannot pay for one update.
    #[error(
        "{algo} needs at least {minimum} environment steps for one update ({unit}); {requested} were requested"
    )]
    Budget {
        /// The algorithm.
        algo: &'static str,
        /// Steps requested.
        requested: u64,
        /// The smallest budget that trains.
        minimum: u64,
        /// What one update costs.
        unit: String,
    },
    /// The folder holds a run of another configuration.
    #[error(
        "{dir} holds another run ({differing}); pass --force to replace it, or choose another folder"
    )]
    OtherRun {
        /// The run folder.
        dir: PathBuf,
        /// The fields that differ, `field: stored → requested`.
        differing: String,
    },
    /// A policy file that should hold an NCAP holds another kind of policy.
    #[error("{path} holds a {kind} policy; an NCAP policy is needed")]
    NotNcap {
        /// The file.
        path: PathBuf,
        /// Its kind.
        kind: &'static str,
    },
    /// A figure could not be drawn or saved.
    #[error("figure: {0}")]
    Plot(#[from] nc_plot::PlotError),
    /// A sweep folder is inconsistent (merge of foreign shards, missing files).
    #[error("{0}")]
    Sweep(String),
    /// The output folder cannot be made (its parent is missing or not writable).
    #[error("cannot create the output folder {dir}")]
    OutputFolder {
        /// The folder asked for.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the run folder failed.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint or log could not be parsed, or does not fit the run.
    #[error("{path}: {message}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The sweep engine refused or failed (stale units, an empty grid, a bad merge).
    #[error(transparent)]
    Engine(#[from] nc_core::sweep::SweepError),
    /// A numerical failure in an update.
    #[error("non-finite {what} at epoch {epoch}")]
    NonFinite {
        /// What became non-finite.
        what: &'static str,
        /// When.
        epoch: usize,
    },
}

impl From<nc_swimmer::SimError> for TrainError {
    fn from(e: nc_swimmer::SimError) -> Self {
        TrainError::Policy(PolicyError::Sim(e))
    }
}

impl From<nc_swimmer::ConfigError> for TrainError {
    fn from(e: nc_swimmer::ConfigError) -> Self {
        TrainError::Policy(PolicyError::Config(e))
    }
}

/// One row of the training log; the CSV uses Tonic's column names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    /// Epoch (ES: generation).
    pub epoch: usize,
    /// Environment steps used for training so far.
    pub steps: u64,
    /// Training episodes finished so far.
    pub episodes: u64,
    /// Wall time so far (seconds).
    pub seconds: f64,
    /// Mean test return.
    pub test_mean: f64,
    /// Standard deviation of the test returns.
    pub test_std: f64,
    /// Lowest test return.
    pub test_min: f64,
    /// Highest test return.
    pub test_max: f64,
    /// Mean return of the training episodes of this epoch (NaN-free: 0 when none ended).
    pub train_mean: f64,
}

/// The CSV header, Tonic's names.
pub const CSV_HEADER: &str = "train/epochs,train/steps,train/episodes,train/seconds,test/episode_score/mean,test/episode_score/std,test/episode_score/min,test/episode_score/max,train/episode_score/mean";

/// Renders rows as CSV with [`CSV_HEADER`].
pub fn rows_to_csv(rows: &[LogRow]) -> String {
    let mut s = String::from(CSV_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(&format!(
            "{},{},{},{:.3},{},{},{},{},{}\n",
            r.epoch,
            r.steps,
            r.episodes,
            r.seconds,
            r.test_mean,
            r.test_std,
            r.test_min,
            r.test_max,
            r.train_mean
        ));
    }
    s
}

impl LogRow {
    /// A row from test returns.
    pub fn new(
        epoch: usize,
        steps: u64,
        episodes: u64,
        seconds: f64,
        test: &[f64],
        train_mean: f64,
    ) -> Self {
        let r = crate::policy::EvalResult::from_returns(test.to_vec());
        let min = test.iter().copied().fold(f64::INFINITY, f64::min);
        let max = test.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Self {
            epoch,
            steps,
            episodes,
            seconds,
            test_mean: r.mean,
            test_std: r.sd,
            test_min: min,
            test_max: max,
            train_mean,
        }
    }
}

/// Progress of a run, for the caller's progress bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Environment steps so far.
    pub steps: u64,
    /// The step budget.
    pub max_steps: u64,
    /// The latest mean test return.
    pub test_mean: f64,
}

/// Reset seed of test episode `k` of a run: fixed per run seed and apart from training seeds
/// (which are below 2³²) for every run seed below about 1.8·10¹⁶; wrapping beyond.
pub fn test_seed(run_seed: u64, k: usize) -> u64 {
    1_000_000_000u64
        .wrapping_add(run_seed.wrapping_mul(1_000))
        .wrapping_add(k as u64)
}

/// Writes `value` as JSON to `dir/name` atomically.
pub fn write_json(dir: &Path, name: &str, value: &impl Serialize) -> Result<(), TrainError> {
    let path = dir.join(name);
    nc_core::output::write_json_atomic(&path, value)
        .map_err(|source| TrainError::Io { path, source })
}

/// Writes text to `dir/name` atomically.
pub fn write_text(dir: &Path, name: &str, text: &str) -> Result<(), TrainError> {
    let path = dir.join(name);
    nc_core::output::write_atomic(&path, text.as_bytes())
        .map_err(|source| TrainError::Io { path, source })
}

/// Reads JSON from `dir/name`; `Ok(None)` when the file does not exist.
pub fn read_json<T: for<'de> Deserialize<'de>>(
    dir: &Path,
    name: &str,
) -> Result<Option<T>, TrainError> {
    let path = dir.join(name);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(TrainError::Io { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| TrainError::Checkpoint {
            path,
            message: e.to_string(),
        })
}

/// Reset seed of the `k`-th training episode of a run (apart from the test seeds).
pub fn train_seed(run_seed: u64, k: u64) -> u64 {
    use rand::RngExt;
    u64::from(nc_core::rng::stream(run_seed, "train-reset", k).random::<u32>())
}

/// Steps every environment with its action row into `out` (cleared first, its capacity
/// reused): in parallel (rayon) for several environments, inline for one, where waking the
/// thread pool would cost more than the step.
pub fn step_envs<E: nc_swimmer::Episodic + Send>(
    envs: &mut [E],
    actions: &[f64],
    act_dim: usize,
    out: &mut Vec<Result<(f64, bool), nc_swimmer::SimError>>,
) {
    use rayon::prelude::*;
    let one = |(env, u): (&mut E, &[f64])| env.step(u).map(|o| (o.reward, o.done));
    if envs.len() == 1 {
        out.clear();
        out.extend(envs.iter_mut().zip(actions.chunks(act_dim)).map(one));
    } else {
        envs.par_iter_mut()
            .zip(actions.par_chunks(act_dim))
            .map(one)
            .collect_into_vec(out);
    }
}

/// What a gradient trainer checks and builds before its first step: its settings (the
/// config's `validate()`), the swimmer, a budget (`requested`, then the minimum and what it
/// buys) of at least one update, then `n_envs` training environments of `task` seeded by
/// `seed`.
pub(crate) fn start(
    algo: &'static str,
    settings: Result<(), String>,
    (task, swim): (crate::experiments::unit::Task, nc_swimmer::SwimConfig),
    (requested, minimum): (u64, (u64, String)),
    n_envs: usize,
    seed: u64,
) -> Result<crate::envs::TrainingEnvs, TrainError> {
    settings.map_err(|message| TrainError::Settings { algo, message })?;
    swim.validate()?;
    require_budget(algo, requested, minimum)?;
    crate::envs::TrainingEnvs::with_task(task, swim, n_envs, seed)
}

/// Refuses a budget below one update: `minimum` steps, what `unit` costs.
pub fn require_budget(
    algo: &'static str,
    requested: u64,
    (minimum, unit): (u64, String),
) -> Result<(), TrainError> {
    if requested < minimum {
        Err(TrainError::Budget {
            algo,
            requested,
            minimum,
            unit,
        })
    } else {
        Ok(())
    }
}

/// Removes the temporaries (`.NAME.<pid>.tmp`, files or folders) in `dir` that a killed
/// process left behind: those whose process is gone. With `name`, only those of that name.
pub fn remove_stale_temporaries(dir: &Path, name: Option<&str>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let Some((stem, pid)) = f
            .strip_prefix('.')
            .and_then(|r| r.strip_suffix(".tmp"))
            .and_then(|r| r.rsplit_once('.'))
        else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if name.is_some_and(|n| n != stem) {
            continue;
        }
        let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
        if !alive {
            let p = e.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// The fields in which two configurations differ, as `field: stored → requested`, for
/// messages that refuse to mix runs (empty when they serialise alike).
pub fn differing_fields<A: Serialize, B: Serialize>(stored: &A, requested: &B) -> String {
    let (a, b) = (
        serde_json::to_value(stored).unwrap_or_default(),
        serde_json::to_value(requested).unwrap_or_default(),
    );
    let mut out = Vec::new();
    match (a.as_object(), b.as_object()) {
        (Some(x), Some(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let (va, vb) = (x.get(k), y.get(k));
                if va != vb {
                    let show = |v: Option<&serde_json::Value>| {
                        v.map_or("absent".to_string(), |v| v.to_string())
                    };
                    out.push(format!("{k}: {} → {}", show(va), show(vb)));
                }
            }
        }
        _ if a != b => out.push(format!("{a} → {b}")),
        _ => {}
    }
    out.join(", ")
}
