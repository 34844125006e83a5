//! Learning curves (NCAP against MLP for each algorithm, band over seeds), the data-efficiency
//! table derived from the same runs, and the verdicts on the paper's curve claims.
//!
//! Both models of an algorithm train with the same algorithm, settings (ES: the estorch
//! script's σ 0.02, lr 0.01), budget and test protocol; the table's measures are the steps the
//! MLP needs to reach NCAP's initial return and both models' returns at 10⁴, 10⁵ and 10⁶
//! steps where the budget reaches them.

use super::claims::{Claim, judge_algo};
use super::unit::{Algo, ModelKind, TrainSpec};
use super::{Experiment, SweepOptions, SweepProgress, SweepReport, mean_sd, read_log, run_sweep};
use crate::policy::SavedPolicy;
use crate::train::{TrainError, write_json, write_text};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Algorithms in the sweep.
pub fn algos() -> Vec<Algo> {
    Algo::ALL.to_vec()
}

/// The steps at which the efficiency table reads both models' returns.
pub const MILESTONES: [u64; 3] = [10_000, 100_000, 1_000_000];

/// The MLP sizes compared under `algo`: the preset's, and for PPO also the other of the
/// references' two (Tonic's 64×64 and the paper's videos' 256×256), so both are judged; one
/// size when `--mlp-hidden` names it.
pub fn mlp_sizes(opts: &SweepOptions, algo: Algo) -> Vec<Vec<usize>> {
    if let Some(h) = &opts.mlp_hidden {
        return vec![h.clone()];
    }
    let mine = opts.preset.mlp_hidden(algo);
    let mut sizes = vec![mine.clone()];
    if algo == Algo::Ppo {
        sizes.extend(
            [vec![64, 64], vec![256, 256]]
                .into_iter()
                .filter(|h| *h != mine),
        );
    }
    sizes
}

/// The training units: algorithm × {NCAP, MLP of each size in [`mlp_sizes`]} × seed, with the
/// preset's budgets. NCAP units record the preset's MLP size as their baseline.
pub fn units(opts: &SweepOptions) -> Vec<TrainSpec> {
    let seeds = opts.seeds.unwrap_or(opts.preset.seeds());
    let mut v = Vec::new();
    for algo in algos() {
        let steps = opts.steps.unwrap_or(opts.preset.curve_steps(algo));
        let sizes = mlp_sizes(opts, algo);
        let models = std::iter::once((ModelKind::Ncap, sizes[0].clone()))
            .chain(sizes.iter().map(|h| (ModelKind::Mlp, h.clone())));
        for (model, mlp_hidden) in models {
            for seed in 0..seeds as u64 {
                v.push(TrainSpec {
                    test_episodes: opts.preset.test_episodes(),
                    mlp_hidden: mlp_hidden.clone(),
                    ..TrainSpec::new(algo, model, seed, steps)
                });
            }
        }
    }
    v
}

/// One point of a learning curve (statistics over seeds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Algorithm.
    pub algo: Algo,
    /// Model.
    pub model: ModelKind,
    /// The MLP's hidden sizes (empty for NCAP; curves written before sizes were compared
    /// read as empty).
    #[serde(default)]
    pub mlp_hidden: Vec<usize>,
    /// Environment steps.
    pub steps: u64,
    /// Mean over seeds of the mean test return.
    pub mean: f64,
    /// Standard deviation over seeds.
    pub sd: f64,
    /// Lowest seed.
    pub min: f64,
    /// Highest seed.
    pub max: f64,
    /// Each seed's test return, in seed order.
    #[serde(default)]
    pub per_seed: Vec<f64>,
}

/// A model's seed-mean return at a milestone; `None` when the budget does not reach it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReturnAt {
    /// The milestone (environment steps).
    pub steps: u64,
    /// The return there, linearly interpolated between the neighbouring tests.
    pub mean: Option<f64>,
}

/// One row of the data-efficiency and size table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyRow {
    /// Algorithm.
    pub algo: Algo,
    /// Model.
    pub model: ModelKind,
    /// Actor parameters.
    pub n_params: usize,
    /// The MLP's hidden sizes (NCAP's row: the size its unit records as its baseline).
    pub mlp_hidden: Vec<usize>,
    /// Seeds.
    pub seeds: usize,
    /// Steps trained (the last test of the shortest seed).
    pub budget: u64,
    /// Initial test return (mean over seeds).
    pub initial: f64,
    /// Initial test return of each seed.
    pub initial_per_seed: Vec<f64>,
    /// Final test return (mean over seeds).
    pub final_return: f64,
    /// Final test return of each seed.
    pub final_per_seed: Vec<f64>,
    /// Seed-mean returns at [`MILESTONES`].
    pub at_steps: Vec<ReturnAt>,
    /// First logged step at which the seed-mean curve reaches NCAP's initial return under the
    /// same algorithm (0 for NCAP; `None`: not within the budget).
    pub steps_to_ncap_initial: Option<u64>,
}

