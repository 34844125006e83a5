//! DDPG with Tonic's defaults: 1e6 replay, batch 100, 50 gradient steps every 50 environment
//! steps after 1e4 steps, 2e4 uniform-random steps then Gaussian noise 0.1, Adam 1e-3, Polyak
//! 0.005, running observation normaliser, time feature, greedy tests. NCAP reads raw angles
//! and the episode step (no normaliser), as in the reference.
//!
//! With an output folder a checkpoint is written after every epoch. It holds the networks,
//! their targets, both optimisers' moments, the normaliser with its pending batch, the replay
//! buffer (as safetensors tensors) and the running episodes' states; the exploration and
//! minibatch streams are re-keyed at every epoch. A resumed run is bit-identical to an
//! uninterrupted one.

pub mod actor;
pub mod config;
pub mod rollout;
pub mod update;

pub use actor::DdpgActor;
pub use config::DdpgConfig;

use crate::actor::DeterministicActor;
use crate::envs::{EnvsState, test_returns};
use crate::experiments::unit::Task;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::precision::{Precision, Real};
use crate::train::{Ledger, LogRow, Progress, RunSummary, TrainError};
use actor::ActorCache;
use nc_core::gemm::MatRef;
use nc_core::rng::ChaCha8Rng;
use nc_swimmer::SwimConfig;
use rollout::ReplayCursor;
use serde::{Deserialize, Serialize};
use std::path::Path;
use update::Learner;

// the algorithm's part of a checkpoint (the ledger holds the counters and the log; the
// replay's contents travel as tensors)
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
struct State<T: Real> {
    learner: Learner<T>,
    norm: MeanStd,
    envs: EnvsState,
    replay: ReplayCursor,
}

/// The result of a DDPG run.
#[derive(Clone, Debug)]
pub struct DdpgOutcome {
    /// The trained actor.
    pub actor: DdpgActor,
    /// The observation normaliser.
    pub normalizer: MeanStd,
    /// One log row per epoch (row 0: before training).
    pub rows: Vec<LogRow>,
    /// What was written to `summary.json` (also without a folder).
    pub summary: RunSummary,
}

/// The swimmer as DDPG sees it (time feature on, as in Tonic).
pub fn swim_config(cfg: &DdpgConfig) -> SwimConfig {
    SwimConfig {
        n_bodies: cfg.n_bodies,
        episode_len: cfg.episode_len,
        time_feature: true,
        ..SwimConfig::default()
    }
}

/// Tonic's DDPG MLP actor for this swimmer, seeded (drawn in `f64`; an `f32` run rounds it).
pub fn mlp_actor(cfg: &DdpgConfig) -> Result<DdpgActor, TrainError> {
    let swim = swim_config(cfg);
    swim.validate()?;
    let mut rng = nc_core::rng::stream(cfg.seed, "mlp-init", 0);
    let a = DeterministicActor::new(swim.obs_dim(), cfg.n_bodies - 1, &cfg.mlp_hidden, &mut rng)?;
    Ok(DdpgActor::Mlp(a))
}

/// NCAP as a DDPG actor.
pub fn ncap_actor(ncap: Ncap) -> DdpgActor {
    DdpgActor::Ncap(ncap)
}

fn test<T: Real>(
    cfg: &DdpgConfig,
    actor: &DdpgActor<T>,
    norm: &MeanStd,
) -> Result<Vec<f64>, TrainError> {
    test_returns(
        Task::Swim,
        swim_config(cfg),
        cfg.test_episodes,
        cfg.seed,
        |_| {
            let mut cache = ActorCache::default();
            let mut x = Vec::new();
            move |obs: &[f64], t: usize, a: &mut [f64]| {
                x.resize(obs.len(), T::zero());
                norm.normalize(obs, &mut x);
                let xr = MatRef::row_major(&x, 1, obs.len());
                actor.forward(xr, obs, &[t], &mut cache, a);
            }
        },
    )
}

// the exploration and minibatch streams of an epoch
fn epoch_streams(cfg: &DdpgConfig, epoch: usize) -> (ChaCha8Rng, ChaCha8Rng) {
    (
        nc_core::rng::stream(cfg.seed, "ddpg-explore", epoch as u64),
        nc_core::rng::stream(cfg.seed, "ddpg-batches", epoch as u64),
    )
}

