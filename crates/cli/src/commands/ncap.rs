//! `neurocircuits ncap ...`: the NCAP swimmer controller, its training and the paper's experiments.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use nc_core::shard::Shard;
use nc_ncap::experiments::{self, Experiment, SweepOptions, SweepReport};
use nc_ncap::ncap::{Ncap, NcapConfig};
use nc_ncap::policy::{EvalPolicy, SavedPolicy, evaluate};
use nc_ncap::train::Progress;
use nc_swimmer::SwimConfig;
use std::path::PathBuf;

/// NCAP: the C. elegans swimmer controller, baselines, training and experiments.
#[derive(Args, Debug)]
pub struct NcapArgs {
    #[command(subcommand)]
    command: NcapCommand,
}

#[derive(Subcommand, Debug)]
enum NcapCommand {
    /// Evaluate a policy over K episodes from K consecutive reset seeds.
    Eval(EvalArgs),
    /// Train one policy with ES, PPO or DDPG.
    Train(TrainArgs),
    /// Learning curves: NCAP against MLP per algorithm, band over seeds.
    Curves(SweepArgs),
    /// Data efficiency and size table (same runs as `curves`).
    Efficiency(SweepArgs),
    /// Transfer of the same NCAP weights to bodies of 4 to 14 links.
    Transfer(SweepArgs),
    /// Ablations: sharing × signs × init, initial and final return.
    Ablations(SweepArgs),
    /// Interpretability raster: neuron activity of a trained NCAP and its weights.
    Raster(RasterArgs),
    /// Join the folders of a sharded sweep and aggregate.
    Merge(MergeArgs),
    /// Render an animated GIF of an NCAP swimmer with its neuron activity beside the body.
    Render(RenderArgs),
}

#[derive(Args, Debug)]
struct RenderArgs {
    /// A saved NCAP policy.json (default: the untrained default NCAP).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Bodies of the swimmer.
    #[arg(long, default_value_t = 6)]
    n_bodies: usize,
    /// Reset seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Control steps to render (0.03 s each).
    #[arg(long, default_value_t = 200)]
    steps: usize,
    /// Draw every k-th control step.
    #[arg(long, default_value_t = 2)]
    stride: usize,
    /// Output folder.
    #[arg(long, default_value = "runs/ncap-render")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct SweepArgs {
    /// Small budgets for CI (well under a minute on 2 cores).
    #[arg(long)]
    quick: bool,
    /// Output folder (default: runs/ncap-<experiment>[-quick]).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only units with index ≡ I (mod N), e.g. `--shard $SLURM_ARRAY_TASK_ID/16`.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Seeds per variant (default 10; quick 2).
    #[arg(long)]
    seeds: Option<usize>,
    /// Environment steps per training run (overrides the preset).
    #[arg(long)]
    steps: Option<u64>,
    /// Retrain units of the output folder that were trained with other settings (without it
    /// such a folder is refused, naming the settings that differ).
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct RasterArgs {
    /// A saved NCAP policy.json; without it NCAP is trained by ES first.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Small training budget.
    #[arg(long)]
    quick: bool,
    /// Output folder (default: runs/ncap-raster[-quick]).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of training and of the recorded episode.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Control steps to record.
    #[arg(long, default_value_t = 300)]
    steps: usize,
}

#[derive(Args, Debug)]
struct MergeArgs {
    /// Folder to merge into.
    #[arg(long)]
    out: PathBuf,
    /// Shard folders.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
}

#[derive(Args, Debug)]
struct EvalArgs {
    /// `ncap` (default weights), `random`, `zero`, or the path of a saved policy.json.
    #[arg(long, default_value = "ncap")]
    policy: String,
    /// Bodies of the swimmer (joints = bodies − 1).
    #[arg(long, default_value_t = 6)]
    n_bodies: usize,
    /// Episodes (reset seeds seed, seed+1, …).
    #[arg(long, default_value_t = 10)]
    episodes: usize,
    /// First reset seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print `{"mean", "sd", "returns"}` as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Algo {
    Es,
    Ppo,
    Ddpg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Model {
    Ncap,
    Mlp,
}

#[derive(Args, Debug)]
struct TrainArgs {
    /// Training algorithm.
    #[arg(long, value_enum, default_value = "es")]
    algo: Algo,
    /// Policy architecture.
    #[arg(long, value_enum, default_value = "ncap")]
    model: Model,
    /// NCAP ablation code [sharing, signs, constant init], e.g. 111 (default) or 101.
    #[arg(long, default_value = "111")]
    ablation: String,
    /// Environment-step budget.
    #[arg(long, default_value_t = 100_000)]
    steps: u64,
    /// Run seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Bodies of the swimmer.
    #[arg(long, default_value_t = 6)]
    n_bodies: usize,
    /// ES learning rate (default: 0.1 for NCAP, 0.01 for the MLP).
    #[arg(long)]
    lr: Option<f64>,
    /// ES perturbation scale (default: 0.05 for NCAP, 0.02 for the MLP).
    #[arg(long)]
    sigma: Option<f64>,
    /// Output folder (log.csv, checkpoint.json, policy.json, summary.json); resumes if present.
    #[arg(long)]
    out: PathBuf,
}

/// Runs an `ncap` subcommand.
pub fn run(args: NcapArgs) -> Result<()> {
    match args.command {
        NcapCommand::Eval(a) => eval(a),
        NcapCommand::Train(a) => train(a),
        NcapCommand::Curves(a) => sweep(Experiment::Curves, a),
        NcapCommand::Efficiency(a) => sweep(Experiment::Efficiency, a),
        NcapCommand::Transfer(a) => sweep(Experiment::Transfer, a),
        NcapCommand::Ablations(a) => sweep(Experiment::Ablations, a),
        NcapCommand::Raster(a) => raster(a),
        NcapCommand::Render(a) => render(a),
        NcapCommand::Merge(a) => {
            let r = experiments::merge(&a.out, &a.shards)?;
            report(&r);
            Ok(())
        }
    }
}

#[allow(clippy::print_stdout)]
fn eval(a: EvalArgs) -> Result<()> {
    let policy = match a.policy.as_str() {
        "ncap" => EvalPolicy::Ncap(Ncap::default_for(a.n_bodies.saturating_sub(1).max(1))?),
        "random" => EvalPolicy::Random,
        "zero" => EvalPolicy::Zero,
        path => EvalPolicy::Saved(SavedPolicy::load(std::path::Path::new(path))?),
    };
    let swim = SwimConfig {
        n_bodies: a.n_bodies,
        ..SwimConfig::default()
    };
    let r = evaluate(&policy, swim, a.episodes, a.seed)
        .with_context(|| format!("evaluating {}", a.policy))?;
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "{} on {} bodies: mean {:.1} ± {:.1} over {} episodes (seeds {}..{})",
            a.policy,
            a.n_bodies,
            r.mean,
            r.sd,
            a.episodes,
            a.seed,
            a.seed + a.episodes as u64
        );
    }
    Ok(())
}

