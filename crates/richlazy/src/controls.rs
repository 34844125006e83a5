//! Experiment 4, the controls the reviewers asked for:
//! - **norm**: the rank sweep with truncations renormalised to `W₀`'s spectral norm instead of
//!   its Frobenius norm (conditions `norm-frobenius` and `norm-spectral`, x = rank), so that a
//!   low-rank matrix is no longer "louder" along its few directions;
//! - **gain**: `g` of `W₀ = g·G/√N` across the stable (g < 1) and chaotic (g > 1) regimes, for
//!   the lowest and the full rank (conditions `gain-rank<r>`, x = g): does the rank effect
//!   survive a change of gain?
//!
//! Same machinery and tables as the rank sweep ([`crate::grid`], [`crate::tables`]), plus
//! `plots/<measure>_vs_rank_norm.svg` and `plots/<measure>_vs_gain.svg`.

use crate::grid::{Cell, SweepError, SweepEvent, load_finished, merge_cells, run_grid, save};
use crate::init::{InitSpec, Renorm};
use crate::measures::Measure;
use crate::tables::{GroupRow, write_tables};
use crate::tasks::TaskKind;
use crate::train::TrainConfig;
use nc_core::sweep::{RunOptions, Status};
use nc_plot::{Axis, LineSpec, Series, line_chart};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The experiment's name in `sweep.json`.
pub const EXPERIMENT: &str = "richlazy-controls";

/// The grid of experiment 4.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ControlsConfig {
    /// Tasks.
    pub tasks: Vec<TaskKind>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Ranks of the norm-matching control (each at most `base.n`).
    pub ranks: Vec<usize>,
    /// Gains of the gain control.
    pub gains: Vec<f64>,
    /// Ranks run at every gain (each at most `base.n`).
    pub gain_ranks: Vec<usize>,
    /// Every other setting of a run (its gain is the norm control's).
    pub base: TrainConfig,
}

impl ControlsConfig {
    /// Full size: N = 300, 10,000 iterations, 2AF/DMS/CXT, 5 seeds, ranks {1, 5, 10, 30, 100,
    /// 300} under both norms, gains {0.5, 1, 1.5, 2} at ranks 1 and 300.
    pub fn full() -> Self {
        Self {
            tasks: TaskKind::ALL.to_vec(),
            seeds: (0..5).collect(),
            ranks: vec![1, 5, 10, 30, 100, 300],
            gains: vec![0.5, 1.0, 1.5, 2.0],
            gain_ranks: vec![1, 300],
            base: TrainConfig::default(),
        }
    }

    /// CI size (seconds): N = 48, 2AF, 2 seeds, 400 iterations, ranks {1, 6, 48}, gains
    /// {0.5, 1, 1.5, 2} at ranks 1 and 48.
    pub fn quick() -> Self {
        let base = crate::grid::quick_base();
        Self {
            tasks: vec![TaskKind::TwoAf],
            seeds: (0..2).collect(),
            ranks: vec![1, 6, 48],
            gains: vec![0.5, 1.0, 1.5, 2.0],
            gain_ranks: vec![1, 48],
            base,
        }
    }

    /// The ordered units: task-major, then seed; the norm control (Frobenius then spectral,
    /// by rank), then the gain control (by rank, then gain).
    pub fn cells(&self) -> Vec<Cell> {
        let mut out = Vec::new();
        for &task in &self.tasks {
            for &seed in &self.seeds {
                let run = |init, gain| TrainConfig {
                    task,
                    seed,
                    init,
                    gain,
                    ..self.base.clone()
                };
                for (name, renorm) in [
                    ("norm-frobenius", Renorm::Frobenius),
                    ("norm-spectral", Renorm::Spectral),
                ] {
                    for &rank in &self.ranks {
                        out.push(Cell {
                            condition: name.into(),
                            variant: format!("rank{rank}"),
                            x: rank as f64,
                            cfg: run(InitSpec::LowRank { rank, renorm }, self.base.gain),
                        });
                    }
                }
                for &rank in &self.gain_ranks {
                    for &g in &self.gains {
                        out.push(Cell {
                            condition: format!("gain-rank{rank}"),
                            variant: format!("g{g}"),
                            x: g,
                            cfg: run(
                                InitSpec::LowRank {
                                    rank,
                                    renorm: Renorm::Frobenius,
                                },
                                g,
                            ),
                        });
                    }
                }
            }
        }
        out
    }

