//! The paper's experiments as sweeps of training units, on nc-core's sweep engine.
//!
//! Every experiment expands to a deterministic, ordered list of [`unit::TrainSpec`]s. A run
//! trains the units its shard owns (`index mod count`) into `out/units/<name>/`, skipping
//! units finished with the same spec, resuming interrupted ones from their checkpoints and
//! refusing (unless `force`) units trained with another spec; it aggregates once every unit
//! is settled. A run whose update becomes non-finite is recorded as diverged, as in every
//! sweep. [`merge`] joins shard folders atomically and aggregates.

pub mod ablations;
pub mod claims;
pub mod curves;
pub mod navigate;
pub mod preset;
pub mod projection;
pub mod raster;
pub mod render;
pub mod transfer;
pub mod unit;

use crate::train::{Progress, TrainError};
use nc_core::shard::Shard;
use nc_core::sweep::{Outcome, RunOptions, Status, Sweep};
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
    /// The target task with steering.
    Navigate,
}

impl Experiment {
    /// The name in `sweep.json`.
    pub fn name(self) -> &'static str {
        match self {
            Experiment::Curves => "ncap-curves",
            Experiment::Efficiency => "ncap-efficiency",
            Experiment::Transfer => "ncap-transfer",
            Experiment::Ablations => "ncap-ablations",
            Experiment::Navigate => "ncap-navigate",
        }
    }
}

impl nc_core::sweep::Unit for TrainSpec {
    type Key = TrainSpec;
    fn name(&self) -> String {
        TrainSpec::name(self)
    }
    fn key(&self) -> &TrainSpec {
        self
    }
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
    /// Retrain units of `out` that were trained with another spec (otherwise refused).
    pub force: bool,
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
    /// Units settled (finished or diverged) in the output folder.
    pub done: usize,
    /// Whether the aggregate outputs were written.
    pub aggregated: bool,
    /// The output folder.
    pub out: PathBuf,
}

// the sweep's configuration in `sweep.json`, so merge knows what to aggregate
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct SweepFile {
    experiment: Experiment,
    preset: Preset,
    seeds: Option<usize>,
    steps: Option<u64>,
    #[serde(default)]
    mlp_hidden: Option<Vec<usize>>,
}

impl SweepFile {
    fn of(experiment: Experiment, opts: &SweepOptions) -> Self {
        Self {
            experiment,
            preset: opts.preset,
            seeds: opts.seeds,
            steps: opts.steps,
            mlp_hidden: opts.mlp_hidden.clone(),
        }
    }
}

// writes an experiment's tables and figures from its finished units
type Aggregate<'a> = dyn Fn(&Path, &[TrainSpec]) -> Result<(), TrainError> + 'a;

/// Runs this shard's units of `units`, then aggregates with `aggregate` if all are settled.
fn run_sweep(
    experiment: Experiment,
    units: Vec<TrainSpec>,
    opts: &SweepOptions,
    progress: &mut dyn FnMut(&SweepProgress),
    aggregate: &Aggregate<'_>,
) -> Result<SweepReport, TrainError> {
    // every unit is checked before the sweep folder is made, so bad settings leave nothing
    for spec in &units {
        spec.check()
            .map_err(|e| TrainError::Sweep(format!("unit {}: {e}", spec.name())))?;
    }
    let sweep = Sweep::new(experiment.name(), &SweepFile::of(experiment, opts), &units)?;
    let run = RunOptions {
        shard: opts.shard,
        force: opts.force,
        ..RunOptions::new(&opts.out)
    };
    let n = units.len();
    let status = sweep.run_each(&run, &mut |_| {}, |i, spec: &TrainSpec, dir: &Path| {
        let name = spec.name();
        let trained = run_unit(spec, dir, &mut |p| {
            progress(&SweepProgress {
                unit: i,
                units: n,
                name: name.clone(),
                train: p.clone(),
            })
        });
        match trained {
            Ok(_) => Ok(Outcome::Finished),
            Err(e @ TrainError::NonFinite { .. }) => Ok(Outcome::Diverged {
                reason: e.to_string(),
            }),
            Err(e) => Err(e),
        }
    })?;
    finish(&opts.out, &units, &status, aggregate)
}

// aggregates the finished units once every unit is settled
fn finish(
    out: &Path,
    units: &[TrainSpec],
    status: &Status,
    aggregate: &Aggregate<'_>,
) -> Result<SweepReport, TrainError> {
    let aggregated = status.complete();
    if aggregated {
        let finished: Vec<TrainSpec> = status
            .finished()
            .into_iter()
            .map(|i| units[i].clone())
            .collect();
        aggregate(out, &finished)?;
    }
    Ok(SweepReport {
        units: units.len(),
        done: status.settled(),
        aggregated,
        out: out.to_path_buf(),
    })
}

