//! `neurocircuits richlazy ...`: rich and lazy learning (nc-richlazy).

use crate::progress::{Progress, Unit};
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use nc_richlazy::init::{InitSpec, Renorm};
use nc_richlazy::kernel::KernelParams;
use nc_richlazy::model::Activation;
use nc_richlazy::optim::OptimizerConfig;
use nc_richlazy::protocol::Protocol;
use nc_richlazy::tasks::TaskKind;
use nc_richlazy::theory::{TheoryConfig, table};
use nc_richlazy::train::TrainConfig;
use std::path::PathBuf;

mod grid;
use grid::{
    GridArgs, MergeArgs, SmnistArgs, SweepArgs, run_grid, run_merge, run_smnist, run_sweep,
};

/// Rich and lazy learning in rate RNNs.
#[derive(Args, Debug)]
pub struct RichlazyArgs {
    #[command(subcommand)]
    command: RichlazyCommand,
}

#[derive(Subcommand, Debug)]
enum RichlazyCommand {
    /// Train one network, print every measure of the run and save it with --out.
    Train(TrainArgs),
    /// The two-layer linear network: KA and RA for ranks 1, 2, d/2, d and aligned rank 1.
    Theory(TheoryArgs),
    /// Experiment 1: the rank sweep (rank × task × seed), resumable and shardable.
    Sweep(SweepArgs),
    /// The sequential-MNIST rank sweep at the original's settings (ranks 5/30/N, batch 200,
    /// kernel over the first training batch), resumable and shardable.
    Smnist(SmnistArgs),
    /// Experiment 2: structured and connectome-like W_h(0) vs shuffled controls.
    Structure(GridArgs),
    /// Experiment 4: spectral-norm matching across ranks, and gain g (stable vs chaotic).
    Controls(GridArgs),
    /// Join shard folders of a sweep, structure or controls grid and write its tables and plots.
    Merge(MergeArgs),
    /// Time one training iteration and one tangent kernel (optionally against PyTorch).
    Bench(BenchArgs),
}

/// The optimiser of `--optimizer`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum OptKind {
    /// SGD with momentum 0.9 (the paper's).
    Sgd,
    /// Adam (β = 0.9, 0.999, ε = 1e-8).
    Adam,
}

/// `--protocol`: how the ranks of a seed share their random draws.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum ProtocolArg {
    /// Ours: every rank of a seed shares W0, W_in, W_out, probe and training data.
    Paired,
    /// The original main.py: W_in/W_out drawn afresh per run, one data stream across runs.
    Original,
}

impl From<ProtocolArg> for Protocol {
    fn from(p: ProtocolArg) -> Self {
        match p {
            ProtocolArg::Paired => Protocol::Paired,
            ProtocolArg::Original => Protocol::Original,
        }
    }
}

/// The optimiser and learning-rate options every command that trains shares.
#[derive(Args, Debug)]
struct OptArgs {
    /// Optimiser (default SGD with momentum 0.9).
    #[arg(long, value_enum)]
    optimizer: Option<OptKind>,
    /// Learning rate, or a comma-separated list to search: each rate trains a run and the
    /// one with the lowest mean of its last 20 logged losses is kept (the original's rule).
    /// Default: the command's (after a switch of optimiser: 0.003 for SGD, 0.001 for Adam).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    lr: Option<Vec<f64>>,
}

