//! `neurocircuits swimmer`: the native dm_control swimmer (scripting and benchmarks).

use crate::args;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use nc_swimmer::SwimConfig;
use nc_swimmer::VecEnv;
use nc_swimmer::bench::{
    MUJOCO_BENCH_PY, batch_steps_per_sec, episode_throughput, physics_steps_per_sec,
};
use nc_swimmer::script::{output_json, parse_cases, simulate};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::Command;

/// Arguments of `neurocircuits swimmer`.
#[derive(Args, Debug)]
pub struct SwimmerArgs {
    #[command(subcommand)]
    command: SwimmerCommand,
}

#[derive(Subcommand, Debug)]
enum SwimmerCommand {
    /// Simulate JSON cases ({"cases": [{"n_bodies", "qpos", "qvel", "ctrl", ...}]}) and print
    /// the state after each control step as JSON.
    Simulate(SimulateArgs),
    /// Physics steps per second on one core, one environment and a batch of environments in
    /// SIMD lanes (vs MuJoCo with --mujoco-python), and whole-episode throughput of VecEnv.
    Bench(BenchArgs),
    /// Roll out an open-loop travelling-wave gait and write an animated GIF, an SVG filmstrip
    /// and the trajectory as CSV.
    Render(RenderArgs),
}

#[derive(Args, Debug)]
struct RenderArgs {
    /// Output folder.
    #[arg(long, default_value = "out/swimmer")]
    out: PathBuf,
    /// Bodies (links) of the swimmer, 3 to 20.
    #[arg(long, default_value_t = 6, value_parser = args::bodies)]
    n_bodies: usize,
    /// Reset seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Control steps (0.03 s each).
    #[arg(long, default_value_t = 300, value_parser = args::positive)]
    steps: usize,
    /// Wave frequency in cycles per second (0.55 Hz is close to NCAP's 60-step period;
    /// negative runs the wave from tail to head).
    #[arg(long, default_value_t = 0.55, value_parser = args::finite, allow_hyphen_values = true)]
    freq: f64,
    /// Square wave instead of sine.
    #[arg(long)]
    square: bool,
}

#[derive(Args, Debug)]
struct SimulateArgs {
    /// Input JSON file ("-" for stdin).
    #[arg(long)]
    input: PathBuf,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Body counts to time.
    #[arg(long, value_delimiter = ',', default_value = "6,12", value_parser = args::bodies)]
    bodies: Vec<usize>,
    /// Physics steps per timing.
    #[arg(long, default_value_t = 300_000, value_parser = args::positive)]
    steps: usize,
    /// Python with mujoco==3.17.0 and dm_control==1.0.50, to time MuJoCo in the same run.
    #[arg(long)]
    mujoco_python: Option<PathBuf>,
    /// Environments in the whole-episode throughput run.
    #[arg(long, default_value_t = 16, value_parser = args::positive)]
    envs: usize,
    /// Threads for the whole-episode throughput run.
    #[arg(long, default_value_t = 2, value_parser = args::positive)]
    threads: usize,
}

/// Runs `neurocircuits swimmer ...`.
pub fn run(args: SwimmerArgs) -> Result<()> {
    match args.command {
        SwimmerCommand::Simulate(a) => run_simulate(&a),
        SwimmerCommand::Bench(a) => run_bench(&a),
        SwimmerCommand::Render(a) => run_render(&a),
    }
}

fn run_render(args: &RenderArgs) -> Result<()> {
    let cfg = SwimConfig {
        n_bodies: args.n_bodies,
        ..SwimConfig::default()
    };
    cfg.validate().context("invalid swimmer configuration")?;
    let gait = nc_swimmer::trajectory::TravellingWave {
        freq: args.freq,
        square: args.square,
        wavelength_joints: (args.n_bodies - 1) as f64,
        ..Default::default()
    };
    let s = nc_swimmer::render::render_gait(&args.out, cfg, args.seed, args.steps, &gait)?;
    writeln!(
        std::io::stdout().lock(),
        "{} steps, return {:.1}, centre moved {:.3} m\n  {}\n  {}\n  {}",
        args.steps,
        s.total_reward,
        s.distance,
        s.gif.display(),
        s.filmstrip.display(),
        s.csv.display()
    )?;
    Ok(())
}

