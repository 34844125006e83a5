//! Throughput measurements behind `neurocircuits swimmer bench` and `benches/step.rs`.
//!
//! The workload matches `tools/reference/swimmer/bench_mujoco.py`: a dm_control-style reset,
//! then a travelling sine wave held for 15 substeps per control step.

use crate::data::Data;
use crate::error::{ConfigError, SimError};
use crate::model::{Model, Options};
use crate::task::{SwimConfig, run_episode};
use crate::vec_env::VecEnv;
use rayon::prelude::*;
use std::time::Instant;

/// The MuJoCo timing script (run with a Python that has mujoco 3.17 and dm_control 1.0.50).
/// It lives in the crate (`reference/bench_mujoco.py`), so `cargo package` carries it;
/// `tools/reference/swimmer/bench_mujoco.py` is a symbolic link to it.
pub const MUJOCO_BENCH_PY: &str = include_str!("../reference/bench_mujoco.py");

/// Control of the benchmark gait at physics step `i` for joint `j` of `nu`.
#[inline]
pub fn gait_ctrl(i: usize, j: usize, nu: usize) -> f64 {
    let t = (i / 15) as f64 * 0.03;
    (2.0 * std::f64::consts::PI * (1.2 * t - j as f64 / nu as f64)).sin()
}

/// Result of a physics-step timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTiming {
    /// Number of bodies.
    pub n_bodies: usize,
    /// Physics steps timed (best repeat).
    pub steps: usize,
    /// Seconds of the best repeat.
    pub seconds: f64,
    /// Physics steps per second (best repeat).
    pub steps_per_sec: f64,
}

/// The benchmark's start state: a dm_control-style reset of `n_bodies` with seed 0.
pub fn start_qpos(n_bodies: usize) -> Result<Vec<f64>, ConfigError> {
    let mut env = crate::task::SwimEnv::new(SwimConfig {
        n_bodies,
        ..SwimConfig::default()
    })?;
    env.reset(0);
    Ok(env.qpos().to_vec())
}

/// Runs `steps` physics steps of the benchmark gait from `qpos0` on the calling thread.
pub fn run_gait(m: &Model, d: &mut Data, qpos0: &[f64], steps: usize) -> Result<(), SimError> {
    d.reset(m);
    d.qpos.copy_from_slice(qpos0);
    for i in 0..steps {
        if i.is_multiple_of(15) {
            for (j, c) in d.ctrl.iter_mut().enumerate() {
                *c = gait_ctrl(i, j, m.nu);
            }
        }
        crate::step::step(m, d)?;
    }
    Ok(())
}

/// Times physics steps per second on the calling thread (best of `repeats`).
pub fn physics_steps_per_sec(
    n_bodies: usize,
    steps: usize,
    repeats: usize,
) -> Result<StepTiming, BenchError> {
    let m = Model::swimmer(n_bodies, Options::default())?;
    let mut d = Data::new(&m);
    let qpos0 = start_qpos(n_bodies)?;
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        run_gait(&m, &mut d, &qpos0, steps)?;
        best = best.min(t0.elapsed().as_secs_f64());
    }
    Ok(StepTiming {
        n_bodies,
        steps,
        seconds: best,
        steps_per_sec: steps as f64 / best,
    })
}

/// Times physics steps per second of one batch of [`VecEnv::LANES`] environments stepped
/// together on the calling thread (best of `repeats`), each from its own reset and with
/// the benchmark gait; `batched = false` steps the same environments one by one.
pub fn batch_steps_per_sec(
    n_bodies: usize,
    steps: usize,
    repeats: usize,
    batched: bool,
) -> Result<StepTiming, BenchError> {
    let cfg = SwimConfig {
        n_bodies,
        episode_len: usize::MAX,
        ..SwimConfig::default()
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| BenchError::Pool(e.to_string()))?;
    let lanes = VecEnv::LANES;
    let mut ve = VecEnv::new(cfg, lanes)?;
    ve.set_batched(batched);
    let nu = n_bodies - 1;
    let control_steps = steps.div_ceil(lanes * cfg.substeps).max(1);
    let mut actions = vec![0.0; lanes * nu];
    let mut rewards = vec![0.0; lanes];
    let seeds: Vec<u64> = (0..lanes as u64).collect();
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        pool.install(|| -> Result<(), SimError> {
            ve.reset_all(&seeds);
            for k in 0..control_steps {
                for a in actions.chunks_exact_mut(nu) {
                    for (j, x) in a.iter_mut().enumerate() {
                        *x = gait_ctrl(15 * k, j, nu);
                    }
                }
                ve.step_all(&actions, &mut rewards)?;
            }
            Ok(())
        })?;
        best = best.min(t0.elapsed().as_secs_f64());
    }
    let done = control_steps * lanes * cfg.substeps;
    Ok(StepTiming {
        n_bodies,
        steps: done,
        seconds: best,
        steps_per_sec: done as f64 / best,
    })
}

/// Result of a whole-episode timing with [`VecEnv`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpisodeTiming {
    /// Environments in the batch.
    pub n_envs: usize,
    /// Rayon threads.
    pub threads: usize,
    /// Episodes completed.
    pub episodes: usize,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Episodes per second.
    pub episodes_per_sec: f64,
    /// Physics steps per second, all threads together.
    pub steps_per_sec: f64,
}

/// Runs `n_envs` whole episodes (1000 control steps, open-loop gait) with
/// [`VecEnv::step_all`] on a rayon pool of `threads` threads.
pub fn episode_throughput(
    cfg: SwimConfig,
    n_envs: usize,
    threads: usize,
) -> Result<EpisodeTiming, BenchError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| BenchError::Pool(e.to_string()))?;
    let mut ve = VecEnv::new(cfg, n_envs)?;
    let nu = cfg.n_bodies - 1;
    let mut actions = vec![0.0; n_envs * nu];
    let mut rewards = vec![0.0; n_envs];
    let seeds: Vec<u64> = (0..n_envs as u64).collect();
    let t0 = Instant::now();
    pool.install(|| -> Result<(), SimError> {
        ve.reset_all(&seeds);
        for k in 0..cfg.episode_len {
            actions.par_chunks_mut(nu).for_each(|a| {
                for (j, x) in a.iter_mut().enumerate() {
                    *x = gait_ctrl(15 * k, j, nu);
                }
            });
            ve.step_all(&actions, &mut rewards)?;
        }
        Ok(())
    })?;
    let seconds = t0.elapsed().as_secs_f64();
    let steps = (n_envs * cfg.episode_len * cfg.substeps) as f64;
    Ok(EpisodeTiming {
        n_envs,
        threads,
        episodes: n_envs,
        seconds,
        episodes_per_sec: n_envs as f64 / seconds,
        steps_per_sec: steps / seconds,
    })
}

/// Seconds for one whole episode through [`run_episode`] on the calling thread.
pub fn single_episode_seconds(cfg: SwimConfig) -> Result<f64, BenchError> {
    let mut env = crate::task::SwimEnv::new(cfg)?;
    let t0 = Instant::now();
    run_episode(&mut env, 0, |_, k, a| {
        let nu = a.len();
        for (j, x) in a.iter_mut().enumerate() {
            *x = gait_ctrl(15 * k, j, nu);
        }
    })?;
    Ok(t0.elapsed().as_secs_f64())
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The rayon pool could not be built.
    #[error("thread pool: {0}")]
    Pool(String),
}
