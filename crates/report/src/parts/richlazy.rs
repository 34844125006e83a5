//! Rich and lazy: measures after training against the initial rank of W_h, per task.

use super::verdict;
use crate::html::{Figure, escape, table};
use crate::{PartContext, PartError, Preset, Section};
use nc_core::shard::Shard;
use nc_richlazy::sweep::{self, SummaryRow, SweepConfig, SweepEvent};
use std::fmt::Write;
use std::sync::Mutex;

pub(super) fn run(ctx: &mut PartContext<'_>) -> Result<Section, PartError> {
    let mut cfg = match ctx.preset {
        Preset::Quick => SweepConfig::quick(),
        Preset::Full => SweepConfig::full(),
    };
    cfg.seeds = cfg.seeds.iter().map(|s| s + ctx.seed).collect();
    let dir = ctx.dir.join("rank-sweep");
    (ctx.progress)(0.0, "rank sweep");
    let fraction = Mutex::new(0.0f64);
    let complete = sweep::run_sweep(&cfg, &dir, Shard::ALL, &|e| {
        if let SweepEvent::UnitDone { done, pending, .. } = e {
            let f = done as f64 / pending.max(1) as f64;
            *fraction.lock().unwrap_or_else(|p| p.into_inner()) = f;
        }
    })?;
    // the library reports from worker threads; hand the last fraction to the caller's bar
    let last = *fraction.lock().unwrap_or_else(|p| p.into_inner());
    (ctx.progress)(last, "rank sweep done");
    if !complete {
        return Err("the rank sweep did not complete every unit".into());
    }
    let records = sweep::load_units(&cfg, &dir)?;
    let summary = sweep::summarise(&cfg, &records);

    let mut html = String::new();
    let _ = write!(
        html,
        "<p>Rate RNNs (N = {n}, ReLU) trained by BPTT on three cognitive tasks from initial recurrent weights \
         of rank {ranks:?} (truncated SVD of one Gaussian W₀, renormalised to the same Frobenius norm), {s} seeds each. \
         The paper's claim: <em>lower-rank initial connectivity gives richer learning</em> — larger weight change, \
         lower alignment between the tangent kernels before and after training, and lower representation alignment.</p>\n",
        n = cfg.base.n,
        ranks = cfg.ranks,
        s = cfg.seeds.len()
    );
    let measures = [
        ("weight_change", "‖ΔW_h‖ after training", false),
        ("ka", "tangent kernel alignment K(0)·K(T)", true),
        ("ra", "representation alignment", true),
        ("accuracy", "decision-step accuracy", true),
    ];
    for (m, label, lazier_is_higher) in measures {
        let lo = cfg.ranks.first().copied().unwrap_or(1);
        let hi = cfg.ranks.last().copied().unwrap_or(1);
        let mut agree_all = true;
        let mut facts = Vec::new();
        for &task in &cfg.tasks {
            let at = |rank: usize| summary.iter().find(|r: &&SummaryRow| r.task == task && r.rank == rank && r.measure == m).map(|r| r.mean);
            if let (Some(a), Some(b)) = (at(lo), at(hi)) {
                facts.push(format!("{task}: {a:.3} at rank {lo}, {b:.3} at rank {hi}"));
                if m != "accuracy" {
                    agree_all &= if lazier_is_higher { b > a } else { b < a };
                }
            }
        }
        let caption = if m == "accuracy" {
            format!("{label} against initial rank ({}). The claim concerns how learning moves the network, so every rank should still learn the tasks.", facts.join("; "))
        } else {
            format!("{label} against initial rank ({}). {}", facts.join("; "), verdict(agree_all))
        };
        html.push_str(
            &Figure {
                src: format!("richlazy/rank-sweep/plots/{m}_vs_rank.svg"),
                alt: format!("Line chart of {label} against the initial rank of W_h, one line per task, with a band of ± one standard deviation over seeds."),
                caption,
            }
            .html(),
        );
    }
    let rows: Vec<Vec<String>> = summary
        .iter()
        .filter(|r| r.measure == "weight_change" || r.measure == "ka")
        .map(|r| vec![r.task.to_string(), r.rank.to_string(), r.measure.clone(), format!("{:.4}", r.mean), format!("{:.4}", r.sd), r.n.to_string()])
        .collect();
    html.push_str("<details><summary>Summary table (mean and sd over seeds)</summary>\n");
    html.push_str(&table(&["task", "rank", "measure", "mean", "sd", "seeds"], &rows));
    html.push_str("</details>\n");
    let _ = write!(html, "<p>Raw results: <a href=\"richlazy/rank-sweep/config.json\">{}</a> (config.json with its hash, per-unit JSON, tidy CSV/JSONL).</p>\n", escape("rank-sweep/config.json"));
    Ok(Section { html })
}
