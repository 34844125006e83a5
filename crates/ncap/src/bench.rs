//! Learner and simulator throughput at Tonic's defaults, with PyTorch's time for the same
//! learner work in the same run: behind `neurocircuits ncap bench` and `benches/learners.rs`.
//!
//! The units (the PyTorch peer, `tools/reference/ncap/torch_bench.py`, defines the same two
//! learner units):
//! - **DDPG update**: one gradient step of [`Learner::step`] at Tonic's defaults: a minibatch
//!   of 100 from a replay of 2,000 uniform-random transitions of the 6-body swimmer, actor and
//!   critic 256×256, target networks, Adam, Polyak averaging.
//! - **PPO epoch**: one full-batch [`iteration`] of the update on a 4,096-step segment
//!   collected by the initial policy: the clipped-ratio actor step of the 64×64 tanh Gaussian
//!   actor and the critic's 64×64 regression step.
//! - **ES env steps/s**: population episodes of the default NCAP (the estorch script's
//!   population of 8, 1,000 steps each) across the pool's threads; the ES update on 4 weights
//!   is negligible.
//! - **physics steps/s**: `nc_swimmer::bench::episode_throughput` of a 16-env batch of the
//!   6-body swimmer (15 physics steps per control step) across the pool's threads.
//!
//! The learner timings are medians over single steps after a warm-up; with a peer, half of
//! ours run before it and half after, pooled, so both see the same machine load.

use crate::ddpg::rollout::{Replay, StepBuffers, step};
use crate::ddpg::update::Learner;
use crate::ddpg::{DdpgConfig, mlp_actor, swim_config};
use crate::envs::TrainingEnvs;
use crate::mlp::Mlp;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::optim::Adam;
use crate::ppo::PpoConfig;
use crate::ppo::actor::PpoActor;
use crate::ppo::rollout::Segment;
use crate::ppo::update::{Workspace, iteration, prepare};
use crate::precision::{Precision, Real};
use crate::train::TrainError;
use nc_core::rng::ChaCha8Rng;
use nc_swimmer::SwimConfig;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The PyTorch timing script (run with a Python that has torch 2.15.0).
pub const TORCH_BENCH_PY: &str = include_str!("../../../tools/reference/ncap/torch_bench.py");

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// Building a workload failed.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The physics benchmark failed.
    #[error(transparent)]
    Physics(#[from] nc_swimmer::bench::BenchError),
    /// The rayon pool could not be built.
    #[error("thread pool of {threads} threads: {message}")]
    Pool {
        /// Threads asked for.
        threads: usize,
        /// The builder's message.
        message: String,
    },
    /// The Python interpreter could not be started.
    #[error("could not start {python}")]
    Spawn {
        /// The interpreter.
        python: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The PyTorch script exited with an error.
    #[error("the PyTorch timing script failed ({status}): {stderr}")]
    Script {
        /// Its exit status.
        status: String,
        /// What it wrote to stderr.
        stderr: String,
    },
    /// The PyTorch script's output was not the expected JSON.
    #[error("reading the PyTorch timing output: {0}")]
    Output(String),
}

/// What to time and how.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchOptions {
    /// Float type of the learners.
    pub precision: Precision,
    /// Timed steps per learner unit (and side, with a peer).
    pub repeats: usize,
    /// Threads of the pool everything runs on (`None`: all available).
    pub threads: Option<usize>,
    /// Python with torch 2.15.0 to time the peer in the same run.
    pub torch_python: Option<PathBuf>,
    /// Threads PyTorch may use.
    pub torch_threads: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            precision: Precision::default(),
            repeats: 100,
            threads: None,
            torch_python: None,
            torch_threads: 2,
        }
    }
}

/// Seconds per step of a learner unit.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Timing {
    /// Median over the timed steps.
    pub median_s: f64,
    /// Fastest step.
    pub min_s: f64,
    /// Timed steps.
    pub repeats: usize,
}

impl Timing {
    /// Median and minimum of `samples` (seconds).
    pub fn of(mut samples: Vec<f64>) -> Timing {
        samples.sort_by(f64::total_cmp);
        Timing {
            median_s: samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN),
            min_s: samples.first().copied().unwrap_or(f64::NAN),
            repeats: samples.len(),
        }
    }
}