impl OptArgs {
    /// Sets `base`'s optimiser and learning-rate list from the options given.
    fn apply(&self, base: &mut TrainConfig) -> Result<()> {
        if let Some(l) = self
            .lr
            .iter()
            .flatten()
            .find(|l| !(l.is_finite() && **l > 0.0))
        {
            bail!("--lr {l}: expected finite learning rates > 0");
        }
        let current = match base.optimizer {
            OptimizerConfig::Sgd { lr, .. } | OptimizerConfig::Adam { lr, .. } => lr,
        };
        let was = match base.optimizer {
            OptimizerConfig::Sgd { .. } => OptKind::Sgd,
            OptimizerConfig::Adam { .. } => OptKind::Adam,
        };
        let kind = self.optimizer.unwrap_or(was);
        // a switch of optimiser starts from the new one's usual rate
        let default_lr = match (kind, was) {
            (OptKind::Sgd, OptKind::Sgd) | (OptKind::Adam, OptKind::Adam) => current,
            (OptKind::Adam, _) => 0.001,
            (OptKind::Sgd, _) => 0.003,
        };
        let lrs = self.lr.clone().unwrap_or_else(|| vec![default_lr]);
        let lr = lrs.first().copied().unwrap_or(default_lr);
        base.optimizer = match kind {
            OptKind::Sgd => OptimizerConfig::Sgd { lr, momentum: 0.9 },
            OptKind::Adam => OptimizerConfig::Adam {
                lr,
                beta1: 0.9,
                beta2: 0.999,
                eps: 1e-8,
            },
        };
        base.lr_list = if lrs.len() > 1 { lrs } else { Vec::new() };
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum InitKind {
    Lowrank,
    Gaussian,
    Orthogonal,
    Aligned,
    Dale,
    Celltypes,
    Smallworld,
    /// Mouse V1 cell-class statistics (Billeh et al. 2020).
    V1,
    File,
}

#[derive(Args, Debug)]
struct TrainArgs {
    /// Task: 2AF, DMS or CXT.
    #[arg(long, default_value = "2AF")]
    task: TaskKind,
    /// Initialisation of W_h.
    #[arg(long, value_enum, default_value = "lowrank")]
    init: InitKind,
    /// Rank for lowrank/aligned (default: N for lowrank, 1 for aligned).
    #[arg(long)]
    rank: Option<usize>,
    /// Match the spectral norm instead of the Frobenius norm.
    #[arg(long)]
    spectral: bool,
    /// Matrix file for --init file: dense CSV, NPY, an edge list (CSV with pre,post,weight
    /// columns) or safetensors.
    #[arg(long)]
    matrix: Option<PathBuf>,
    /// The tensor to use from a safetensors --matrix that holds several 2-D tensors.
    #[arg(long)]
    tensor: Option<String>,
    /// Permute W_h(0)'s entries (keeps the weight distribution, destroys structure).
    #[arg(long)]
    shuffle: bool,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Training iterations.
    #[arg(long, default_value_t = 10_000)]
    iters: usize,
    /// Hidden units.
    #[arg(long, default_value_t = 300)]
    n: usize,
    /// Gain g of W0 = g·G/√N.
    #[arg(long, default_value_t = 1.25, allow_negative_numbers = true)]
    gain: f64,
    #[command(flatten)]
    opt: OptArgs,
    /// Use tanh instead of ReLU.
    #[arg(long)]
    tanh: bool,
    /// Kernel over all parameters, not only W_h.
    #[arg(long)]
    kernel_all: bool,
    /// Train on sequential MNIST from this folder (train-images-idx3-ubyte and
    /// train-labels-idx1-ubyte) instead of --task.
    #[arg(long)]
    mnist: Option<PathBuf>,
    /// Print the whole result as JSON.
    #[arg(long)]
    json: bool,
    /// Save the run here (config.json, result.json, tracking.csv, loss.csv), atomically.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace an existing --out folder.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct TheoryArgs {
    /// Input = hidden dimension.
    #[arg(long, default_value_t = 10)]
    d: usize,
    /// Initial scale σ.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    sigma: f64,
    /// Tasks averaged over.
    #[arg(long, default_value_t = 20)]
    tasks: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also run the aligned-exception grid (Fig. 3) at these condition numbers, e.g. 1,2,4,8.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    kappa: Option<Vec<f64>>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Timed training iterations.
    #[arg(long, default_value_t = 200)]
    reps: usize,
    /// Also run the PyTorch peer (tools/reference/richlazy/torch_bench.py) with this Python.
    #[arg(long)]
    torch_python: Option<PathBuf>,
    /// With --torch-python, also time the original per-row kernel loop (slow).
    #[arg(long)]
    original: bool,
}

/// Runs a `richlazy` subcommand.
pub fn run(args: RichlazyArgs) -> Result<()> {
    match args.command {
        RichlazyCommand::Train(a) => run_train(a),
        RichlazyCommand::Theory(a) => run_theory(a),
        RichlazyCommand::Sweep(a) => run_sweep(a),
        RichlazyCommand::Smnist(a) => run_smnist(a),
        RichlazyCommand::Structure(a) => run_grid("structure", a),
        RichlazyCommand::Controls(a) => run_grid("controls", a),
        RichlazyCommand::Merge(a) => run_merge(a),
        RichlazyCommand::Bench(a) => run_bench(a),
    }
}

fn init_spec(a: &TrainArgs) -> Result<InitSpec> {
    let renorm = if a.spectral {
        Renorm::Spectral
    } else {
        Renorm::Frobenius
    };
    Ok(match a.init {
        InitKind::Lowrank => InitSpec::LowRank {
            rank: a.rank.unwrap_or(a.n),
            renorm,
        },
        InitKind::Gaussian => InitSpec::Gaussian,
        InitKind::Orthogonal => InitSpec::Orthogonal,
        InitKind::Aligned => InitSpec::Aligned {
            rank: a.rank.unwrap_or(1),
        },
        InitKind::Dale => InitSpec::Dale {
            frac_exc: 0.8,
            balanced: true,
        },
        InitKind::Celltypes => InitSpec::CellTypes {
            types: 4,
            balanced: false,
        },
        InitKind::Smallworld => InitSpec::SmallWorld { k: 10, p: 0.1 },
        InitKind::V1 => InitSpec::V1,
        InitKind::File => match &a.matrix {
            Some(path) => InitSpec::File {
                path: path.clone(),
                tensor: a.tensor.clone(),
            },
            None => {
                bail!(
                    "--init file needs --matrix PATH (dense CSV, NPY, edge-list CSV or safetensors holding an N x N matrix)"
                )
            }
        },
    })
}

#[allow(clippy::print_stdout)]
fn run_train(a: TrainArgs) -> Result<()> {
    let cfg = TrainConfig {
        task: a.task,
        init: init_spec(&a)?,
        shuffle: a.shuffle,
        n: a.n,
        gain: a.gain,
        iters: a.iters,
        seed: a.seed,
        activation: if a.tanh {
            Activation::Tanh
        } else {
            Activation::Relu
        },
        kernel_params: if a.kernel_all {
            KernelParams::All
        } else {
            KernelParams::Recurrent
        },
        track_every: (a.iters / 10).max(1),
        mnist_dir: a.mnist.clone(),
        batch: if a.mnist.is_some() { 200 } else { 32 },
        kernel_trials: if a.mnist.is_some() { 200 } else { 32 },
        probe_batches: if a.mnist.is_some() { 1 } else { 10 },
        ..TrainConfig::default()
    };
    let mut cfg = cfg;
    a.opt.apply(&mut cfg)?;
    if let Some(out) = &a.out
        && !a.force
        && out.is_dir()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    {
        // refuse before training, not after
        bail!(
            "{} already exists and is not empty: choose another --out, or pass --force to replace it",
            out.display()
        );
    }
    // the loaded matrix's ranks, on the human-readable output only (--json stays one object)
    if let (InitSpec::File { path, tensor }, false) = (&cfg.init, a.json) {
        print_matrix_report(path, tensor.as_deref(), cfg.n, cfg.gain, cfg.seed)?;
    }
    let bar = Progress::new(
        (cfg.iters * cfg.lr_list.len().max(1)) as u64,
        Unit::Count("iters"),
        "",
    );
    let r = nc_richlazy::protocol::run(&cfg, &mut |done, _| bar.set_position(done as u64))
        .with_context(|| format!("training {} with {}", cfg.task_label(), cfg.init.label()))?;
    bar.finish_and_clear();
    if let Some(out) = &a.out {
        nc_richlazy::save::write_run(&r, out, a.force)
            .with_context(|| format!("saving the run into {}", out.display()))?;
    }
    let m = r.final_measures;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r.summary_json())?);
    } else {
        println!(
            "{} {} seed {} after {} iterations:",
            cfg.task_label(),
            cfg.init.label(),
            cfg.seed,
            cfg.iters
        );
        println!(
            "  |dW_h| {:.4} (rel {:.4})  KA {:.3}  RA {:.3}  sign {:.3}  acc {:.3}  KTA {:.3} (start {:.3})",
            m.weight_change,
            m.weight_change_rel,
            m.ka,
            m.ra,
            m.sign_similarity,
            m.accuracy,
            m.kta,
            r.kta0
        );
        println!(
            "  entropy rank W0 {:.1}  WT {:.1}  dW {:.1}",
            r.rank_w0.entropy, r.rank_wt.entropy, r.rank_dw.entropy
        );
        let cap = |c: &Option<nc_richlazy::capacity::Capacity>| {
            c.as_ref()
                .map_or("n/a".to_string(), |c| format!("{:.3}", c.alpha))
        };
        println!(
            "  CKA {:.3}  manifold capacity {} -> {}",
            m.cka,
            cap(&r.capacity_0),
            cap(&r.capacity_t)
        );
    }
    Ok(())
}