/// Runs the sweep (this shard's units) and aggregates when complete.
pub fn run(
    opts: &SweepOptions,
    experiment: Experiment,
    progress: &mut dyn FnMut(&SweepProgress),
) -> Result<SweepReport, TrainError> {
    run_sweep(experiment, units(opts), opts, progress, &|o, u| {
        aggregate(o, u, opts)
    })
}

/// The value of the piecewise-linear curve `(step, value)` at `s`; `None` past its end.
pub fn value_at(curve: &[(u64, f64)], s: u64) -> Option<f64> {
    let last = curve.last()?;
    if s > last.0 {
        return None;
    }
    let i = curve.iter().position(|p| p.0 >= s)?;
    if curve[i].0 == s || i == 0 {
        return Some(curve[i].1);
    }
    let ((s0, v0), (s1, v1)) = (curve[i - 1], curve[i]);
    Some(v0 + (v1 - v0) * (s - s0) as f64 / (s1 - s0) as f64)
}

/// Writes `curves.csv`/`.json`, `efficiency.csv`/`.json`, `claims.json` and the figures.
pub fn aggregate(out: &Path, units: &[TrainSpec], opts: &SweepOptions) -> Result<(), TrainError> {
    // one group per algorithm and model, the MLPs also per size
    let group_of = |u: &TrainSpec| {
        let hidden = match u.model {
            ModelKind::Ncap => Vec::new(),
            ModelKind::Mlp => u.mlp_hidden.clone(),
        };
        (u.algo, u.model, hidden)
    };
    let mut groups: Vec<(Algo, ModelKind, Vec<usize>)> = units.iter().map(group_of).collect();
    groups.sort();
    groups.dedup();
    let mut points = Vec::new();
    let mut rows = Vec::new();
    for (algo, model, hidden) in groups {
        let members: Vec<&TrainSpec> = units
            .iter()
            .filter(|u| group_of(u) == (algo, model, hidden.clone()))
            .collect();
        let logs = members
            .iter()
            .map(|u| read_log(out, u))
            .collect::<Result<Vec<_>, _>>()?;
        let len = logs.iter().map(Vec::len).min().unwrap_or(0);
        if len == 0 {
            return Err(TrainError::Sweep(format!(
                "{}: an empty log among {} {} units",
                out.display(),
                algo.name(),
                model.name()
            )));
        }
        let mut curve = Vec::new();
        for i in 0..len {
            let v: Vec<f64> = logs.iter().map(|l| l[i].test_mean).collect();
            let (mean, sd) = mean_sd(&v);
            curve.push((logs[0][i].steps, mean));
            points.push(CurvePoint {
                algo,
                model,
                mlp_hidden: hidden.clone(),
                steps: logs[0][i].steps,
                mean,
                sd,
                min: v.iter().copied().fold(f64::INFINITY, f64::min),
                max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                per_seed: v,
            });
        }
        let n_params = SavedPolicy::load(&crate::policy_file::policy_path(
            &out.join("units").join(members[0].name()),
        ))?
        .n_params();
        let initial_per_seed: Vec<f64> = logs.iter().map(|l| l[0].test_mean).collect();
        let final_per_seed: Vec<f64> = logs.iter().map(|l| l[len - 1].test_mean).collect();
        rows.push(EfficiencyRow {
            algo,
            model,
            n_params,
            mlp_hidden: members[0].mlp_hidden.clone(),
            seeds: members.len(),
            budget: curve[len - 1].0,
            initial: mean_sd(&initial_per_seed).0,
            initial_per_seed,
            final_return: mean_sd(&final_per_seed).0,
            final_per_seed,
            at_steps: MILESTONES
                .iter()
                .map(|&s| ReturnAt {
                    steps: s,
                    mean: value_at(&curve, s),
                })
                .collect(),
            steps_to_ncap_initial: None,
        });
    }
    let ncap_initial: Vec<(Algo, f64)> = rows
        .iter()
        .filter(|r| r.model == ModelKind::Ncap)
        .map(|r| (r.algo, r.initial))
        .collect();
    for r in rows.iter_mut() {
        let Some(&(_, bar)) = ncap_initial.iter().find(|(a, _)| *a == r.algo) else {
            continue;
        };
        r.steps_to_ncap_initial = points
            .iter()
            .find(|p| p.algo == r.algo && p.model == r.model && p.mean >= bar)
            .map(|p| p.steps);
    }
    let mut csv = String::from("algo,model,mlp_hidden,steps,mean,sd,min,max\n");
    for p in &points {
        csv.push_str(&format!(
            "{},{},{},{},{:.3},{:.3},{:.3},{:.3}\n",
            p.algo.name(),
            p.model.name(),
            hidden_name(&p.mlp_hidden),
            p.steps,
            p.mean,
            p.sd,
            p.min,
            p.max
        ));
    }
    write_text(out, "curves.csv", &csv)?;
    write_json(out, "curves.json", &points)?;
    write_text(out, "efficiency.csv", &efficiency_csv(&rows))?;
    write_json(out, "efficiency.json", &rows)?;
    let claims: Vec<Claim> = algos()
        .into_iter()
        .flat_map(|a| judge_algo(&rows, a, opts.preset))
        .collect();
    write_json(out, "claims.json", &claims)?;
    crate::figures::curves(out, &points)
}