#[allow(clippy::print_stdout)]
fn run_simulate(args: &SimulateArgs) -> Result<()> {
    let mut text = String::new();
    if args.input.as_os_str() == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading stdin")?;
    } else {
        text = std::fs::read_to_string(&args.input)
            .with_context(|| format!("reading {}", args.input.display()))?;
    }
    let cases =
        parse_cases(&text).with_context(|| format!("invalid input {}", args.input.display()))?;
    let results = simulate(&cases);
    let doc = output_json(&results);
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &doc)?;
    writeln!(out)?;
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    if !failed.is_empty() {
        bail!(
            "{} of {} cases failed: {}",
            failed.len(),
            results.len(),
            failed.join("; ")
        );
    }
    Ok(())
}

/// MuJoCo's numbers from the committed timing script.
fn mujoco_timing(python: &PathBuf, n_bodies: usize, steps: usize) -> Result<(f64, f64)> {
    let out = Command::new(python)
        .args([
            "-c",
            MUJOCO_BENCH_PY,
            "--n-bodies",
            &n_bodies.to_string(),
            "--steps",
            &steps.to_string(),
        ])
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !out.status.success() {
        bail!(
            "MuJoCo timing script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .last()
        .context("MuJoCo timing script printed nothing")?;
    let v: serde_json::Value =
        serde_json::from_str(line).context("parsing the MuJoCo timing output")?;
    let get = |k: &str| {
        v[k].as_f64()
            .with_context(|| format!("missing {k} in MuJoCo timing output"))
    };
    Ok((
        get("rollout_steps_per_sec")?,
        get("python_loop_steps_per_sec")?,
    ))
}

#[allow(clippy::print_stdout)]
fn run_bench(args: &BenchArgs) -> Result<()> {
    let lanes = VecEnv::LANES;
    println!(
        "physics steps per second on one core (best of 3 runs of {} steps): one environment, \
         and a batch of {lanes} environments stepped together in SIMD lanes",
        args.steps
    );
    for &n in &args.bodies {
        let ours = physics_steps_per_sec(n, args.steps, 3)?;
        let batch = batch_steps_per_sec(n, args.steps, 3, true)?;
        print!(
            "  {n:>2} bodies: native {:>10.0} steps/s ({:.2} µs/step), batch {:>10.0} steps/s",
            ours.steps_per_sec,
            1e6 / ours.steps_per_sec,
            batch.steps_per_sec,
        );
        if let Some(py) = &args.mujoco_python {
            let (c_loop, py_loop) = mujoco_timing(py, n, args.steps)?;
            // re-time ours right after, so both see the same machine load
            let again = physics_steps_per_sec(n, args.steps, 3)?;
            let batch_again = batch_steps_per_sec(n, args.steps, 3, true)?;
            let best = ours.steps_per_sec.max(again.steps_per_sec);
            let best_batch = batch.steps_per_sec.max(batch_again.steps_per_sec);
            // compare with MuJoCo's faster path, to be conservative
            let peer = c_loop.max(py_loop);
            print!(
                " | MuJoCo 3.17 rollout {c_loop:>9.0} steps/s, python mj_step loop {py_loop:>9.0} \
                 steps/s | ratio {:.2}x, batch {:.2}x",
                best / peer,
                best_batch / peer
            );
        }
        println!();
    }
    for &n in &args.bodies {
        let cfg = SwimConfig {
            n_bodies: n,
            ..SwimConfig::default()
        };
        let t = episode_throughput(cfg, args.envs, args.threads)?;
        println!(
            "whole episodes, {n} bodies, VecEnv of {} on {} threads: {:.1} episodes/s ({:.0} physics steps/s, {:.3} s per episode per thread)",
            t.n_envs,
            t.threads,
            t.episodes_per_sec,
            t.steps_per_sec,
            t.threads as f64 / t.episodes_per_sec
        );
    }
    Ok(())
}
