//! Every richlazy experiment (the rank sweep, structure, controls) is a grid of labelled
//! training runs ([`Cell`]s) on the one sweep engine of nc-core ([`nc_core::sweep`]): run in
//! a fixed unit order, in parallel, resumed only where a unit's stored key matches,
//! shardable (`--shard I/N`) and merged atomically. A run that diverges (a non-finite loss
//! or state, e.g. at a large gain) is recorded as an outcome of the grid, not a failure.
//!
//! Each unit has the engine's record `units/<name>.unit.json` and a folder `units/<name>/`
//! holding the run's `result.json` (a [`RunResult`]).

use crate::model::ModelError;
use crate::protocol::run;
use crate::train::{RunResult, TrainConfig, TrainError};
use nc_core::output::write_json_atomic;
use nc_core::sweep::{Outcome, RunOptions, Status, Sweep, Unit, unit_dir};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

pub use nc_core::sweep::Event as SweepEvent;

/// A run's result file in its unit folder.
pub const RESULT: &str = "result.json";

/// One unit of a grid: a run with the condition it belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// The condition (e.g. a matrix label, a norm, a gain series).
    pub condition: String,
    /// The variant inside the condition (e.g. `structured`/`shuffled`, a rank, a gain).
    pub variant: String,
    /// The numeric coordinate of the variant for plots (rank, gain, 0/1).
    pub x: f64,
    /// The run.
    pub cfg: TrainConfig,
}

impl Unit for Cell {
    type Key = Cell;

    /// `<task>_seed<seed>_<condition>_<variant>` (task `sMNIST` for sequential MNIST).
    fn name(&self) -> String {
        format!(
            "{}_seed{}_{}_{}",
            self.cfg.task_label(),
            self.cfg.seed,
            self.condition,
            self.variant
        )
    }

    /// The whole cell: its labels and every setting of its run.
    fn key(&self) -> &Cell {
        self
    }
}

/// A finished unit: the cell, its key hash and its run.
#[derive(Clone, Debug, PartialEq)]
pub struct UnitRecord {
    /// The unit.
    pub cell: Cell,
    /// Hash of its key, as stored in its record.
    pub key_hash: String,
    /// The run.
    pub result: RunResult,
}

