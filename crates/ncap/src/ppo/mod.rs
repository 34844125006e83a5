//! PPO with Tonic's defaults: 4096-step segments, GAE(0.97), normalised advantages, up to 80
//! full-batch actor iterations with KL early stop, critic regression every iteration, running
//! observation normaliser, time feature in the observation. NCAP uses `N(NCAP(x), 0.1)` and
//! ignores the normaliser, as in the reference.
//!
//! With an output folder, a checkpoint is written after every epoch (a segment boundary); it
//! holds the networks, both optimisers' moments, the normaliser and the running episodes'
//! states, and the sampling streams are indexed by segment, so a resumed run is bit-identical
//! to an uninterrupted one.

pub mod actor;
pub mod config;
pub mod rollout;
pub mod update;

pub use actor::PpoActor;
pub use config::PpoConfig;

use crate::actor::GaussianActor;
use crate::envs::{EnvsState, test_returns};
use crate::experiments::unit::Task;
use crate::mlp::{Activation, Mlp};
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::optim::Adam;
use crate::precision::{Precision, Real};
use crate::train::{Ledger, LogRow, Progress, RunSummary, TrainError};
use actor::ActorCache;
use nc_core::gemm::MatRef;
use nc_swimmer::SwimConfig;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::path::Path;

// the algorithm's part of a checkpoint (the ledger holds the counters and the log)
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
struct State<T: Real> {
    actor: PpoActor<T>,
    critic: Mlp<T>,
    actor_opt: Adam<T>,
    critic_opt: Adam<T>,
    norm: MeanStd,
    envs: EnvsState,
}

impl<T: Real> State<T> {
    // why this saved state cannot continue a run that starts from `fresh`, if it cannot
    fn misfit(&self, fresh: &State<T>) -> Option<String> {
        if !self.actor.same_shape(&fresh.actor) {
            return Some("the actor has another architecture".into());
        }
        if !self.critic.same_shape(&fresh.critic) {
            return Some(format!(
                "the critic has sizes {:?}, expected {:?}",
                self.critic.sizes(),
                fresh.critic.sizes()
            ));
        }
        if !self.actor_opt.fits(fresh.actor.n_params())
            || !self.critic_opt.fits(fresh.critic.n_params())
        {
            return Some("an optimiser state does not fit its network".into());
        }
        if !self.norm.fits(fresh.norm.dim()) {
            return Some("the observation normaliser does not fit the observations".into());
        }
        if let PpoActor::Ncap { std, .. } = self.actor
            && !(std.is_finite() && std > 0.0)
        {
            return Some(format!("the NCAP action noise {std} is not positive"));
        }
        None
    }
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
    /// What was written to `summary.json` (also without a folder).
    pub summary: RunSummary,
}

/// The swimmer as PPO sees it (time feature on, as in Tonic), on either task.
pub fn swim_config(cfg: &PpoConfig) -> SwimConfig {
    SwimConfig {
        n_bodies: cfg.n_bodies,
        episode_len: cfg.episode_len,
        time_feature: true,
        ..SwimConfig::default()
    }
}

/// Observations PPO's MLP reads: the task's whole observation, time feature included.
pub fn obs_dim(cfg: &PpoConfig) -> usize {
    swim_config(cfg).obs_dim()
        + match cfg.task {
            Task::Swim => 0,
            Task::Navigate => 2,
        }
}

