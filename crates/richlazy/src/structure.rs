//! Experiment 2, connectivity structure (the paper's Fig. 2): structured and connectome-like
//! recurrent matrices (cell-type blocks, small world, Dale E/I) against shuffled controls that
//! keep each matrix's weight distribution and destroy its structure, over tasks and seeds.
//!
//! Outputs (besides the tables of [`crate::tables`]): `spectra.csv` (singular values of
//! `W_h(0)`, seed 0, structured and shuffled), `effective_rank.csv` (entropy, nuclear, stable
//! and participation-ratio ranks of `W_h(0)` per matrix and variant, mean over seeds),
//! `plots/spectra.svg`,
//! `plots/effective_rank.svg` and `plots/<measure>_structure.svg`.

use crate::grid::{
    Cell, SweepError, SweepEvent, UnitRecord, io, load_finished, merge_cells, run_grid, save,
};
use crate::init::{InitSpec, Renorm};
use crate::linalg::singular_values;
use crate::measures::Measure;
use crate::tables::write_tables;
use crate::tasks::TaskKind;
use crate::train::TrainConfig;
use nc_core::output::write_atomic;
use nc_core::sweep::{RunOptions, Status};
use nc_plot::{Axis, BarSeries, BarSpec, LineSpec, Series, bar_chart, line_chart};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The experiment's name in `sweep.json`.
pub const EXPERIMENT: &str = "richlazy-structure";

/// The grid of experiment 2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StructureConfig {
    /// Tasks.
    pub tasks: Vec<TaskKind>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// The structured matrices; each also runs shuffled.
    pub matrices: Vec<InitSpec>,
    /// Every other setting of a run.
    pub base: TrainConfig,
}

fn matrices(n: usize) -> Vec<InitSpec> {
    vec![
        InitSpec::CellTypes {
            types: 10,
            balanced: true,
        },
        InitSpec::SmallWorld {
            k: (n / 30).max(2),
            p: 0.1,
        },
        InitSpec::Dale {
            frac_exc: 0.8,
            balanced: true,
        },
        InitSpec::LowRank {
            rank: (n / 30).max(2),
            renorm: Renorm::Frobenius,
        },
    ]
}

impl StructureConfig {
    /// Full size: the rank sweep's run settings (N = 300, 10,000 iterations), 2AF/DMS/CXT,
    /// 5 seeds, E/I-balanced cell types (10: 8 E, 2 I), small world (k = 10, p = 0.1), balanced Dale 80% E and rank 10.
    pub fn full() -> Self {
        let base = TrainConfig::default();
        Self {
            tasks: TaskKind::ALL.to_vec(),
            seeds: (0..5).collect(),
            matrices: matrices(base.n),
            base,
        }
    }

    /// CI size (seconds): N = 48, 2AF only, 2 seeds, 400 iterations at learning rate 0.01.
    pub fn quick() -> Self {
        let base = crate::grid::quick_base();
        Self {
            tasks: vec![TaskKind::TwoAf],
            seeds: (0..2).collect(),
            matrices: matrices(base.n),
            base,
        }
    }

    /// The ordered units: task-major, then seed, then matrix, structured before shuffled.
    pub fn cells(&self) -> Vec<Cell> {
        let mut out = Vec::new();
        for &task in &self.tasks {
            for &seed in &self.seeds {
                for m in &self.matrices {
                    for shuffle in [false, true] {
                        out.push(Cell {
                            condition: m.label(),
                            variant: variant(shuffle).into(),
                            x: f64::from(u8::from(shuffle)),
                            cfg: TrainConfig {
                                task,
                                seed,
                                init: m.clone(),
                                shuffle,
                                ..self.base.clone()
                            },
                        });
                    }
                }
            }
        }
        out
    }
}

fn variant(shuffle: bool) -> &'static str {
    if shuffle { "shuffled" } else { "structured" }
}

/// Runs this shard's units; once the grid is settled writes tables, spectra and plots.
pub fn run_structure(
    cfg: &StructureConfig,
    opts: &RunOptions,
    progress: &(dyn Fn(SweepEvent) + Sync),
) -> Result<Status, SweepError> {
    run_grid(EXPERIMENT, cfg, &cfg.cells(), opts, progress, write_outputs)
}

/// Joins shard folders of experiment 2 into `out` (atomically) and writes its outputs.
pub fn merge_structure(inputs: &[PathBuf], out: &Path) -> Result<StructureConfig, SweepError> {
    merge_cells(
        inputs,
        out,
        EXPERIMENT,
        StructureConfig::cells,
        write_outputs,
    )
    .map(|(c, _)| c)
}

/// Singular values of `W_h(0)` of one run configuration, descending.
pub fn initial_spectrum(cfg: &TrainConfig) -> Result<Vec<f64>, SweepError> {
    let run = |cause| SweepError::Run {
        unit: cfg.init.label(),
        cause,
    };
    let s = crate::train::start(cfg).map_err(run)?;
    let w: Vec<f64> = s.net.w_h.iter().map(|&v| f64::from(v)).collect();
    singular_values(&w, cfg.n, cfg.n).map_err(|e| run(e.into()))
}