/// Joins shard folders into `out`: the settled units of every shard (and of `out` itself,
/// if it holds the same sweep) are copied into a staging folder, aggregated there when
/// complete, and the staging folder then replaces `out`, so a failed merge leaves nothing.
/// Refuses shard folders of different sweeps and names a missing one.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<SweepReport, TrainError> {
    let merged = nc_core::sweep::merge(shards, out)?;
    let m = merged.manifest();
    let bad = |message: String| TrainError::Checkpoint {
        path: merged.path().join(nc_core::sweep::MANIFEST),
        message,
    };
    let file: SweepFile = serde_json::from_value(m.config.clone())
        .map_err(|e| bad(format!("not an ncap sweep: {e}")))?;
    let opts = SweepOptions {
        out: merged.path().to_path_buf(),
        shard: Shard::ALL,
        preset: file.preset,
        seeds: file.seeds,
        steps: file.steps,
        mlp_hidden: file.mlp_hidden.clone(),
        force: false,
    };
    let units = match file.experiment {
        Experiment::Curves | Experiment::Efficiency => curves::units(&opts),
        Experiment::Transfer => transfer::units(&opts),
        Experiment::Ablations => ablations::units(&opts),
        Experiment::Navigate => navigate::units(&opts),
    };
    if Sweep::new(file.experiment.name(), &file, &units)?.manifest() != m {
        return Err(bad(
            "its units differ from the ones this version builds from its configuration (made by another version?)".into(),
        ));
    }
    let status = merged.status().clone();
    let staged = merged.path().to_path_buf();
    let report = match file.experiment {
        Experiment::Curves | Experiment::Efficiency => finish(&staged, &units, &status, &|o, u| {
            curves::aggregate(o, u, &opts)
        }),
        Experiment::Transfer => finish(&staged, &units, &status, &|o, u| {
            transfer::aggregate(o, u, &opts)
        }),
        Experiment::Ablations => finish(&staged, &units, &status, &|o, u| {
            ablations::aggregate(o, u, &opts)
        }),
        Experiment::Navigate => finish(&staged, &units, &status, &|o, u| navigate::aggregate(o, u)),
    }?;
    merged.commit()?;
    Ok(SweepReport {
        out: out.to_path_buf(),
        ..report
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    // one short ES unit (a generation of 8 episodes of 100 steps is 800 steps)
    fn one_unit(root: &Path, steps: u64) -> (Vec<TrainSpec>, SweepOptions) {
        let opts = SweepOptions {
            out: root.join("out"),
            shard: Shard::ALL,
            preset: Preset::Quick,
            seeds: Some(1),
            steps: Some(steps),
            mlp_hidden: None,
            force: false,
        };
        let mut units = ablations::units(&opts);
        units.truncate(1);
        units[0].episode_len = 100;
        units[0].test_episodes = 1;
        (units, opts)
    }

    #[test]
    fn a_unit_trained_with_another_spec_is_refused_unless_forced() {
        let root = tempfile::tempdir().unwrap();
        let none = |_: &Path, _: &[TrainSpec]| Ok(());
        let (units, opts) = one_unit(root.path(), 1600);
        let r = run_sweep(
            Experiment::Ablations,
            units.clone(),
            &opts,
            &mut |_| {},
            &none,
        )
        .unwrap();
        assert!(r.aggregated && r.done == 1);
        // same spec: nothing trains again
        let mut calls = 0;
        run_sweep(
            Experiment::Ablations,
            units,
            &opts,
            &mut |_| calls += 1,
            &none,
        )
        .unwrap();
        assert_eq!(calls, 0);
        // another budget: refused, naming the field, and nothing is touched
        let (units, opts) = one_unit(root.path(), 2400);
        let e = run_sweep(
            Experiment::Ablations,
            units.clone(),
            &opts,
            &mut |_| {},
            &none,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("steps: 1600 stored, 2400 now") && e.contains("--force"),
            "{e}"
        );
        let forced = SweepOptions {
            force: true,
            ..opts
        };
        let r = run_sweep(Experiment::Ablations, units, &forced, &mut |_| {}, &none).unwrap();
        assert!(r.aggregated);
    }

    #[test]
    fn merge_names_a_missing_shard_folder_and_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("merged");
        let missing = root.path().join("shard-7");
        let e = merge(&out, std::slice::from_ref(&missing))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            format!("shard folder {} does not exist", missing.display())
        );
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }
}
