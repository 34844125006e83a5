//! Transfer: the same shared NCAP weights on bodies of 4 to 14 links (3 to 13 joints),
//! untrained and after training on 6 links by ES, PPO and DDPG; beside them an MLP trained by
//! PPO on each body length, the baseline (its input and output sizes change with the body, so
//! it cannot transfer).

use super::claims::judge_transfer;
use super::unit::{Algo, ModelKind, TrainSpec};
use super::{Experiment, SweepOptions, SweepProgress, SweepReport, mean_sd, run_sweep};
use crate::ncap::Ncap;
use crate::policy::{EvalPolicy, SavedPolicy, evaluate};
use crate::train::{TrainError, write_json, write_text};
use nc_swimmer::SwimConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Body lengths evaluated (links = bodies).
pub const BODIES: [usize; 11] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

/// Body lengths the per-body MLP baseline is trained on.
pub const MLP_BODIES: [usize; 6] = [4, 6, 8, 10, 12, 14];

/// The training units, per seed: ES on the default NCAP (6 links, the settings suited to
/// NCAP's 4 weights), PPO and DDPG on the default NCAP (6 links, the curves' budgets and
/// settings), and a PPO MLP on each of [`MLP_BODIES`].
pub fn units(opts: &SweepOptions) -> Vec<TrainSpec> {
    let seeds = opts.seeds.unwrap_or(opts.preset.seeds());
    let p = opts.preset;
    let mut v = Vec::new();
    for seed in 0..seeds as u64 {
        v.push(TrainSpec {
            steps: opts.steps.unwrap_or(p.ncap_steps()),
            test_episodes: p.test_episodes(),
            ..super::raster::training_spec(p, seed)
        });
        for algo in [Algo::Ppo, Algo::Ddpg] {
            let steps = opts.steps.unwrap_or(p.curve_steps(algo));
            v.push(TrainSpec {
                test_episodes: p.test_episodes(),
                mlp_hidden: opts.mlp_hidden.clone().unwrap_or(p.mlp_hidden(algo)),
                ..TrainSpec::new(algo, ModelKind::Ncap, seed, steps)
            });
        }
        for n in MLP_BODIES {
            let steps = opts.steps.unwrap_or(p.curve_steps(Algo::Ppo));
            v.push(TrainSpec {
                n_bodies: n,
                test_episodes: p.test_episodes(),
                mlp_hidden: opts.mlp_hidden.clone().unwrap_or(p.mlp_hidden(Algo::Ppo)),
                ..TrainSpec::new(Algo::Ppo, ModelKind::Mlp, seed, steps)
            });
        }
    }
    v
}

/// One row of `transfer.csv`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TransferRow {
    /// Bodies (links).
    pub n_bodies: usize,
    /// Mean return of the untrained default NCAP.
    pub untrained_mean: f64,
    /// Its standard deviation over episodes.
    pub untrained_sd: f64,
    /// Mean over seeds of the trained NCAP's mean return.
    pub trained_mean: f64,
    /// Standard deviation over seeds.
    pub trained_sd: f64,
    /// Mean over seeds of the PPO-trained NCAP's mean return (none in older results).
    #[serde(default)]
    pub ppo_mean: Option<f64>,
    /// Standard deviation over seeds.
    #[serde(default)]
    pub ppo_sd: Option<f64>,
    /// Mean over seeds of the DDPG-trained NCAP's mean return.
    #[serde(default)]
    pub ddpg_mean: Option<f64>,
    /// Standard deviation over seeds.
    #[serde(default)]
    pub ddpg_sd: Option<f64>,
    /// Mean over seeds of the return of a PPO MLP trained on this body (none where untrained).
    #[serde(default)]
    pub mlp_mean: Option<f64>,
    /// Standard deviation over seeds.
    #[serde(default)]
    pub mlp_sd: Option<f64>,
}

/// Runs the sweep (this shard's units) and aggregates when complete.
pub fn run(
    opts: &SweepOptions,
    progress: &mut dyn FnMut(&SweepProgress),
) -> Result<SweepReport, TrainError> {
    run_sweep(
        Experiment::Transfer,
        units(opts),
        opts,
        progress,
        &|o, u| aggregate(o, u, opts),
    )
}

