//! The target task (the reference's `navigate`, never evaluated in its paper): NCAP with the
//! descending speed and turn inputs, with the fixed rule or a learned controller, against NCAP
//! without them and the MLP, trained by ES and by PPO; under each algorithm every model has the
//! same settings and budget.
//!
//! Outputs: `navigate.csv`/`.json` (initial and final test return per algorithm and model, per
//! seed), `navigate_<algo>.svg` (bars with a dot per seed) and `trajectories_<algo>_<model>.svg`
//! (the nose's path to each of a few targets, seed 0's trained policy at its mean action). No
//! verdict is drawn: the paper has no number for this task.

use super::unit::{Algo, ModelKind, Task, TrainSpec};
use super::{Experiment, SweepOptions, SweepProgress, SweepReport, mean_sd, read_log, run_sweep};
use crate::es::EsSettings;
use crate::es::navigate::{mlp_episode, navigate_env, ncap_episode};
use crate::policy::SavedPolicy;
use crate::train::{TrainError, write_json, write_text};
use nc_plot::{Axis, BarSpec, LineSpec, Series, bar_chart, line_chart, save_svg};
use nc_swimmer::{NavigateEnv, SwimConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The algorithms that train the target task (DDPG trains on swim only).
pub const ALGOS: [Algo; 2] = [Algo::Es, Algo::Ppo];

/// The compared models: (file label, legend label, model, NCAP code).
pub const MODELS: [(&str, &str, ModelKind, &str); 4] = [
    (
        "ncap-steer",
        "NCAP, fixed steering rule",
        ModelKind::Ncap,
        "111-steer",
    ),
    (
        "ncap-steerlearn",
        "NCAP, learned steering",
        ModelKind::Ncap,
        "111-steerlearn",
    ),
    (
        "ncap-nosteer",
        "NCAP without steering",
        ModelKind::Ncap,
        "111",
    ),
    ("mlp", "MLP", ModelKind::Mlp, "111"),
];

/// Targets drawn in each trajectory figure.
const TRAJECTORY_TARGETS: usize = 4;

/// The training units: one per algorithm, model and seed. ES runs with the estorch script's
/// settings at the preset's NCAP budget, PPO with Tonic's at the preset's PPO curve budget and
/// PPO MLP size (`opts` overrides either).
pub fn units(opts: &SweepOptions) -> Vec<TrainSpec> {
    let seeds = opts.seeds.unwrap_or(opts.preset.seeds());
    let mut v = Vec::new();
    for algo in ALGOS {
        let steps = opts.steps.unwrap_or(match algo {
            Algo::Es => opts.preset.ncap_steps(),
            _ => opts.preset.curve_steps(algo),
        });
        for (_, _, model, code) in MODELS {
            for seed in 0..seeds as u64 {
                v.push(TrainSpec {
                    ablation: code.into(),
                    test_episodes: opts.preset.test_episodes(),
                    es: (algo == Algo::Es).then_some(EsSettings::SCRIPT),
                    task: Task::Navigate,
                    mlp_hidden: opts
                        .mlp_hidden
                        .clone()
                        .unwrap_or_else(|| opts.preset.mlp_hidden(algo)),
                    ..TrainSpec::new(algo, model, seed, steps)
                });
            }
        }
    }
    v
}

/// One row of `navigate.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NavigateRow {
    /// The training algorithm.
    pub algo: Algo,
    /// The model's file label.
    pub model: String,
    /// Its legend label.
    pub label: String,
    /// Parameters of the policy.
    pub n_params: usize,
    /// Mean over seeds of the initial test return.
    pub initial_mean: f64,
    /// Standard deviation over seeds.
    pub initial_sd: f64,
    /// Mean over seeds of the final test return.
    pub final_mean: f64,
    /// Standard deviation over seeds.
    pub final_sd: f64,
    /// Initial test return of each seed, in seed order.
    pub initial_per_seed: Vec<f64>,
    /// Final test return of each seed, in seed order.
    pub final_per_seed: Vec<f64>,
}