/// PyTorch's timings of the two learner units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TorchTimings {
    /// `torch.__version__`.
    pub version: String,
    /// Threads PyTorch used.
    pub threads: usize,
    /// One DDPG update.
    pub ddpg_update: Timing,
    /// One PPO epoch.
    pub ppo_epoch: Timing,
}

/// The benchmark's result.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchReport {
    /// Median milliseconds per DDPG update.
    pub ddpg_update_ms: f64,
    /// Median milliseconds per PPO epoch.
    pub ppo_epoch_ms: f64,
    /// ES environment steps per second.
    pub es_env_steps_per_s: f64,
    /// Physics steps per second.
    pub physics_steps_per_s: f64,
    /// Float type of the learners.
    pub precision: Precision,
    /// Threads of the pool.
    pub threads: usize,
    /// Our DDPG update timing.
    pub ddpg_update: Timing,
    /// Our PPO epoch timing.
    pub ppo_epoch: Timing,
    /// PyTorch's, when timed.
    pub torch: Option<TorchTimings>,
}

impl BenchReport {
    /// Our median DDPG update over PyTorch's (below 1: we are faster).
    pub fn ddpg_ratio(&self) -> Option<f64> {
        self.torch
            .as_ref()
            .map(|t| self.ddpg_update.median_s / t.ddpg_update.median_s)
    }
    /// Our median PPO epoch over PyTorch's.
    pub fn ppo_ratio(&self) -> Option<f64> {
        self.torch
            .as_ref()
            .map(|t| self.ppo_epoch.median_s / t.ppo_epoch.median_s)
    }
}

/// The DDPG unit, ready to step repeatedly.
pub struct DdpgWork<T: Real> {
    learner: Learner<T>,
    replay: Replay,
    norm: MeanStd,
    batches: ChaCha8Rng,
    cfg: DdpgConfig,
}

impl<T: Real> DdpgWork<T> {
    /// Tonic's learner on a replay of 2,000 uniform-random transitions of the 6-body swimmer.
    pub fn new() -> Result<Self, TrainError> {
        let cfg = DdpgConfig {
            precision: T::PRECISION,
            ..DdpgConfig::default()
        };
        let mut envs = TrainingEnvs::new(swim_config(&cfg), cfg.n_envs, 0)?;
        let (d, k) = (envs.obs_dim(), envs.act_dim());
        let learner = Learner::new(&cfg, mlp_actor(&cfg)?.cast(), d, k)?;
        let mut norm = MeanStd::new(d);
        let mut replay = Replay::new(10_000, d, k);
        let mut explore = nc_core::rng::stream(0, "bench-explore", 0);
        let mut buf = StepBuffers::default();
        while replay.len() < 2_000 {
            step(
                &mut envs,
                &learner.actor,
                &mut norm,
                &mut explore,
                true,
                0.1,
                &mut replay,
                &mut buf,
            )?;
        }
        norm.update();
        Ok(Self {
            learner,
            replay,
            norm,
            batches: nc_core::rng::stream(0, "bench-batches", 0),
            cfg,
        })
    }

    /// One gradient step; returns the critic loss.
    pub fn step(&mut self) -> f64 {
        let c = &self.cfg;
        self.learner.step(
            &self.replay,
            &self.norm,
            c.batch_size,
            c.gamma,
            c.tau,
            &mut self.batches,
        )
    }
}

/// The PPO unit, ready to iterate repeatedly.
pub struct PpoWork<T: Real> {
    cfg: PpoConfig,
    actor: PpoActor<T>,
    critic: Mlp<T>,
    actor_opt: Adam<T>,
    critic_opt: Adam<T>,
    seg: Segment,
    ws: Workspace<T>,
}

