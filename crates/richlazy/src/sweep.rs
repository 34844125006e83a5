//! Experiment 1, the rank sweep (the paper's Fig. 1): rank × task × seed, one training run per
//! unit, on the sweep engine of [`crate::grid`] (resumed only where a unit's key matches,
//! shardable, mergeable).
//!
//! Outputs, once every unit is settled: the tables of [`crate::tables`]; `paired.csv` (every
//! rank against the full rank, within seed: median difference, bootstrap interval, sign
//! test); `original_ranks.csv` (the summary at the original's ranks, see
//! [`original_ranks`]); `claims.json` (a verdict per measure, [`crate::claims`]);
//! `extensions.json` (CKA and manifold capacity: statements without a verdict);
//! `plots/<measure>_vs_rank.svg` (seeds as dots, medians with 95% intervals) and
//! `plots/weight_change_split_vs_rank.svg` (`ΔW_h` up to the learned checkpoint and after).

use crate::claims::{Paired, paired_against_full, rank_claims};
use crate::grid::{
    Cell, SweepError, SweepEvent, UnitRecord, io, load_finished, merge_cells, run_grid,
};
use crate::init::{InitSpec, Renorm};
use crate::protocol::Protocol;
use crate::tables::{GroupRow, write_tables};
use crate::tasks::TaskKind;
use crate::train::TrainConfig;
use nc_core::output::{write_atomic, write_json_atomic};
use nc_core::sweep::{RunOptions, Status, Sweep};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The experiment's name in `sweep.json`.
pub const EXPERIMENT: &str = "richlazy-rank-sweep";

/// The grid of a rank sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepConfig {
    /// Tasks.
    pub tasks: Vec<TaskKind>,
    /// Initial ranks (each at most `base.n`).
    pub ranks: Vec<usize>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Which norm the truncations keep.
    pub renorm: Renorm,
    /// Every other setting of a run (its `task`, `init` and `seed` are overridden; its
    /// `protocol` sets how the ranks of a seed share draws, [`crate::protocol`]).
    pub base: TrainConfig,
}

/// The ranks the original code sweeps for N hidden units: {1, 30, N} below 150,
/// {1, 30, 100, 300, N} above 500, {1, 30, 100, N} between (so {1, 30, 100, 300} at the
/// default N = 300).
///
/// ```
/// use nc_richlazy::sweep::original_ranks;
/// assert_eq!(original_ranks(300), vec![1, 30, 100, 300]);
/// assert_eq!(original_ranks(64), vec![1, 30, 64]);
/// assert_eq!(original_ranks(1000), vec![1, 30, 100, 300, 1000]);
/// ```
pub fn original_ranks(n: usize) -> Vec<usize> {
    if n < 150 {
        vec![1, 30, n]
    } else if n > 500 {
        vec![1, 30, 100, 300, n]
    } else {
        vec![1, 30, 100, n]
    }
}

impl SweepConfig {
    /// The full experiment: ranks {1, 5, 10, 30, 100, 300} (the original's {1, 30, 100, 300}
    /// and three more) × 2AF, DMS, CXT × 5 seeds, N = 300, 10,000 iterations.
    pub fn full() -> Self {
        Self {
            tasks: TaskKind::ALL.to_vec(),
            ranks: vec![1, 5, 10, 30, 100, 300],
            seeds: (0..5).collect(),
            renorm: Renorm::Frobenius,
            base: TrainConfig::default(),
        }
    }

    /// A CI-sized grid (seconds to a minute): N = 64, ranks {1, 4, 16, 30, 64} (the
    /// original's {1, 30, 64} for N = 64 and two more), 3 seeds, 1,500 iterations at learning
    /// rate 0.01, kernel on 8 trials, manifold capacity from 10 draws per dimension and 32
    /// trials per class.
    pub fn quick() -> Self {
        let base = TrainConfig {
            n: 64,
            iters: 1500,
            optimizer: crate::optim::OptimizerConfig::Sgd {
                lr: 0.01,
                momentum: 0.9,
            },
            probe_batches: 4,
            kernel_trials: 8,
            track_every: 250,
            // capacity at 10 draws per dimension and 32 trials per class: about a third
            // of a quick run's time on top, where the default 20 and 50 triple it
            capacity: crate::capacity::CapacityConfig {
                reps: 10,
                per_class: 32,
            },
            ..TrainConfig::default()
        };
        Self {
            tasks: TaskKind::ALL.to_vec(),
            ranks: vec![1, 4, 16, 30, 64],
            seeds: (0..3).collect(),
            renorm: Renorm::Frobenius,
            base,
        }
    }

    /// The condition label of every unit: the norm the truncations keep.
    pub fn condition(&self) -> &'static str {
        match self.renorm {
            Renorm::Frobenius => "frobenius",
            Renorm::Spectral => "spectral",
        }
    }

    /// The ordered list of units: task-major, then seed, then rank.
    pub fn cells(&self) -> Vec<Cell> {
        let mut out = Vec::new();
        for &task in &self.tasks {
            for &seed in &self.seeds {
                out.extend(rank_cells(
                    &TrainConfig {
                        task,
                        seed,
                        ..self.base.clone()
                    },
                    self.condition(),
                    &self.ranks,
                    self.renorm,
                ));
            }
        }
        out
    }

    fn check(&self) -> Result<(), SweepError> {
        check_ranks(&self.ranks, self.base.n)
    }
}

