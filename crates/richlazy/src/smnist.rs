//! The paper's sequential-MNIST rank sweep as a grid on the sweep engine of [`crate::grid`]
//! (resumed only where a unit's key matches, shardable, mergeable), at the original's
//! settings: ranks {5, 30, N}; 28 steps of one pixel row; batch 200 with the loss on the
//! last step; the probe and the tangent kernel (200 trials × 10 logits = 2,000 rows) from
//! the first training batch; sign similarity over all 28 steps.
//!
//! The data are IDX files in a folder ([`crate::mnist`]): the MNIST training files a user
//! supplies, or a subset made by `tools/reference/richlazy/make_mnist_subset.py` (500
//! images are committed under `crates/richlazy/tests/data/mnist-subset`). The folder's path
//! is part of every unit's key, so every shard of a grid must be given the same path.
//!
//! Outputs, once every unit is settled: the tables of [`crate::tables`] (task `sMNIST`).

use crate::grid::{Cell, SweepError, SweepEvent, load_finished, merge_cells, run_grid};
use crate::init::Renorm;
use crate::optim::OptimizerConfig;
use crate::sweep::{check_ranks, rank_cells};
use crate::tables::write_tables;
use crate::train::TrainConfig;
use nc_core::sweep::{RunOptions, Status};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The experiment's name in `sweep.json`.
pub const EXPERIMENT: &str = "richlazy-smnist";

/// The grid of an sMNIST rank sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmnistConfig {
    /// Initial ranks (each at most `base.n`).
    pub ranks: Vec<usize>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Which norm the truncations keep.
    pub renorm: Renorm,
    /// Every other setting of a run (`mnist_dir` must be set; `init` and `seed` are
    /// overridden; `protocol` sets how the ranks of a seed share draws).
    pub base: TrainConfig,
}

/// The ranks the original sweeps on sMNIST for N hidden units: {5, 30, N}.
///
/// ```
/// assert_eq!(nc_richlazy::smnist::smnist_ranks(300), vec![5, 30, 300]);
/// ```
pub fn smnist_ranks(n: usize) -> Vec<usize> {
    vec![5, 30, n]
}

impl SmnistConfig {
    /// The original's settings on the IDX files in `dir`: N = 300, ranks {5, 30, 300},
    /// 10,000 iterations of batch 200, SGD(0.003, 0.9), probe and kernel on the first
    /// training batch (2,000 kernel rows), 5 seeds.
    pub fn paper(dir: PathBuf) -> Self {
        Self {
            ranks: smnist_ranks(300),
            seeds: (0..5).collect(),
            renorm: Renorm::Frobenius,
            base: TrainConfig {
                mnist_dir: Some(dir),
                n: 300,
                batch: 200,
                probe_batches: 1,
                kernel_trials: 200,
                iters: 10_000,
                track_every: 1000,
                log_every: 100,
                ..TrainConfig::default()
            },
        }
    }

    /// A CI-sized grid (seconds): N = 48, ranks {5, 30, 48}, 2 seeds, 200 iterations of
    /// batch 20 at learning rate 0.01, kernel on the first training batch (200 rows).
    pub fn quick(dir: PathBuf) -> Self {
        Self {
            ranks: smnist_ranks(48),
            seeds: (0..2).collect(),
            renorm: Renorm::Frobenius,
            base: TrainConfig {
                mnist_dir: Some(dir),
                n: 48,
                batch: 20,
                probe_batches: 1,
                kernel_trials: 20,
                iters: 200,
                track_every: 100,
                log_every: 10,
                optimizer: OptimizerConfig::Sgd {
                    lr: 0.01,
                    momentum: 0.9,
                },
                ..TrainConfig::default()
            },
        }
    }

    /// The ordered list of units: seed-major, then rank.
    pub fn cells(&self) -> Vec<Cell> {
        let condition = match self.renorm {
            Renorm::Frobenius => "frobenius",
            Renorm::Spectral => "spectral",
        };
        self.seeds
            .iter()
            .flat_map(|&seed| {
                let base = TrainConfig {
                    seed,
                    ..self.base.clone()
                };
                rank_cells(&base, condition, &self.ranks, self.renorm)
            })
            .collect()
    }

    fn check(&self) -> Result<(), SweepError> {
        if self.base.mnist_dir.is_none() {
            return Err(SweepError::Parse {
                path: PathBuf::from("<config>"),
                msg: "an sMNIST grid needs base.mnist_dir, the folder of MNIST IDX files".into(),
            });
        }
        check_ranks(&self.ranks, self.base.n)
    }
}

/// Runs this shard's pending units in parallel, then writes the tables if every unit of the
/// grid is settled. Returns where the units stand.
pub fn run_smnist(
    cfg: &SmnistConfig,
    opts: &RunOptions,
    progress: &(dyn Fn(SweepEvent) + Sync),
) -> Result<Status, SweepError> {
    cfg.check()?;
    run_grid(EXPERIMENT, cfg, &cfg.cells(), opts, progress, write_outputs)
}

/// Joins shard folders into `out` (atomically) and writes the tables.
pub fn merge_smnist(inputs: &[PathBuf], out: &Path) -> Result<SmnistConfig, SweepError> {
    merge_cells(inputs, out, EXPERIMENT, SmnistConfig::cells, write_outputs).map(|(c, _)| c)
}

fn write_outputs(cfg: &SmnistConfig, status: &Status, out: &Path) -> Result<(), SweepError> {
    let records = load_finished(&cfg.cells(), status, out)?;
    write_tables(&records, out).map(|_| ())
}