/// Evaluates the untrained and trained controllers on every body length; writes
/// `transfer.csv`/`.json`, `claims.json` and the figure.
pub fn aggregate(out: &Path, units: &[TrainSpec], opts: &SweepOptions) -> Result<(), TrainError> {
    let episodes = if opts.preset == super::Preset::Quick {
        5
    } else {
        10
    };
    // NCAP trained by each algorithm, and the MLPs per body
    let mut ncaps: Vec<(Algo, Ncap)> = Vec::new();
    let mut mlps: Vec<(usize, SavedPolicy)> = Vec::new();
    for u in units {
        let p = SavedPolicy::load(&crate::policy_file::policy_path(
            &out.join("units").join(u.name()),
        ))?;
        match p {
            SavedPolicy::Ncap { ncap } => ncaps.push((u.algo, ncap)),
            other => mlps.push((u.n_bodies, other)),
        }
    }
    let trained: Vec<&Ncap> = ncaps
        .iter()
        .filter(|(a, _)| *a == Algo::Es)
        .map(|(_, n)| n)
        .collect();
    let by = |algo: Algo, swim: SwimConfig| -> Result<Option<(f64, f64)>, TrainError> {
        let mut v = Vec::new();
        for (_, n) in ncaps.iter().filter(|(a, _)| *a == algo) {
            v.push(evaluate(&EvalPolicy::Ncap(n.clone()), swim, episodes, 0)?.mean);
        }
        Ok((!v.is_empty()).then(|| mean_sd(&v)))
    };
    let default = Ncap::default_for(5)?;
    let mut rows = Vec::new();
    for &n in &BODIES {
        let swim = SwimConfig {
            n_bodies: n,
            ..SwimConfig::default()
        };
        let u = evaluate(&EvalPolicy::Ncap(default.clone()), swim, episodes, 0)?;
        let mut per_seed = Vec::new();
        for t in &trained {
            per_seed.push(evaluate(&EvalPolicy::Ncap((*t).clone()), swim, episodes, 0)?.mean);
        }
        let (tm, ts) = mean_sd(&per_seed);
        let ppo = by(Algo::Ppo, swim)?;
        let ddpg = by(Algo::Ddpg, swim)?;
        let mut mlp = Vec::new();
        for (_, p) in mlps.iter().filter(|(b, _)| *b == n) {
            mlp.push(evaluate(&EvalPolicy::Saved(p.clone()), swim, episodes, 0)?.mean);
        }
        let mlp = (!mlp.is_empty()).then(|| mean_sd(&mlp));
        rows.push(TransferRow {
            n_bodies: n,
            untrained_mean: u.mean,
            untrained_sd: u.sd,
            trained_mean: tm,
            trained_sd: ts,
            ppo_mean: ppo.map(|x| x.0),
            ppo_sd: ppo.map(|x| x.1),
            ddpg_mean: ddpg.map(|x| x.0),
            ddpg_sd: ddpg.map(|x| x.1),
            mlp_mean: mlp.map(|x| x.0),
            mlp_sd: mlp.map(|x| x.1),
        });
    }
    let mut csv = String::from(
        "n_bodies,n_joints,untrained_mean,untrained_sd,trained_mean,trained_sd,ppo_mean,ppo_sd,ddpg_mean,ddpg_sd,mlp_mean,mlp_sd\n",
    );
    let o = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.3}"));
    for r in &rows {
        csv.push_str(&format!(
            "{},{},{:.3},{:.3},{:.3},{:.3},{},{},{},{},{},{}\n",
            r.n_bodies,
            r.n_bodies - 1,
            r.untrained_mean,
            r.untrained_sd,
            r.trained_mean,
            r.trained_sd,
            o(r.ppo_mean),
            o(r.ppo_sd),
            o(r.ddpg_mean),
            o(r.ddpg_sd),
            o(r.mlp_mean),
            o(r.mlp_sd)
        ));
    }
    write_text(out, "transfer.csv", &csv)?;
    write_json(out, "transfer.json", &rows)?;
    write_json(
        out,
        "claims.json",
        &[judge_transfer(&rows, trained.len(), opts.preset)],
    )?;
    crate::figures::transfer(out, &rows)
}
