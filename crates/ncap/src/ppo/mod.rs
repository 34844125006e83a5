//! PPO with Tonic's defaults: 4096-step segments, GAE(0.97), normalised advantages, up to 80
//! full-batch actor iterations with KL early stop, critic regression every iteration, running
//! observation normaliser, time feature in the observation. NCAP uses `N(NCAP(x), 0.1)` and
//! ignores the normaliser, as in the reference.
//!
//! With an output folder, a checkpoint is written after every epoch; a rerun resumes from it
//! (weights, optimisers, normaliser, log). The running episodes are not saved: a resumed run
//! starts fresh episodes, so it matches an uninterrupted run in distribution, not bit for bit.

pub mod actor;
pub mod config;
pub mod rollout;
pub mod update;

pub use actor::PpoActor;
pub use config::PpoConfig;

use crate::actor::GaussianActor;
use crate::envs::{TrainingEnvs, test_returns};
use crate::es::RunSummary;
use crate::mlp::{Activation, Mlp};
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::optim::Adam;
use crate::train::{LogRow, Progress, TrainError, read_json, rows_to_csv, write_json, write_text};
use actor::ActorCache;
use nc_swimmer::SwimConfig;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Checkpoint {
    config: PpoConfig,
    steps: u64,
    episodes: u64,
    epoch: usize,
    seconds: f64,
    actor: PpoActor,
    critic: Mlp,
    actor_opt: Adam,
    critic_opt: Adam,
    norm: MeanStd,
    rows: Vec<LogRow>,
}

/// The result of a PPO run.
#[derive(Clone, Debug)]
pub struct PpoOutcome {
    /// The trained actor.
    pub actor: PpoActor,
    /// The observation normaliser.
    pub normalizer: MeanStd,
    /// One log row per epoch (row 0: before training).
    pub rows: Vec<LogRow>,
}

/// The swimmer as PPO sees it (time feature on, as in Tonic).
pub fn swim_config(cfg: &PpoConfig) -> SwimConfig {
    SwimConfig {
        n_bodies: cfg.n_bodies,
        episode_len: cfg.episode_len,
        time_feature: true,
        ..SwimConfig::default()
    }
}

/// Tonic's PPO MLP actor for this swimmer, seeded.
pub fn mlp_actor(cfg: &PpoConfig) -> Result<PpoActor, TrainError> {
    let swim = swim_config(cfg);
    let obs = cfg.n_bodies - 1 + 3 * cfg.n_bodies + usize::from(swim.time_feature);
    let mut rng = nc_core::rng::stream(cfg.seed, "mlp-init", 0);
    let a = GaussianActor::new(obs, cfg.n_bodies - 1, &cfg.hidden, &mut rng)
        .map_err(|e| TrainError::Config(e.to_string()))?;
    Ok(PpoActor::Mlp(a))
}

/// NCAP with PPO's fixed action noise.
pub fn ncap_actor(cfg: &PpoConfig, ncap: Ncap) -> PpoActor {
    PpoActor::Ncap {
        ncap,
        std: cfg.ncap_std,
    }
}

/// Test returns: sampled actions (Tonic) or the mean, in parallel over episodes.
fn test(
    cfg: &PpoConfig,
    actor: &PpoActor,
    norm: &MeanStd,
    epoch: usize,
) -> Result<Vec<f64>, TrainError> {
    test_returns(swim_config(cfg), cfg.test_episodes, cfg.seed, |k| {
        let mut rng = nc_core::rng::stream(cfg.seed, "ppo-test", (epoch * 1000 + k) as u64);
        let mut cache = ActorCache::default();
        let (mut x, mut loc) = (Vec::new(), Vec::new());
        let scale = actor.scale();
        move |obs: &[f64], t: usize, a: &mut [f64]| {
            x.resize(obs.len(), 0.0);
            norm.normalize(obs, &mut x);
            actor.loc(&x, obs, &[t], 1, &mut cache, &mut loc);
            for (i, v) in a.iter_mut().enumerate() {
                let z: f64 = if cfg.test_sample {
                    StandardNormal.sample(&mut rng)
                } else {
                    0.0
                };
                *v = loc[i] + scale[i] * z;
            }
        }
    })
}

