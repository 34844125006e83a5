//! The paper's experiments as sweeps of training units.
//!
//! Every experiment expands to a deterministic, ordered list of [`unit::TrainSpec`]s. A run
//! trains the units its shard owns (`index mod count`) into `out/units/<name>/`, skipping
//! finished ones and resuming interrupted ones, then aggregates when every unit is present.
//! [`merge`] copies the units of several shard folders into one and aggregates.

pub mod ablations;
pub mod claims;
pub mod curves;
pub mod preset;
pub mod raster;
pub mod render;
pub mod transfer;
pub mod unit;

use crate::train::{Progress, TrainError, read_json, write_json};
use nc_core::shard::Shard;
pub use preset::Preset;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use unit::{TrainSpec, run_unit};

/// The experiments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Experiment {
    /// Learning curves, NCAP against MLP.
    Curves,
    /// Data efficiency and size table.
    Efficiency,
    /// Transfer to other body lengths.
    Transfer,
    /// Sharing × signs × init ablations.
    Ablations,
}

/// How a sweep runs.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Output folder.
    pub out: PathBuf,
    /// Which units to run.
    pub shard: Shard,
    /// Seeds, budgets and sizes.
    pub preset: Preset,
    /// Override of the preset's number of seeds.
    pub seeds: Option<usize>,
    /// Override of the preset's per-unit step budget.
    pub steps: Option<u64>,
    /// Override of the preset's MLP hidden sizes (all algorithms).
    pub mlp_hidden: Option<Vec<usize>>,
}

/// Progress of a sweep.
#[derive(Clone, Debug)]
pub struct SweepProgress {
    /// Unit being run (index in the sweep).
    pub unit: usize,
    /// Units in the sweep.
    pub units: usize,
    /// Its name.
    pub name: String,
    /// Its training progress.
    pub train: Progress,
}

/// What a sweep run did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Units in the whole sweep.
    pub units: usize,
    /// Units finished in the output folder.
    pub done: usize,
    /// Whether the aggregate outputs were written.
    pub aggregated: bool,
    /// The output folder.
    pub out: PathBuf,
}

// the sweep description stored in every output folder, so merge knows what to aggregate
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct SweepFile {
    experiment: Experiment,
    preset: Preset,
    seeds: Option<usize>,
    steps: Option<u64>,
    units: Vec<TrainSpec>,
}

// writes an experiment's tables and figures from its finished units
type Aggregate<'a> = dyn Fn(&Path, &[TrainSpec]) -> Result<(), TrainError> + 'a;

/// Runs this shard's units of `units`, then aggregates with `aggregate` if all are done.
fn run_sweep(
    experiment: Experiment,
    units: Vec<TrainSpec>,
    opts: &SweepOptions,
    progress: &mut dyn FnMut(&SweepProgress),
    aggregate: &Aggregate<'_>,
) -> Result<SweepReport, TrainError> {
    std::fs::create_dir_all(&opts.out).map_err(|source| TrainError::Io {
        path: opts.out.clone(),
        source,
    })?;
    let file = SweepFile {
        experiment,
        preset: opts.preset,
        seeds: opts.seeds,
        steps: opts.steps,
        units: units.clone(),
    };
    write_json(&opts.out, "sweep.json", &file)?;
    let n = units.len();
    for (i, spec) in opts.shard.select(&units) {
        let dir = opts.out.join("units").join(spec.name());
        let name = spec.name();
        run_unit(spec, &dir, &mut |p| {
            progress(&SweepProgress {
                unit: i,
                units: n,
                name: name.clone(),
                train: p.clone(),
            })
        })?;
    }
    finish(&opts.out, &units, aggregate)
}

fn unit_done(out: &Path, spec: &TrainSpec) -> Result<bool, TrainError> {
    let dir = out.join("units").join(spec.name());
    Ok(
        read_json::<crate::es::RunSummary>(&dir, "summary.json")?.is_some()
            && read_json::<TrainSpec>(&dir, "spec.json")?.as_ref() == Some(spec),
    )
}

