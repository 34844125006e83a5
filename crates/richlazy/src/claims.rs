//! The paper's ordering claims, judged on a rank sweep: lower initial rank gives richer
//! learning, i.e. lower kernel alignment (KA), lower representation alignment (RA) and a
//! larger weight change `‖ΔW_h‖`.
//!
//! Every comparison is within seed (all ranks of a seed share `W₀`, `W_in`, `W_out` and the
//! data), so a claim is judged on paired differences: per task, the exact one-sided sign test
//! of `m(full rank) − m(lowest rank)` over seeds. A measure agrees with the paper when the test
//! is significant in every task; the verdict goes through [`nc_core::verdict`], and a run
//! with fewer seeds than a sign test needs, or with runs that did not learn their task, is
//! too small to judge. Beside the verdict, each task says how far the ordering holds step by
//! step (median paired difference between consecutive ranks), e.g. "falls only from rank 1
//! to 5": computed from the run, never written by hand.

use crate::grid::UnitRecord;
use crate::measures::Measure;
use crate::stats::{SignTest, bootstrap_median, median, min_pairs_for_sign_test};
use crate::sweep::{SweepConfig, rank_of};
use crate::tasks::TaskKind;
use nc_core::verdict::{Budget, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which way the paper says a measure moves as the initial rank grows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher rank, higher value (KA, RA: lazier).
    Rises,
    /// Higher rank, lower value (`‖ΔW_h‖`: less change).
    Falls,
}

impl Direction {
    fn verb(self) -> (&'static str, &'static str) {
        match self {
            Direction::Rises => ("rises", "rise"),
            Direction::Falls => ("falls", "fall"),
        }
    }

    /// Whether a difference `m(higher rank) − m(lower rank)` goes this way.
    pub fn agrees(self, diff: f64) -> bool {
        match self {
            Direction::Rises => diff > 0.0,
            Direction::Falls => diff < 0.0,
        }
    }
}

/// The measures with an ordering claim, and the direction the paper gives.
pub const CLAIMS: [(Measure, Direction); 3] = [
    (Measure::Ka, Direction::Rises),
    (Measure::Ra, Direction::Rises),
    (Measure::WeightChange, Direction::Falls),
];

/// Within-seed differences of one measure between a rank and a reference rank.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Task.
    pub task: TaskKind,
    /// The rank compared.
    pub rank: usize,
    /// The reference rank.
    pub reference: usize,
    /// The measure.
    pub measure: Measure,
    /// `m(rank, seed) − m(reference, seed)`, one per seed with both runs.
    pub diffs: Vec<f64>,
    /// Their median.
    pub median: f64,
    /// Seeded 95% bootstrap interval of the median.
    pub ci: (f64, f64),
    /// The sign test of the differences.
    pub test: SignTest,
}

// value of `m` per (task, rank, seed) among finished runs
type Table = BTreeMap<(TaskKind, usize, u64), f64>;

fn table(records: &[UnitRecord], m: Measure) -> Table {
    records
        .iter()
        .map(|u| {
            let c = &u.cell.cfg;
            (
                (c.task, rank_of(&u.cell), c.seed),
                m.of(&u.result.final_measures),
            )
        })
        .collect()
}

fn paired_from(
    t: &Table,
    seeds: &[u64],
    task: TaskKind,
    rank: usize,
    reference: usize,
    measure: Measure,
) -> Paired {
    let diffs: Vec<f64> = seeds
        .iter()
        .filter_map(|&s| Some(t.get(&(task, rank, s))? - t.get(&(task, reference, s))?))
        .collect();
    let label = format!("paired-{task}-{rank}-{reference}-{}", measure.name());
    Paired {
        task,
        rank,
        reference,
        measure,
        median: median(&diffs),
        ci: bootstrap_median(&diffs, crate::tables::BOOTSTRAP_SEED, &label),
        test: SignTest::of(&diffs),
        diffs,
    }
}