    fn check(&self) -> Result<(), SweepError> {
        let n = self.base.n;
        if let Some(&rank) = self
            .ranks
            .iter()
            .chain(&self.gain_ranks)
            .find(|&&r| r == 0 || r > n)
        {
            return Err(SweepError::Rank { rank, n });
        }
        Ok(())
    }
}

/// Runs this shard's units; once the grid is settled writes tables and plots.
pub fn run_controls(
    cfg: &ControlsConfig,
    opts: &RunOptions,
    progress: &(dyn Fn(SweepEvent) + Sync),
) -> Result<Status, SweepError> {
    cfg.check()?;
    run_grid(EXPERIMENT, cfg, &cfg.cells(), opts, progress, write_outputs)
}

/// Joins shard folders of experiment 4 into `out` (atomically) and writes its outputs.
pub fn merge_controls(inputs: &[PathBuf], out: &Path) -> Result<ControlsConfig, SweepError> {
    merge_cells(
        inputs,
        out,
        EXPERIMENT,
        ControlsConfig::cells,
        write_outputs,
    )
    .map(|(c, _)| c)
}

fn curve(summary: &[GroupRow], task: &str, condition: &str, m: &str) -> Option<Series> {
    let rows: Vec<&GroupRow> = summary
        .iter()
        .filter(|r| r.task == task && r.condition == condition && r.measure == m && r.n > 0)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let pts: Vec<(f64, f64)> = rows.iter().map(|r| (r.x, r.median)).collect();
    let band: Vec<(f64, f64)> = rows.iter().map(|r| (r.ci_lo, r.ci_hi)).collect();
    Some(
        Series::new(format!("{task} {condition}"), pts)
            .with_band(band)
            .with_markers(),
    )
}

fn write_outputs(cfg: &ControlsConfig, status: &Status, out: &Path) -> Result<(), SweepError> {
    let records = load_finished(&cfg.cells(), status, out)?;
    let summary = write_tables(&records, out)?;
    let dir = out.join("plots");
    std::fs::create_dir_all(&dir).map_err(crate::grid::io(&dir))?;
    for measure in Measure::ALL {
        let (m, title) = (measure.name(), measure.title());
        let mut norm = Vec::new();
        let mut gain = Vec::new();
        for t in &cfg.tasks {
            let t = t.to_string();
            norm.extend(curve(&summary, &t, "norm-frobenius", m));
            norm.extend(curve(&summary, &t, "norm-spectral", m));
            for r in &cfg.gain_ranks {
                gain.extend(curve(&summary, &t, &format!("gain-rank{r}"), m));
            }
        }
        if !norm.is_empty() {
            save(
                &dir.join(format!("{m}_vs_rank_norm.svg")),
                line_chart(&LineSpec {
                    title: format!("{title} vs initial rank: Frobenius vs spectral norm matching"),
                    description: format!(
                        "Median over {} seeds (band: 95% bootstrap interval) of {title} after training against the rank of W_h(0), with truncations renormalised to W0's Frobenius norm or to its spectral norm.",
                        cfg.seeds.len()
                    ),
                    x: Axis::log("initial rank of Wₕ"),
                    y: Axis::linear(title),
                    series: norm,
                    ..LineSpec::default()
                }),
            )?;
        }
        if !gain.is_empty() {
            save(
                &dir.join(format!("{m}_vs_gain.svg")),
                line_chart(&LineSpec {
                    title: format!("{title} vs gain g (g < 1 stable, g > 1 chaotic)"),
                    description: format!(
                        "Median over {} seeds (band: 95% bootstrap interval) of {title} after training against the gain g of W0 = g·G/√N, for the lowest and the full initial rank.",
                        cfg.seeds.len()
                    ),
                    x: Axis::linear("gain g"),
                    y: Axis::linear(title),
                    series: gain,
                    ..LineSpec::default()
                }),
            )?;
        }
    }
    Ok(())
}