/// Runs the sweep (this shard's units) and aggregates when complete.
pub fn run(
    opts: &SweepOptions,
    progress: &mut dyn FnMut(&SweepProgress),
) -> Result<SweepReport, TrainError> {
    run_sweep(
        Experiment::Navigate,
        units(opts),
        opts,
        progress,
        &|o, u| aggregate(o, u),
    )
}

fn model_of(u: &TrainSpec) -> Option<(&'static str, &'static str)> {
    MODELS
        .iter()
        .find(|(_, _, m, code)| *m == u.model && (*m == ModelKind::Mlp || *code == u.ablation))
        .map(|(name, label, _, _)| (*name, *label))
}

/// Writes `navigate.csv`/`.json` and the figures.
pub fn aggregate(out: &Path, units: &[TrainSpec]) -> Result<(), TrainError> {
    let mut rows = Vec::new();
    for algo in ALGOS {
        let mut mine_rows = Vec::new();
        for (name, label, _, _) in MODELS {
            let mine: Vec<&TrainSpec> = units
                .iter()
                .filter(|u| u.algo == algo && model_of(u).map(|m| m.0) == Some(name))
                .collect();
            let Some(first) = mine.first() else {
                continue;
            };
            let (mut init, mut fin) = (Vec::new(), Vec::new());
            for u in &mine {
                let log = read_log(out, u)?;
                init.push(log.first().map_or(0.0, |r| r.test_mean));
                fin.push(log.last().map_or(0.0, |r| r.test_mean));
            }
            let policy = load_policy(out, first)?;
            let (im, is) = mean_sd(&init);
            let (fm, fs) = mean_sd(&fin);
            mine_rows.push(NavigateRow {
                algo,
                model: name.into(),
                label: label.into(),
                n_params: policy.n_params(),
                initial_mean: im,
                initial_sd: is,
                final_mean: fm,
                final_sd: fs,
                initial_per_seed: init,
                final_per_seed: fin,
            });
            trajectories(out, first, &policy, name, label)?;
        }
        if !mine_rows.is_empty() {
            bars(out, algo, &mine_rows)?;
        }
        rows.extend(mine_rows);
    }
    let mut csv = String::from("algo,model,n_params,initial_mean,initial_sd,final_mean,final_sd\n");
    for r in &rows {
        csv.push_str(&format!(
            "{},{},{},{:.3},{:.3},{:.3},{:.3}\n",
            r.algo.name(),
            r.model,
            r.n_params,
            r.initial_mean,
            r.initial_sd,
            r.final_mean,
            r.final_sd
        ));
    }
    write_text(out, "navigate.csv", &csv)?;
    write_json(out, "navigate.json", &rows)
}

// the bar figure of one algorithm's rows
fn bars(out: &Path, algo: Algo, rows: &[NavigateRow]) -> Result<(), TrainError> {
    let (name, settings) = match algo {
        Algo::Es => ("ES", "the estorch script's settings"),
        _ => (
            "PPO",
            "Tonic's settings (test actions sampled, as in Tonic)",
        ),
    };
    let spec = BarSpec {
        title: format!("Target task, trained by {name}: initial and final return"),
        description: format!(
            "Initial and final test return on the target task (dm_control's swimmer: reward 1 inside the target, falling off with distance), each model trained by {name} with {settings} and the same budget; bars are means, error bars standard deviations over seeds, and each dot is one seed. The paper reports no number for this task."
        ),
        categories: rows.iter().map(|r| r.label.clone()).collect(),
        series: crate::figures::initial_final_bars(
            rows.iter()
                .map(|r| (r.initial_mean, r.initial_sd, r.initial_per_seed.clone())),
            rows.iter()
                .map(|r| (r.final_mean, r.final_sd, r.final_per_seed.clone())),
        ),
        x_label: "policy".into(),
        y: Axis::linear("return"),
        ..BarSpec::default()
    };
    Ok(save_svg(
        &out.join(format!("navigate_{}.svg", algo.name())),
        &bar_chart(&spec)?,
    )?)
}