/// Hidden sizes as in file names and tables: `64x64` (empty for none).
pub fn hidden_name(hidden: &[usize]) -> String {
    hidden
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

/// The efficiency table as CSV: blank returns where the budget does not reach a milestone,
/// `not reached` where the curve never reaches NCAP's initial return.
pub fn efficiency_csv(rows: &[EfficiencyRow]) -> String {
    let mut csv = String::from(
        "algo,model,n_params,mlp_hidden,seeds,budget,initial_return,final_return,return_at_1e4,return_at_1e5,return_at_1e6,steps_to_ncap_initial\n",
    );
    for r in rows {
        let at: Vec<String> = r
            .at_steps
            .iter()
            .map(|a| a.mean.map_or(String::new(), |v| format!("{v:.3}")))
            .collect();
        csv.push_str(&format!(
            "{},{},{},{},{},{},{:.3},{:.3},{},{}\n",
            r.algo.name(),
            r.model.name(),
            r.n_params,
            hidden_name(&r.mlp_hidden),
            r.seeds,
            r.budget,
            r.initial,
            r.final_return,
            at.join(","),
            r.steps_to_ncap_initial
                .map_or("not reached".to_string(), |s| s.to_string())
        ));
    }
    csv
}

#[cfg(test)]
mod tests {
    use super::super::preset::Preset;
    use super::*;

    #[test]
    fn values_between_tests_are_interpolated_and_beyond_the_budget_absent() {
        let c = [(0, 100.0), (8_000, 200.0), (16_000, 400.0)];
        assert_eq!(value_at(&c, 0), Some(100.0));
        assert_eq!(value_at(&c, 10_000), Some(250.0));
        assert_eq!(value_at(&c, 16_000), Some(400.0));
        assert_eq!(value_at(&c, 16_001), None);
        assert_eq!(value_at(&[], 0), None);
    }

    #[test]
    fn ppo_compares_both_mlp_sizes_and_every_unit_has_its_own_name() {
        for preset in Preset::ALL {
            let opts = SweepOptions {
                out: "unused".into(),
                shard: nc_core::shard::Shard::ALL,
                preset,
                seeds: Some(2),
                steps: None,
                mlp_hidden: None,
                force: false,
            };
            let u = units(&opts);
            let mlp = |algo: Algo| {
                let mut h: Vec<Vec<usize>> = u
                    .iter()
                    .filter(|u| u.algo == algo && u.model == ModelKind::Mlp)
                    .map(|u| u.mlp_hidden.clone())
                    .collect();
                h.dedup();
                h
            };
            assert_eq!(mlp(Algo::Es), [vec![64, 64]]);
            assert_eq!(mlp(Algo::Ddpg), [vec![256, 256]]);
            assert_eq!(mlp(Algo::Ppo).len(), 2, "{preset:?}");
            assert!(
                mlp(Algo::Ppo).contains(&vec![64, 64]) && mlp(Algo::Ppo).contains(&vec![256, 256])
            );
            // NCAP's baseline is the preset's size, and it comes first
            assert_eq!(mlp(Algo::Ppo)[0], preset.mlp_hidden(Algo::Ppo));
            let mut names: Vec<String> = u.iter().map(TrainSpec::name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), u.len());
            assert!(names.contains(&"ppo-mlp256x256-n6-s1".to_string()));
            assert!(names.contains(&"ppo-mlp-n6-s1".to_string()));
        }
        // a named size replaces both
        let one = SweepOptions {
            out: "unused".into(),
            shard: nc_core::shard::Shard::ALL,
            preset: Preset::Quick,
            seeds: Some(1),
            steps: None,
            mlp_hidden: Some(vec![32]),
            force: false,
        };
        assert!(units(&one).iter().all(|u| u.mlp_hidden == [32]));
        assert_eq!(units(&one).len(), 6);
    }
}