/// The loaded matrix's effective ranks as given, rescaled to ‖W₀‖_F ≈ g√N, and shuffled.
#[allow(clippy::print_stdout)]
fn print_matrix_report(
    path: &std::path::Path,
    tensor: Option<&str>,
    n: usize,
    gain: f64,
    seed: u64,
) -> Result<()> {
    let w = nc_richlazy::connectome::load_square(path, n, tensor)
        .with_context(|| format!("loading --matrix {}", path.display()))?;
    let r = nc_richlazy::connectome::matrix_report(&w, n, gain * (n as f64).sqrt(), seed)?;
    println!(
        "matrix {} ({n} x {n}, Frobenius norm {:.4} -> {:.4}); effective rank entropy / participation / stable:",
        path.display(),
        r.frobenius,
        r.target
    );
    for (what, e) in [
        ("as loaded", r.raw),
        ("renormalised", r.renormalised),
        ("shuffled", r.shuffled),
    ] {
        println!(
            "  {what:<13} {:.2} / {:.2} / {:.2}",
            e.entropy, e.participation, e.stable
        );
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn run_theory(a: TheoryArgs) -> Result<()> {
    if a.d < 2 || a.tasks == 0 || a.sigma.is_nan() || a.sigma <= 0.0 {
        bail!(
            "theory needs --d >= 2, --tasks >= 1 and --sigma > 0 (got d={}, tasks={}, sigma={})",
            a.d,
            a.tasks,
            a.sigma
        );
    }
    let cfg = TheoryConfig {
        d: a.d,
        sigma: a.sigma,
        tasks: a.tasks,
        seed: a.seed,
        ..TheoryConfig::default()
    };
    let rows = table(&cfg)?;
    let kappa = match &a.kappa {
        Some(ks) if ks.iter().any(|k| !(k.is_finite() && *k >= 1.0)) => {
            bail!("--kappa values must be finite and >= 1 (got {ks:?})")
        }
        Some(ks) => Some(nc_richlazy::kappa::kappa_sweep(
            a.d, a.sigma, a.tasks, ks, a.seed,
        )?),
        None => None,
    };
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "config": cfg, "rows": rows, "kappa": kappa })
            )?
        );
    } else {
        println!(
            "two-layer linear network, d = {}, sigma = {}, {} tasks",
            a.d, a.sigma, a.tasks
        );
        for r in rows {
            println!(
                "  {:<16} KA {:.3}  RA {:.3}  dW1 rel {:.1}  initial KTA {:.3}",
                r.label, r.ka, r.ra, r.weight_change_rel, r.kta0
            );
        }
        if let Some(k) = kappa {
            println!("aligned exception (features with condition number kappa):");
            for r in k {
                println!(
                    "  kappa {:<5} {:<12} KA {:.3}  RA {:.3}",
                    r.kappa,
                    format!("{:?}", r.init),
                    r.ka,
                    r.ra
                );
            }
        }
    }
    Ok(())
}

