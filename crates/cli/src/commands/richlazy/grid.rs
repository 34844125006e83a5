//! The grids of runs: the rank sweep, sequential MNIST, structure and controls, with the
//! options they share (shards, seeds, tasks, iterations, optimiser) and merging shard folders.

use super::{OptArgs, ProtocolArg};
use crate::progress::{Progress, Unit};
use anyhow::{Context, Result, bail};
use clap::Args;
use nc_core::shard::Shard;
use nc_core::sweep::{RunOptions, Status};
use nc_richlazy::controls::{ControlsConfig, run_controls};
use nc_richlazy::grid::SweepEvent;
use nc_richlazy::init::Renorm;
use nc_richlazy::smnist::{SmnistConfig, run_smnist as run_smnist_grid};
use nc_richlazy::structure::{StructureConfig, run_structure};
use nc_richlazy::sweep::SweepConfig;
use nc_richlazy::tasks::TaskKind;
use nc_richlazy::train::TrainConfig;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub(super) struct SweepArgs {
    /// Output folder (resumed where its units were made with the same settings).
    #[arg(long, default_value = "results/richlazy-rank-sweep")]
    out: PathBuf,
    /// CI size: N = 64, ranks 1/4/16/30/64, 3 seeds, 1,500 iterations.
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    runs: GridRunArgs,
    /// Ranks, comma separated.
    #[arg(long, value_delimiter = ',')]
    ranks: Option<Vec<usize>>,
    /// Match the spectral norm instead of the Frobenius norm (reviewers' control).
    #[arg(long)]
    spectral: bool,
    /// Gain g of W0.
    #[arg(long, allow_negative_numbers = true)]
    gain: Option<f64>,
    /// How the ranks of a seed share their random draws: ours (paired) or the original
    /// main.py's (W_in/W_out redrawn per run, one data stream across runs).
    #[arg(long, value_enum, default_value = "paired")]
    protocol: ProtocolArg,
}

#[derive(Args, Debug)]
// its task is fixed, so the shared --tasks flag is hidden here (and refused if given)
#[command(mut_arg("tasks", |a| a.hide(true)))]
pub(super) struct SmnistArgs {
    /// Folder of MNIST IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte): the
    /// MNIST training files, or a subset made by tools/reference/richlazy/make_mnist_subset.py
    /// (crates/richlazy/tests/data/mnist-subset holds 500 images). Give every shard the same path.
    #[arg(long)]
    mnist: PathBuf,
    /// Output folder (resumed where its units were made with the same settings).
    #[arg(long, default_value = "results/richlazy-smnist")]
    out: PathBuf,
    /// CI size: N = 48, ranks 5/30/48, 2 seeds, 200 iterations of batch 20.
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    runs: GridRunArgs,
    /// Hidden units N (the ranks default to 5, 30, N).
    #[arg(long)]
    n: Option<usize>,
    /// Ranks, comma separated.
    #[arg(long, value_delimiter = ',')]
    ranks: Option<Vec<usize>>,
    /// Match the spectral norm instead of the Frobenius norm.
    #[arg(long)]
    spectral: bool,
    /// How the ranks of a seed share their random draws: ours (paired) or the original
    /// main.py's (W_in/W_out redrawn per run, one data stream across runs).
    #[arg(long, value_enum, default_value = "paired")]
    protocol: ProtocolArg,
}

/// The options every grid of runs shares (rank sweep, structure, controls).
#[derive(Args, Debug)]
struct GridRunArgs {
    /// Run only shard I of N (I/N); then `merge` the shard folders.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Number of seeds (0..K).
    #[arg(long)]
    seeds: Option<u64>,
    /// Training iterations per run.
    #[arg(long)]
    iters: Option<usize>,
    /// Tasks, comma separated.
    #[arg(long, value_delimiter = ',')]
    tasks: Option<Vec<TaskKind>>,
    /// Recompute units of the output folder that were made with other settings (without it
    /// such a folder is refused, naming the settings that differ).
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    opt: OptArgs,
}

impl GridRunArgs {
    /// Overrides a grid's seeds, tasks, iterations and optimiser with those given.
    fn apply(
        &self,
        seeds: &mut Vec<u64>,
        tasks: &mut Vec<TaskKind>,
        base: &mut TrainConfig,
    ) -> Result<()> {
        if let Some(k) = self.seeds {
            *seeds = (0..k).collect();
        }
        if let Some(t) = &self.tasks {
            tasks.clone_from(t);
        }
        if let Some(i) = self.iters {
            base.iters = i;
            base.track_every = (i / 10).max(1);
        }
        self.opt.apply(base)
    }

    /// Where this shard's runs go.
    fn options(&self, out: &std::path::Path) -> RunOptions {
        RunOptions {
            shard: self.shard,
            force: self.force,
            ..RunOptions::new(out)
        }
    }

    /// Runs this shard of a grid into `out` behind a progress bar (`what` names the grid in
    /// errors), then tells the user what was written.
    fn run(
        &self,
        out: &std::path::Path,
        what: &str,
        grid: impl FnOnce(
            &RunOptions,
            &(dyn Fn(SweepEvent) + Sync),
        ) -> Result<Status, nc_richlazy::grid::SweepError>,
    ) -> Result<()> {
        let (bar, log) = progress_bar(self.shard);
        let status = grid(&self.options(out), &log)
            .with_context(|| format!("{what} into {}", out.display()))?;
        bar.finish_and_clear();
        self.report_done(&status, out);
        Ok(())
    }

