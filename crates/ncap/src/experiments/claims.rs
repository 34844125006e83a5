//! The paper's claims and the one place that decides whether a run can judge them.
//!
//! Every verdict goes through [`nc_core::verdict`]: a run first earns a [`Budget`], then the
//! claim is checked. The rules, fixed before looking at results:
//!
//! - **Seeds.** A claim about seed means needs at least [`MIN_SEEDS`] seeds per variant.
//! - **The MLP has learned** ([`mlp_learned`]) when its seed-mean final test return reaches
//!   NCAP's seed-mean *initial* test return under the same algorithm. The untrained circuit is
//!   the bar: below it the MLP has not yet learned to swim as well as NCAP does at step 0
//!   (random actions earn about 86, NCAP at init about 800), so neither its final return nor
//!   the steps it needs say anything about the paper's asymptotic or efficiency claims.
//! - **Initial performance**: NCAP starts higher when every NCAP seed's initial return is above
//!   every MLP seed's.
//! - **Data efficiency**: the steps the MLP's seed-mean curve needs to reach NCAP's initial
//!   return; "dramatic" means at least [`DRAMATIC_STEPS`] (NCAP needs 0).
//! - **Final performance** is "comparable" (the paper's word; not "better") when NCAP's
//!   seed-mean final return is at least [`COMPARABLE_FRACTION`] of the MLP's. A shortfall
//!   disagrees only when Welch's t-test puts it beyond the seeds' noise (95%); a smaller one
//!   is too small to judge. The gap is reported either way.
//! - **Transfer**: on every body of 6 or more links, the untrained NCAP and the NCAP trained on
//!   6 links (by ES, PPO and DDPG) earn at least [`TRANSFER_RETURN`] (random actions: about 86).
//! - **Ablations**: ES must have taught the signed circuits something (mean gain of at least
//!   [`ES_LEARNED_GAIN`]); then signed circuits must end above unsigned ones and the constant
//!   init must start above the uniform one.
//! - **Components** (predictions from the circuit's equations, not figures of the paper): with
//!   at least [`MIN_SEEDS`] seeds, the head oscillator and proprioception are each needed
//!   (the ablated circuit's seed-mean final return is below the full circuit's beyond the 95%
//!   interval of Welch's t-test), and muscle cross-inhibition is inert in "swim" (the two seed
//!   means lie within that interval).
//! - Every statistical rule uses Student's t ([`t95`]), not two standard errors, which at 3
//!   seeds would call differences real at about 80% confidence.

use super::ablations::AblationRow;
use super::curves::EfficiencyRow;
use super::preset::Preset;
use super::transfer::TransferRow;
use super::unit::{Algo, ModelKind};
use nc_core::verdict::{Budget, Verdict};
use serde::{Deserialize, Serialize};

/// Seeds per variant a claim about seed means needs.
pub const MIN_SEEDS: usize = 3;
/// Steps the MLP must need to reach NCAP's initial return for "dramatically" more efficient.
pub const DRAMATIC_STEPS: u64 = 100_000;
/// NCAP's final return as a fraction of the MLP's that still counts as comparable.
pub const COMPARABLE_FRACTION: f64 = 0.9;
/// The return the transferred circuit must keep on bodies of 6 or more links.
pub const TRANSFER_RETURN: f64 = 500.0;
/// Mean gain (final − initial) of the signed circuits that shows ES has learned.
pub const ES_LEARNED_GAIN: f64 = 50.0;

/// The one definition of "the MLP has learned" (see the module docs).
pub fn mlp_learned(mlp_final: f64, ncap_initial: f64) -> bool {
    mlp_final >= ncap_initial
}

/// One claim of the paper, what this run measured, and the verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Short key (`es/initial`, `ppo/final`, `transfer`, …).
    pub key: String,
    /// The paper's claim.
    pub claim: String,
    /// The paper's number, where known.
    pub paper: Option<String>,
    /// What this run measured.
    pub ours: String,
    /// The budget behind it.
    pub budget: String,
    /// The verdict.
    pub verdict: Verdict,
}