fn bar(max: u64) -> ProgressBar {
    let pb = ProgressBar::new(max);
    pb.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb
}

fn progress_fn(pb: &ProgressBar) -> impl FnMut(&Progress) + '_ {
    move |p: &Progress| {
        pb.set_position(p.steps);
        pb.set_message(format!("test {:.1}", p.test_mean));
    }
}

#[allow(clippy::print_stdout)]
fn train(a: TrainArgs) -> Result<()> {
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let pb = bar(a.steps);
    let mut report = progress_fn(&pb);
    let final_return = match (a.algo, a.model) {
        (algo @ (Algo::Ppo | Algo::Ddpg), model) => {
            let spec = nc_ncap::experiments::unit::TrainSpec {
                algo: if matches!(algo, Algo::Ppo) {
                    nc_ncap::experiments::unit::Algo::Ppo
                } else {
                    nc_ncap::experiments::unit::Algo::Ddpg
                },
                model: match model {
                    Model::Ncap => nc_ncap::experiments::unit::ModelKind::Ncap,
                    Model::Mlp => nc_ncap::experiments::unit::ModelKind::Mlp,
                },
                ablation: a.ablation.clone(),
                seed: a.seed,
                steps: a.steps,
                n_bodies: a.n_bodies,
                episode_len: 1000,
                test_episodes: 5,
            };
            Some(nc_ncap::experiments::unit::run_unit(&spec, &a.out, &mut report)?.final_return)
        }
        (Algo::Es, Model::Ncap) => {
            let cfg = nc_ncap::es::EsConfig {
                seed: a.seed,
                max_steps: a.steps,
                n_bodies: a.n_bodies,
                lr: a.lr.unwrap_or(0.1),
                sigma: a.sigma.unwrap_or(0.05),
                ..Default::default()
            };
            let mut rng = nc_core::rng::stream(a.seed, "ncap-init", 0);
            let ncap = Ncap::new(
                NcapConfig::from_code(&a.ablation)?,
                a.n_bodies.saturating_sub(1),
                &mut rng,
            )?;
            nc_ncap::es::train(&cfg, ncap, Some(&a.out), &mut report)?
                .rows
                .last()
                .map(|r| r.test_mean)
        }
        (Algo::Es, Model::Mlp) => {
            let cfg = nc_ncap::es::EsConfig {
                seed: a.seed,
                max_steps: a.steps,
                n_bodies: a.n_bodies,
                sigma: a.sigma.unwrap_or(0.02),
                lr: a.lr.unwrap_or(0.01),
                ..Default::default()
            };
            let mut rng = nc_core::rng::stream(a.seed, "mlp-init", 0);
            let obs = a.n_bodies.saturating_sub(1) + 3 * a.n_bodies;
            let actor = nc_ncap::actor::GaussianActor::new(
                obs,
                a.n_bodies.saturating_sub(1),
                &[64, 64],
                &mut rng,
            )?;
            nc_ncap::es::train(&cfg, actor, Some(&a.out), &mut report)?
                .rows
                .last()
                .map(|r| r.test_mean)
        }
    };
    pb.finish_and_clear();
    let Some(f) = final_return else {
        bail!("no test was run")
    };
    println!("final test return {f:.1}; outputs in {}", a.out.display());
    Ok(())
}

