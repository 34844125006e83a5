//! `neurocircuits ncap ...`: the NCAP swimmer controller, its training and the paper's experiments.

use crate::progress::{self as bars, Unit};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use nc_core::shard::Shard;
use nc_ncap::es::EsSettings;
use nc_ncap::experiments::unit::{Algo, ModelKind, TrainSpec, run_unit_with};
use nc_ncap::experiments::{self, Experiment, Preset, SweepOptions, SweepReport};
use nc_ncap::ncap::Ncap;
use nc_ncap::policy::{EvalPolicy, SavedPolicy, evaluate, last_seed};
use nc_ncap::precision::Precision;
use nc_ncap::train::Progress;
use nc_swimmer::SwimConfig;
use std::path::{Path, PathBuf};

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
    /// The target task: NCAP with speed and turn inputs (fixed rule or learned), NCAP without
    /// them and the MLP, trained by ES and by PPO; returns and paths to targets.
    Navigate(SweepArgs),
    /// f32 against f64: PPO and DDPG MLPs trained in both precisions from the same seeds.
    Precision(SweepArgs),
    /// Interpretability raster: neuron activity of a trained NCAP and its weights.
    Raster(RasterArgs),
    /// Join the folders of a sharded sweep and aggregate.
    Merge(MergeArgs),
    /// Render an animated GIF of a swimmer (NCAP with its neuron activity, or an MLP policy with
    /// its torques) beside the body.
    Render(RenderArgs),
    /// Time the learners (DDPG update, PPO epoch at Tonic's defaults), ES rollouts and physics;
    /// with --torch-python, PyTorch's learners in the same run, with the ratios.
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Print one JSON object: ddpg_update_ms, ppo_epoch_ms, es_env_steps_per_s,
    /// physics_steps_per_s (and the PyTorch timings and ratios with --torch-python).
    #[arg(long)]
    json: bool,
    /// Python with torch 2.15.0, to time the same DDPG update and PPO epoch in PyTorch.
    #[arg(long)]
    torch_python: Option<PathBuf>,
    /// Threads PyTorch may use.
    #[arg(long, default_value_t = 2)]
    torch_threads: usize,
    /// Timed steps per learner unit and side.
    #[arg(long, default_value_t = 100)]
    repeats: usize,
    /// Threads for our side (default: all available).
    #[arg(long)]
    threads: Option<usize>,
    /// Float type of our learners.
    #[arg(long, default_value = "f32")]
    precision: Precision,
}

#[derive(Args, Debug)]
struct RenderArgs {
    /// A saved policy file, NCAP or MLP (default: the untrained default NCAP).
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

/// Hidden layer sizes, e.g. `64,64` or `256x256`.
#[derive(Clone, Debug)]
struct Hidden(Vec<usize>);

fn parse_hidden(s: &str) -> std::result::Result<Hidden, String> {
    s.split([',', 'x'])
        .map(|w| match w.trim().parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "hidden sizes are positive integers separated by commas, like 64,64; got {s:?}"
            )),
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map(Hidden)
}

/// Budgets: `quick` (CI, a first look), `medium` (about an hour on 2 cores, 3 seeds,
/// about 3e5 steps for ES and PPO, DDPG 1e5) or `full` (the paper's scale, 10 seeds, 1e6).
#[derive(Args, Debug)]
struct PresetArgs {
    /// Budgets: quick, medium or full.
    #[arg(long, default_value = "full", conflicts_with = "quick")]
    preset: Preset,
    /// Same as `--preset quick`.
    #[arg(long)]
    quick: bool,
}

impl PresetArgs {
    fn get(&self) -> Preset {
        if self.quick {
            Preset::Quick
        } else {
            self.preset
        }
    }
}