/// Refuses a rank outside `1..=n`.
pub(crate) fn check_ranks(ranks: &[usize], n: usize) -> Result<(), SweepError> {
    match ranks.iter().find(|&&r| r == 0 || r > n) {
        Some(&rank) => Err(SweepError::Rank { rank, n }),
        None => Ok(()),
    }
}

/// The units of one seed's rank sweep, in rank order. Under [`Protocol::Original`] the rank
/// at index `i` is run `i × rates` of the original's sequence (`rates`: the length of the
/// learning-rate list, at least 1), so it gets its own `W_in`/`W_out` and the data after
/// the earlier ranks'.
pub fn rank_cells(
    base: &TrainConfig,
    condition: &str,
    ranks: &[usize],
    renorm: Renorm,
) -> Vec<Cell> {
    let rates = base.lr_list.len().max(1);
    ranks
        .iter()
        .enumerate()
        .map(|(i, &rank)| Cell {
            condition: condition.into(),
            variant: format!("rank{rank}"),
            x: rank as f64,
            cfg: TrainConfig {
                init: InitSpec::LowRank { rank, renorm },
                run_index: match base.protocol {
                    Protocol::Paired => 0,
                    Protocol::Original => i * rates,
                },
                ..base.clone()
            },
        })
        .collect()
}

/// The initial rank of a unit.
pub fn rank_of(cell: &Cell) -> usize {
    match cell.cfg.init {
        InitSpec::LowRank { rank, .. } => rank,
        _ => cell.cfg.n,
    }
}

/// Runs this shard's pending units in parallel, then writes the tables, verdicts and plots
/// if every unit of the grid is settled. Returns where the units stand.
pub fn run_sweep(
    cfg: &SweepConfig,
    opts: &RunOptions,
    progress: &(dyn Fn(SweepEvent) + Sync),
) -> Result<Status, SweepError> {
    cfg.check()?;
    run_grid(EXPERIMENT, cfg, &cfg.cells(), opts, progress, write_outputs)
}

/// The finished runs of `cfg` in folder `out`, in grid order (diverged and missing units
/// left out).
pub fn load_units(cfg: &SweepConfig, out: &Path) -> Result<Vec<UnitRecord>, SweepError> {
    let cells = cfg.cells();
    let status = Sweep::new(EXPERIMENT, cfg, &cells)?.status(out)?;
    load_finished(&cells, &status, out)
}

/// Joins shard folders into `out` (atomically) and writes the tables, verdicts and plots.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<SweepConfig, SweepError> {
    merge_cells(inputs, out, EXPERIMENT, SweepConfig::cells, write_outputs).map(|(c, _)| c)
}

fn write_outputs(cfg: &SweepConfig, status: &Status, out: &Path) -> Result<(), SweepError> {
    let records = load_finished(&cfg.cells(), status, out)?;
    let summary = write_tables(&records, out)?;
    let paired = paired_against_full(cfg, &records);
    write_paired(&paired, &out.join("paired.csv"))?;
    write_original(cfg, &summary, &out.join("original_ranks.csv"))?;
    let claims = rank_claims(cfg, &records);
    let p = out.join("claims.json");
    write_json_atomic(&p, &claims).map_err(io(&p))?;
    let p = out.join("extensions.json");
    let ext = crate::claims::extension_statements(cfg, &records);
    write_json_atomic(&p, &ext).map_err(io(&p))?;
    crate::plots::rank_sweep(cfg, &records, &summary, &out.join("plots"))
}

fn write_paired(rows: &[Paired], path: &Path) -> Result<(), SweepError> {
    let mut s = String::from(
        "task,rank,reference,measure,n,median_diff,ci_lo,ci_hi,positive,p_positive,p_negative\n",
    );
    for p in rows {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            p.task,
            p.rank,
            p.reference,
            p.measure.name(),
            p.diffs.len(),
            p.median,
            p.ci.0,
            p.ci.1,
            p.test.positive,
            p.test.p_positive,
            p.test.p_negative
        ));
    }
    write_atomic(path, s.as_bytes()).map_err(io(path))
}

/// The summary rows at the original's ranks ([`original_ranks`] of `cfg.base.n`) that the
/// grid ran, for `‖ΔW_h‖`, KA, RA and accuracy.
pub fn original_rows<'a>(cfg: &SweepConfig, summary: &'a [GroupRow]) -> Vec<&'a GroupRow> {
    let ranks = original_ranks(cfg.base.n);
    summary
        .iter()
        .filter(|r| {
            ranks.contains(&(r.x as usize))
                && ["weight_change", "ka", "ra", "accuracy"].contains(&r.measure.as_str())
        })
        .collect()
}

fn write_original(cfg: &SweepConfig, summary: &[GroupRow], path: &Path) -> Result<(), SweepError> {
    let mut s = String::from("task,rank,measure,n,median,ci_lo,ci_hi,mean,sd\n");
    for r in original_rows(cfg, summary) {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            r.task, r.x, r.measure, r.n, r.median, r.ci_lo, r.ci_hi, r.mean, r.sd
        ));
    }
    write_atomic(path, s.as_bytes()).map_err(io(path))
}