// what a budget too small for an NCAP-only claim (transfer, ablations) would need
fn needed_seeds(preset: Preset) -> String {
    match preset {
        Preset::Quick => "at least 3 seeds: the medium preset (--preset medium) or larger".into(),
        _ => "at least 3 seeds (--seeds 3) and ES long enough to train the circuits".into(),
    }
}

// what a budget too small for an algorithm's curve claims would need
fn needed(preset: Preset, algo: Algo) -> String {
    match (preset, algo) {
        (Preset::Quick, _) => {
            "at least 3 seeds and a budget at which the MLP learns: the medium preset (--preset medium: 3 seeds, about 3·10⁵ steps, DDPG 10⁵) or larger".into()
        }
        (Preset::Medium, _) => {
            "a budget at which the MLP learns: the full preset (--preset full: 10 seeds, 10⁶ steps)".into()
        }
        (Preset::Full, _) => "more steps than 10⁶ (the paper trains 10⁷)".into(),
    }
}

fn seeds_budget(seeds: usize, preset: Preset, algo: Algo) -> Budget {
    Budget::sufficient_if(
        seeds >= MIN_SEEDS,
        format!("{seeds} seeds per variant (at least {MIN_SEEDS} are needed)"),
        match preset {
            Preset::Quick => needed(preset, algo),
            // the medium and full presets have enough seeds unless --seeds lowered them
            _ => format!("at least {MIN_SEEDS} seeds (--seeds {MIN_SEEDS})"),
        },
    )
}

/// The three curve claims (initial, data efficiency, final) of one algorithm for each of its
/// MLP rows in the efficiency table; empty when the NCAP row or every MLP row is missing. With
/// more than one MLP size, the claims of the sizes other than the preset's carry the size in
/// their key (`ppo/mlp256x256/final`) and text.
pub fn judge_algo(rows: &[EfficiencyRow], algo: Algo, preset: Preset) -> Vec<Claim> {
    let Some(n) = rows
        .iter()
        .find(|r| r.algo == algo && r.model == ModelKind::Ncap)
    else {
        return Vec::new();
    };
    let mlps: Vec<&EfficiencyRow> = rows
        .iter()
        .filter(|r| r.algo == algo && r.model == ModelKind::Mlp)
        .collect();
    let several = mlps.len() > 1;
    mlps.into_iter()
        .flat_map(|m| {
            let (key, name) = if m.mlp_hidden == preset.mlp_hidden(algo) || !several {
                (algo.name().to_string(), algo.name().to_uppercase())
            } else {
                let h = super::curves::hidden_name(&m.mlp_hidden);
                (
                    format!("{}/mlp{h}", algo.name()),
                    format!(
                        "{} (MLP {})",
                        algo.name().to_uppercase(),
                        h.replace('x', "×")
                    ),
                )
            };
            judge_pair(n, m, &key, &name, algo, preset)
        })
        .collect()
}