fn finish(
    out: &Path,
    units: &[TrainSpec],
    aggregate: &Aggregate<'_>,
) -> Result<SweepReport, TrainError> {
    let mut done = 0;
    for u in units {
        done += usize::from(unit_done(out, u)?);
    }
    let aggregated = done == units.len();
    if aggregated {
        aggregate(out, units)?;
    }
    Ok(SweepReport {
        units: units.len(),
        done,
        aggregated,
        out: out.to_path_buf(),
    })
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), TrainError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TrainError::Io { path, source }
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(io(from))?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}

/// Joins shard folders into `out`: copies every finished unit, then aggregates if complete.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<SweepReport, TrainError> {
    let mut sweep: Option<SweepFile> = None;
    for s in shards {
        let f: SweepFile = read_json(s, "sweep.json")?
            .ok_or_else(|| TrainError::Sweep(format!("{} has no sweep.json", s.display())))?;
        if let Some(prev) = &sweep
            && prev != &f
        {
            return Err(TrainError::Sweep(format!(
                "{} belongs to another sweep",
                s.display()
            )));
        }
        for u in &f.units {
            let src = s.join("units").join(u.name());
            let dst = out.join("units").join(u.name());
            if unit_done(s, u)? && !unit_done(out, u)? && src != dst {
                copy_dir(&src, &dst)?;
            }
        }
        sweep = Some(f);
    }
    let sweep =
        sweep.ok_or_else(|| TrainError::Sweep("merge needs at least one shard folder".into()))?;
    write_json(out, "sweep.json", &sweep)?;
    let opts = SweepOptions {
        out: out.to_path_buf(),
        shard: Shard::ALL,
        preset: sweep.preset,
        seeds: sweep.seeds,
        steps: sweep.steps,
        mlp_hidden: None,
    };
    match sweep.experiment {
        Experiment::Curves | Experiment::Efficiency => {
            finish(out, &sweep.units, &|o, u| curves::aggregate(o, u, &opts))
        }
        Experiment::Transfer => finish(out, &sweep.units, &|o, u| transfer::aggregate(o, u, &opts)),
        Experiment::Ablations => {
            finish(out, &sweep.units, &|o, u| ablations::aggregate(o, u, &opts))
        }
    }
}

/// Mean and population standard deviation.
pub(crate) fn mean_sd(x: &[f64]) -> (f64, f64) {
    let r = crate::policy::EvalResult::from_returns(x.to_vec());
    (r.mean, r.sd)
}

/// Reads a unit's log rows back from its `log.csv`.
pub(crate) fn read_log(
    out: &Path,
    spec: &TrainSpec,
) -> Result<Vec<crate::train::LogRow>, TrainError> {
    let path = out.join("units").join(spec.name()).join("log.csv");
    let text = std::fs::read_to_string(&path).map_err(|source| TrainError::Io {
        path: path.clone(),
        source,
    })?;
    let mut rows = Vec::new();
    for line in text.lines().skip(1) {
        let v: Vec<&str> = line.split(',').collect();
        let bad = || TrainError::Checkpoint {
            path: path.clone(),
            message: format!("bad log line {line:?}"),
        };
        if v.len() < 9 {
            return Err(bad());
        }
        let f = |i: usize| v[i].parse::<f64>().map_err(|_| bad());
        rows.push(crate::train::LogRow {
            epoch: v[0].parse().map_err(|_| bad())?,
            steps: v[1].parse().map_err(|_| bad())?,
            episodes: v[2].parse().map_err(|_| bad())?,
            seconds: f(3)?,
            test_mean: f(4)?,
            test_std: f(5)?,
            test_min: f(6)?,
            test_max: f(7)?,
            train_mean: f(8)?,
        });
    }
    Ok(rows)
}
