//! The one writer of every richlazy experiment's tidy tables:
//! - `results.csv` / `results.jsonl`: one row per finished run,
//! - `tracking.csv`: the measures at every checkpoint of every run,
//! - `summary.csv`: per (task, condition, variant, measure) the number of seeds, mean, sd,
//!   median and a seeded 95% bootstrap interval of the median ([`crate::stats`]),
//! - `effective_ranks.csv`: the four effective ranks ([`RankKind`]) of `W_h(0)`, `W_h(T)`
//!   and `ΔW_h` side by side, medians over seeds ([`effective_rank_table`]).
//!
//! Rows carry the unit's key hash, so a row can be traced to the exact run that made it.

use crate::grid::{SweepError, UnitRecord, io};
use crate::measures::{EffectiveRanks, Measure};
use crate::stats::{bootstrap_median, median};
use crate::train::RunResult;
use nc_core::output::write_atomic;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which matrix of a run an effective rank is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankOf {
    /// `W_h(0)`.
    W0,
    /// `W_h(T)`.
    Wt,
    /// `ΔW_h = W_h(T) − W_h(0)`.
    Dw,
}

impl RankOf {
    /// Every matrix, in table order.
    pub const ALL: [RankOf; 3] = [RankOf::W0, RankOf::Wt, RankOf::Dw];

    /// The short name in column names (`w0`, `wt`, `dw`).
    pub fn name(self) -> &'static str {
        match self {
            RankOf::W0 => "w0",
            RankOf::Wt => "wt",
            RankOf::Dw => "dw",
        }
    }

    /// A label for tables.
    pub fn title(self) -> &'static str {
        match self {
            RankOf::W0 => "Wₕ(0)",
            RankOf::Wt => "Wₕ(T)",
            RankOf::Dw => "ΔWₕ",
        }
    }

    /// The ranks of this matrix in `r`.
    pub fn of(self, r: &RunResult) -> EffectiveRanks {
        match self {
            RankOf::W0 => r.rank_w0,
            RankOf::Wt => r.rank_wt,
            RankOf::Dw => r.rank_dw,
        }
    }
}

/// One of the effective-rank measures of [`EffectiveRanks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RankKind {
    /// `Σσ_i / σ_1`.
    Nuclear,
    /// Roy–Vetterli entropy rank: the one the figures use.
    Entropy,
    /// Participation ratio `(Σσ_i²)² / Σσ_i⁴`.
    Participation,
    /// Stable rank `‖W‖_F² / σ_1²`.
    Stable,
}

impl RankKind {
    /// Every measure, in table order.
    pub const ALL: [RankKind; 4] = [
        RankKind::Nuclear,
        RankKind::Entropy,
        RankKind::Participation,
        RankKind::Stable,
    ];

    /// The name in column names.
    pub fn name(self) -> &'static str {
        match self {
            RankKind::Nuclear => "nuclear",
            RankKind::Entropy => "entropy",
            RankKind::Participation => "participation",
            RankKind::Stable => "stable",
        }
    }

    /// Its value in `e`.
    pub fn of(self, e: &EffectiveRanks) -> f64 {
        match self {
            RankKind::Nuclear => e.nuclear,
            RankKind::Entropy => e.entropy,
            RankKind::Participation => e.participation,
            RankKind::Stable => e.stable,
        }
    }
}

/// A per-run quantity that the summary covers: a final measure, or a fact of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Summarised {
    /// A measure at the end of training.
    Final(Measure),
    /// An effective rank of one of the run's matrices (`rank_<matrix>_<kind>`).
    Rank(RankOf, RankKind),
    /// Simulated manifold capacity of the decision-step states at initialisation.
    Capacity0,
    /// The same after training.
    CapacityT,
    /// `‖W_h(t*) − W_h(0)‖_F`, the change up to the checkpoint where the task was learned.
    DwToLearned,
    /// `‖W_h(T) − W_h(t*)‖_F`, the drift after it.
    DwDrift,
}

impl Summarised {
    /// Everything summarised, in table order.
    pub fn all() -> Vec<Summarised> {
        let mut v: Vec<Summarised> = Measure::ALL.into_iter().map(Summarised::Final).collect();
        for of in RankOf::ALL {
            v.extend(RankKind::ALL.map(|k| Summarised::Rank(of, k)));
        }
        v.extend([
            Summarised::Capacity0,
            Summarised::CapacityT,
            Summarised::DwToLearned,
            Summarised::DwDrift,
        ]);
        v
    }