// the three claims of NCAP's row `n` against the MLP row `m`
fn judge_pair(
    n: &EfficiencyRow,
    m: &EfficiencyRow,
    key: &str,
    name: &str,
    algo: Algo,
    preset: Preset,
) -> [Claim; 3] {
    let seeds = n.seeds.min(m.seeds);
    let budget = format!(
        "{} seeds, {} steps, MLP {:?}",
        seeds,
        n.budget.max(m.budget),
        m.mlp_hidden
    );
    let learned = Budget::sufficient_if(
        mlp_learned(m.final_return, n.initial),
        format!(
            "the MLP has not learned: its final return {:.0} is below NCAP's initial return {:.0}",
            m.final_return, n.initial
        ),
        needed(preset, algo),
    );
    let min_ncap = n
        .initial_per_seed
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    let max_mlp = m
        .initial_per_seed
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let initial = Claim {
        key: format!("{key}/initial"),
        claim: format!(
            "{name}: NCAP has good initial performance, far above the MLP before training"
        ),
        paper: None,
        ours: format!(
            "initial return NCAP {:.0} (lowest seed {min_ncap:.0}), MLP {:.0} (highest seed {max_mlp:.0})",
            n.initial, m.initial
        ),
        budget: budget.clone(),
        verdict: Verdict::judge(seeds_budget(seeds, preset, algo), min_ncap > max_mlp),
    };
    let reach = m.steps_to_ncap_initial;
    let efficiency = Claim {
        key: format!("{key}/efficiency"),
        claim: format!(
            "{name}: NCAP improves data efficiency dramatically; the MLP needs many steps to reach what NCAP does untrained"
        ),
        paper: None,
        ours: match reach {
            Some(s) => format!(
                "the MLP reaches NCAP's initial return {:.0} after {s} steps (NCAP: 0)",
                n.initial
            ),
            None => format!(
                "the MLP does not reach NCAP's initial return {:.0} within {} steps",
                n.initial, m.budget
            ),
        },
        budget: budget.clone(),
        verdict: Verdict::judge(
            seeds_budget(seeds, preset, algo).and(learned.clone()),
            reach.is_some_and(|s| s >= DRAMATIC_STEPS),
        ),
    };
    let gap = n.final_return - m.final_return;
    // NCAP's shortfall from the comparable line, and whether it is beyond the seeds' noise
    let short = welch(&n.final_per_seed, &m.final_per_seed, COMPARABLE_FRACTION);
    let comparable = short.diff >= 0.0;
    let noisy = Budget::sufficient_if(
        comparable || short.significant(),
        format!(
            "NCAP's final return is below {:.0}% of the MLP's by {:.0}, within the seeds' noise (a shortfall beyond {:.0} would have shown at 5%)",
            100.0 * COMPARABLE_FRACTION,
            -short.diff,
            short.half_width()
        ),
        "more seeds (--seeds)",
    );
    let fin = Claim {
        key: format!("{key}/final"),
        claim: format!("{name}: NCAP's asymptotic performance is comparable to the MLP's"),
        paper: None,
        ours: format!(
            "final return NCAP {:.0}, MLP {:.0}: gap {gap:+.0} ({:+.0}% of the MLP's)",
            n.final_return,
            m.final_return,
            100.0 * gap / m.final_return.abs().max(1e-9)
        ),
        budget,
        verdict: Verdict::judge(
            seeds_budget(seeds, preset, algo).and(learned).and(noisy),
            comparable,
        ),
    };
    [initial, efficiency, fin]
}

/// The transfer claim.
pub fn judge_transfer(rows: &[TransferRow], seeds: usize, preset: Preset) -> Claim {
    let long: Vec<&TransferRow> = rows.iter().filter(|r| r.n_bodies >= 6).collect();
    let worst = long
        .iter()
        .map(|r| {
            [r.ppo_mean, r.ddpg_mean]
                .into_iter()
                .flatten()
                .fold(r.untrained_mean.min(r.trained_mean), f64::min)
        })
        .fold(f64::INFINITY, f64::min);
    Claim {
        key: "transfer".into(),
        claim: "NCAP transfers to new body designs without retraining".into(),
        paper: None,
        ours: format!(
            "lowest return on bodies of 6 to {} links, untrained or trained on 6 (by ES, and by PPO and DDPG where run): {worst:.0}",
            long.iter().map(|r| r.n_bodies).max().unwrap_or(6)
        ),
        budget: format!("{seeds} trained seeds"),
        verdict: Verdict::judge(
            Budget::sufficient_if(
                seeds >= MIN_SEEDS && !long.is_empty(),
                format!("{seeds} trained seeds (at least {MIN_SEEDS} are needed)"),
                needed_seeds(preset),
            ),
            worst >= TRANSFER_RETURN,
        ),
    }
}

