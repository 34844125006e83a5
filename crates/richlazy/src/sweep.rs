//! Experiment 1, the rank sweep (the paper's Fig. 1): rank × task × seed, one training run per
//! unit, resumable, shardable (`--shard I/N`) and mergeable.
//!
//! Layout of an output folder: `config.json` (the sweep, with its hash), `units/*.json` (one
//! finished run each, written atomically, so a killed sweep resumes by skipping them), and,
//! once every unit is present, `results.csv` / `results.jsonl` (one tidy row per run),
//! `tracking.csv` (measures over training), `summary.csv` (mean ± sd over seeds) and
//! `plots/*.svg`.

use crate::init::{InitSpec, Renorm};
use crate::tasks::TaskKind;
use crate::train::{RunResult, TrainConfig, TrainError, train};
use nc_core::output::{config_hash, write_atomic, write_json_atomic};
use nc_core::shard::Shard;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use thiserror::Error;

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
    /// Every other setting of a run (its `task`, `init` and `seed` are overridden).
    pub base: TrainConfig,
}

impl SweepConfig {
    /// The full experiment: ranks {1, 5, 10, 30, 100, 300} × 2AF, DMS, CXT × 5 seeds, N = 300,
    /// 10,000 iterations.
    pub fn full() -> Self {
        Self {
            tasks: TaskKind::ALL.to_vec(),
            ranks: vec![1, 5, 10, 30, 100, 300],
            seeds: (0..5).collect(),
            renorm: Renorm::Frobenius,
            base: TrainConfig::default(),
        }
    }

    /// A CI-sized grid (seconds): N = 64, ranks {1, 4, 16, 64}, 3 seeds, 1,500 iterations at
    /// learning rate 0.01, kernel on 8 trials.
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
            track_every: 500,
            ..TrainConfig::default()
        };
        Self {
            tasks: TaskKind::ALL.to_vec(),
            ranks: vec![1, 4, 16, 64],
            seeds: (0..3).collect(),
            renorm: Renorm::Frobenius,
            base,
        }
    }

    /// The ordered list of units: task-major, then seed, then rank.
    pub fn units(&self) -> Vec<TrainConfig> {
        let mut out = Vec::new();
        for &task in &self.tasks {
            for &seed in &self.seeds {
                for &rank in &self.ranks {
                    out.push(TrainConfig {
                        task,
                        seed,
                        init: InitSpec::LowRank {
                            rank,
                            renorm: self.renorm,
                        },
                        ..self.base.clone()
                    });
                }
            }
        }
        out
    }
}

/// Why a sweep failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SweepError {
    /// A rank outside `1..=N`.
    #[error("rank {rank} is out of range: expected 1 <= rank <= {n} (the hidden size)")]
    Rank {
        /// The rank.
        rank: usize,
        /// Hidden size.
        n: usize,
    },
    /// A run failed.
    #[error("unit {unit}: {source}")]
    Run {
        /// The unit's file stem.
        unit: String,
        /// The cause.
        source: TrainError,
    },
    /// Reading or writing results failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A results file could not be parsed.
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

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a sweep reports while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SweepEvent {
    /// Work is known: `pending` of this shard's `mine` units still have to run.
    Start {
        /// Units in the whole grid.
        total: usize,
        /// Units of this shard.
        mine: usize,
        /// Of those, units without results yet.
        pending: usize,
    },
    /// One unit finished.
    UnitDone {
        /// Units finished so far in this call.
        done: usize,
        /// Units this call runs.
        pending: usize,
        /// The unit's name.
        unit: String,
    },
}

/// A finished unit as stored in `units/`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitRecord {
    /// Hash of the unit's [`TrainConfig`].
    pub config_hash: String,
    /// The run.
    pub result: RunResult,
}

/// The file stem of a unit.
pub fn unit_name(cfg: &TrainConfig) -> String {
    format!("{}_seed{}_{}", cfg.task, cfg.seed, cfg.init.label())
}