/// Trains `actor` by DDPG in `cfg.precision`; with `dir`, writes log, checkpoints, policy and
/// summary there and resumes a checkpoint of the same config exactly.
pub fn train(
    cfg: &DdpgConfig,
    actor: DdpgActor,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<DdpgOutcome, TrainError> {
    match cfg.precision {
        Precision::F32 => train_in::<f32>(cfg, actor.cast(), dir, progress),
        Precision::F64 => train_in::<f64>(cfg, actor, dir, progress),
    }
}

fn train_in<T: Real>(
    cfg: &DdpgConfig,
    actor: DdpgActor<T>,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<DdpgOutcome, TrainError> {
    let mut envs = crate::train::start(
        "ddpg",
        cfg.validate(),
        (Task::Swim, swim_config(cfg)),
        (cfg.max_steps, cfg.min_budget()),
        cfg.n_envs,
        cfg.seed,
    )?;
    let (d, k) = (envs.obs_dim(), envs.act_dim());
    let mut learner = Learner::new(cfg, actor, d, k)?;
    let mut norm = MeanStd::new(d);
    let cap = cfg
        .replay_size
        .min(usize::try_from(cfg.max_steps).unwrap_or(usize::MAX));
    let mut replay = rollout::Replay::new(cap, d, k);
    let (mut ledger, resumed) = Ledger::open::<_, State<T>>(dir, cfg, cfg.max_steps)?;
    if let Some((saved, tensors)) = resumed {
        if let Some(why) = saved.learner.misfit(&learner) {
            return Err(ledger.checkpoint_error(why));
        }
        if !saved.norm.fits(d) {
            return Err(
                ledger.checkpoint_error("the observation normaliser does not fit the observations")
            );
        }
        envs.restore(&saved.envs)
            .map_err(|why| ledger.checkpoint_error(why))?;
        replay
            .restore(saved.replay, &tensors, cfg.episode_len)
            .map_err(|why| ledger.checkpoint_error(why))?;
        (learner, norm) = (saved.learner, saved.norm);
    }
    ledger.first_test(|| test(cfg, &learner.actor, &norm))?;
    let (mut explore, mut batches) = epoch_streams(cfg, ledger.epoch);
    let n = cfg.n_envs as u64;
    let mut next_test = (ledger.epoch as u64 + 1) * cfg.epoch_steps;
    let mut buf = rollout::StepBuffers::default();
    while ledger.steps + n <= cfg.max_steps {
        rollout::step(
            &mut envs,
            &learner.actor,
            &mut norm,
            &mut explore,
            ledger.steps < cfg.random_steps,
            cfg.noise,
            &mut replay,
            &mut buf,
        )?;
        ledger.add(n, &envs.take_finished());
        let steps = ledger.steps;
        if steps >= cfg.steps_before_batches && steps.is_multiple_of(cfg.steps_between_batches) {
            let mut loss = 0.0;
            for _ in 0..cfg.batch_iterations {
                loss = learner.step(
                    &replay,
                    &norm,
                    cfg.batch_size,
                    cfg.gamma,
                    cfg.tau,
                    &mut batches,
                );
            }
            if !loss.is_finite() || !learner.actor.is_finite() {
                return Err(TrainError::NonFinite {
                    what: "DDPG weights",
                    epoch: ledger.epoch,
                });
            }
            norm.update();
        }
        if steps >= next_test || steps + n > cfg.max_steps {
            ledger.epoch += 1;
            next_test = (ledger.epoch as u64 + 1) * cfg.epoch_steps;
            ledger.log_test(&test(cfg, &learner.actor, &norm)?);
            (explore, batches) = epoch_streams(cfg, ledger.epoch);
            if dir.is_some() {
                let (cursor, tensors) = replay.to_tensors();
                let state = State {
                    learner: learner.clone(),
                    norm: norm.clone(),
                    envs: envs.snapshot(),
                    replay: cursor,
                };
                ledger.checkpoint(cfg, &state, &tensors)?;
            }
            progress(&ledger.progress());
        } else if steps.is_multiple_of(1000) {
            progress(&ledger.progress());
        }
    }
    let summary = ledger.finish("ddpg", cfg, &learner.actor.saved(&norm))?;
    Ok(DdpgOutcome {
        actor: learner.actor.cast(),
        normalizer: norm,
        rows: ledger.rows,
        summary,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddpg_runs_deterministically_for_mlp_and_ncap() {
        let cfg = DdpgConfig {
            max_steps: 600,
            steps_before_batches: 200,
            random_steps: 300,
            batch_iterations: 5,
            mlp_hidden: vec![16, 16],
            critic_hidden: vec![16, 16],
            epoch_steps: 300,
            test_episodes: 2,
            episode_len: 150,
            ..DdpgConfig::default()
        };
        let a = train(&cfg, mlp_actor(&cfg).unwrap(), None, &mut |_| {}).unwrap();
        let b = train(&cfg, mlp_actor(&cfg).unwrap(), None, &mut |_| {}).unwrap();
        assert_eq!(a.actor, b.actor);
        assert_ne!(a.actor, mlp_actor(&cfg).unwrap());
        assert_eq!(a.rows.len(), 3);
        // the other precision trains the same actor to other bits
        let other = DdpgConfig {
            precision: match cfg.precision {
                Precision::F32 => Precision::F64,
                Precision::F64 => Precision::F32,
            },
            ..cfg.clone()
        };
        let c = train(&other, mlp_actor(&cfg).unwrap(), None, &mut |_| {}).unwrap();
        assert_ne!(c.actor, a.actor);
        assert!(c.rows.iter().all(|r| r.test_mean.is_finite()));
        let n = train(
            &cfg,
            ncap_actor(Ncap::default_for(5).unwrap()),
            None,
            &mut |_| {},
        )
        .unwrap();
        assert!(n.rows.iter().all(|r| r.test_mean.is_finite()));
    }
}