    /// The column name.
    pub fn name(self) -> String {
        match self {
            Summarised::Final(m) => m.name().to_string(),
            Summarised::Rank(of, k) => format!("rank_{}_{}", of.name(), k.name()),
            Summarised::Capacity0 => "capacity_0".into(),
            Summarised::CapacityT => "capacity_t".into(),
            Summarised::DwToLearned => "dw_to_learned".into(),
            Summarised::DwDrift => "dw_drift".into(),
        }
    }

    /// Its value for run `r` (`None` for the split of a run that did not learn, and for a
    /// capacity not measured or not defined).
    pub fn of(self, r: &RunResult) -> Option<f64> {
        match self {
            Summarised::Final(m) => Some(m.of(&r.final_measures)),
            Summarised::Rank(of, k) => Some(k.of(&of.of(r))),
            Summarised::Capacity0 => r.capacity_0.as_ref().map(|c| c.alpha),
            Summarised::CapacityT => r.capacity_t.as_ref().map(|c| c.alpha),
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
                measure: s.name(),
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

/// A CSV cell: empty where there is no value, or no finite one (a median over zero seeds).
fn opt(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| x.to_string())
        .unwrap_or_default()
}

/// Writes `results.csv`, `results.jsonl`, `tracking.csv` and `summary.csv` into `out` and
/// returns the summary.
pub fn write_tables(records: &[UnitRecord], out: &Path) -> Result<Vec<GroupRow>, SweepError> {
    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
    let mut csv = String::from("task,seed,condition,variant,x,init,shuffle,gain,key_hash,iters,");
    csv.push_str(&names.join(","));
    let rank_cols: Vec<Summarised> = Summarised::all()
        .into_iter()
        .filter(|s| matches!(s, Summarised::Rank(..)))
        .collect();
    csv.push_str(",kta0,");
    for c in &rank_cols {
        csv.push_str(&c.name());
        csv.push(',');
    }
    csv.push_str("capacity_0,capacity_t,learned_at,dw_to_learned,dw_drift,final_loss\n");
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
        let ranks: Vec<String> = rank_cols.iter().map(|c| opt(c.of(r))).collect();
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
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
            ranks.join(","),
            opt(Summarised::Capacity0.of(r)),
            opt(Summarised::CapacityT.of(r)),
            opt(l.map(|l| l.iter as f64)),
            opt(l.map(|l| l.change_to_learned)),
            opt(l.map(|l| l.drift_after)),
            opt(loss)
        ));
        let mut row = serde_json::json!({ "task": k.task_label(), "seed": k.seed, "condition": c.condition,
            "variant": c.variant, "x": c.x, "init": k.init.label(), "shuffle": k.shuffle, "gain": k.gain,
            "key_hash": u.key_hash, "iters": k.iters, "kta0": r.kta0, "rank_w0": r.rank_w0,
            "rank_wt": r.rank_wt, "rank_dw": r.rank_dw, "learned": r.learned, "final_loss": loss,
            "capacity_0": Summarised::Capacity0.of(r), "capacity_t": Summarised::CapacityT.of(r) });
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
            opt(Some(s.mean)),
            opt(Some(s.sd)),
            opt(Some(s.median)),
            opt(Some(s.ci_lo)),
            opt(Some(s.ci_hi))
        ));
    }
    let er = effective_rank_table(&summary);
    for (name, text) in [
        ("effective_ranks.csv", &er),
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

/// The medians over seeds of the four effective ranks of each matrix, side by side: one row
/// per (task, condition, variant, matrix), columns `nuclear,entropy,participation,stable`.
/// The figures use the entropy rank: it weighs the whole spectrum, where the others divide
/// by `σ₁` or `σ₁²`-weighted sums and so follow a single outlier singular value (the mean
/// weight of a Dale or cell-type matrix makes one).
pub fn effective_rank_table(summary: &[GroupRow]) -> String {
    let mut s = String::from("task,condition,variant,x,matrix,n");
    for k in RankKind::ALL {
        s.push(',');
        s.push_str(k.name());
    }
    s.push('\n');
    let mut seen: Vec<(&str, &str, &str)> = Vec::new();
    for r in summary {
        let key = (r.task.as_str(), r.condition.as_str(), r.variant.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        for of in RankOf::ALL {
            let cells: Vec<Option<&GroupRow>> = RankKind::ALL
                .iter()
                .map(|&k| {
                    let name = Summarised::Rank(of, k).name();
                    get(summary, key.0, key.1, key.2, &name)
                })
                .collect();
            let n = cells.iter().flatten().map(|g| g.n).max().unwrap_or(0);
            s.push_str(&format!(
                "{},{},{},{},{},{n}",
                key.0,
                key.1,
                key.2,
                r.x,
                of.name()
            ));
            for c in cells {
                s.push(',');
                s.push_str(&opt(c.map(|g| g.median)));
            }
            s.push('\n');
        }
    }
    s
}