fn load_policy(out: &Path, u: &TrainSpec) -> Result<SavedPolicy, TrainError> {
    Ok(SavedPolicy::load(&crate::policy_file::policy_path(
        &out.join("units").join(u.name()),
    ))?)
}

/// The nose's path in one episode, and the target.
#[derive(Clone, Debug, PartialEq)]
pub struct Path2 {
    /// Nose positions after the reset and after every step.
    pub nose: Vec<(f64, f64)>,
    /// The target.
    pub target: (f64, f64),
    /// The episode's return.
    pub ret: f64,
}

/// Runs `policy` at its mean action on the target task from `reset(seed)` and records the
/// nose's path. An MLP reads the observation as it was trained to: through its normaliser and
/// with the time feature when it has them (PPO's), raw otherwise (ES's), so the return is the
/// one its test measured at the mean action.
pub fn trajectory(policy: &SavedPolicy, swim: SwimConfig, seed: u64) -> Result<Path2, TrainError> {
    let mut nose = Vec::new();
    let mut target = (0.0, 0.0);
    let visit = |e: &NavigateEnv| {
        let [x, y] = e.nose();
        nose.push((x, y));
        let [tx, ty] = e.target();
        target = (tx, ty);
    };
    let ret = match policy {
        SavedPolicy::Ncap { ncap } => {
            let mut env = navigate_env(swim)?;
            let ncap = ncap.with_joints(env.n_joints())?;
            ncap_episode(&ncap, &mut env, seed, visit).map_err(crate::policy::PolicyError::from)?
        }
        SavedPolicy::Gaussian {
            actor,
            normalizer,
            time_feature,
        } => {
            let mut env = NavigateEnv::new(SwimConfig {
                time_feature: *time_feature,
                ..swim
            })?;
            mlp_episode(actor, normalizer.as_ref(), &mut env, seed, visit)?
        }
        SavedPolicy::Deterministic { .. } => {
            return Err(TrainError::Settings {
                algo: "ddpg",
                message: "the target task has no deterministic-actor policies".into(),
            });
        }
    };
    Ok(Path2 { nose, target, ret })
}

fn trajectories(
    out: &Path,
    u: &TrainSpec,
    policy: &SavedPolicy,
    name: &str,
    label: &str,
) -> Result<(), TrainError> {
    let swim = SwimConfig {
        n_bodies: u.n_bodies,
        episode_len: u.episode_len,
        ..SwimConfig::default()
    };
    let mut series = Vec::new();
    let mut returns = Vec::new();
    for k in 0..TRAJECTORY_TARGETS {
        let p = trajectory(policy, swim, crate::train::test_seed(u.seed, k))?;
        let colour = nc_plot::series_colour(k, None);
        returns.push(format!("{:.0}", p.ret));
        series.push(
            Series::new(format!("target {} (return {:.0})", k + 1, p.ret), p.nose)
                .with_colour(colour),
        );
        series.push(
            Series::new("", vec![p.target])
                .with_markers()
                .with_colour(colour),
        );
    }
    let algo = u.algo.name().to_uppercase();
    let spec = LineSpec {
        title: format!("{label}, {algo}: paths to {TRAJECTORY_TARGETS} targets"),
        description: format!(
            "The nose's path (lines) from the start at the origin towards each target (dots of the same colour) in {TRAJECTORY_TARGETS} test episodes of seed {}'s policy trained by {algo}, at its mean action; returns {}.",
            u.seed,
            returns.join(", ")
        ),
        x: Axis::linear("x (m)").with_range(-2.5, 2.5),
        y: Axis::linear("y (m)").with_range(-2.5, 2.5),
        series,
        // wide enough that the plot area is about square beside the legend
        size: (760, 520),
    };
    Ok(save_svg(
        &out.join(format!("trajectories_{}_{name}.svg", u.algo.name())),
        &line_chart(&spec)?,
    )?)
}