/// Trains `actor` by PPO; with `dir`, writes log, checkpoints, policy and summary there.
pub fn train(
    cfg: &PpoConfig,
    actor: PpoActor,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<PpoOutcome, TrainError> {
    cfg.validate().map_err(TrainError::Config)?;
    let swim = swim_config(cfg);
    swim.validate()?;
    let mut envs = TrainingEnvs::new(swim, cfg.n_envs, cfg.seed)?;
    let d = envs.obs_dim();
    let mut actor = actor;
    let mut rng = nc_core::rng::stream(cfg.seed, "critic-init", 0);
    let mut critic = crate::actor::critic(d, &cfg.hidden, Activation::Tanh, &mut rng)
        .map_err(|e| TrainError::Config(e.to_string()))?;
    let mut actor_opt = Adam::new(actor.n_params(), cfg.actor_lr);
    let mut critic_opt = Adam::new(critic.n_params(), cfg.critic_lr);
    let mut norm = MeanStd::new(d);
    let (mut steps, mut episodes, mut epoch, mut seconds_before) = (0u64, 0u64, 0usize, 0.0);
    let mut rows: Vec<LogRow> = Vec::new();
    if let Some(dir) = dir
        && let Some(ck) = read_json::<Checkpoint>(dir, "checkpoint.json")?
        && ck.config == *cfg
        && ck.actor.n_params() == actor.n_params()
    {
        (steps, episodes, epoch, seconds_before) = (ck.steps, ck.episodes, ck.epoch, ck.seconds);
        (actor, critic, actor_opt, critic_opt, norm, rows) = (
            ck.actor,
            ck.critic,
            ck.actor_opt,
            ck.critic_opt,
            ck.norm,
            ck.rows,
        );
    }
    let start = Instant::now();
    let elapsed = |s: &Instant| seconds_before + s.elapsed().as_secs_f64();
    if rows.is_empty() {
        let t = test(cfg, &actor, &norm, 0)?;
        rows.push(LogRow::new(0, 0, 0, elapsed(&start), &t, 0.0));
    }
    let per_env = cfg.segment / cfg.n_envs;
    let mut next_test = (epoch as u64 + 1) * cfg.epoch_steps;
    let mut train_returns: Vec<f64> = Vec::new();
    let mut segment_index = steps / cfg.segment as u64;
    while steps + cfg.segment as u64 <= cfg.max_steps {
        let mut srng = nc_core::rng::stream(cfg.seed, "ppo-sample", segment_index);
        let seg = rollout::collect(&mut envs, &actor, &mut norm, &mut srng, per_env)?;
        segment_index += 1;
        steps += cfg.segment as u64;
        let fin = envs.take_finished();
        episodes += fin.len() as u64;
        train_returns.extend(fin);
        let info = update::update(
            cfg,
            &mut actor,
            &mut critic,
            &mut actor_opt,
            &mut critic_opt,
            &mut norm,
            &seg,
            cfg.n_envs,
        );
        if !info.critic_loss.is_finite() || actor.params().iter().any(|p| !p.is_finite()) {
            return Err(TrainError::NonFinite {
                what: "PPO weights",
                epoch,
            });
        }
        let last_segment = steps + cfg.segment as u64 > cfg.max_steps;
        if steps >= next_test || last_segment {
            epoch += 1;
            next_test = (epoch as u64 + 1) * cfg.epoch_steps;
            let t = test(cfg, &actor, &norm, epoch)?;
            let tm = if train_returns.is_empty() {
                0.0
            } else {
                train_returns.iter().sum::<f64>() / train_returns.len() as f64
            };
            train_returns.clear();
            rows.push(LogRow::new(epoch, steps, episodes, elapsed(&start), &t, tm));
            if let Some(dir) = dir {
                let ck = Checkpoint {
                    config: cfg.clone(),
                    steps,
                    episodes,
                    epoch,
                    seconds: elapsed(&start),
                    actor: actor.clone(),
                    critic: critic.clone(),
                    actor_opt: actor_opt.clone(),
                    critic_opt: critic_opt.clone(),
                    norm: norm.clone(),
                    rows: rows.clone(),
                };
                write_json(dir, "checkpoint.json", &ck)?;
                write_text(dir, "log.csv", &rows_to_csv(&rows))?;
            }
        }
        progress(&Progress {
            steps,
            max_steps: cfg.max_steps,
            test_mean: rows.last().map_or(0.0, |r| r.test_mean),
        });
    }
    if let Some(dir) = dir {
        write_text(dir, "log.csv", &rows_to_csv(&rows))?;
        actor.saved(&norm).save(&dir.join("policy.json"))?;
        write_json(dir, "config.json", cfg)?;
        write_json(
            dir,
            "summary.json",
            &RunSummary {
                algorithm: "ppo".into(),
                steps,
                initial_return: rows[0].test_mean,
                final_return: rows.last().map_or(0.0, |r| r.test_mean),
                n_params: actor.n_params(),
                seconds: elapsed(&start),
            },
        )?;
    }
    Ok(PpoOutcome {
        actor,
        normalizer: norm,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> PpoConfig {
        PpoConfig {
            max_steps: 2 * 512,
            segment: 512,
            n_envs: 2,
            iterations: 5,
            epoch_steps: 512,
            test_episodes: 2,
            episode_len: 200,
            ..PpoConfig::default()
        }
    }

    #[test]
    fn ppo_runs_deterministically_for_mlp_and_ncap() {
        let cfg = tiny();
        let a = train(&cfg, mlp_actor(&cfg).unwrap(), None, &mut |_| {}).unwrap();
        let b = train(&cfg, mlp_actor(&cfg).unwrap(), None, &mut |_| {}).unwrap();
        assert_eq!(a.actor, b.actor);
        assert_eq!(a.rows.len(), 3);
        assert_ne!(a.actor, mlp_actor(&cfg).unwrap());
        let n = train(
            &cfg,
            ncap_actor(&cfg, Ncap::default_for(5).unwrap()),
            None,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(n.actor.n_params(), 4);
        assert!(n.rows.iter().all(|r| r.test_mean.is_finite()));
    }
}