/// Every rank against the full (highest) rank, per task and measure of [`CLAIMS`] (and
/// the extensions CKA and accuracy, which have no claim of the paper), within seed.
pub fn paired_against_full(cfg: &SweepConfig, records: &[UnitRecord]) -> Vec<Paired> {
    let Some(&full) = cfg.ranks.iter().max() else {
        return Vec::new();
    };
    let mut ranks = cfg.ranks.clone();
    ranks.sort_unstable();
    let mut out = Vec::new();
    for (m, _) in CLAIMS.iter().copied().chain([
        (Measure::Cka, Direction::Rises),
        (Measure::Accuracy, Direction::Rises),
    ]) {
        let t = table(records, m);
        for &task in &cfg.tasks {
            for &r in ranks.iter().filter(|&&r| r != full) {
                out.push(paired_from(&t, &cfg.seeds, task, r, full, m));
            }
        }
    }
    out
}

/// How one task bears on a claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskClaim {
    /// Task.
    pub task: TaskKind,
    /// Lowest rank against the full rank.
    pub extremes: Paired,
    /// Whether the sign test of `extremes` is significant in the claimed direction.
    pub holds: bool,
    /// The highest rank up to which every consecutive step goes the claimed way (by the
    /// median paired difference); the lowest rank when the first step does not.
    pub monotone_to: usize,
    /// One sentence: how far the ordering holds, and the extremes' test.
    pub sentence: String,
}

/// A verdict on one measure's ordering claim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The measure.
    pub measure: Measure,
    /// The direction the paper gives.
    pub direction: Direction,
    /// Per task.
    pub tasks: Vec<TaskClaim>,
    /// The verdict (through `nc_core::verdict`).
    pub verdict: Verdict,
}

impl Claim {
    /// What holds, task by task, then the verdict.
    pub fn sentence(&self) -> String {
        let parts: Vec<String> = self.tasks.iter().map(|t| t.sentence.clone()).collect();
        format!(
            "{}: {}. {}",
            self.measure.title(),
            parts.join("; "),
            self.verdict.sentence()
        )
    }
}

/// Whether the run can decide an ordering claim: enough seeds for a sign test, every run of
/// the grid finished and learned its task.
pub fn budget(cfg: &SweepConfig, records: &[UnitRecord]) -> Budget {
    let need = min_pairs_for_sign_test();
    let seeds = cfg.seeds.len();
    let seeds_ok = Budget::sufficient_if(
        seeds >= need,
        format!(
            "{seeds} seed(s) per rank; a one-sided sign test over paired seeds cannot reach p ≤ {} with fewer than {need}",
            crate::stats::ALPHA
        ),
        format!(
            "at least {need} seeds (e.g. `richlazy sweep --seeds {need}`; the full preset runs 5)"
        ),
    );
    let units = cfg.cells().len();
    let learned = records
        .iter()
        .filter(|u| u.result.learned.is_some())
        .count();
    let learned_ok = Budget::sufficient_if(
        learned == units,
        format!(
            "{} of {units} runs diverged or did not learn their task (final accuracy less than {} above chance), so ranks are not compared at matched performance",
            units - learned,
            crate::train::LEARNED_MIN_GAIN
        ),
        "more training iterations (`--iters`) so that every run learns".to_string(),
    );
    seeds_ok.and(learned_ok)
}

/// Judges each claim of [`CLAIMS`] on a settled rank sweep.
pub fn rank_claims(cfg: &SweepConfig, records: &[UnitRecord]) -> Vec<Claim> {
    let mut ranks = cfg.ranks.clone();
    ranks.sort_unstable();
    ranks.dedup();
    if ranks.is_empty() {
        return Vec::new();
    }
    let budget = budget(cfg, records);
    CLAIMS
        .iter()
        .map(|&(measure, direction)| {
            let t = table(records, measure);
            let tasks: Vec<TaskClaim> = cfg
                .tasks
                .iter()
                .map(|&task| task_claim(&t, &cfg.seeds, &ranks, task, measure, direction))
                .collect();
            let holds = !tasks.is_empty() && tasks.iter().all(|t| t.holds);
            Claim {
                measure,
                direction,
                tasks,
                verdict: Verdict::judge(budget.clone(), holds),
            }
        })
        .collect()
}

