//! Learning curves (NCAP against MLP for each algorithm, band over seeds) and the data
//! efficiency and size table derived from the same runs.

use super::unit::{Algo, ModelKind, TrainSpec};
use super::{Experiment, SweepOptions, SweepProgress, SweepReport, mean_sd, read_log, run_sweep};
use crate::policy::SavedPolicy;
use crate::train::{TrainError, write_json, write_text};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Algorithms in the sweep.
pub fn algos() -> Vec<Algo> {
    vec![Algo::Es, Algo::Ppo, Algo::Ddpg]
}

/// Step budget per unit: quick presets for CI, the default for a full reproduction.
pub fn budget(algo: Algo, quick: bool) -> u64 {
    match (algo, quick) {
        (Algo::Es, true) => 48_000,
        (Algo::Es, false) => 1_000_000,
        (Algo::Ppo, true) => 8_192,
        (Algo::Ppo, false) => 1_000_000,
        (Algo::Ddpg, true) => 1_000,
        (Algo::Ddpg, false) => 1_000_000,
    }
}

/// The training units: algorithm × {NCAP, MLP} × seed.
pub fn units(opts: &SweepOptions) -> Vec<TrainSpec> {
    let seeds = opts.seeds.unwrap_or(if opts.quick { 2 } else { 10 });
    let mut v = Vec::new();
    for algo in algos() {
        for model in [ModelKind::Ncap, ModelKind::Mlp] {
            for seed in 0..seeds as u64 {
                v.push(TrainSpec {
                    algo,
                    model,
                    ablation: "111".into(),
                    seed,
                    steps: opts.steps.unwrap_or(budget(algo, opts.quick)),
                    n_bodies: 6,
                    episode_len: 1000,
                    test_episodes: if opts.quick { 3 } else { 5 },
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
}

/// One row of the data efficiency and size table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EfficiencyRow {
    /// Algorithm.
    pub algo: Algo,
    /// Model.
    pub model: ModelKind,
    /// Actor parameters.
    pub n_params: usize,
    /// Initial test return (mean over seeds).
    pub initial: f64,
    /// Final test return (mean over seeds).
    pub final_return: f64,
    /// The MLP's final return under the same algorithm.
    pub mlp_final: f64,
    /// First logged step where the seed-mean curve reaches 90% of the MLP's final return
    /// (None: never within the budget).
    pub steps_to_90pct_mlp: Option<u64>,
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

/// Writes `curves.csv`, `efficiency.csv` (+ JSON) and the figures.
pub fn aggregate(out: &Path, units: &[TrainSpec], _opts: &SweepOptions) -> Result<(), TrainError> {
    let mut groups: Vec<(Algo, ModelKind)> = units.iter().map(|u| (u.algo, u.model)).collect();
    groups.sort();
    groups.dedup();
    let mut points = Vec::new();
    let mut rows = Vec::new();
    for &(algo, model) in &groups {
        let members: Vec<&TrainSpec> = units
            .iter()
            .filter(|u| u.algo == algo && u.model == model)
            .collect();
        let logs = members
            .iter()
            .map(|u| read_log(out, u))
            .collect::<Result<Vec<_>, _>>()?;
        let len = logs.iter().map(Vec::len).min().unwrap_or(0);
        for i in 0..len {
            let v: Vec<f64> = logs.iter().map(|l| l[i].test_mean).collect();
            let (mean, sd) = mean_sd(&v);
            points.push(CurvePoint {
                algo,
                model,
                steps: logs[0][i].steps,
                mean,
                sd,
                min: v.iter().copied().fold(f64::INFINITY, f64::min),
                max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            });
        }
        let n_params = SavedPolicy::load(
            &out.join("units")
                .join(members[0].name())
                .join("policy.json"),
        )?
        .n_params();
        rows.push(EfficiencyRow {
            algo,
            model,
            n_params,
            initial: 0.0,
            final_return: 0.0,
            mlp_final: 0.0,
            steps_to_90pct_mlp: None,
        });
    }
    for r in rows.iter_mut() {
        let curve: Vec<&CurvePoint> = points
            .iter()
            .filter(|p| p.algo == r.algo && p.model == r.model)
            .collect();
        let mlp_final = points
            .iter()
            .rfind(|p| p.algo == r.algo && p.model == ModelKind::Mlp)
            .map_or(f64::NAN, |p| p.mean);
        r.initial = curve.first().map_or(0.0, |p| p.mean);
        r.final_return = curve.last().map_or(0.0, |p| p.mean);
        r.mlp_final = mlp_final;
        r.steps_to_90pct_mlp = curve
            .iter()
            .find(|p| p.mean >= 0.9 * mlp_final)
            .map(|p| p.steps);
    }
    let mut csv = String::from("algo,model,steps,mean,sd,min,max\n");
    for p in &points {
        csv.push_str(&format!(
            "{},{},{},{:.3},{:.3},{:.3},{:.3}\n",
            p.algo.name(),
            p.model.name(),
            p.steps,
            p.mean,
            p.sd,
            p.min,
            p.max
        ));
    }
    write_text(out, "curves.csv", &csv)?;
    write_json(out, "curves.json", &points)?;
    let mut csv = String::from(
        "algo,model,n_params,initial_return,final_return,mlp_final_return,steps_to_90pct_mlp_final\n",
    );
    for r in &rows {
        csv.push_str(&format!(
            "{},{},{},{:.3},{:.3},{:.3},{}\n",
            r.algo.name(),
            r.model.name(),
            r.n_params,
            r.initial,
            r.final_return,
            r.mlp_final,
            r.steps_to_90pct_mlp
                .map_or("never".to_string(), |s| s.to_string())
        ));
    }
    write_text(out, "efficiency.csv", &csv)?;
    write_json(out, "efficiency.json", &rows)?;
    crate::figures::curves(out, &points)
}