/// Runs this shard's pending units in parallel (rayon), then writes the tables and plots if
/// every unit of the grid has results.
pub fn run_sweep(
    cfg: &SweepConfig,
    out: &Path,
    shard: Shard,
    progress: &(dyn Fn(SweepEvent) + Sync),
) -> Result<bool, SweepError> {
    if let Some(&rank) = cfg.ranks.iter().find(|&&r| r == 0 || r > cfg.base.n) {
        return Err(SweepError::Rank {
            rank,
            n: cfg.base.n,
        });
    }
    let units_dir = out.join("units");
    std::fs::create_dir_all(&units_dir).map_err(io(&units_dir))?;
    let cpath = out.join("config.json");
    write_json_atomic(&cpath, &serde_json::json!({ "experiment": "richlazy-rank-sweep", "config_hash": config_hash(cfg), "sweep": cfg })).map_err(io(&cpath))?;
    let units = cfg.units();
    let mine: Vec<&TrainConfig> = shard.select(&units).map(|(_, u)| u).collect();
    let pending: Vec<&TrainConfig> = mine
        .iter()
        .copied()
        .filter(|u| !units_dir.join(format!("{}.json", unit_name(u))).exists())
        .collect();
    progress(SweepEvent::Start {
        total: units.len(),
        mine: mine.len(),
        pending: pending.len(),
    });
    let done = AtomicUsize::new(0);
    pending
        .par_iter()
        .try_for_each(|u| -> Result<(), SweepError> {
            let name = unit_name(u);
            let result = train(u, &mut |_, _| {}).map_err(|source| SweepError::Run {
                unit: name.clone(),
                source,
            })?;
            let path = units_dir.join(format!("{name}.json"));
            write_json_atomic(
                &path,
                &UnitRecord {
                    config_hash: config_hash(u),
                    result,
                },
            )
            .map_err(io(&path))?;
            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
            progress(SweepEvent::UnitDone {
                done: d,
                pending: pending.len(),
                unit: name,
            });
            Ok(())
        })?;
    let complete = units
        .iter()
        .all(|u| units_dir.join(format!("{}.json", unit_name(u))).exists());
    if complete {
        write_outputs(cfg, out)?;
    }
    Ok(complete)
}

/// Reads every unit record of `cfg` from `out/units`.
pub fn load_units(cfg: &SweepConfig, out: &Path) -> Result<Vec<UnitRecord>, SweepError> {
    cfg.units()
        .iter()
        .map(|u| {
            let path = out.join("units").join(format!("{}.json", unit_name(u)));
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            serde_json::from_str(&text).map_err(|e| SweepError::Parse {
                path: path.clone(),
                msg: e.to_string(),
            })
        })
        .collect()
}

/// Joins shard folders into `out`: copies their unit files, then writes tables and plots.
/// The sweep configuration is read from the first input's `config.json`.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<SweepConfig, SweepError> {
    let v = crate::grid::copy_shards(inputs, out)?;
    let cpath = out.join("config.json");
    let cfg: SweepConfig =
        serde_json::from_value(v["sweep"].clone()).map_err(|e| SweepError::Parse {
            path: cpath,
            msg: e.to_string(),
        })?;
    write_outputs(&cfg, out)?;
    Ok(cfg)
}

fn rank_of(r: &RunResult) -> usize {
    match r.config.init {
        InitSpec::LowRank { rank, .. } => rank,
        _ => r.config.n,
    }
}

/// The measures tabulated and plotted, by name.
pub const MEASURES: [&str; 7] = [
    "weight_change",
    "weight_change_rel",
    "ka",
    "ra",
    "sign_similarity",
    "accuracy",
    "kta",
];

/// Reads a measure by name.
pub fn measure(m: &crate::train::Measures, name: &str) -> f64 {
    match name {
        "weight_change" => m.weight_change,
        "weight_change_rel" => m.weight_change_rel,
        "ka" => m.ka,
        "ra" => m.ra,
        "sign_similarity" => m.sign_similarity,
        "accuracy" => m.accuracy,
        _ => m.kta,
    }
}