    /// What a finished run of this shard into `out` tells the user.
    #[allow(clippy::print_stdout)]
    fn report_done(&self, status: &Status, out: &std::path::Path) {
        let diverged = status.diverged().len();
        if diverged > 0 {
            println!(
                "{diverged} of {} runs diverged (listed in {}/diverged.csv)",
                status.total(),
                out.display()
            );
        }
        if status.complete() {
            let plots = if out.join("plots").is_dir() {
                " and plots/"
            } else {
                ""
            };
            println!(
                "wrote {}/results.csv, summary.csv, tracking.csv{plots}",
                out.display()
            );
        } else {
            println!(
                "shard {} done in {}; run `neurocircuits richlazy merge --out DIR <shard folders>` when all shards finish",
                self.shard,
                out.display()
            );
        }
    }
}

#[derive(Args, Debug)]
pub(super) struct GridArgs {
    /// Output folder (resumed if it holds finished units); default results/richlazy-<name>.
    #[arg(long)]
    out: Option<PathBuf>,
    /// CI size: N = 48, 2AF, 2 seeds, 400 iterations (seconds).
    #[arg(long)]
    quick: bool,
    #[command(flatten)]
    runs: GridRunArgs,
    /// Gains of the gain control (controls only), comma separated.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    gains: Option<Vec<f64>>,
}

#[derive(Args, Debug)]
pub(super) struct MergeArgs {
    /// Folder to write the merged sweep into.
    #[arg(long)]
    out: PathBuf,
    /// Shard folders to join.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
}

#[allow(clippy::print_stdout)]
pub(super) fn run_sweep(a: SweepArgs) -> Result<()> {
    let mut cfg = if a.quick {
        SweepConfig::quick()
    } else {
        SweepConfig::full()
    };
    a.runs
        .apply(&mut cfg.seeds, &mut cfg.tasks, &mut cfg.base)?;
    cfg.base.protocol = a.protocol.into();
    if let Some(r) = a.ranks {
        cfg.ranks = r;
    }
    if let Some(g) = a.gain {
        cfg.base.gain = g;
    }
    if a.spectral {
        cfg.renorm = Renorm::Spectral;
    }
    a.runs.run(&a.out, "rank sweep", |opts, log| {
        nc_richlazy::sweep::run_sweep(&cfg, opts, log)
    })
}

#[allow(clippy::print_stdout)]
pub(super) fn run_smnist(a: SmnistArgs) -> Result<()> {
    if a.runs.tasks.is_some() {
        bail!("--tasks does not apply to `richlazy smnist` (its task is sequential MNIST)");
    }
    // read the files first, so a bad folder fails before any unit starts
    nc_richlazy::mnist::load(&a.mnist)
        .with_context(|| format!("reading --mnist {}", a.mnist.display()))?;
    let mut cfg = if a.quick {
        SmnistConfig::quick(a.mnist.clone())
    } else {
        SmnistConfig::paper(a.mnist.clone())
    };
    a.runs
        .apply(&mut cfg.seeds, &mut Vec::new(), &mut cfg.base)?;
    if let Some(n) = a.n {
        cfg.base.n = n;
        cfg.ranks = nc_richlazy::smnist::smnist_ranks(n);
    }
    if let Some(r) = a.ranks {
        cfg.ranks = r;
    }
    if a.spectral {
        cfg.renorm = Renorm::Spectral;
    }
    cfg.base.protocol = a.protocol.into();
    a.runs.run(&a.out, "sMNIST rank sweep", |opts, log| {
        run_smnist_grid(&cfg, opts, log)
    })
}

fn progress_bar(shard: Shard) -> (Progress, impl Fn(SweepEvent) + Sync) {
    let bar = Progress::new(0, Unit::Count("runs"), "");
    let b = bar.clone();
    let f = move |e: SweepEvent| match e {
        SweepEvent::Start {
            total,
            mine,
            pending,
        } => {
            b.set_length(pending as u64);
            b.println(format!(
                "{total} runs in the grid, {mine} in shard {shard}, {pending} to run"
            ));
        }
        SweepEvent::UnitDone { done, unit, .. } => {
            b.set_message(unit);
            b.set_position(done as u64);
        }
    };
    (bar, f)
}

#[allow(clippy::print_stdout)]
pub(super) fn run_grid(name: &str, a: GridArgs) -> Result<()> {
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("results/richlazy-{name}")));
    if name == "structure" {
        if a.gains.is_some() {
            bail!("--gains applies to `richlazy controls` only");
        }
        let mut cfg = if a.quick {
            StructureConfig::quick()
        } else {
            StructureConfig::full()
        };
        a.runs
            .apply(&mut cfg.seeds, &mut cfg.tasks, &mut cfg.base)?;
        a.runs.run(&out, "richlazy structure", |opts, log| {
            run_structure(&cfg, opts, log)
        })
    } else {
        let mut cfg = if a.quick {
            ControlsConfig::quick()
        } else {
            ControlsConfig::full()
        };
        a.runs
            .apply(&mut cfg.seeds, &mut cfg.tasks, &mut cfg.base)?;
        if let Some(g) = a.gains {
            cfg.gains = g;
        }
        a.runs.run(&out, "richlazy controls", |opts, log| {
            run_controls(&cfg, opts, log)
        })
    }
}

#[allow(clippy::print_stdout)]
pub(super) fn run_merge(a: MergeArgs) -> Result<()> {
    let experiment = nc_richlazy::grid::merge_any(&a.inputs, &a.out)
        .with_context(|| format!("merging into {}", a.out.display()))?;
    println!(
        "merged {} folders of {experiment} into {}",
        a.inputs.len(),
        a.out.display()
    );
    Ok(())
}
