//! The one writer of every richlazy experiment's tidy tables:
//! - `results.csv` / `results.jsonl`: one row per finished run,
//! - `tracking.csv`: the measures at every checkpoint of every run,
//! - `summary.csv`: per (task, condition, variant, measure) the number of seeds, mean, sd,
//!   median and a seeded 95% bootstrap interval of the median ([`crate::stats`]).
//!
//! Rows carry the unit's key hash, so a row can be traced to the exact run that made it.

use crate::grid::{SweepError, UnitRecord, io};
use crate::measures::Measure;
use crate::stats::{bootstrap_median, median};
use crate::train::RunResult;
use nc_core::output::write_atomic;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A per-run quantity that the summary covers: a final measure, or a fact of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Summarised {
    /// A measure at the end of training.
    Final(Measure),
    /// Entropy effective rank of `W_h(0)`.
    RankW0Entropy,
    /// Stable rank of `W_h(0)`.
    RankW0Stable,
    /// Entropy effective rank of `ΔW_h`.
    RankDwEntropy,
    /// `‖W_h(t*) − W_h(0)‖_F`, the change up to the checkpoint where the task was learned.
    DwToLearned,
    /// `‖W_h(T) − W_h(t*)‖_F`, the drift after it.
    DwDrift,
}

impl Summarised {
    /// Everything summarised, in table order.
    pub fn all() -> Vec<Summarised> {
        let mut v: Vec<Summarised> = Measure::ALL.into_iter().map(Summarised::Final).collect();
        v.extend([
            Summarised::RankW0Entropy,
            Summarised::RankW0Stable,
            Summarised::RankDwEntropy,
            Summarised::DwToLearned,
            Summarised::DwDrift,
        ]);
        v
    }

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            Summarised::Final(m) => m.name(),
            Summarised::RankW0Entropy => "rank_w0_entropy",
            Summarised::RankW0Stable => "rank_w0_stable",
            Summarised::RankDwEntropy => "rank_dw_entropy",
            Summarised::DwToLearned => "dw_to_learned",
            Summarised::DwDrift => "dw_drift",
        }
    }

    /// Its value for run `r` (`None` for the split of a run that did not learn).
    pub fn of(self, r: &RunResult) -> Option<f64> {
        match self {
            Summarised::Final(m) => Some(m.of(&r.final_measures)),
            Summarised::RankW0Entropy => Some(r.rank_w0.entropy),
            Summarised::RankW0Stable => Some(r.rank_w0.stable),
            Summarised::RankDwEntropy => Some(r.rank_dw.entropy),
            Summarised::DwToLearned => r.learned.map(|l| l.change_to_learned),
            Summarised::DwDrift => r.learned.map(|l| l.drift_after),
        }
    }
}

/// Statistics over seeds of one quantity in one (task, condition, variant) group.
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
    /// The quantity ([`Summarised::name`]).
    pub measure: String,
    /// Seeds with a value.
    pub n: usize,
    /// Mean over seeds.
    pub mean: f64,
    /// Sample standard deviation (0 for one seed).
    pub sd: f64,
    /// Median over seeds.
    pub median: f64,
    /// Lower end of the 95% bootstrap interval of the median.
    pub ci_lo: f64,
    /// Upper end.
    pub ci_hi: f64,
}

/// The seed that every summary bootstrap draws from (with the group as the stream label).
pub const BOOTSTRAP_SEED: u64 = 0;