#[allow(clippy::print_stdout)]
fn report(r: &SweepReport) {
    if r.aggregated {
        println!("all {} units done; results in {}", r.units, r.out.display());
    } else {
        println!(
            "{} of {} units done in {}; run the other shards, then `neurocircuits ncap merge`",
            r.done,
            r.units,
            r.out.display()
        );
    }
}

fn default_out(name: &str, quick: bool) -> PathBuf {
    PathBuf::from(format!(
        "runs/ncap-{name}{}",
        if quick { "-quick" } else { "" }
    ))
}

fn sweep(exp: Experiment, a: SweepArgs) -> Result<()> {
    let name = match exp {
        Experiment::Curves => "curves",
        Experiment::Efficiency => "efficiency",
        Experiment::Transfer => "transfer",
        Experiment::Ablations => "ablations",
    };
    let opts = SweepOptions {
        out: a.out.unwrap_or_else(|| default_out(name, a.quick)),
        shard: a.shard,
        quick: a.quick,
        seeds: a.seeds,
        steps: a.steps,
        force: a.force,
    };
    let pb = ProgressBar::new(1);
    pb.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} steps {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut progress = |p: &experiments::SweepProgress| {
        pb.set_length(p.train.max_steps);
        pb.set_position(p.train.steps);
        pb.set_message(format!(
            "unit {}/{} {} test {:.1}",
            p.unit + 1,
            p.units,
            p.name,
            p.train.test_mean
        ));
    };
    let r = match exp {
        Experiment::Curves | Experiment::Efficiency => {
            experiments::curves::run(&opts, exp, &mut progress)
        }
        Experiment::Transfer => experiments::transfer::run(&opts, &mut progress),
        Experiment::Ablations => experiments::ablations::run(&opts, &mut progress),
    }
    .with_context(|| format!("ncap {name}"))?;
    pb.finish_and_clear();
    report(&r);
    Ok(())
}

#[allow(clippy::print_stdout)]
fn raster(a: RasterArgs) -> Result<()> {
    let opts = experiments::raster::RasterOptions {
        out: a.out.unwrap_or_else(|| default_out("raster", a.quick)),
        policy: a.policy,
        quick: a.quick,
        seed: a.seed,
        steps: a.steps,
    };
    let pb = bar(1);
    let rec = experiments::raster::run(&opts, &mut |p| {
        pb.set_length(p.max_steps);
        pb.set_position(p.steps);
    })?;
    pb.finish_and_clear();
    println!(
        "recorded {} steps (return {:.1}); results in {}",
        rec.activity.len(),
        rec.reward,
        opts.out.display()
    );
    Ok(())
}

#[allow(clippy::print_stdout)]
fn render(a: RenderArgs) -> Result<()> {
    let opts = experiments::render::RenderOptions {
        policy: a.policy,
        n_bodies: a.n_bodies,
        seed: a.seed,
        steps: a.steps,
        stride: a.stride,
        out: a.out,
    };
    let ret = experiments::render::run(&opts).context("ncap render")?;
    println!(
        "rendered {} steps (return {ret:.1}): swimmer.gif, filmstrip.svg, raster.svg in {}",
        opts.steps,
        opts.out.display()
    );
    Ok(())
}
