//! The machinery shared by experiments 2 and 4: a grid of labelled training runs, run in a
//! fixed unit order, resumable (finished units are skipped), shardable (`--shard I/N`) and
//! mergeable, with tidy `results.csv` / `results.jsonl` / `tracking.csv` / `summary.csv` that
//! carry each unit's config hash. It reuses the rank sweep's unit records and errors.

use crate::model::ModelError;
use crate::sweep::{MEASURES, SweepError, SweepEvent, UnitRecord, measure};
use crate::train::{RunResult, TrainConfig, TrainError, train};
use nc_core::output::{config_hash, write_atomic, write_json_atomic};
use nc_core::shard::Shard;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// One unit of a grid: a run with the condition it belongs to.
#[derive(Clone, Debug, PartialEq)]
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

impl Cell {
    /// The unit's file stem.
    pub fn name(&self) -> String {
        format!(
            "{}_seed{}_{}_{}",
            self.cfg.task, self.cfg.seed, self.condition, self.variant
        )
    }
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

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |source| SweepError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `config.json`, runs this shard's pending units in parallel and reports whether every
/// unit of the grid now has results.
pub fn run_cells(
    experiment: &str,
    config: &serde_json::Value,
    cells: &[Cell],
    out: &Path,
    shard: Shard,
    progress: &(dyn Fn(SweepEvent) + Sync),
) -> Result<bool, SweepError> {
    let units_dir = out.join("units");
    std::fs::create_dir_all(&units_dir).map_err(io(&units_dir))?;
    let cpath = out.join("config.json");
    write_json_atomic(
        &cpath,
        &serde_json::json!({ "experiment": experiment, "config_hash": config_hash(config), "grid": config }),
    )
    .map_err(io(&cpath))?;
    let mine: Vec<&Cell> = shard.select(cells).map(|(_, c)| c).collect();
    let pending: Vec<&Cell> = mine
        .iter()
        .copied()
        .filter(|c| !settled(&units_dir, c))
        .collect();
    progress(SweepEvent::Start {
        total: cells.len(),
        mine: mine.len(),
        pending: pending.len(),
    });
    let done = AtomicUsize::new(0);
    pending
        .par_iter()
        .try_for_each(|c| -> Result<(), SweepError> {
            let name = c.name();
            match train(&c.cfg, &mut |_, _| {}) {
                Ok(result) => {
                    let path = units_dir.join(format!("{name}.json"));
                    write_json_atomic(
                        &path,
                        &UnitRecord {
                            config_hash: config_hash(&c.cfg),
                            result,
                        },
                    )
                    .map_err(io(&path))?;
                }
                // a diverging run is an outcome of the grid (e.g. a large gain), not a failure
                Err(TrainError::Model(e @ ModelError::NonFinite { .. })) => {
                    let path = units_dir.join(format!("{name}.diverged.json"));
                    write_json_atomic(
                        &path,
                        &serde_json::json!({ "config_hash": config_hash(&c.cfg), "unit": name, "error": e.to_string() }),
                    )
                    .map_err(io(&path))?;
                }
                Err(source) => {
                    return Err(SweepError::Run {
                        unit: name.clone(),
                        source,
                    });
                }
            }
            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
            progress(SweepEvent::UnitDone {
                done: d,
                pending: pending.len(),
                unit: name,
            });
            Ok(())
        })?;
    Ok(cells.iter().all(|c| settled(&units_dir, c)))
}

/// Whether a cell has a result or a divergence record.
fn settled(units_dir: &Path, c: &Cell) -> bool {
    let name = c.name();
    units_dir.join(format!("{name}.json")).exists()
        || units_dir.join(format!("{name}.diverged.json")).exists()
}

/// The cells of `cells` that finished without diverging, in order, and the names of those
/// that diverged (also written to `out/diverged.csv`).
pub fn finished(cells: &[Cell], out: &Path) -> Result<(Vec<Cell>, Vec<String>), SweepError> {
    let dir = out.join("units");
    let (ok, bad): (Vec<&Cell>, Vec<&Cell>) = cells
        .iter()
        .partition(|c| dir.join(format!("{}.json", c.name())).exists());
    let bad: Vec<String> = bad.iter().map(|c| c.name()).collect();
    let mut text = String::from("unit\n");
    for b in &bad {
        text.push_str(b);
        text.push('\n');
    }
    let p = out.join("diverged.csv");
    write_atomic(&p, text.as_bytes()).map_err(io(&p))?;
    Ok((ok.into_iter().cloned().collect(), bad))
}

/// Reads the unit record of every cell from `out/units`.
pub fn load_cells(cells: &[Cell], out: &Path) -> Result<Vec<UnitRecord>, SweepError> {
    cells
        .iter()
        .map(|c| {
            let path = out.join("units").join(format!("{}.json", c.name()));
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            serde_json::from_str(&text).map_err(|e| SweepError::Parse {
                path: path.clone(),
                msg: e.to_string(),
            })
        })
        .collect()
}

/// Runs this shard of a grid experiment whose configuration is `cfg`; once every unit has
/// results, writes the experiment's tables and plots with `write_outputs`.
pub fn run_grid<C: Serialize>(
    experiment: &str,
    cfg: &C,
    cells: &[Cell],
    out: &Path,
    shard: Shard,
    progress: &(dyn Fn(SweepEvent) + Sync),
    write_outputs: impl FnOnce(&C, &Path) -> Result<Vec<GroupRow>, SweepError>,
) -> Result<bool, SweepError> {
    let v = serde_json::to_value(cfg).map_err(|e| SweepError::Parse {
        path: out.join("config.json"),
        msg: e.to_string(),
    })?;
    let complete = run_cells(experiment, &v, cells, out, shard, progress)?;
    if complete {
        write_outputs(cfg, out)?;
    }
    Ok(complete)
}

/// Joins the shard folders of a grid experiment into `out`, writes its outputs with
/// `write_outputs` and returns its configuration.
pub fn merge_grid<C: serde::de::DeserializeOwned>(
    inputs: &[PathBuf],
    out: &Path,
    write_outputs: impl FnOnce(&C, &Path) -> Result<Vec<GroupRow>, SweepError>,
) -> Result<C, SweepError> {
    let v = merge_units(inputs, out)?;
    let cfg: C = serde_json::from_value(v).map_err(|e| SweepError::Parse {
        path: out.join("config.json"),
        msg: e.to_string(),
    })?;
    write_outputs(&cfg, out)?;
    Ok(cfg)
}

/// Copies the unit files of shard folders into `out` and returns the grid configuration
/// (`grid` of the first input's `config.json`), also written to `out/config.json`.
pub fn merge_units(inputs: &[PathBuf], out: &Path) -> Result<serde_json::Value, SweepError> {
    Ok(copy_shards(inputs, out)?["grid"].clone())
}

/// Copies the unit files of shard folders into `out`, writes the first input's
/// `config.json` there, and returns that whole configuration document.
pub(crate) fn copy_shards(inputs: &[PathBuf], out: &Path) -> Result<serde_json::Value, SweepError> {
    let first = inputs.first().ok_or_else(|| SweepError::Parse {
        path: out.to_path_buf(),
        msg: "merge needs at least one input folder".into(),
    })?;
    let cpath = first.join("config.json");
    let text = std::fs::read_to_string(&cpath).map_err(io(&cpath))?;
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| SweepError::Parse {
        path: cpath.clone(),
        msg: e.to_string(),
    })?;
    let units_dir = out.join("units");
    std::fs::create_dir_all(&units_dir).map_err(io(&units_dir))?;
    for inp in inputs {
        let src = inp.join("units");
        if src == units_dir {
            continue;
        }
        for entry in std::fs::read_dir(&src).map_err(io(&src))? {
            let p = entry.map_err(io(&src))?.path();
            if p.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&p).map_err(io(&p))?;
                let dst = units_dir.join(p.file_name().unwrap_or_default());
                write_atomic(&dst, &bytes).map_err(io(&dst))?;
            }
        }
    }
    let opath = out.join("config.json");
    if opath != cpath {
        write_atomic(&opath, text.as_bytes()).map_err(io(&opath))?;
    }
    Ok(v)
}