fn write_outputs(cfg: &StructureConfig, status: &Status, out: &Path) -> Result<(), SweepError> {
    let records = load_finished(&cfg.cells(), status, out)?;
    let summary = write_tables(&records, out)?;
    // spectra of seed 0, first task
    let first: Vec<&Cell> = records
        .iter()
        .map(|u| &u.cell)
        .filter(|c| {
            Some(&c.cfg.task) == cfg.tasks.first() && Some(&c.cfg.seed) == cfg.seeds.first()
        })
        .collect();
    let mut sp = String::from("matrix,variant,index,singular_value,normalised\n");
    let mut series = Vec::new();
    for c in &first {
        let s = initial_spectrum(&c.cfg)?;
        let top = s.first().copied().unwrap_or(1.0).max(1e-300);
        for (i, v) in s.iter().enumerate() {
            sp.push_str(&format!(
                "{},{},{},{},{}\n",
                c.condition,
                c.variant,
                i + 1,
                v,
                v / top
            ));
        }
        let pts: Vec<(f64, f64)> = s
            .iter()
            .enumerate()
            .map(|(i, v)| ((i + 1) as f64, (v / top).max(1e-6)))
            .collect();
        series.push(Series::new(format!("{} {}", c.condition, c.variant), pts));
    }
    let p = out.join("spectra.csv");
    write_atomic(&p, sp.as_bytes()).map_err(io(&p))?;
    let dir = out.join("plots");
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    save(
        &dir.join("spectra.svg"),
        line_chart(&LineSpec {
            title: "Singular-value spectra of W_h(0): structured vs shuffled".into(),
            description: "Singular values of each initial recurrent matrix, divided by the largest, against their index (seed 0); each structured matrix and its entry-shuffled control.".into(),
            x: Axis::log("index"),
            y: Axis::log("σ_i / σ_1"),
            series,
            ..LineSpec::default()
        }),
    )?;
    // effective-rank table, mean over tasks' seeds of the first task
    let task = cfg
        .tasks
        .first()
        .map(ToString::to_string)
        .unwrap_or_default();
    let mut er = String::from("matrix,variant,entropy,nuclear,stable,participation,n\n");
    let names: Vec<String> = cfg.matrices.iter().map(InitSpec::label).collect();
    let mut bars = Vec::new();
    for shuffle in [false, true] {
        let mut vals = Vec::new();
        let mut errs = Vec::new();
        for m in &names {
            let rs: Vec<&crate::train::RunResult> = records
                .iter()
                .filter(|u: &&UnitRecord| {
                    let c = &u.cell;
                    c.cfg.task.to_string() == task && &c.condition == m && c.cfg.shuffle == shuffle
                })
                .map(|u| &u.result)
                .collect();
            let k = rs.len().max(1) as f64;
            let (e, nu, st, pr) = rs.iter().fold((0.0, 0.0, 0.0, 0.0), |a, r| {
                (
                    a.0 + r.rank_w0.entropy,
                    a.1 + r.rank_w0.nuclear,
                    a.2 + r.rank_w0.stable,
                    a.3 + r.rank_w0.participation,
                )
            });
            er.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                m,
                variant(shuffle),
                e / k,
                nu / k,
                st / k,
                pr / k,
                rs.len()
            ));
            let row = summary.iter().find(|r| {
                r.task == task
                    && &r.condition == m
                    && r.variant == variant(shuffle)
                    && r.measure == "rank_w0_entropy"
            });
            vals.push(e / k);
            errs.push(row.map_or(0.0, |r| r.sd));
        }
        bars.push(BarSeries::new(variant(shuffle), vals).with_errors(errs));
    }
    let p = out.join("effective_rank.csv");
    write_atomic(&p, er.as_bytes()).map_err(io(&p))?;
    save(
        &dir.join("effective_rank.svg"),
        bar_chart(&BarSpec {
            title: "Effective (entropy) rank of W_h(0)".into(),
            description: "Entropy effective rank of each initial matrix and of its shuffled control, mean ± sd over seeds.".into(),
            categories: names.clone(),
            series: bars,
            x_label: "matrix".into(),
            y: Axis::linear("entropy effective rank"),
            ..BarSpec::default()
        }),
    )?;
    for m in Measure::ALL {
        let mut series = Vec::new();
        let mut cats = Vec::new();
        for t in &cfg.tasks {
            for n in &names {
                cats.push(format!("{t} {n}"));
            }
        }
        for shuffle in [false, true] {
            let (mut vals, mut errs) = (Vec::new(), Vec::new());
            for t in &cfg.tasks {
                for n in &names {
                    let r = summary.iter().find(|r| {
                        r.task == t.to_string()
                            && &r.condition == n
                            && r.variant == variant(shuffle)
                            && r.measure == m.name()
                    });
                    vals.push(r.map_or(0.0, |r| r.mean));
                    errs.push(r.map_or(0.0, |r| r.sd));
                }
            }
            series.push(BarSeries::new(variant(shuffle), vals).with_errors(errs));
        }
        save(
            &dir.join(format!("{}_structure.svg", m.name())),
            bar_chart(&BarSpec {
                title: format!("{} after training: structured vs shuffled", m.title()),
                description: format!(
                    "{} after training for each structured initial matrix and its shuffled control, per task, mean ± sd over {} seeds.",
                    m.title(),
                    cfg.seeds.len()
                ),
                categories: cats,
                series,
                x_label: "task and matrix".into(),
                y: Axis::linear(m.title()),
                ..BarSpec::default()
            }),
        )?;
    }
    Ok(())
}