/// Mean and sample standard deviation over seeds, per (task, rank, measure).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// Task.
    pub task: TaskKind,
    /// Rank.
    pub rank: usize,
    /// Measure name.
    pub measure: String,
    /// Mean over seeds.
    pub mean: f64,
    /// Sample standard deviation over seeds (0 for one seed).
    pub sd: f64,
    /// Number of seeds.
    pub n: usize,
}

/// Summarises unit records.
pub fn summarise(cfg: &SweepConfig, records: &[UnitRecord]) -> Vec<SummaryRow> {
    let mut out = Vec::new();
    for &task in &cfg.tasks {
        for &rank in &cfg.ranks {
            let rs: Vec<&RunResult> = records
                .iter()
                .map(|u| &u.result)
                .filter(|r| r.config.task == task && rank_of(r) == rank)
                .collect();
            for name in MEASURES {
                let v: Vec<f64> = rs
                    .iter()
                    .map(|r| measure(&r.final_measures, name))
                    .collect();
                let n = v.len();
                let mean = v.iter().sum::<f64>() / n.max(1) as f64;
                let sd = if n > 1 {
                    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
                } else {
                    0.0
                };
                out.push(SummaryRow {
                    task,
                    rank,
                    measure: name.to_string(),
                    mean,
                    sd,
                    n,
                });
            }
        }
    }
    out
}

fn write_outputs(cfg: &SweepConfig, out: &Path) -> Result<(), SweepError> {
    let records = load_units(cfg, out)?;
    let mut csv = String::from("task,seed,rank,init,config_hash,iters,");
    csv.push_str(&MEASURES.join(","));
    csv.push_str(",kta0,rank_w0_entropy,rank_wt_entropy,rank_dw_entropy,rank_dw_nuclear,rank_dw_stable,final_loss\n");
    let mut jsonl = String::new();
    let mut track = String::from("task,seed,rank,config_hash,iter,");
    track.push_str(&MEASURES.join(","));
    track.push('\n');
    for u in &records {
        let r = &u.result;
        let c = &r.config;
        let rank = rank_of(r);
        let vals: Vec<String> = MEASURES
            .iter()
            .map(|m| format!("{}", measure(&r.final_measures, m)))
            .collect();
        let loss = r.loss.last().map_or(f64::NAN, |l| l.1);
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            c.task,
            c.seed,
            rank,
            c.init.label(),
            u.config_hash,
            c.iters,
            vals.join(","),
            r.kta0,
            r.rank_w0.entropy,
            r.rank_wt.entropy,
            r.rank_dw.entropy,
            r.rank_dw.nuclear,
            r.rank_dw.stable,
            loss
        ));
        let mut row = serde_json::json!({ "task": c.task, "seed": c.seed, "rank": rank, "init": c.init.label(), "config_hash": u.config_hash,
            "kta0": r.kta0, "rank_w0": r.rank_w0, "rank_wt": r.rank_wt, "rank_dw": r.rank_dw, "final_loss": loss });
        for m in MEASURES {
            row[m] = serde_json::json!(measure(&r.final_measures, m));
        }
        jsonl.push_str(&row.to_string());
        jsonl.push('\n');
        for m in &r.track {
            let vals: Vec<String> = MEASURES
                .iter()
                .map(|n| format!("{}", measure(m, n)))
                .collect();
            track.push_str(&format!(
                "{},{},{},{},{},{}\n",
                c.task,
                c.seed,
                rank,
                u.config_hash,
                m.iter,
                vals.join(",")
            ));
        }
    }
    let summary = summarise(cfg, &records);
    let mut sc = String::from("task,rank,measure,mean,sd,n\n");
    for s in &summary {
        sc.push_str(&format!(
            "{},{},{},{},{},{}\n",
            s.task, s.rank, s.measure, s.mean, s.sd, s.n
        ));
    }
    for (name, text) in [
        ("results.csv", &csv),
        ("results.jsonl", &jsonl),
        ("tracking.csv", &track),
        ("summary.csv", &sc),
    ] {
        let p = out.join(name);
        write_atomic(&p, text.as_bytes()).map_err(io(&p))?;
    }
    crate::plots::rank_sweep(cfg, &summary, &out.join("plots"))
}