/// Groups records (in grid order) by (task, condition, variant), with statistics over seeds.
pub fn summarise(records: &[UnitRecord]) -> Vec<GroupRow> {
    let mut keys: Vec<(String, String, String, f64)> = Vec::new();
    for u in records {
        let c = &u.cell;
        let k = (
            c.cfg.task_label(),
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
        let rs: Vec<&RunResult> = records
            .iter()
            .filter(|u| {
                u.cell.cfg.task_label() == task
                    && u.cell.condition == condition
                    && u.cell.variant == variant
            })
            .map(|u| &u.result)
            .collect();
        for s in Summarised::all() {
            let v: Vec<f64> = rs.iter().filter_map(|r| s.of(r)).collect();
            let label = format!("{task}-{condition}-{variant}-{}", s.name());
            let (ci_lo, ci_hi) = bootstrap_median(&v, BOOTSTRAP_SEED, &label);
            let (mean, sd) = mean_sd(&v);
            out.push(GroupRow {
                task: task.clone(),
                condition: condition.clone(),
                variant: variant.clone(),
                x,
                measure: s.name().to_string(),
                n: v.len(),
                mean,
                sd,
                median: median(&v),
                ci_lo,
                ci_hi,
            });
        }
    }
    out
}

/// Mean and sample standard deviation (NaN mean when empty, sd 0 for one value).
pub fn mean_sd(v: &[f64]) -> (f64, f64) {
    let n = v.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (v.iter().map(|a| (a - mean) * (a - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        0.0
    };
    (mean, sd)
}

/// Finds a summary row.
pub fn get<'a>(
    rows: &'a [GroupRow],
    task: &str,
    condition: &str,
    variant: &str,
    m: &str,
) -> Option<&'a GroupRow> {
    rows.iter().find(|r| {
        r.task == task && r.condition == condition && r.variant == variant && r.measure == m
    })
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Writes `results.csv`, `results.jsonl`, `tracking.csv` and `summary.csv` into `out` and
/// returns the summary.
pub fn write_tables(records: &[UnitRecord], out: &Path) -> Result<Vec<GroupRow>, SweepError> {
    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
    let mut csv = String::from("task,seed,condition,variant,x,init,shuffle,gain,key_hash,iters,");
    csv.push_str(&names.join(","));
    csv.push_str(",kta0,rank_w0_entropy,rank_w0_nuclear,rank_w0_stable,rank_wt_entropy,rank_dw_entropy,rank_dw_nuclear,rank_dw_stable,learned_at,dw_to_learned,dw_drift,final_loss\n");
    let mut jsonl = String::new();
    let mut track = String::from("task,seed,condition,variant,x,key_hash,iter,");
    track.push_str(&names.join(","));
    track.push('\n');
    for u in records {
        let (r, c, k) = (&u.result, &u.cell, &u.result.config);
        let vals: Vec<String> = Measure::ALL
            .iter()
            .map(|m| m.of(&r.final_measures).to_string())
            .collect();
        let loss = r.loss.last().map(|l| l.1);
        let l = r.learned;
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            k.task_label(),
            k.seed,
            c.condition,
            c.variant,
            c.x,
            k.init.label(),
            k.shuffle,
            k.gain,
            u.key_hash,
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
            opt(l.map(|l| l.iter as f64)),
            opt(l.map(|l| l.change_to_learned)),
            opt(l.map(|l| l.drift_after)),
            opt(loss)
        ));
        let mut row = serde_json::json!({ "task": k.task_label(), "seed": k.seed, "condition": c.condition,
            "variant": c.variant, "x": c.x, "init": k.init.label(), "shuffle": k.shuffle, "gain": k.gain,
            "key_hash": u.key_hash, "iters": k.iters, "kta0": r.kta0, "rank_w0": r.rank_w0,
            "rank_wt": r.rank_wt, "rank_dw": r.rank_dw, "learned": r.learned, "final_loss": loss });
        for m in Measure::ALL {
            row[m.name()] = serde_json::json!(m.of(&r.final_measures));
        }
        jsonl.push_str(&row.to_string());
        jsonl.push('\n');
        for t in &r.track {
            let vals: Vec<String> = Measure::ALL.iter().map(|m| m.of(t).to_string()).collect();
            track.push_str(&format!(
                "{},{},{},{},{},{},{},{}\n",
                k.task_label(),
                k.seed,
                c.condition,
                c.variant,
                c.x,
                u.key_hash,
                t.iter,
                vals.join(",")
            ));
        }
    }
    let summary = summarise(records);
    let mut sc = String::from("task,condition,variant,x,measure,n,mean,sd,median,ci_lo,ci_hi\n");
    for s in &summary {
        sc.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{}\n",
            s.task,
            s.condition,
            s.variant,
            s.x,
            s.measure,
            s.n,
            s.mean,
            s.sd,
            s.median,
            s.ci_lo,
            s.ci_hi
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
