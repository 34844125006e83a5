//! SVG figures of the rank sweep, drawn with nc-plot: every seed as a dot, the median over
//! seeds as a line, and its seeded 95% bootstrap interval as a band (an interval of a median
//! stays inside the range of the data, so a non-negative measure never gets a band below 0).
//! Beyond the paper: manifold capacity before and after training against rank, and kernel
//! alignment KA(0, t) through training per task.

use crate::grid::{SweepError, UnitRecord, save};
use crate::measures::Measure;
use crate::sweep::{SweepConfig, rank_of};
use crate::tables::GroupRow;
use nc_plot::{Axis, LineSpec, Rgb, Series, line_chart, series_colour};
use std::path::Path;

// a lighter tint of a task's colour for its seed dots
fn tint(c: Rgb) -> Rgb {
    let mix = |v: u8| (f64::from(v) + 0.45 * (255.0 - f64::from(v))).round() as u8;
    Rgb(mix(c.0), mix(c.1), mix(c.2))
}

// task i's dots sit slightly left or right of the rank, so the tasks do not hide each other
fn jitter(x: f64, i: usize, tasks: usize) -> f64 {
    let offset = i as f64 - (tasks.saturating_sub(1)) as f64 / 2.0;
    x * 2f64.powf(0.08 * offset)
}

// weight changes are positive and heavy-tailed (one rank-1 seed can move 10 times as far):
// a log axis keeps the other seeds readable
fn y_axis(m: Measure) -> Axis {
    match m {
        Measure::WeightChange | Measure::WeightChangeRel => Axis::log(m.title()),
        _ => Axis::linear(m.title()),
    }
}

/// The median-and-interval line of `rows` (one task's rows of one quantity), if any has data.
fn median_series(name: String, rows: &[&GroupRow], colour: Rgb) -> Option<Series> {
    let rows: Vec<&&GroupRow> = rows.iter().filter(|r| r.n > 0).collect();
    if rows.is_empty() {
        return None;
    }
    let pts = rows.iter().map(|r| (r.x, r.median)).collect();
    let band = rows.iter().map(|r| (r.ci_lo, r.ci_hi)).collect();
    Some(
        Series::new(name, pts)
            .with_band(band)
            .with_markers()
            .with_colour(colour),
    )
}

/// One figure per measure: the measure after training against initial rank (log axis), one
/// colour per task; plus `weight_change_split_vs_rank.svg`.
pub fn rank_sweep(
    cfg: &SweepConfig,
    records: &[UnitRecord],
    summary: &[GroupRow],
    dir: &Path,
) -> Result<(), SweepError> {
    std::fs::create_dir_all(dir).map_err(crate::grid::io(dir))?;
    let nt = cfg.tasks.len();
    for m in Measure::ALL {
        let mut series = Vec::new();
        for (i, task) in cfg.tasks.iter().enumerate() {
            let colour = series_colour(i, None);
            // seeds first, so the medians are drawn on top
            for u in records.iter().filter(|u| u.cell.cfg.task == *task) {
                let x = jitter(rank_of(&u.cell) as f64, i, nt);
                let y = m.of(&u.result.final_measures);
                // two equal points, not one: a lone point is drawn large, and a seed should
                // stay smaller than the medians
                series.push(
                    Series::new("", vec![(x, y), (x, y)])
                        .with_markers()
                        .with_colour(tint(colour)),
                );
            }
            let rows: Vec<&GroupRow> = summary
                .iter()
                .filter(|r| r.task == task.to_string() && r.measure == m.name())
                .collect();
            series.extend(median_series(
                format!("{task} median, 95% CI"),
                &rows,
                colour,
            ));
        }
        if series.is_empty() {
            continue;
        }
        let spec = LineSpec {
            title: format!("{} vs initial rank", m.title()),
            description: format!(
                "{} after training against the rank of W_h(0), per task: one light dot per seed ({} seeds), the median over seeds as a line and its 95% bootstrap interval as a band.",
                m.title(),
                cfg.seeds.len()
            ),
            x: Axis::log("initial rank of Wₕ"),
            y: y_axis(m),
            series,
            ..LineSpec::default()
        };
        save(
            &dir.join(format!("{}_vs_rank.svg", m.name())),
            line_chart(&spec),
        )?;
    }
    split_figure(cfg, summary, dir)?;
    capacity_figure(cfg, summary, dir)?;
    ka_over_training(cfg, records, dir)
}