impl<T: Real> PpoWork<T> {
    /// Tonic's actor and critic on a 4,096-step segment collected by the initial actor.
    pub fn new() -> Result<Self, TrainError> {
        let cfg = PpoConfig {
            precision: T::PRECISION,
            ..PpoConfig::default()
        };
        let mut envs = TrainingEnvs::new(crate::ppo::swim_config(&cfg), cfg.n_envs, 0)?;
        let d = envs.obs_dim();
        let actor: PpoActor<T> = crate::ppo::mlp_actor(&cfg)?.cast();
        let mut rng = nc_core::rng::stream(0, "critic-init", 0);
        let critic = crate::actor::critic(
            d,
            &cfg.critic_hidden,
            crate::mlp::Activation::Tanh,
            &mut rng,
        )?;
        let mut norm = MeanStd::new(d);
        let mut sample = nc_core::rng::stream(0, "bench-sample", 0);
        let seg =
            crate::ppo::rollout::collect(&mut envs, &actor, &mut norm, &mut sample, cfg.segment)?;
        norm.update();
        let mut ws = Workspace::default();
        prepare(&cfg, &actor, &critic, &norm, &seg, cfg.n_envs, &mut ws);
        Ok(Self {
            actor_opt: Adam::new(actor.n_params(), cfg.actor_lr),
            critic_opt: Adam::new(critic.n_params(), cfg.critic_lr),
            cfg,
            actor,
            critic,
            seg,
            ws,
        })
    }

    /// One full-batch iteration (actor and critic step); returns the critic loss.
    pub fn epoch(&mut self) -> f64 {
        iteration(
            &self.cfg,
            &mut self.actor,
            &mut self.critic,
            &mut self.actor_opt,
            &mut self.critic_opt,
            &self.seg,
            &mut self.ws,
            true,
        )
        .critic_loss
    }
}

// seconds of each of `repeats` calls after `warmup` untimed ones
fn samples(repeats: usize, warmup: usize, mut f: impl FnMut()) -> Vec<f64> {
    for _ in 0..warmup {
        f();
    }
    (0..repeats)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect()
}

/// ES environment steps per second: `generations` generations of population episodes of the
/// default NCAP on the 6-body swimmer.
pub fn es_env_steps_per_s(generations: usize) -> Result<f64, TrainError> {
    let cfg = crate::es::EsConfig::default();
    let swim = SwimConfig {
        n_bodies: cfg.n_bodies,
        episode_len: cfg.episode_len,
        ..SwimConfig::default()
    };
    let ncap = Ncap::default_for(cfg.n_bodies - 1)?;
    let t0 = Instant::now();
    let mut steps = 0;
    for g in 0..generations.max(1) {
        let mut rng = nc_core::rng::stream(0, "bench-es", g as u64);
        let noise = crate::es::update::antithetic_noise(
            &mut rng,
            cfg.population,
            ncap.n_params(),
            cfg.sigma,
        );
        let candidates: Vec<Vec<f64>> = noise
            .iter()
            .map(|e| ncap.params().iter().zip(e).map(|(p, x)| p + x).collect())
            .collect();
        let seeds: Vec<u64> = (0..cfg.population as u64)
            .map(|k| 1000 * g as u64 + k)
            .collect();
        crate::es::rollout::population_returns(&ncap, &candidates, swim, &seeds)?;
        steps += cfg.population * cfg.episode_len;
    }
    Ok(steps as f64 / t0.elapsed().as_secs_f64())
}

// our two learner units, `repeats` steps each
fn learner_samples<T: Real>(
    ddpg: &mut DdpgWork<T>,
    ppo: &mut PpoWork<T>,
    repeats: usize,
    warmup: usize,
) -> (Vec<f64>, Vec<f64>) {
    (
        samples(repeats, warmup, || {
            ddpg.step();
        }),
        samples(repeats, warmup, || {
            ppo.epoch();
        }),
    )
}