/// The ablation claim.
pub fn judge_ablations(rows: &[AblationRow], seeds: usize, preset: Preset) -> Claim {
    let mean = |f: &dyn Fn(&AblationRow) -> bool, g: &dyn Fn(&AblationRow) -> f64| {
        let v: Vec<f64> = rows
            .iter()
            .filter(|r| r.components_off.is_empty() && f(r))
            .map(g)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    };
    let signed = mean(&|r| r.signs, &|r| r.final_mean);
    let unsigned = mean(&|r| !r.signs, &|r| r.final_mean);
    let constant0 = mean(&|r| r.constant_init && r.signs, &|r| r.initial_mean);
    let uniform0 = mean(&|r| !r.constant_init && r.signs, &|r| r.initial_mean);
    let gain = mean(&|r| r.signs, &|r| r.final_mean - r.initial_mean);
    let budget = Budget::sufficient_if(
        seeds >= MIN_SEEDS,
        format!("{seeds} seeds per variant (at least {MIN_SEEDS} are needed)"),
        needed_seeds(preset),
    )
    .and(Budget::sufficient_if(
        gain >= ES_LEARNED_GAIN,
        format!(
            "ES barely trained the signed circuits (mean gain {gain:.0}, at least {ES_LEARNED_GAIN:.0} needed)"
        ),
        "a longer ES budget (--steps)",
    ));
    Claim {
        key: "ablations".into(),
        claim: "Sign constraints are crucial for learning; the initialisation mainly sets the initial performance".into(),
        paper: None,
        ours: format!(
            "final return signed {signed:.0}, unsigned {unsigned:.0}; initial return of signed circuits, constant init {constant0:.0}, uniform {uniform0:.0}"
        ),
        budget: format!("{seeds} seeds"),
        verdict: Verdict::judge(budget, signed > unsigned && constant0 > uniform0),
    }
}

/// Mean of the seeds' values and its standard error (sample sd / √n).
pub(crate) fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len().max(1) as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, (var / n).sqrt())
}

/// The two-sided 95% quantile of Student's t with `df` degrees of freedom (a standard table;
/// the normal 1.96 beyond 30).
pub fn t95(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => 1.96,
    }
}

/// A difference of two seed means with its standard error and Welch's degrees of freedom.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Difference {
    /// `mean(a) − scale·mean(b)`.
    pub diff: f64,
    /// Its standard error.
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom, rounded down (0: not enough seeds).
    pub df: usize,
}

impl Difference {
    /// Half-width of the 95% interval: the smallest difference a two-sided t-test sees.
    pub fn half_width(&self) -> f64 {
        if self.df == 0 {
            // one seed a side: nothing can be told from noise, whatever the spread says
            return f64::INFINITY;
        }
        t95(self.df) * self.se
    }
    /// Whether the difference is beyond its 95% interval's half-width.
    pub fn significant(&self) -> bool {
        self.diff.abs() > self.half_width()
    }
}

/// Welch's comparison of the seeds `a` against `scale` times the seeds `b` (independent runs).
pub fn welch(a: &[f64], b: &[f64], scale: f64) -> Difference {
    let ((ma, sa), (mb, sb)) = (mean_se(a), mean_se(b));
    let (va, vb) = (sa * sa, (scale * sb).powi(2));
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let df = if a.len() < 2 || b.len() < 2 {
        0.0
    } else if va + vb == 0.0 {
        na + nb - 2.0
    } else {
        (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0))
    };
    Difference {
        diff: ma - scale * mb,
        se: (va + vb).sqrt(),
        df: df.floor() as usize,
    }
}

