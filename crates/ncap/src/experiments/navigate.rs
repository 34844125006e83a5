//! The target task (the reference's `navigate`, never evaluated in its paper): NCAP with the
//! descending speed and turn inputs, with the fixed rule or a learned controller, against NCAP
//! without them and the MLP, all trained by ES with the same settings and budget.
//!
//! Outputs: `navigate.csv`/`.json` (initial and final test return per model, per seed),
//! `navigate.svg` (bars with a dot per seed) and `trajectories_<model>.svg` (the nose's path
//! to each of a few targets, seed 0's trained policy). No verdict is drawn: the paper has no
//! number for this task.

use super::unit::{Algo, ModelKind, Task, TrainSpec};
use super::{Experiment, SweepOptions, SweepProgress, SweepReport, mean_sd, read_log, run_sweep};
use crate::es::EsSettings;
use crate::es::navigate::{mlp_episode, navigate_env, ncap_episode};
use crate::policy::SavedPolicy;
use crate::train::{TrainError, write_json, write_text};
use nc_plot::{Axis, BarSeries, BarSpec, LineSpec, Series, bar_chart, line_chart, save_svg};
use nc_swimmer::{NavigateEnv, SwimConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;

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

/// The training units: ES with the estorch script's settings for every model (an MLP is
/// compared), one per model and seed, at the preset's NCAP budget.
pub fn units(opts: &SweepOptions) -> Vec<TrainSpec> {
    let seeds = opts.seeds.unwrap_or(opts.preset.seeds());
    let steps = opts.steps.unwrap_or(opts.preset.ncap_steps());
    let mut v = Vec::new();
    for (_, _, model, code) in MODELS {
        for seed in 0..seeds as u64 {
            v.push(TrainSpec {
                ablation: code.into(),
                test_episodes: opts.preset.test_episodes(),
                es: Some(EsSettings::SCRIPT),
                task: Task::Navigate,
                mlp_hidden: opts
                    .mlp_hidden
                    .clone()
                    .unwrap_or_else(|| opts.preset.mlp_hidden(Algo::Es)),
                ..TrainSpec::new(Algo::Es, model, seed, steps)
            });
        }
    }
    v
}

/// One row of `navigate.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NavigateRow {
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
    for (name, label, _, _) in MODELS {
        let mine: Vec<&TrainSpec> = units
            .iter()
            .filter(|u| model_of(u).map(|m| m.0) == Some(name))
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
        rows.push(NavigateRow {
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
    let mut csv = String::from("model,n_params,initial_mean,initial_sd,final_mean,final_sd\n");
    for r in &rows {
        csv.push_str(&format!(
            "{},{},{:.3},{:.3},{:.3},{:.3}\n",
            r.model, r.n_params, r.initial_mean, r.initial_sd, r.final_mean, r.final_sd
        ));
    }
    write_text(out, "navigate.csv", &csv)?;
    write_json(out, "navigate.json", &rows)?;
    let spec = BarSpec {
        title: "Target task: initial and final return".into(),
        description: "Initial and final test return on the target task (dm_control's swimmer: reward 1 inside the target, falling off with distance), each model trained by ES with the same settings and budget; bars are means, error bars standard deviations over seeds, and each dot is one seed. The paper reports no number for this task.".into(),
        categories: rows.iter().map(|r| r.label.clone()).collect(),
        series: vec![
            BarSeries::new("initial", rows.iter().map(|r| r.initial_mean).collect())
                .with_errors(rows.iter().map(|r| r.initial_sd).collect())
                .with_points(rows.iter().map(|r| r.initial_per_seed.clone()).collect()),
            BarSeries::new("final", rows.iter().map(|r| r.final_mean).collect())
                .with_errors(rows.iter().map(|r| r.final_sd).collect())
                .with_points(rows.iter().map(|r| r.final_per_seed.clone()).collect()),
        ],
        x_label: "policy".into(),
        y: Axis::linear("return"),
        ..BarSpec::default()
    };
    Ok(save_svg(&out.join("navigate.svg"), &bar_chart(&spec)?)?)
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

/// Runs `policy` on the target task from `reset(seed)` and records the nose's path.
pub fn trajectory(policy: &SavedPolicy, swim: SwimConfig, seed: u64) -> Result<Path2, TrainError> {
    let mut env = navigate_env(swim)?;
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
            let ncap = ncap.with_joints(env.n_joints())?;
            ncap_episode(&ncap, &mut env, seed, visit).map_err(crate::policy::PolicyError::from)?
        }
        SavedPolicy::Gaussian { actor, .. } => mlp_episode(actor, &mut env, seed, visit)?,
        SavedPolicy::Deterministic { .. } => {
            return Err(TrainError::Settings {
                algo: "es",
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
    let spec = LineSpec {
        title: format!("{label}: paths to {TRAJECTORY_TARGETS} targets"),
        description: format!(
            "The nose's path (lines) from the start at the origin towards each target (dots of the same colour) in {TRAJECTORY_TARGETS} test episodes of seed {}'s trained policy; returns {}.",
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
        &out.join(format!("trajectories_{name}.svg")),
        &line_chart(&spec)?,
    )?)
}