/// Tonic's PPO MLP actor for this swimmer and task, seeded (drawn in `f64`; an `f32` run
/// rounds it).
pub fn mlp_actor(cfg: &PpoConfig) -> Result<PpoActor, TrainError> {
    swim_config(cfg).validate()?;
    let mut rng = nc_core::rng::stream(cfg.seed, "mlp-init", 0);
    let a = GaussianActor::new(obs_dim(cfg), cfg.n_bodies - 1, &cfg.mlp_hidden, &mut rng)?;
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
fn test<T: Real>(
    cfg: &PpoConfig,
    actor: &PpoActor<T>,
    norm: &MeanStd,
    epoch: usize,
) -> Result<Vec<f64>, TrainError> {
    test_returns(
        cfg.task,
        swim_config(cfg),
        cfg.test_episodes,
        cfg.seed,
        |k| {
            let mut rng = nc_core::rng::stream(cfg.seed, "ppo-test", (epoch * 1000 + k) as u64);
            let mut cache = ActorCache::default();
            let (mut x, mut loc) = (Vec::new(), vec![0.0; actor.act_dim()]);
            let scale = actor.scale();
            move |obs: &[f64], t: usize, a: &mut [f64]| {
                x.resize(obs.len(), T::zero());
                norm.normalize(obs, &mut x);
                let xr = MatRef::row_major(&x, 1, obs.len());
                actor.loc(xr, obs, &[t], &mut cache, &mut loc);
                for (i, v) in a.iter_mut().enumerate() {
                    let z: f64 = if cfg.test_sample {
                        StandardNormal.sample(&mut rng)
                    } else {
                        0.0
                    };
                    *v = loc[i] + scale[i] * z;
                }
            }
        },
    )
}

/// Trains `actor` by PPO in `cfg.precision`; with `dir`, writes log, checkpoints, policy and
/// summary there and resumes a checkpoint of the same config exactly.
pub fn train(
    cfg: &PpoConfig,
    actor: PpoActor,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<PpoOutcome, TrainError> {
    match cfg.precision {
        Precision::F32 => train_in::<f32>(cfg, actor.cast(), dir, progress),
        Precision::F64 => train_in::<f64>(cfg, actor, dir, progress),
    }
}

fn train_in<T: Real>(
    cfg: &PpoConfig,
    actor: PpoActor<T>,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&Progress),
) -> Result<PpoOutcome, TrainError> {
    let segment = cfg.segment as u64;
    if actor.is_steered() && cfg.task == Task::Swim {
        return Err(TrainError::Settings {
            algo: "ppo",
            message: "a steered NCAP reads to_target, which only the target task observes".into(),
        });
    }
    let mut envs = crate::train::start(
        "ppo",
        cfg.validate(),
        (cfg.task, swim_config(cfg)),
        (cfg.max_steps, cfg.min_budget()),
        cfg.n_envs,
        cfg.seed,
    )?;
    let d = envs.obs_dim();
    if let PpoActor::Mlp(a) = &actor
        && (a.mlp.n_in(), a.mlp.n_out()) != (d, envs.act_dim())
    {
        return Err(TrainError::Settings {
            algo: "ppo",
            message: format!(
                "the MLP reads {} observations and drives {} joints; the swimmer gives {d} and has {}",
                a.mlp.n_in(),
                a.mlp.n_out(),
                envs.act_dim()
            ),
        });
    }
    let mut rng = nc_core::rng::stream(cfg.seed, "critic-init", 0);
    let critic = crate::actor::critic(d, &cfg.critic_hidden, Activation::Tanh, &mut rng)?;
    let mut st = State {
        actor_opt: Adam::new(actor.n_params(), cfg.actor_lr),
        critic_opt: Adam::new(critic.n_params(), cfg.critic_lr),
        actor,
        critic,
        norm: MeanStd::new(d),
        envs: envs.snapshot(),
    };
    let (mut ledger, resumed) = Ledger::open::<_, State<T>>(dir, cfg, cfg.max_steps)?;
    if let Some((saved, _)) = resumed {
        let why = saved.misfit(&st).or_else(|| {
            (!ledger.steps.is_multiple_of(segment))
                .then(|| "steps are not a whole number of segments".into())
        });
        if let Some(why) = why {
            return Err(ledger.checkpoint_error(why));
        }
        envs.restore(&saved.envs)
            .map_err(|why| ledger.checkpoint_error(why))?;
        st = saved;
    }
    ledger.first_test(|| test(cfg, &st.actor, &st.norm, 0))?;
    let per_env = cfg.segment / cfg.n_envs;
    let mut ws = update::Workspace::default();
    let mut next_test = (ledger.epoch as u64 + 1) * cfg.epoch_steps;
    while ledger.steps + segment <= cfg.max_steps {
        let mut srng = nc_core::rng::stream(cfg.seed, "ppo-sample", ledger.steps / segment);
        let seg = rollout::collect(&mut envs, &st.actor, &mut st.norm, &mut srng, per_env)?;
        ledger.add(segment, &envs.take_finished());
        let info = update::update(
            cfg,
            &mut st.actor,
            &mut st.critic,
            &mut st.actor_opt,
            &mut st.critic_opt,
            &mut st.norm,
            &seg,
            cfg.n_envs,
            &mut ws,
        );
        if !info.critic_loss.is_finite() || !st.actor.is_finite() {
            return Err(TrainError::NonFinite {
                what: "PPO weights",
                epoch: ledger.epoch,
            });
        }
        if ledger.steps >= next_test || ledger.steps + segment > cfg.max_steps {
            ledger.epoch += 1;
            next_test = (ledger.epoch as u64 + 1) * cfg.epoch_steps;
            ledger.log_test(&test(cfg, &st.actor, &st.norm, ledger.epoch)?);
            st.envs = envs.snapshot();
            ledger.checkpoint(cfg, &st, &Default::default())?;
        }
        progress(&ledger.progress());
    }
    let summary = ledger.finish("ppo", cfg, &st.actor.saved(&st.norm))?;
    Ok(PpoOutcome {
        actor: st.actor.cast(),
        normalizer: st.norm,
        rows: ledger.rows,
        summary,
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
        // the other precision trains the same actor to other bits
        let other = PpoConfig {
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
            ncap_actor(&cfg, Ncap::default_for(5).unwrap()),
            None,
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(n.actor.n_params(), 4);
        assert!(n.rows.iter().all(|r| r.test_mean.is_finite()));
    }

    // a tiny target-task run: 256 steps per environment and segment, 200-step episodes, so
    // every segment boundary falls mid-episode, after resets that drew new targets
    fn tiny_navigate() -> PpoConfig {
        PpoConfig {
            task: Task::Navigate,
            max_steps: 3 * 512,
            ..tiny()
        }
    }

    fn steerlearn(cfg: &PpoConfig) -> PpoActor {
        let ncap = crate::ncap::NcapConfig::from_code("111-steerlearn").unwrap();
        let mut rng = nc_core::rng::stream(cfg.seed, "ncap-init", 0);
        ncap_actor(cfg, Ncap::new(ncap, 5, &mut rng).unwrap())
    }

    #[test]
    fn ppo_trains_the_target_task_deterministically_with_every_steering_weight() {
        let cfg = tiny_navigate();
        let run = |actor: PpoActor| train(&cfg, actor, None, &mut |_| {}).unwrap();
        let start = steerlearn(&cfg);
        let (a, b) = (run(start.clone()), run(start.clone()));
        assert_eq!(a.actor, b.actor);
        let key = |o: &PpoOutcome| {
            o.rows
                .iter()
                .map(|r| (r.steps, r.test_mean, r.train_mean))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b));
        assert!(
            a.rows
                .iter()
                .all(|r| r.test_mean.is_finite() && r.test_mean >= 0.0)
        );
        // all 15 weights move, the learned controller's 9 included
        assert_eq!(a.actor.n_params(), 15);
        let (p0, p1) = (start.params(), a.actor.params());
        for k in 0..15 {
            assert_ne!(p0[k], p1[k], "weight {k} did not move");
        }
        // the MLP reads the whole target-task observation: 24 + `to_target`
        let m = run(mlp_actor(&cfg).unwrap());
        let PpoActor::Mlp(mlp) = &m.actor else {
            unreachable!()
        };
        assert_eq!(mlp.mlp.n_in(), 26);
        assert!(m.actor.is_finite() && m.rows.iter().all(|r| r.test_mean.is_finite()));
        // a steered NCAP on swim would read velocities as the target
        let swim = PpoConfig {
            task: Task::Swim,
            ..cfg.clone()
        };
        let e = train(&swim, steerlearn(&cfg), None, &mut |_| {}).unwrap_err();
        assert!(e.to_string().contains("only the target task"), "{e}");
    }

    #[test]
    fn a_target_task_run_resumes_bit_identically_from_a_checkpoint() {
        use crate::train::CHECKPOINT_FILE;
        let cfg = tiny_navigate();
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // keep the checkpoint written after the first segment, as a kill would leave it
        let full = train(&cfg, steerlearn(&cfg), Some(a.path()), &mut |p| {
            if p.steps == 512 {
                std::fs::copy(
                    a.path().join(CHECKPOINT_FILE),
                    b.path().join(CHECKPOINT_FILE),
                )
                .unwrap();
            }
        })
        .unwrap();
        let text = std::fs::read(b.path().join(CHECKPOINT_FILE)).unwrap();
        assert!(
            String::from_utf8_lossy(&text).contains("targets"),
            "the checkpoint keeps the targets"
        );
        let resumed = train(&cfg, steerlearn(&cfg), Some(b.path()), &mut |_| {}).unwrap();
        assert_eq!(resumed.actor, full.actor);
        for (x, y) in resumed.rows.iter().zip(&full.rows) {
            assert_eq!(
                (x.steps, x.episodes, x.test_mean, x.train_mean),
                (y.steps, y.episodes, y.test_mean, y.train_mean)
            );
        }
        let read = |d: &Path| std::fs::read(d.join(crate::policy_file::POLICY_FILE)).unwrap();
        assert_eq!(read(a.path()), read(b.path()));
    }

    #[test]
    fn swim_configurations_do_not_name_the_task() {
        // so a swim run's checkpoint and configuration are byte for byte as before
        let swim = serde_json::to_value(PpoConfig::default()).unwrap();
        assert!(swim.get("task").is_none());
        let nav = serde_json::to_value(tiny_navigate()).unwrap();
        assert_eq!(nav["task"], "navigate");
        let back: PpoConfig = serde_json::from_value(swim).unwrap();
        assert_eq!(back, PpoConfig::default());
    }
}