fn run_in<T: Real>(
    opts: &BenchOptions,
    threads: usize,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<BenchReport, BenchError> {
    progress("building the DDPG and PPO workloads");
    let (mut ddpg, mut ppo) = (DdpgWork::<T>::new()?, PpoWork::<T>::new()?);
    let repeats = opts.repeats.max(1);
    progress("timing our learners");
    let (mut dd, mut pp) = learner_samples(&mut ddpg, &mut ppo, repeats.div_ceil(2), 5);
    let torch = match &opts.torch_python {
        None => {
            let (d2, p2) = learner_samples(&mut ddpg, &mut ppo, repeats / 2, 0);
            dd.extend(d2);
            pp.extend(p2);
            None
        }
        Some(py) => {
            progress("timing PyTorch's learners");
            let t = time_torch(py, repeats, opts.torch_threads)?;
            progress("timing our learners again");
            let (d2, p2) = learner_samples(&mut ddpg, &mut ppo, repeats / 2, 1);
            dd.extend(d2);
            pp.extend(p2);
            Some(t)
        }
    };
    progress("timing ES rollouts");
    let es = es_env_steps_per_s(2)?;
    progress("timing physics");
    let swim = SwimConfig {
        n_bodies: 6,
        ..SwimConfig::default()
    };
    let physics = nc_swimmer::bench::episode_throughput(swim, 16, threads)?;
    let (ddpg_update, ppo_epoch) = (Timing::of(dd), Timing::of(pp));
    Ok(BenchReport {
        ddpg_update_ms: ddpg_update.median_s * 1e3,
        ppo_epoch_ms: ppo_epoch.median_s * 1e3,
        es_env_steps_per_s: es,
        physics_steps_per_s: physics.steps_per_sec,
        precision: T::PRECISION,
        threads,
        ddpg_update,
        ppo_epoch,
        torch,
    })
}

/// Runs the benchmark on a pool of `opts.threads` threads (all available by default);
/// `progress` hears what is being timed.
pub fn run(
    opts: &BenchOptions,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<BenchReport, BenchError> {
    let threads = opts.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| BenchError::Pool {
            threads,
            message: e.to_string(),
        })?;
    pool.install(|| match opts.precision {
        Precision::F32 => run_in::<f32>(opts, threads, progress),
        Precision::F64 => run_in::<f64>(opts, threads, progress),
    })
}

/// Runs the PyTorch peer under `python` and reads its two JSON lines.
pub fn time_torch(
    python: &Path,
    repeats: usize,
    threads: usize,
) -> Result<TorchTimings, BenchError> {
    let out = Command::new(python)
        .args([
            "-c",
            TORCH_BENCH_PY,
            "--json",
            "--repeats",
            &repeats.max(1).to_string(),
            "--threads",
            &threads.max(1).to_string(),
        ])
        .output()
        .map_err(|source| BenchError::Spawn {
            python: python.to_path_buf(),
            source,
        })?;
    if !out.status.success() {
        return Err(BenchError::Script {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    parse_torch(&String::from_utf8_lossy(&out.stdout))
}

// the script's JSON lines, one per unit
fn parse_torch(stdout: &str) -> Result<TorchTimings, BenchError> {
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect();
    let unit = |name: &str| -> Result<(Timing, &serde_json::Value), BenchError> {
        let v = lines.iter().find(|v| v["unit"] == name).ok_or_else(|| {
            BenchError::Output(format!("no JSON line for `{name}` in {stdout:?}"))
        })?;
        let num = |k: &str| {
            v[k].as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| BenchError::Output(format!("`{k}` missing or not a number in {v}")))
        };
        Ok((
            Timing {
                median_s: num("median_s")?,
                min_s: num("min_s")?,
                repeats: num("repeats")? as usize,
            },
            v,
        ))
    };
    let (ddpg_update, v) = unit("ddpg_update")?;
    let (ppo_epoch, _) = unit("ppo_epoch")?;
    Ok(TorchTimings {
        version: v["torch"].as_str().unwrap_or("?").to_string(),
        threads: v["threads"].as_u64().unwrap_or(0) as usize,
        ddpg_update,
        ppo_epoch,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torch_lines_parse_and_bad_ones_are_named() {
        let ok = "noise\n{\"unit\": \"ddpg_update\", \"median_s\": 0.003, \"min_s\": 0.002, \"repeats\": 10, \"threads\": 2, \"torch\": \"2.15.0\"}\n{\"unit\": \"ppo_epoch\", \"median_s\": 0.01, \"min_s\": 0.009, \"repeats\": 10, \"threads\": 2, \"torch\": \"2.15.0\"}\n";
        let t = parse_torch(ok).unwrap();
        assert_eq!(t.ddpg_update.median_s, 0.003);
        assert_eq!((t.threads, t.version.as_str()), (2, "2.15.0"));
        let err = parse_torch(&ok.replace("ppo_epoch", "other")).unwrap_err();
        assert!(err.to_string().contains("ppo_epoch"), "{err}");
        let err = parse_torch(&ok.replace("0.01,", "\"x\",")).unwrap_err();
        assert!(err.to_string().contains("median_s"), "{err}");
    }

    #[test]
    fn the_learner_units_run_in_both_precisions() {
        let mut d = DdpgWork::<f32>::new().unwrap();
        assert!(d.step().is_finite());
        let mut p = PpoWork::<f64>::new().unwrap();
        assert!(p.epoch().is_finite());
    }
}