/// How one task bears on `measure` moving in `direction` with rank (`ranks` sorted, at
/// least one).
fn task_claim(
    t: &Table,
    seeds: &[u64],
    ranks: &[usize],
    task: TaskKind,
    measure: Measure,
    direction: Direction,
) -> TaskClaim {
    let (lo, hi) = (ranks[0], ranks[ranks.len() - 1]);
    let extremes = paired_from(t, seeds, task, hi, lo, measure);
    let holds = extremes.test.significant(direction == Direction::Rises);
    // how far consecutive steps go the claimed way
    let mut monotone_to = lo;
    for w in ranks.windows(2) {
        let step = paired_from(t, seeds, task, w[1], w[0], measure);
        if step.diffs.is_empty() || !direction.agrees(step.median) {
            break;
        }
        monotone_to = w[1];
    }
    let sentence = task_sentence(task, direction, ranks, monotone_to, &extremes);
    TaskClaim {
        task,
        extremes,
        holds,
        monotone_to,
        sentence,
    }
}

fn task_sentence(
    task: TaskKind,
    direction: Direction,
    ranks: &[usize],
    monotone_to: usize,
    e: &Paired,
) -> String {
    let (verb, inf) = direction.verb();
    let lo = ranks[0];
    let hi = ranks[ranks.len() - 1];
    let shape = if ranks.len() < 2 {
        format!("{task} has a single rank")
    } else if monotone_to == hi {
        format!("{task} {verb} monotonically from rank {lo} to {hi}")
    } else if monotone_to > lo {
        format!("{task} {verb} only from rank {lo} to {monotone_to}")
    } else {
        format!("{task} does not {inf} from rank {lo} to {}", ranks[1])
    };
    let toward = e.diffs.iter().filter(|d| direction.agrees(**d)).count();
    let p = match direction {
        Direction::Rises => e.test.p_positive,
        Direction::Falls => e.test.p_negative,
    };
    format!(
        "{shape} (rank {hi} − rank {lo}: median paired difference {:+.3}, 95% CI [{:+.3}, {:+.3}], the claimed sign in {toward} of {} seeds, sign test p = {p:.3})",
        e.median,
        e.ci.0,
        e.ci.1,
        e.diffs.len()
    )
}

/// What a run shows about a measure beyond the paper: per-task sentences computed from the
/// run, and no verdict (the paper makes no claim to judge).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    /// The column name of the quantity.
    pub quantity: String,
    /// Where it comes from.
    pub source: String,
    /// One sentence per task.
    pub tasks: Vec<String>,
}

// value of a per-run quantity per (task, rank, seed), where the run has it
fn table_of(records: &[UnitRecord], f: impl Fn(&crate::train::RunResult) -> Option<f64>) -> Table {
    records
        .iter()
        .filter_map(|u| {
            let c = &u.cell.cfg;
            Some(((c.task, rank_of(&u.cell), c.seed), f(&u.result)?))
        })
        .collect()
}