#[derive(Args, Debug)]
struct SweepArgs {
    #[command(flatten)]
    preset: PresetArgs,
    /// Output folder (default: runs/ncap-<experiment>-<preset>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only units with index ≡ I (mod N), e.g. `--shard $SLURM_ARRAY_TASK_ID/16`.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Seeds per variant (overrides the preset: quick 2, medium 3, full 10).
    #[arg(long)]
    seeds: Option<usize>,
    /// Environment steps per training run (overrides the preset).
    #[arg(long)]
    steps: Option<u64>,
    /// Hidden sizes of every MLP baseline, e.g. 256,256 (default: ES 64,64, DDPG 256,256, and
    /// in the curves PPO at both 64,64 and 256,256; elsewhere PPO 64,64, 256,256 at full).
    #[arg(long, value_parser = parse_hidden)]
    mlp_hidden: Option<Hidden>,
    /// Retrain units of the output folder that were trained with other settings (without it
    /// such a folder is refused, naming the settings that differ).
    #[arg(long)]
    force: bool,
    /// Print the projected wall time (from `ncap bench`, measured now) and exit. At
    /// `--preset full`/`paper` it is printed before every run anyway.
    #[arg(long)]
    projection_only: bool,
    /// Project from this saved output of `ncap bench --json` (say, measured once on a
    /// cluster node or a quiet machine) instead of measuring now.
    #[arg(long, value_name = "FILE")]
    bench_json: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct RasterArgs {
    /// A saved NCAP policy file; without it NCAP is trained by ES first.
    #[arg(long)]
    policy: Option<PathBuf>,
    #[command(flatten)]
    preset: PresetArgs,
    /// Output folder (default: runs/ncap-raster-<preset>).
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
    /// `ncap` (default weights), `random`, `zero`, or the path of a saved policy file (policy.safetensors, or an old policy.json).
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
enum AlgoArg {
    Es,
    Ppo,
    Ddpg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModelArg {
    Ncap,
    Mlp,
}

#[derive(Args, Debug)]
struct TrainArgs {
    /// Training algorithm.
    #[arg(long, value_enum, default_value = "es")]
    algo: AlgoArg,
    /// Policy architecture.
    #[arg(long, value_enum, default_value = "ncap")]
    model: ModelArg,
    /// NCAP ablation code [sharing, signs, constant init], e.g. 111 (default) or 101.
    #[arg(long, default_value = "111")]
    ablation: String,
    /// Environment-step budget (spent in whole ES generations or PPO segments).
    #[arg(long, default_value_t = 100_000)]
    steps: u64,
    /// Run seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Bodies of the swimmer.
    #[arg(long, default_value_t = 6)]
    n_bodies: usize,
    /// Control steps per episode (dm_control: 1000).
    #[arg(long, default_value_t = 1000)]
    episode_len: usize,
    /// Test episodes after each epoch.
    #[arg(long, default_value_t = 5)]
    test_episodes: usize,
    /// Hidden sizes of the MLP actor, e.g. 64,64 or 256,256 (default: ES and PPO 64,64,
    /// DDPG 256,256).
    #[arg(long, value_parser = parse_hidden)]
    mlp_hidden: Option<Hidden>,
    /// Hidden sizes of the PPO or DDPG critic (default: PPO 64,64, DDPG 256,256).
    #[arg(long, value_parser = parse_hidden)]
    critic_hidden: Option<Hidden>,
    /// ES settings: `script` (the estorch script's σ 0.02, lr 0.01, for both models) or
    /// `ncap-fast` (σ 0.05, lr 0.1, suited to NCAP's 4 weights).
    #[arg(long, value_enum, default_value = "script")]
    es: EsArg,
    /// ES learning rate (overrides --es).
    #[arg(long)]
    lr: Option<f64>,
    /// ES perturbation scale (overrides --es).
    #[arg(long)]
    sigma: Option<f64>,
    /// Float type of the PPO and DDPG networks and Adam (ES works in f64).
    #[arg(long, default_value = "f32")]
    precision: Precision,
    /// Replace a run of another configuration in --out (and retrain this one from scratch).
    #[arg(long)]
    force: bool,
    /// Output folder (spec.json, log.csv, policy.safetensors, config.json, summary.json). A rerun
    /// resumes an interrupted run exactly; it is trained beside it and renamed when finished.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum EsArg {
    Script,
    NcapFast,
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
        NcapCommand::Navigate(a) => sweep(Experiment::Navigate, a),
        NcapCommand::Precision(a) => sweep(Experiment::Precision, a),
        NcapCommand::Raster(a) => raster(a),
        NcapCommand::Render(a) => render(a),
        NcapCommand::Bench(a) => bench(&a),
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
    let last = last_seed(a.seed, a.episodes)?;
    let r = evaluate(&policy, swim, a.episodes, a.seed)
        .with_context(|| format!("evaluating {}", a.policy))?;
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!(
            "{} on {} bodies: mean {:.1} ± {:.1} over {} episodes (seeds {} to {last})",
            a.policy, a.n_bodies, r.mean, r.sd, a.episodes, a.seed
        );
    }
    Ok(())
}

fn bar(max: u64) -> bars::Progress {
    bars::Progress::new(max, Unit::Count("steps"), "")
}

fn progress_fn(pb: &bars::Progress) -> impl FnMut(&Progress) + '_ {
    move |p: &Progress| {
        pb.set_message(format!("test {:.1}", p.test_mean));
        pb.set_position(p.steps);
    }
}

impl TrainArgs {
    fn spec(&self) -> Result<TrainSpec> {
        let algo = match self.algo {
            AlgoArg::Es => Algo::Es,
            AlgoArg::Ppo => Algo::Ppo,
            AlgoArg::Ddpg => Algo::Ddpg,
        };
        let model = match self.model {
            ModelArg::Ncap => ModelKind::Ncap,
            ModelArg::Mlp => ModelKind::Mlp,
        };
        let mut spec = TrainSpec::new(algo, model, self.seed, self.steps);
        spec.ablation.clone_from(&self.ablation);
        spec.n_bodies = self.n_bodies;
        spec.episode_len = self.episode_len;
        spec.test_episodes = self.test_episodes;
        spec.precision = self.precision;
        if let Some(Hidden(h)) = &self.mlp_hidden {
            spec.mlp_hidden.clone_from(h);
        }
        if let Some(Hidden(h)) = &self.critic_hidden {
            if algo == Algo::Es {
                bail!("--critic-hidden applies to PPO and DDPG; ES has no critic");
            }
            spec.critic_hidden.clone_from(h);
        }
        if algo == Algo::Es {
            let base = match self.es {
                EsArg::Script => EsSettings::SCRIPT,
                EsArg::NcapFast => EsSettings::NCAP_FAST,
            };
            spec.es = Some(EsSettings {
                lr: self.lr.unwrap_or(base.lr),
                sigma: self.sigma.unwrap_or(base.sigma),
                ..base
            });
        } else if self.lr.is_some() || self.sigma.is_some() {
            bail!(
                "--lr and --sigma set ES settings; they do not apply to --algo {}",
                algo.name()
            );
        }
        Ok(spec)
    }
}

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn train(a: TrainArgs) -> Result<()> {
    let spec = a.spec()?;
    spec.check()?;
    let trained = spec.trained_steps();
    if trained != spec.steps {
        eprintln!(
            "note: {} trains in whole {}; {trained} of the {} steps requested will be trained",
            spec.algo.name(),
            if spec.algo == Algo::Es {
                "generations"
            } else {
                "segments"
            },
            spec.steps
        );
    }
    let pb = bar(trained);
    let mut report = progress_fn(&pb);
    let summary = run_unit_with(&spec, &a.out, a.force, &mut report)?;
    pb.finish_and_clear();
    println!(
        "trained {} steps; final test return {:.1} (initial {:.1}); outputs in {}",
        summary.steps,
        summary.final_return,
        summary.initial_return,
        a.out.display()
    );
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

fn default_out(name: &str, preset: Preset) -> PathBuf {
    PathBuf::from(format!("runs/ncap-{name}-{}", preset.name()))
}

fn sweep(exp: Experiment, a: SweepArgs) -> Result<()> {
    let name = match exp {
        Experiment::Curves => "curves",
        Experiment::Efficiency => "efficiency",
        Experiment::Transfer => "transfer",
        Experiment::Ablations => "ablations",
        Experiment::Navigate => "navigate",
        Experiment::Precision => "precision",
    };
    let preset = a.preset.get();
    let opts = SweepOptions {
        out: a.out.unwrap_or_else(|| default_out(name, preset)),
        shard: a.shard,
        preset,
        seeds: a.seeds,
        steps: a.steps,
        mlp_hidden: a.mlp_hidden.map(|h| h.0),
        force: a.force,
    };
    if a.projection_only || preset == Preset::Full {
        project(exp, &opts, a.bench_json.as_deref())?;
        if a.projection_only {
            return Ok(());
        }
    }
    let pb = bar(1);
    let mut progress = |p: &experiments::SweepProgress| {
        pb.set_length(p.train.max_steps);
        pb.set_message(format!(
            "unit {}/{} {} test {:.1}",
            p.unit + 1,
            p.units,
            p.name,
            p.train.test_mean
        ));
        pb.set_position(p.train.steps);
    };
    let r = match exp {
        Experiment::Curves | Experiment::Efficiency => {
            experiments::curves::run(&opts, exp, &mut progress)
        }
        Experiment::Transfer => experiments::transfer::run(&opts, &mut progress),
        Experiment::Ablations => experiments::ablations::run(&opts, &mut progress),
        Experiment::Navigate => experiments::navigate::run(&opts, &mut progress),
        Experiment::Precision => experiments::precision::run(&opts, &mut progress),
    }
    .with_context(|| format!("ncap {name}"))?;
    pb.finish_and_clear();
    report(&r);
    Ok(())
}

// times the learners and the physics with `ncap bench`, then prints the sweep's projection
#[allow(clippy::print_stdout)]
fn project(exp: Experiment, opts: &SweepOptions, saved: Option<&Path>) -> Result<()> {
    use nc_ncap::bench::{BenchOptions, run};
    use nc_ncap::experiments::projection::{Rates, project};
    let units = match exp {
        Experiment::Curves | Experiment::Efficiency => experiments::curves::units(opts),
        Experiment::Transfer => experiments::transfer::units(opts),
        Experiment::Ablations => experiments::ablations::units(opts),
        Experiment::Navigate => experiments::navigate::units(opts),
        Experiment::Precision => experiments::precision::units(opts),
    };
    let (b, source) = match saved {
        Some(path) => (
            Rates::load(path).context("--bench-json")?,
            format!("from {}", path.display()),
        ),
        None => {
            let pb = bars::Progress::new(0, Unit::Count("workloads"), "");
            pb.println("ncap bench: timing the learners and the physics for the projection");
            let b = run(
                &BenchOptions {
                    repeats: 20,
                    ..BenchOptions::default()
                },
                &mut |what: &str| pb.println(format!("ncap bench: {what}")),
            )
            .context("ncap bench for the projection")?;
            pb.finish_and_clear();
            (
                Rates::from(&b),
                "from ncap bench on this machine".to_string(),
            )
        }
    };
    let all = project(&units, &b);
    println!("{}", all.line(&source));
    if opts.shard.count > 1 {
        let mine: Vec<_> = opts.shard.select(&units).map(|(_, u)| u.clone()).collect();
        println!(
            "this shard ({}): {}",
            opts.shard,
            project(&mine, &b).line(&source)
        );
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn raster(a: RasterArgs) -> Result<()> {
    let preset = a.preset.get();
    let opts = experiments::raster::RasterOptions {
        out: a.out.unwrap_or_else(|| default_out("raster", preset)),
        policy: a.policy,
        preset,
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
    let raster = if opts.out.join("raster.svg").exists() {
        ", raster.svg"
    } else {
        ""
    };
    println!(
        "rendered {} steps (return {ret:.1}): swimmer.gif, filmstrip.svg{raster} in {}",
        opts.steps,
        opts.out.display()
    );
    Ok(())
}

#[allow(clippy::print_stdout)]
fn bench(a: &BenchArgs) -> Result<()> {
    use nc_ncap::bench::{BenchOptions, run};
    if a.repeats == 0 || a.torch_threads == 0 || a.threads == Some(0) {
        bail!("--repeats, --threads and --torch-threads must be at least 1");
    }
    let opts = BenchOptions {
        precision: a.precision,
        repeats: a.repeats,
        threads: a.threads,
        torch_python: a.torch_python.clone(),
        torch_threads: a.torch_threads,
    };
    // one line per workload timed, on a terminal or in a log
    let pb = bars::Progress::new(0, Unit::Count("workloads"), "");
    let r = run(&opts, &mut |what: &str| {
        pb.println(format!("ncap bench: {what}"))
    })
    .context("ncap bench")?;
    pb.finish_and_clear();
    if a.json {
        let mut v = serde_json::json!({
            "ddpg_update_ms": r.ddpg_update_ms,
            "ppo_epoch_ms": r.ppo_epoch_ms,
            "es_env_steps_per_s": r.es_env_steps_per_s,
            "physics_steps_per_s": r.physics_steps_per_s,
            "precision": r.precision,
            "threads": r.threads,
            "ddpg_update": r.ddpg_update,
            "ppo_epoch": r.ppo_epoch,
        });
        if let Some(t) = &r.torch {
            v["torch"] = serde_json::to_value(t)?;
            v["torch_ddpg_update_ms"] = (t.ddpg_update.median_s * 1e3).into();
            v["torch_ppo_epoch_ms"] = (t.ppo_epoch.median_s * 1e3).into();
            v["ddpg_ratio"] = r.ddpg_ratio().into();
            v["ppo_ratio"] = r.ppo_ratio().into();
        }
        println!("{v}");
        return Ok(());
    }
    let ms = |s: f64| s * 1e3;
    println!(
        "learners in {}, {} threads; median (min) per step over {} steps",
        r.precision.name(),
        r.threads,
        r.ddpg_update.repeats
    );
    for (name, ours, torch, ratio) in [
        (
            "DDPG update",
            &r.ddpg_update,
            r.torch.as_ref().map(|t| &t.ddpg_update),
            r.ddpg_ratio(),
        ),
        (
            "PPO epoch",
            &r.ppo_epoch,
            r.torch.as_ref().map(|t| &t.ppo_epoch),
            r.ppo_ratio(),
        ),
    ] {
        print!(
            "  {name:<12} ours {:>8.3} ms ({:.3})",
            ms(ours.median_s),
            ms(ours.min_s)
        );
        if let (Some(t), Some(ratio), Some(tt)) = (torch, ratio, &r.torch) {
            print!(
                " | PyTorch {} ({} threads) {:>8.3} ms ({:.3}) | ours/PyTorch {ratio:.2}x",
                tt.version,
                tt.threads,
                ms(t.median_s),
                ms(t.min_s)
            );
        }
        println!();
    }
    println!(
        "  ES rollouts  {:.0} env steps/s (default NCAP, population 8)",
        r.es_env_steps_per_s
    );
    println!(
        "  physics      {:.0} physics steps/s (16 envs of 6 bodies)",
        r.physics_steps_per_s
    );
    Ok(())
}
