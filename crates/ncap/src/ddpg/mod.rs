//! DDPG with Tonic's defaults: 1e6 replay, batch 100, 50 gradient steps every 50 environment
//! steps after 1e4 steps, 2e4 uniform-random steps then Gaussian noise 0.1, Adam 1e-3, Polyak
//! 0.005, running observation normaliser, time feature, greedy tests. NCAP reads raw angles
//! and the episode step (no normaliser), as in the reference.
//!
//! With an output folder a checkpoint (networks, optimisers, normaliser, log) is written after
//! every epoch and a rerun resumes from it. The replay buffer is not saved: a resumed run
//! refills it, so resumption is approximate.

pub mod actor;
pub mod config;
pub mod rollout;
pub mod update;

pub use actor::DdpgActor;
pub use config::DdpgConfig;

use crate::actor::DeterministicActor;
use crate::envs::{TrainingEnvs, test_returns};
use crate::es::RunSummary;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::train::{LogRow, Progress, TrainError, read_json, rows_to_csv, write_json, write_text};
use actor::ActorCache;
use nc_swimmer::SwimConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;
use update::Learner;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Checkpoint {
    config: DdpgConfig,
    steps: u64,
    episodes: u64,
    epoch: usize,
    seconds: f64,
    learner: Learner,
    norm: MeanStd,
    rows: Vec<LogRow>,
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

/// Tonic's DDPG MLP actor for this swimmer, seeded.
pub fn mlp_actor(cfg: &DdpgConfig) -> Result<DdpgActor, TrainError> {
    let obs = cfg.n_bodies - 1 + 3 * cfg.n_bodies + 1;
    let mut rng = nc_core::rng::stream(cfg.seed, "mlp-init", 0);
    let a = DeterministicActor::new(obs, cfg.n_bodies - 1, &cfg.hidden, &mut rng)
        .map_err(|e| TrainError::Config(e.to_string()))?;
    Ok(DdpgActor::Mlp(a))
}

/// NCAP as a DDPG actor.
pub fn ncap_actor(ncap: Ncap) -> DdpgActor {
    DdpgActor::Ncap(ncap)
}

fn test(cfg: &DdpgConfig, actor: &DdpgActor, norm: &MeanStd) -> Result<Vec<f64>, TrainError> {
    test_returns(swim_config(cfg), cfg.test_episodes, cfg.seed, |_| {
        let mut cache = ActorCache::default();
        let (mut x, mut out) = (Vec::new(), Vec::new());
        move |obs: &[f64], t: usize, a: &mut [f64]| {
            x.resize(obs.len(), 0.0);
            norm.normalize(obs, &mut x);
            actor.forward(&x, obs, &[t], 1, &mut cache, &mut out);
            a.copy_from_slice(&out);
        }
    })
}

/// Trains `actor` by DDPG; with `dir`, writes log, checkpoints, policy and summary there.
pub fn train(
    cfg: &DdpgConfig,
    actor: DdpgActor,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<DdpgOutcome, TrainError> {
    cfg.validate().map_err(TrainError::Config)?;
    let swim = swim_config(cfg);
    swim.validate()?;
    let mut envs = TrainingEnvs::new(swim, cfg.n_envs, cfg.seed)?;
    let (d, k) = (envs.obs_dim(), envs.act_dim());
    let mut learner = Learner::new(cfg, actor, d, k)?;
    let mut norm = MeanStd::new(d);
    let (mut steps, mut episodes, mut epoch, mut seconds_before) = (0u64, 0u64, 0usize, 0.0);
    let mut rows: Vec<LogRow> = Vec::new();
    if let Some(dir) = dir
        && let Some(ck) = read_json::<Checkpoint>(dir, "checkpoint.json")?
        && ck.config == *cfg
    {
        (steps, episodes, epoch, seconds_before) = (ck.steps, ck.episodes, ck.epoch, ck.seconds);
        (learner, norm, rows) = (ck.learner, ck.norm, ck.rows);
    }
    let start = Instant::now();
    let elapsed = |s: &Instant| seconds_before + s.elapsed().as_secs_f64();
    if rows.is_empty() {
        let t = test(cfg, &learner.actor, &norm)?;
        rows.push(LogRow::new(0, 0, 0, elapsed(&start), &t, 0.0));
    }
    let mut replay = rollout::Replay::new(cfg.replay_size.min(cfg.max_steps.max(1) as usize), d, k);
    let mut explore = nc_core::rng::stream(cfg.seed, "ddpg-explore", epoch as u64);
    let mut batches = nc_core::rng::stream(cfg.seed, "ddpg-batches", epoch as u64);
    let n = cfg.n_envs as u64;
    let mut train_returns = Vec::new();
    let mut next_test = (epoch as u64 + 1) * cfg.epoch_steps;
    while steps + n <= cfg.max_steps {
        rollout::step(
            &mut envs,
            &learner.actor,
            &mut norm,
            &mut explore,
            steps < cfg.random_steps,
            cfg.noise,
            &mut replay,
        )?;
        steps += n;
        let fin = envs.take_finished();
        episodes += fin.len() as u64;
        train_returns.extend(fin);
        if steps >= cfg.steps_before_batches && steps % cfg.steps_between_batches == 0 {
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
            if !loss.is_finite() || learner.actor.params().iter().any(|p| !p.is_finite()) {
                return Err(TrainError::NonFinite {
                    what: "DDPG weights",
                    epoch,
                });
            }
            norm.update();
        }
        if steps >= next_test || steps + n > cfg.max_steps {
            epoch += 1;
            next_test = (epoch as u64 + 1) * cfg.epoch_steps;
            let t = test(cfg, &learner.actor, &norm)?;
            let tm = if train_returns.is_empty() {
                0.0
            } else {
                train_returns.iter().sum::<f64>() / train_returns.len() as f64
            };
            train_returns.clear();
            rows.push(LogRow::new(epoch, steps, episodes, elapsed(&start), &t, tm));
            progress(&Progress {
                steps,
                max_steps: cfg.max_steps,
                test_mean: rows.last().map_or(0.0, |r| r.test_mean),
            });
            if let Some(dir) = dir {
                let ck = Checkpoint {
                    config: cfg.clone(),
                    steps,
                    episodes,
                    epoch,
                    seconds: elapsed(&start),
                    learner: learner.clone(),
                    norm: norm.clone(),
                    rows: rows.clone(),
                };
                write_json(dir, "checkpoint.json", &ck)?;
                write_text(dir, "log.csv", &rows_to_csv(&rows))?;
            }
        } else if steps % 1000 == 0 {
            progress(&Progress {
                steps,
                max_steps: cfg.max_steps,
                test_mean: rows.last().map_or(0.0, |r| r.test_mean),
            });
        }
    }
    if let Some(dir) = dir {
        write_text(dir, "log.csv", &rows_to_csv(&rows))?;
        learner.actor.saved(&norm).save(&dir.join("policy.json"))?;
        write_json(dir, "config.json", cfg)?;
        write_json(
            dir,
            "summary.json",
            &RunSummary {
                algorithm: "ddpg".into(),
                steps,
                initial_return: rows[0].test_mean,
                final_return: rows.last().map_or(0.0, |r| r.test_mean),
                n_params: learner.actor.params().len(),
                seconds: elapsed(&start),
            },
        )?;
    }
    Ok(DdpgOutcome {
        actor: learner.actor,
        normalizer: norm,
        rows,
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
            hidden: vec![16, 16],
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