/// Why an experiment failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The sweep engine refused or failed (stale units, an empty grid, a bad merge, a run).
    #[error(transparent)]
    Engine(#[from] nc_core::sweep::SweepError),
    /// A rank outside `1..=N`.
    #[error("rank {rank} is out of range: expected 1 <= rank <= {n} (the hidden size)")]
    Rank {
        /// The rank.
        rank: usize,
        /// Hidden size.
        n: usize,
    },
    /// A run outside the engine failed (e.g. rebuilding an initial matrix for a figure).
    #[error("unit {unit}: {cause}")]
    Run {
        /// The unit.
        unit: String,
        /// The cause.
        cause: TrainError,
    },
    /// Reading or writing results failed.
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// A results file could not be parsed, or belongs to another version of the grid.
    #[error("{path}: {msg}")]
    Parse {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        msg: String,
    },
    /// A plot could not be drawn.
    #[error("plot {path}: {msg}")]
    Plot {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        msg: String,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |cause| SweepError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// The failure of one unit's run inside the engine.
#[derive(Debug, Error)]
enum UnitError {
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
}

/// The run every grid's quick (CI-sized) preset starts from: N = 48, 400 SGD iterations at
/// learning rate 0.01 with momentum 0.9, a small probe and kernel.
pub(crate) fn quick_base() -> TrainConfig {
    TrainConfig {
        n: 48,
        iters: 400,
        optimizer: crate::optim::OptimizerConfig::Sgd {
            lr: 0.01,
            momentum: 0.9,
        },
        probe_batches: 2,
        kernel_trials: 8,
        track_every: 200,
        ..TrainConfig::default()
    }
}

/// Runs this shard's pending units of `experiment` (configuration `config`) in parallel and
/// returns where every unit of the grid stands.
pub fn run_cells<C: Serialize>(
    experiment: &str,
    config: &C,
    cells: &[Cell],
    opts: &RunOptions,
    progress: &(dyn Fn(SweepEvent) + Sync),
) -> Result<Status, SweepError> {
    let sweep = Sweep::new(experiment, config, cells)?;
    let opts = RunOptions {
        parallel: true,
        ..opts.clone()
    };
    let status = sweep.run(&opts, progress, |_, cell: &Cell, dir: &Path| {
        match run(&cell.cfg, &mut |_, _| {}) {
            Ok(result) => {
                let p = dir.join(RESULT);
                write_json_atomic(&p, &result).map_err(|cause| UnitError::Io { path: p, cause })?;
                Ok(Outcome::Finished)
            }
            Err(TrainError::Model(e @ ModelError::NonFinite { .. })) => Ok(Outcome::Diverged {
                reason: e.to_string(),
            }),
            Err(e) => Err(UnitError::from(e)),
        }
    })?;
    Ok(status)
}

/// The finished units of `cells` in `out` (per `status`), in grid order, with their runs.
pub fn load_finished(
    cells: &[Cell],
    status: &Status,
    out: &Path,
) -> Result<Vec<UnitRecord>, SweepError> {
    status
        .finished()
        .into_iter()
        .map(|i| {
            let cell = &cells[i];
            let dir = unit_dir(out, &cell.name());
            let path = dir.join(RESULT);
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            let result = serde_json::from_str(&text).map_err(|e| SweepError::Parse {
                path: path.clone(),
                msg: e.to_string(),
            })?;
            Ok(UnitRecord {
                cell: cell.clone(),
                // the stored hash: `status` counts a unit finished only when they match
                key_hash: nc_core::output::config_hash(cell),
                result,
            })
        })
        .collect()
}

/// Names of the units that diverged.
pub fn diverged(cells: &[Cell], status: &Status) -> Vec<String> {
    status
        .diverged()
        .into_iter()
        .map(|(i, _)| cells[i].name())
        .collect()
}

/// Writes an experiment's tables and figures into a sweep folder whose grid is settled.
pub type WriteOutputs<C> = fn(&C, &Status, &Path) -> Result<(), SweepError>;

/// [`run_cells`], then the experiment's outputs with `write_outputs` once every unit of the
/// grid is settled.
pub fn run_grid<C: Serialize>(
    experiment: &str,
    config: &C,
    cells: &[Cell],
    opts: &RunOptions,
    progress: &(dyn Fn(SweepEvent) + Sync),
    write_outputs: WriteOutputs<C>,
) -> Result<Status, SweepError> {
    let status = run_cells(experiment, config, cells, opts, progress)?;
    if status.complete() {
        write_outputs(config, &status, &opts.out)?;
    }
    Ok(status)
}

/// Joins the shard folders of `experiment` into `out`: the engine copies the settled units
/// into a staging folder, `write_outputs` writes the tables there, and only then does the
/// staging folder replace `out`. Returns the configuration and where the units stand.
pub fn merge_cells<C>(
    inputs: &[PathBuf],
    out: &Path,
    experiment: &str,
    cells_of: fn(&C) -> Vec<Cell>,
    write_outputs: WriteOutputs<C>,
) -> Result<(C, Status), SweepError>
where
    C: Serialize + serde::de::DeserializeOwned,
{
    let merge = nc_core::sweep::merge(inputs, out)?;
    let m = merge.manifest();
    let manifest_path = || merge.path().join(nc_core::sweep::MANIFEST);
    if m.experiment != experiment {
        return Err(nc_core::sweep::SweepError::OtherExperiment {
            path: inputs[0].clone(),
            found: m.experiment.clone(),
            expected: experiment.into(),
        }
        .into());
    }
    let cfg: C = serde_json::from_value(m.config.clone()).map_err(|e| SweepError::Parse {
        path: manifest_path(),
        msg: format!("not a {experiment} configuration: {e}"),
    })?;
    let cells = cells_of(&cfg);
    if Sweep::new(experiment, &cfg, &cells)?.manifest() != m {
        return Err(SweepError::Parse {
            path: manifest_path(),
            msg: "its units differ from the ones this version builds from its configuration (made by another version?)".into(),
        });
    }
    let status = merge.status().clone();
    if status.complete() {
        write_outputs(&cfg, &status, merge.path())?;
    }
    merge.commit()?;
    Ok((cfg, status))
}

/// Saves an SVG, mapping plot errors to [`SweepError::Plot`].
pub(crate) fn save(path: &Path, svg: Result<String, nc_plot::PlotError>) -> Result<(), SweepError> {
    let err = |e: nc_plot::PlotError| SweepError::Plot {
        path: path.to_path_buf(),
        msg: e.to_string(),
    };
    nc_plot::save_svg(path, &svg.map_err(err)?).map_err(err)
}

/// Joins shard folders of any richlazy experiment (read from the first folder's manifest)
/// into `out`; returns the experiment's name.
pub fn merge_any(inputs: &[PathBuf], out: &Path) -> Result<String, SweepError> {
    let first = inputs.first().ok_or(nc_core::sweep::SweepError::NoInputs)?;
    if !first.is_dir() {
        return Err(nc_core::sweep::SweepError::MissingShard {
            path: first.clone(),
        }
        .into());
    }
    let m = nc_core::sweep::read_manifest(first)?.ok_or_else(|| {
        nc_core::sweep::SweepError::NotASweep {
            path: first.clone(),
        }
    })?;
    match m.experiment.as_str() {
        crate::sweep::EXPERIMENT => crate::sweep::merge(inputs, out).map(|_| ()),
        crate::structure::EXPERIMENT => crate::structure::merge_structure(inputs, out).map(|_| ()),
        crate::controls::EXPERIMENT => crate::controls::merge_controls(inputs, out).map(|_| ()),
        crate::smnist::EXPERIMENT => crate::smnist::merge_smnist(inputs, out).map(|_| ()),
        other => {
            return Err(nc_core::sweep::SweepError::OtherExperiment {
                path: first.clone(),
                found: other.into(),
                expected: "a richlazy experiment".into(),
            }
            .into());
        }
    }?;
    Ok(m.experiment)
}