/// Mean ± sd over seeds of one measure in one (task, condition, variant) group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    /// Task.
    pub task: String,
    /// Condition.
    pub condition: String,
    /// Variant.
    pub variant: String,
    /// Plot coordinate.
    pub x: f64,
    /// Measure name (the training measures, then `rank_w0_entropy` and `rank_w0_stable`).
    pub measure: String,
    /// Mean over seeds.
    pub mean: f64,
    /// Sample standard deviation (0 for one seed).
    pub sd: f64,
    /// Seeds.
    pub n: usize,
}

/// Every measure summarised: the training measures plus effective ranks of `W_h(0)`.
pub const SUMMARY_MEASURES: [&str; 10] = [
    "weight_change",
    "weight_change_rel",
    "ka",
    "ra",
    "sign_similarity",
    "accuracy",
    "kta",
    "rank_w0_entropy",
    "rank_w0_stable",
    "rank_dw_entropy",
];

fn value(r: &RunResult, name: &str) -> f64 {
    match name {
        "rank_w0_entropy" => r.rank_w0.entropy,
        "rank_w0_stable" => r.rank_w0.stable,
        "rank_dw_entropy" => r.rank_dw.entropy,
        _ => measure(&r.final_measures, name),
    }
}

/// Groups records (in cell order) by (task, condition, variant), mean ± sd over seeds.
pub fn summarise_cells(cells: &[Cell], records: &[UnitRecord]) -> Vec<GroupRow> {
    let mut keys: Vec<(String, String, String, f64)> = Vec::new();
    for c in cells {
        let k = (
            c.cfg.task.to_string(),
            c.condition.clone(),
            c.variant.clone(),
            c.x,
        );
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut out = Vec::new();
    for (task, condition, variant, x) in keys {
        let rs: Vec<&RunResult> = cells
            .iter()
            .zip(records)
            .filter(|(c, _)| {
                c.cfg.task.to_string() == task && c.condition == condition && c.variant == variant
            })
            .map(|(_, u)| &u.result)
            .collect();
        for m in SUMMARY_MEASURES {
            let v: Vec<f64> = rs.iter().map(|r| value(r, m)).collect();
            let n = v.len();
            let mean = v.iter().sum::<f64>() / n.max(1) as f64;
            let sd = if n > 1 {
                (v.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
            } else {
                0.0
            };
            out.push(GroupRow {
                task: task.clone(),
                condition: condition.clone(),
                variant: variant.clone(),
                x,
                measure: m.to_string(),
                mean,
                sd,
                n,
            });
        }
    }
    out
}

/// Finds a summary value.
pub fn get(rows: &[GroupRow], task: &str, condition: &str, variant: &str, m: &str) -> Option<f64> {
    rows.iter()
        .find(|r| {
            r.task == task && r.condition == condition && r.variant == variant && r.measure == m
        })
        .map(|r| r.mean)
}

/// Writes `results.csv`, `results.jsonl`, `tracking.csv` and `summary.csv` and returns the
/// summary.
pub fn write_tables(
    cells: &[Cell],
    records: &[UnitRecord],
    out: &Path,
) -> Result<Vec<GroupRow>, SweepError> {
    let mut csv =
        String::from("task,seed,condition,variant,x,init,shuffle,gain,config_hash,iters,");
    csv.push_str(&MEASURES.join(","));
    csv.push_str(",kta0,rank_w0_entropy,rank_w0_nuclear,rank_w0_stable,rank_wt_entropy,rank_dw_entropy,rank_dw_nuclear,rank_dw_stable,final_loss\n");
    let mut jsonl = String::new();
    let mut track = String::from("task,seed,condition,variant,config_hash,iter,");
    track.push_str(&MEASURES.join(","));
    track.push('\n');
    for (c, u) in cells.iter().zip(records) {
        let r = &u.result;
        let k = &r.config;
        let vals: Vec<String> = MEASURES
            .iter()
            .map(|m| format!("{}", measure(&r.final_measures, m)))
            .collect();
        let loss = r.loss.last().map_or(f64::NAN, |l| l.1);
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            k.task,
            k.seed,
            c.condition,
            c.variant,
            c.x,
            k.init.label(),
            k.shuffle,
            k.gain,
            u.config_hash,
            k.iters,
            vals.join(","),
            r.kta0,
            r.rank_w0.entropy,
            r.rank_w0.nuclear,
            r.rank_w0.stable,
            r.rank_wt.entropy,
            r.rank_dw.entropy,
            r.rank_dw.nuclear,
            r.rank_dw.stable,
            loss
        ));
        let mut row = serde_json::json!({ "task": k.task, "seed": k.seed, "condition": c.condition,
            "variant": c.variant, "x": c.x, "init": k.init.label(), "shuffle": k.shuffle, "gain": k.gain,
            "config_hash": u.config_hash, "kta0": r.kta0, "rank_w0": r.rank_w0, "rank_wt": r.rank_wt,
            "rank_dw": r.rank_dw, "final_loss": loss });
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
                "{},{},{},{},{},{},{}\n",
                k.task,
                k.seed,
                c.condition,
                c.variant,
                u.config_hash,
                m.iter,
                vals.join(",")
            ));
        }
    }
    let summary = summarise_cells(cells, records);
    let mut sc = String::from("task,condition,variant,x,measure,mean,sd,n\n");
    for s in &summary {
        sc.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            s.task, s.condition, s.variant, s.x, s.measure, s.mean, s.sd, s.n
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
    Ok(summary)
}

/// Saves an SVG, mapping plot errors to [`SweepError::Plot`].
pub(crate) fn save(path: &Path, svg: Result<String, nc_plot::PlotError>) -> Result<(), SweepError> {
    let err = |e: nc_plot::PlotError| SweepError::Plot {
        path: path.to_path_buf(),
        msg: e.to_string(),
    };
    nc_plot::save_svg(path, &svg.map_err(err)?).map_err(err)
}