#[allow(clippy::print_stdout)]
fn run_bench(a: BenchArgs) -> Result<()> {
    let cfg = TrainConfig::default();
    let r = nc_richlazy::bench::run(&cfg, a.reps, 5).context("richlazy bench")?;
    println!(
        "nc-richlazy (N=300, batch 32, 8 steps, f32): train step {:.3} ms, tangent kernel ({} rows) {:.1} ms",
        r.train_step_ms, r.kernel_rows, r.kernel_ms
    );
    if let Some(py) = a.torch_python {
        let mut cmd = std::process::Command::new(&py);
        cmd.arg("tools/reference/richlazy/torch_bench.py");
        if a.original {
            cmd.arg("--original");
        }
        let out = cmd.output().with_context(|| {
            format!(
                "running {} tools/reference/richlazy/torch_bench.py (run from the repository root)",
                py.display()
            )
        })?;
        if !out.status.success() {
            bail!(
                "torch_bench.py failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("parsing torch_bench.py output")?;
        let t = v["train_step_ms"].as_f64().unwrap_or(f64::NAN);
        let k = v["kernel_vectorised_ms"].as_f64().unwrap_or(f64::NAN);
        println!(
            "PyTorch {} (1 thread): train step {t:.3} ms, jacrev kernel {k:.1} ms",
            v["torch"]
        );
        println!(
            "speed-up: train step {:.2}x, kernel {:.1}x vs vectorised torch",
            t / r.train_step_ms,
            k / r.kernel_ms
        );
        if let Some(o) = v["kernel_original_ms"].as_f64() {
            println!(
                "original per-row kernel loop: {o:.0} ms ({:.0}x slower than ours)",
                o / r.kernel_ms
            );
        }
    }
    Ok(())
}