/// The component claims (oscillator, proprioception needed; cross-inhibition inert), from the
/// rows of `111` and its component ablations; none when those rows are missing.
pub fn judge_components(rows: &[AblationRow], seeds: usize, preset: Preset) -> Vec<Claim> {
    let Some(full) = rows.iter().find(|r| r.code == "111") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (off, what, needed) in [
        ("noosc", "head oscillator", true),
        ("noprop", "proprioception", true),
        ("nocross", "muscle cross-inhibition", false),
    ] {
        let Some(r) = rows.iter().find(|r| r.components_off == off) else {
            continue;
        };
        let w = welch(&r.final_per_seed, &full.final_per_seed, 1.0);
        let (d, half) = (w.diff, w.half_width());
        let budget = Budget::sufficient_if(
            seeds >= MIN_SEEDS,
            format!("{seeds} seeds per variant (at least {MIN_SEEDS} are needed)"),
            needed_seeds(preset),
        );
        let (claim, holds) = if needed {
            (
                format!(
                    "Without the {what} the circuit cannot learn to swim as well (prediction from the circuit's equations)"
                ),
                d < -half,
            )
        } else {
            (
                format!(
                    "Removing {what} changes nothing in \"swim\": one side's B-neuron is always silent (prediction from the circuit's equations)"
                ),
                d.abs() <= half,
            )
        };
        out.push(Claim {
            key: format!("ablations/{off}"),
            claim,
            paper: None,
            ours: format!(
                "final return {:.0} without vs {:.0} with (difference {d:+.0}, standard error {:.0}; a difference beyond ±{half:.0} would have shown at 5%)",
                r.final_mean, full.final_mean, w.se
            ),
            budget: format!("{seeds} seeds"),
            verdict: Verdict::judge(budget, holds),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiments::curves::ReturnAt;

    fn row(model: ModelKind, initial: &[f64], fin: &[f64], reach: Option<u64>) -> EfficiencyRow {
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        EfficiencyRow {
            algo: Algo::Ppo,
            model,
            n_params: 4,
            mlp_hidden: vec![64, 64],
            seeds: initial.len(),
            budget: 300_000,
            initial: mean(initial),
            initial_per_seed: initial.to_vec(),
            final_return: mean(fin),
            final_per_seed: fin.to_vec(),
            at_steps: vec![ReturnAt {
                steps: 10_000,
                mean: None,
            }],
            steps_to_ncap_initial: reach,
        }
    }

    fn verdicts(rows: &[EfficiencyRow], preset: Preset) -> Vec<&'static str> {
        judge_algo(rows, Algo::Ppo, preset)
            .iter()
            .map(|c| c.verdict.word())
            .collect()
    }

    #[test]
    fn a_learned_mlp_lets_every_claim_be_judged_either_way() {
        // MLP learns past NCAP's initial 800 after 2e5 steps and ends at 950; NCAP ends at 900
        let agree = [
            row(
                ModelKind::Ncap,
                &[800.0, 790.0, 810.0],
                &[900.0; 3],
                Some(0),
            ),
            row(
                ModelKind::Mlp,
                &[80.0, 90.0, 70.0],
                &[950.0; 3],
                Some(200_000),
            ),
        ];
        assert_eq!(
            verdicts(&agree, Preset::Medium),
            ["agrees", "agrees", "agrees"]
        );
        // the same MLP, but NCAP ends far below it and the MLP catches up within 2e4 steps
        let disagree = [
            row(ModelKind::Ncap, &[800.0, 60.0, 810.0], &[500.0; 3], Some(0)),
            row(
                ModelKind::Mlp,
                &[80.0, 90.0, 70.0],
                &[950.0; 3],
                Some(20_000),
            ),
        ];
        assert_eq!(
            verdicts(&disagree, Preset::Medium),
            ["disagrees", "disagrees", "disagrees"]
        );
        let c = judge_algo(&disagree, Algo::Ppo, Preset::Medium);
        assert!(c[2].ours.contains("gap -450"), "{}", c[2].ours);
    }

    #[test]
    fn welch_matches_the_closed_form_and_scipy() {
        // scipy.stats.ttest_ind([1,2,3], [4,5,6], equal_var=False): t = -3.674, df = 4
        let w = welch(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], 1.0);
        assert!((w.diff + 3.0).abs() < 1e-12);
        assert!((w.diff / w.se + 3.674_234_614).abs() < 1e-6, "{w:?}");
        assert_eq!(w.df, 4);
        assert!(w.significant() && (w.half_width() - 2.776 * w.se).abs() < 1e-12);
        // unequal variances lower the degrees of freedom below na + nb − 2
        let u = welch(&[0.0, 10.0, 20.0], &[5.0, 5.1, 5.2], 1.0);
        assert_eq!(u.df, 2);
        assert!(!u.significant());
        // one seed a side: no interval at all
        assert!(welch(&[1.0], &[2.0], 1.0).half_width().is_infinite());
    }

    #[test]
    fn a_shortfall_within_the_seeds_noise_is_too_small_to_judge() {
        // NCAP ends at 800 ± 100, the MLP at 950 ± 100: short of 90% (855) by 55, but 3 noisy
        // seeds a side cannot tell that from no shortfall
        let noisy = [
            row(
                ModelKind::Ncap,
                &[800.0, 790.0, 810.0],
                &[900.0, 700.0, 800.0],
                Some(0),
            ),
            row(
                ModelKind::Mlp,
                &[80.0, 90.0, 70.0],
                &[950.0, 850.0, 1050.0],
                Some(200_000),
            ),
        ];
        let c = judge_algo(&noisy, Algo::Ppo, Preset::Medium);
        assert_eq!(c[2].verdict.word(), "too small to judge");
        let s = c[2].verdict.sentence();
        assert!(
            s.contains("within the seeds' noise") && s.contains("--seeds"),
            "{s}"
        );
        // the same means with tight seeds disagree
        let tight = [
            row(
                ModelKind::Ncap,
                &[800.0; 3],
                &[799.0, 800.0, 801.0],
                Some(0),
            ),
            row(
                ModelKind::Mlp,
                &[80.0; 3],
                &[949.0, 950.0, 951.0],
                Some(200_000),
            ),
        ];
        assert_eq!(
            judge_algo(&tight, Algo::Ppo, Preset::Medium)[2]
                .verdict
                .word(),
            "disagrees"
        );
    }

    #[test]
    fn each_mlp_size_gets_its_own_claims() {
        let big = EfficiencyRow {
            mlp_hidden: vec![256, 256],
            ..row(ModelKind::Mlp, &[80.0; 3], &[300.0; 3], None)
        };
        let rows = [
            row(ModelKind::Ncap, &[800.0; 3], &[820.0; 3], Some(0)),
            row(ModelKind::Mlp, &[80.0; 3], &[950.0; 3], Some(200_000)),
            big,
        ];
        let c = judge_algo(&rows, Algo::Ppo, Preset::Medium);
        let keys: Vec<&str> = c.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ppo/initial",
                "ppo/efficiency",
                "ppo/final",
                "ppo/mlp256x256/initial",
                "ppo/mlp256x256/efficiency",
                "ppo/mlp256x256/final"
            ]
        );
        assert!(
            c[3].claim.starts_with("PPO (MLP 256×256)"),
            "{}",
            c[3].claim
        );
        assert!(c[5].budget.contains("[256, 256]"));
        // the 256×256 MLP has not learned; the 64×64 one has
        assert_eq!(c[5].verdict.word(), "too small to judge");
        assert_eq!(c[1].verdict.word(), "agrees");
        // no NCAP row, no claims
        assert!(judge_algo(&rows[1..], Algo::Ppo, Preset::Medium).is_empty());
    }

    #[test]
    fn an_unlearned_mlp_or_too_few_seeds_is_too_small_to_judge() {
        // quick: the MLP ends at 115, below NCAP's initial return; only 2 seeds
        let quick = [
            row(ModelKind::Ncap, &[800.0, 790.0], &[820.0; 2], Some(0)),
            row(ModelKind::Mlp, &[80.0, 90.0], &[45.0, 115.0], None),
        ];
        assert_eq!(verdicts(&quick, Preset::Quick), ["too small to judge"; 3]);
        let s = judge_algo(&quick, Algo::Ppo, Preset::Quick)[2]
            .verdict
            .sentence();
        assert!(s.contains("--preset medium"), "{s}");
        // enough seeds, but the MLP has not learned: only the initial claim is judged
        let unlearned = [
            row(ModelKind::Ncap, &[800.0; 3], &[820.0; 3], Some(0)),
            row(ModelKind::Mlp, &[80.0; 3], &[300.0; 3], None),
        ];
        assert_eq!(
            verdicts(&unlearned, Preset::Medium),
            ["agrees", "too small to judge", "too small to judge"]
        );
        let s = judge_algo(&unlearned, Algo::Ppo, Preset::Medium)[2]
            .verdict
            .sentence();
        assert!(
            s.contains("has not learned") && s.contains("--preset full"),
            "{s}"
        );
        assert!(mlp_learned(800.0, 800.0) && !mlp_learned(799.9, 800.0));
    }

    #[test]
    fn transfer_and_ablation_claims_have_all_three_outcomes() {
        let t = |u: f64, tr: f64| TransferRow {
            n_bodies: 8,
            untrained_mean: u,
            untrained_sd: 0.0,
            trained_mean: tr,
            trained_sd: 0.0,
            ..TransferRow::default()
        };
        let word = |c: Claim| c.verdict.word();
        assert_eq!(
            word(judge_transfer(&[t(900.0, 880.0)], 3, Preset::Medium)),
            "agrees"
        );
        assert_eq!(
            word(judge_transfer(&[t(900.0, 300.0)], 3, Preset::Medium)),
            "disagrees"
        );
        assert_eq!(
            word(judge_transfer(&[t(900.0, 880.0)], 2, Preset::Quick)),
            "too small to judge"
        );
        let a = |code: &str, i: f64, f: f64| AblationRow::for_test(code, "", i, f);
        let good = [
            a("111", 800.0, 870.0),
            a("110", 130.0, 600.0),
            a("101", 20.0, 60.0),
        ];
        assert_eq!(word(judge_ablations(&good, 3, Preset::Medium)), "agrees");
        let bad = [
            a("111", 800.0, 870.0),
            a("110", 130.0, 600.0),
            a("101", 20.0, 900.0),
        ];
        assert_eq!(word(judge_ablations(&bad, 3, Preset::Medium)), "disagrees");
        let idle = [
            a("111", 800.0, 805.0),
            a("110", 130.0, 140.0),
            a("101", 20.0, 20.0),
        ];
        let c = judge_ablations(&idle, 3, Preset::Medium);
        assert_eq!(word(c.clone()), "too small to judge");
        assert!(c.verdict.sentence().contains("barely trained"));
    }

    fn arow(code: &str, fin: &[f64]) -> AblationRow {
        AblationRow {
            code: code.into(),
            sharing: true,
            signs: true,
            constant_init: true,
            components_off: code.get(4..).unwrap_or("").into(),
            n_params: 4,
            initial_mean: 800.0,
            initial_sd: 0.0,
            final_mean: fin.iter().sum::<f64>() / fin.len() as f64,
            final_sd: 0.0,
            final_per_seed: fin.to_vec(),
            initial_per_seed: vec![800.0],
        }
    }

    #[test]
    fn a_gradient_trained_circuit_that_fails_to_transfer_refutes_the_claim() {
        let r = |ppo: f64| TransferRow {
            n_bodies: 10,
            untrained_mean: 900.0,
            trained_mean: 950.0,
            ppo_mean: Some(ppo),
            ddpg_mean: Some(940.0),
            ..TransferRow::default()
        };
        let word = |c: Claim| c.verdict.word();
        assert_eq!(
            word(judge_transfer(&[r(930.0)], 3, Preset::Medium)),
            "agrees"
        );
        assert_eq!(
            word(judge_transfer(&[r(200.0)], 3, Preset::Medium)),
            "disagrees"
        );
    }

    #[test]
    fn component_claims_can_go_either_way() {
        let words = |rows: &[AblationRow], seeds| -> Vec<&'static str> {
            judge_components(rows, seeds, Preset::Medium)
                .iter()
                .map(|c| c.verdict.word())
                .collect()
        };
        let full = arow("111", &[860.0, 870.0, 865.0]);
        let agree = [
            full.clone(),
            arow("111-noosc", &[10.0, 30.0, 20.0]),
            arow("111-noprop", &[200.0, 250.0, 220.0]),
            arow("111-nocross", &[862.0, 868.0, 866.0]),
        ];
        assert_eq!(words(&agree, 3), ["agrees"; 3]);
        let disagree = [
            full,
            arow("111-noosc", &[860.0, 875.0, 866.0]),
            arow("111-noprop", &[900.0, 910.0, 905.0]),
            arow("111-nocross", &[500.0, 520.0, 510.0]),
        ];
        assert_eq!(words(&disagree, 3), ["disagrees"; 3]);
        assert_eq!(words(&agree[..2], 1), ["too small to judge"]);
        // component rows do not enter the sign/init claim
        let base = judge_ablations(&agree[..1], 3, Preset::Medium);
        let with = judge_ablations(&agree, 3, Preset::Medium);
        assert_eq!(base.ours, with.ours);
    }
}
