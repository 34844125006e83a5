//! The rank sweep's measures beyond the paper: centred kernel alignment beside RA, kernel
//! alignment through training, manifold capacity and the four effective ranks side by side.
//! They carry no claim of the paper, so no verdict.

use crate::html::{Figure, table};
use nc_richlazy::claims::Extension;
use nc_richlazy::sweep::SweepConfig;
use nc_richlazy::tables::{GroupRow, RankKind, RankOf, Summarised};

/// The median of quantity `m` for task `t` at rank `r` with `digits` decimals, or "n/a".
pub(super) fn median_at(summary: &[GroupRow], t: &str, r: usize, m: &str, digits: usize) -> String {
    summary
        .iter()
        .find(|g| g.task == t && g.x as usize == r && g.measure == m)
        .filter(|g| g.n > 0)
        .map_or("n/a".to_string(), |g| format!("{:.digits$}", g.median))
}

fn at(summary: &[GroupRow], t: &str, r: usize, m: &str) -> String {
    median_at(summary, t, r, m, 3)
}

fn extremes(cfg: &SweepConfig) -> (usize, usize) {
    (
        cfg.ranks.iter().min().copied().unwrap_or(1),
        cfg.ranks.iter().max().copied().unwrap_or(1),
    )
}

/// CKA against initial rank, with RA beside it in the caption.
pub(super) fn cka_figure(cfg: &SweepConfig, summary: &[GroupRow]) -> String {
    let (lo, hi) = extremes(cfg);
    let facts: Vec<String> = cfg
        .tasks
        .iter()
        .map(|t| {
            let t = t.to_string();
            format!(
                "{t}: CKA {} at rank {lo} and {} at rank {hi}, RA {} and {}",
                at(summary, &t, lo, "cka"),
                at(summary, &t, hi, "cka"),
                at(summary, &t, lo, "ra"),
                at(summary, &t, hi, "ra")
            )
        })
        .collect();
    Figure {
        src: "richlazy/rank-sweep/plots/cka_vs_rank.svg".into(),
        alt: format!(
            "Centred kernel alignment of the decision-step states before and after training against the initial rank of W_h: one dot per seed ({} seeds), one line per task through the medians, with a band for the 95% bootstrap interval.",
            cfg.seeds.len()
        ),
        caption: format!(
            "Beyond the paper: linear centred kernel alignment (CKA; Kornblith et al. 2019) between the decision-step states before and after training, the paper's RA with each unit's mean over trials removed first. Uncentred RA counts a shared offset of the ReLU states as alignment; CKA does not, so it is the lower and more sensitive of the two (medians: {}). An extension: the paper makes no claim about CKA, so there is no verdict.",
            facts.join("; ")
        ),
    }
    .html()
}

/// The four effective ranks of `W_h(0)`, `W_h(T)` and `ΔW_h`, medians over seeds.
pub(super) fn effective_rank_table(summary: &[GroupRow]) -> String {
    let mut rows = Vec::new();
    let mut seen: Vec<(&str, u64)> = Vec::new();
    for r in summary {
        let key = (r.task.as_str(), r.x.to_bits());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        for of in RankOf::ALL {
            let mut row = vec![r.task.clone(), format!("{}", r.x), of.title().to_string()];
            for k in RankKind::ALL {
                row.push(at(
                    summary,
                    &r.task,
                    r.x as usize,
                    &Summarised::Rank(of, k).name(),
                ));
            }
            rows.push(row);
        }
    }
    let mut s = String::from(
        "<h3>Effective ranks</h3>\n<p>The paper's continuous effective rank is not defined in its code; a reviewer quotes Σ|λᵢ|/|λ₁|. \
         Here are four candidates side by side, medians over seeds: nuclear over spectral norm Σσᵢ/σ₁, the Roy–Vetterli entropy rank \
         exp(−Σ pᵢ ln pᵢ) with pᵢ = σᵢ/Σσ, the participation ratio (Σσᵢ²)²/Σσᵢ⁴ and the stable rank ‖W‖_F²/σ₁². \
         The figures use the entropy rank: it weighs the whole spectrum, whereas the other three divide by σ₁ or weight it by σ⁴, so one \
         outlier singular value (the mean weight of a Dale or cell-type matrix makes one) sets them. All four equal r for a flat rank-r spectrum.</p>\n<details><summary>Effective ranks per task, rank and matrix (results.csv has every run; effective_ranks.csv this table)</summary>\n",
    );
    s.push_str(&table(
        &[
            "task",
            "initial rank",
            "matrix",
            "Σσ/σ₁",
            "entropy",
            "participation ratio",
            "stable",
        ],
        &rows,
    ));
    s.push_str("</details>\n");
    s
}

/// Manifold capacity before and after training against rank, with the run's statements.
pub(super) fn capacity_figure(cfg: &SweepConfig, ext: &[Extension]) -> String {
    let facts: Vec<String> = ext
        .iter()
        .filter(|e| e.quantity == "capacity")
        .flat_map(|e| e.tasks.clone())
        .collect();
    let c = cfg.base.capacity;
    Figure {
        src: "richlazy/rank-sweep/plots/capacity_vs_rank.svg".into(),
        alt: "Line chart of the simulated manifold capacity of the decision-step states at initialisation and after training against the initial rank of W_h, medians per task with 95% bootstrap bands.".into(),
        caption: format!(
            "Beyond the paper: simulated manifold capacity (Chou et al., ICML 2025; Cohen et al. 2020) of the decision-step states, one manifold per class (at most {} probe trials each). For each projection dimension n, {} draws of a random dichotomy of the classes and a random Gaussian projection to n dimensions; each draw is separable when a hard-margin SVM with a bias (a small QP, Clarabel) is feasible. Capacity is P/n* at the n* where half the draws separate; medians are over the seeds whose class manifolds separate at all (in the full N dimensions), and a run whose manifolds do not has capacity below P/N, counted below. {}. An extension: the paper makes no claim about capacity, so there is no verdict.",
            c.per_class,
            c.reps,
            facts.join("; ")
        ),
    }
    .html()
}

/// KA(0, t) through training, one figure per task.
pub(super) fn ka_over_training(cfg: &SweepConfig) -> String {
    cfg.tasks
        .iter()
        .map(|t| {
            Figure {
                src: format!(
                    "richlazy/rank-sweep/plots/ka_over_training_{}.svg",
                    t.to_string().to_lowercase()
                ),
                alt: format!(
                    "Line chart of the tangent kernel alignment between initialisation and checkpoint t against t for {t}, one colour per initial rank, thin lines per seed and medians with markers."
                ),
                caption: format!(
                    "{t}: kernel alignment KA(0, t) at every checkpoint (every {} iterations; tracking.csv), per initial rank: where the kernel moves during training, not only at the end.",
                    cfg.base.track_every
                ),
            }
            .html()
        })
        .collect()
}