/// `capacity_vs_rank.svg`: simulated manifold capacity before (light) and after training
/// against initial rank, medians over seeds with 95% intervals.
fn capacity_figure(cfg: &SweepConfig, summary: &[GroupRow], dir: &Path) -> Result<(), SweepError> {
    let series = two_quantities(
        cfg,
        summary,
        [
            ("capacity_0", "at initialisation", true),
            ("capacity_t", "after training", false),
        ],
    );
    if series.is_empty() {
        return Ok(());
    }
    let spec = LineSpec {
        title: "Manifold capacity of the decision-step states".into(),
        description: "Simulated capacity P/n* of the class manifolds of the decision-step states (n*: the random-projection dimension where half the random dichotomies are linearly separable), at initialisation (light) and after training (dark), against initial rank: medians over the seeds whose manifolds separate in the full space, with 95% bootstrap intervals, per task. A missing point: no seed separates there (capacity below P/N).".into(),
        x: Axis::log("initial rank of Wₕ"),
        y: Axis::log("manifold capacity α (classes per dimension)"),
        series,
        ..LineSpec::default()
    };
    save(&dir.join("capacity_vs_rank.svg"), line_chart(&spec))
}

/// `ka_over_training_<task>.svg`: KA(0, t) at every checkpoint, one colour per initial rank:
/// a thin light line per seed and the median over seeds on top.
fn ka_over_training(
    cfg: &SweepConfig,
    records: &[UnitRecord],
    dir: &Path,
) -> Result<(), SweepError> {
    let mut ranks = cfg.ranks.clone();
    ranks.sort_unstable();
    ranks.dedup();
    for task in &cfg.tasks {
        let mut series = Vec::new();
        let mut medians = Vec::new();
        for (i, &rank) in ranks.iter().enumerate() {
            let colour = series_colour(i, None);
            let runs: Vec<&UnitRecord> = records
                .iter()
                .filter(|u| u.cell.cfg.task == *task && rank_of(&u.cell) == rank)
                .collect();
            if runs.is_empty() {
                continue;
            }
            for u in &runs {
                let pts = u
                    .result
                    .track
                    .iter()
                    .map(|m| (m.iter as f64, m.ka))
                    .collect();
                series.push(Series::new("", pts).with_colour(tint(colour)));
            }
            let iters: Vec<usize> = runs[0].result.track.iter().map(|m| m.iter).collect();
            let pts = iters
                .iter()
                .map(|&it| {
                    let v: Vec<f64> = runs
                        .iter()
                        .filter_map(|u| u.result.track.iter().find(|m| m.iter == it))
                        .map(|m| m.ka)
                        .collect();
                    (it as f64, crate::stats::median(&v))
                })
                .collect();
            medians.push(
                Series::new(format!("rank {rank} median"), pts)
                    .with_markers()
                    .with_colour(colour),
            );
        }
        if medians.is_empty() {
            continue;
        }
        series.extend(medians);
        let spec = LineSpec {
            title: format!("{task}: kernel alignment through training"),
            description: format!(
                "Alignment KA(0, t) between the tangent kernel at initialisation and at checkpoint t (every {} iterations), one colour per initial rank: one thin light line per seed ({} seeds) and the median over seeds with markers.",
                cfg.base.track_every,
                cfg.seeds.len()
            ),
            x: Axis::linear("training iteration t"),
            y: Axis::linear("KA(0, t)"),
            series,
            ..LineSpec::default()
        };
        save(
            &dir.join(format!(
                "ka_over_training_{}.svg",
                task.to_string().to_lowercase()
            )),
            line_chart(&spec),
        )?;
    }
    Ok(())
}

// per task, the median lines of two summary quantities: (name, legend words, light tint)
fn two_quantities(
    cfg: &SweepConfig,
    summary: &[GroupRow],
    parts: [(&str, &str, bool); 2],
) -> Vec<Series> {
    let mut series = Vec::new();
    for (i, task) in cfg.tasks.iter().enumerate() {
        let colour = series_colour(i, None);
        for (measure, what, light) in parts {
            let rows: Vec<&GroupRow> = summary
                .iter()
                .filter(|r| r.task == task.to_string() && r.measure == measure)
                .collect();
            let c = if light { tint(colour) } else { colour };
            series.extend(median_series(format!("{task} {what}"), &rows, c));
        }
    }
    series
}

fn split_figure(cfg: &SweepConfig, summary: &[GroupRow], dir: &Path) -> Result<(), SweepError> {
    let series = two_quantities(
        cfg,
        summary,
        [
            ("dw_to_learned", "up to learned", false),
            ("dw_drift", "drift after", true),
        ],
    );
    if series.is_empty() {
        return Ok(());
    }
    let spec = LineSpec {
        title: "‖ΔWₕ‖ split where the task is first learned".into(),
        description: format!(
            "Median over seeds (band: 95% bootstrap interval) of the Frobenius norm of the change of W_h from initialisation to the first checkpoint at which the task counts as learned (decision accuracy {}% of the way from chance to its final value), and of the drift from that checkpoint to the end, against initial rank, per task.",
            (crate::train::LEARNED_FRACTION * 100.0).round()
        ),
        x: Axis::log("initial rank of Wₕ"),
        y: Axis::linear("‖ΔWₕ‖ (Frobenius)"),
        series,
        ..LineSpec::default()
    };
    save(
        &dir.join("weight_change_split_vs_rank.svg"),
        line_chart(&spec),
    )
}