/// The statements on CKA and manifold capacity of a settled rank sweep: CKA read like the
/// paper's alignments (does it rise with rank?), and capacity before and after training at the
/// lowest and highest rank, with the within-seed difference between them.
pub fn extension_statements(cfg: &SweepConfig, records: &[UnitRecord]) -> Vec<Extension> {
    let mut ranks = cfg.ranks.clone();
    ranks.sort_unstable();
    ranks.dedup();
    let (Some(&lo), Some(&hi)) = (ranks.first(), ranks.last()) else {
        return Vec::new();
    };
    let cka = table(records, Measure::Cka);
    let cap0 = table_of(records, |r| r.capacity_0.as_ref().map(|c| c.alpha));
    let cap_t = table_of(records, |r| r.capacity_t.as_ref().map(|c| c.alpha));
    let gain = table_of(records, |r| {
        Some(r.capacity_t.as_ref()?.alpha - r.capacity_0.as_ref()?.alpha)
    });
    let cka_tasks = cfg
        .tasks
        .iter()
        .map(|&task| {
            task_claim(
                &cka,
                &cfg.seeds,
                &ranks,
                task,
                Measure::Cka,
                Direction::Rises,
            )
            .sentence
        })
        .collect();
    let med = |t: &Table, task: TaskKind, rank: usize, none: &str| {
        let v: Vec<f64> = cfg
            .seeds
            .iter()
            .filter_map(|&s| t.get(&(task, rank, s)).copied())
            .collect();
        let n = cfg.seeds.len();
        if v.is_empty() {
            none.to_string()
        } else {
            format!("{:.3} ({} of {n} seeds)", median(&v), v.len())
        }
    };
    // a run whose classes do not separate even in N dimensions has no capacity
    let below = "below P/N in every seed (not separable in the full space)";
    let cap_tasks = cfg
        .tasks
        .iter()
        .map(|&task| {
            let e = paired_from(&cap_t, &cfg.seeds, task, hi, lo, Measure::Cka);
            format!(
                "{task}: capacity (median over the seeds where the class manifolds separate) {} → {} at rank {lo}, {} → {} at rank {hi} (median change by training {} and {}); after training rank {hi} − rank {lo}: median paired difference {:+.3}, 95% CI [{:+.3}, {:+.3}] over {} seeds",
                med(&cap0, task, lo, below),
                med(&cap_t, task, lo, below),
                med(&cap0, task, hi, below),
                med(&cap_t, task, hi, below),
                med(&gain, task, lo, "n/a: no seed separable before and after"),
                med(&gain, task, hi, "n/a: no seed separable before and after"),
                e.median,
                e.ci.0,
                e.ci.1,
                e.diffs.len()
            )
        })
        .collect();
    vec![
        Extension {
            quantity: "cka".into(),
            source: "Kornblith et al. 2019: the centred form of RA".into(),
            tasks: cka_tasks,
        },
        Extension {
            quantity: "capacity".into(),
            source: "Chou et al., ICML 2025: simulated manifold capacity of the decision-step class manifolds".into(),
            tasks: cap_tasks,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Cell;
    use crate::train::{Learned, RunResult};

    // a fake settled sweep: value of the measure per (task, rank, seed)
    fn records(cfg: &SweepConfig, value: impl Fn(TaskKind, usize, u64) -> f64) -> Vec<UnitRecord> {
        cfg.cells()
            .into_iter()
            .map(|cell: Cell| {
                let c = &cell.cfg;
                let v = value(c.task, rank_of(&cell), c.seed);
                let m = crate::train::Measures {
                    weight_change: v,
                    ka: v,
                    ra: v,
                    ..Default::default()
                };
                let result = RunResult {
                    config: c.clone(),
                    final_measures: m,
                    track: vec![m],
                    kta0: 0.0,
                    rank_w0: Default::default(),
                    rank_wt: Default::default(),
                    rank_dw: Default::default(),
                    loss: Vec::new(),
                    learned: Some(Learned {
                        iter: 1,
                        change_to_learned: v,
                        drift_after: 0.0,
                    }),
                    lr_search: Vec::new(),
                    capacity_0: None,
                    capacity_t: None,
                };
                UnitRecord {
                    key_hash: String::new(),
                    cell,
                    result,
                }
            })
            .collect()
    }

    fn cfg(seeds: u64) -> SweepConfig {
        SweepConfig {
            tasks: vec![TaskKind::TwoAf, TaskKind::Dms],
            ranks: vec![1, 5, 30, 300],
            seeds: (0..seeds).collect(),
            ..SweepConfig::full()
        }
    }

    #[test]
    fn the_statement_says_exactly_how_far_the_ordering_holds() {
        let c = cfg(5);
        // 2AF falls at every step; DMS falls from 1 to 5, then rises again, but 300 < 1
        let recs = records(&c, |task, r, s| {
            let noise = 0.01 * s as f64;
            match (task, r) {
                (TaskKind::TwoAf, r) => 2.0 - (r as f64).ln() * 0.1 + noise,
                (_, 1) => 2.0 + noise,
                (_, 5) => 1.0 + noise,
                (_, 30) => 1.5 + noise,
                _ => 1.2 + noise,
            }
        });
        let claims = rank_claims(&c, &recs);
        let dw = claims
            .iter()
            .find(|k| k.measure == Measure::WeightChange)
            .unwrap();
        assert_eq!(dw.verdict, Verdict::Agrees);
        assert!(
            dw.tasks[0]
                .sentence
                .starts_with("2AF falls monotonically from rank 1 to 300"),
            "{}",
            dw.tasks[0].sentence
        );
        assert!(
            dw.tasks[1]
                .sentence
                .starts_with("DMS falls only from rank 1 to 5"),
            "{}",
            dw.tasks[1].sentence
        );
        assert!(dw.tasks[1].sentence.contains("5 of 5 seeds"));
        // the same numbers read as KA (claimed to rise): disagrees, and says it does not rise
        let ka = claims.iter().find(|k| k.measure == Measure::Ka).unwrap();
        assert_eq!(ka.verdict, Verdict::Disagrees);
        assert!(
            ka.tasks[1]
                .sentence
                .starts_with("DMS does not rise from rank 1 to 5")
        );
        assert!(ka.sentence().contains("does not agree"));
    }

    #[test]
    fn one_heavy_seed_does_not_decide_and_few_seeds_are_too_small_to_judge() {
        // four seeds of five go against the claim; one huge seed would win a mean
        let c = cfg(5);
        let recs = records(&c, |_, r, s| match (r, s) {
            (1, 0) => 50.0,
            (1, _) => 1.0,
            _ => 1.1,
        });
        let mean_lo: f64 = (50.0 + 4.0) / 5.0;
        assert!(mean_lo > 1.1, "the mean alone would say ΔW falls");
        let dw = &rank_claims(&c, &recs)[2];
        assert_eq!(dw.measure, Measure::WeightChange);
        assert_eq!(dw.verdict, Verdict::Disagrees);
        // three seeds: the sign test can never reach 0.05
        let c3 = cfg(3);
        let recs = records(&c3, |_, r, _| 10.0 / r as f64);
        for claim in rank_claims(&c3, &recs) {
            assert_eq!(claim.verdict.word(), "too small to judge");
            assert!(
                claim.sentence().contains("at least 5 seeds"),
                "{}",
                claim.sentence()
            );
        }
    }

    #[test]
    fn runs_that_did_not_learn_make_the_budget_too_small() {
        let c = cfg(5);
        let mut recs = records(&c, |_, r, _| 10.0 / r as f64);
        recs[3].result.learned = None;
        let b = budget(&c, &recs);
        assert!(
            matches!(&b, Budget::TooSmall { why, .. } if why.contains("1 of 40 runs")),
            "{b:?}"
        );
        // a diverged unit has no record at all
        recs.pop();
        recs[3].result.learned = recs[4].result.learned;
        assert!(matches!(budget(&c, &recs), Budget::TooSmall { .. }));
    }

    #[test]
    fn extension_statements_say_where_capacity_is_absent_and_give_no_verdict() {
        use crate::capacity::Capacity;
        let c = cfg(5);
        let cap = |alpha: f64| Capacity {
            alpha,
            n_c: 2.0 / alpha,
            manifolds: 2,
            curve: Vec::new(),
        };
        let mut recs = records(&c, |_, r, _| r as f64 / 300.0);
        for u in &mut recs {
            let r = rank_of(&u.cell);
            u.result.final_measures.cka = r as f64 / 300.0;
            u.result.capacity_0 = (r > 1).then(|| cap(0.1));
            u.result.capacity_t = Some(cap(if r == 1 { 0.3 } else { 0.2 }));
        }
        let ext = extension_statements(&c, &recs);
        assert_eq!(ext[0].quantity, "cka");
        assert!(ext[0].tasks[0].starts_with("2AF rises monotonically from rank 1 to 300"));
        let s = &ext[1].tasks[1];
        assert!(s.starts_with("DMS: capacity"), "{s}");
        assert!(
            s.contains("below P/N in every seed") && s.contains("0.300 (5 of 5 seeds)"),
            "{s}"
        );
        assert!(s.contains("median paired difference -0.100"), "{s}");
        assert!(!s.contains("agree"), "{s}");
    }

    #[test]
    fn paired_differences_against_full_rank_are_within_seed() {
        let c = cfg(5);
        // a per-seed offset that dwarfs the rank effect cancels in the pairs
        let recs = records(&c, |_, r, s| {
            100.0 * s as f64 + if r == 1 { 0.5 } else { 0.0 }
        });
        let p = paired_against_full(&c, &recs);
        let one = p
            .iter()
            .find(|p| p.rank == 1 && p.measure == Measure::Ka && p.task == TaskKind::TwoAf)
            .unwrap();
        assert_eq!(one.diffs, vec![0.5; 5]);
        assert_eq!(one.ci, (0.5, 0.5));
        assert_eq!(one.reference, 300);
        assert!(one.test.significant(true));
    }
}
