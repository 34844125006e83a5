//! ES on the target task: the same policies, run on [`NavigateEnv`] episodes.
//!
//! NCAP reads the joint angles and `to_target` (its [`crate::ncap::Steering`] turns them into
//! speed and turn commands); the MLP reads the whole observation, `to_target` included.

use super::EsPolicy;
use crate::actor::GaussianActor;
use crate::mlp::MlpCache;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::policy::{PolicyError, SavedPolicy};
use nc_swimmer::{NavigateEnv, SwimConfig, run_episode_visiting};

/// A policy trained and tested on the target task instead of "swim".
#[derive(Clone, Debug)]
pub struct Navigating<P>(pub P);

/// The target task's environment for `swim` (no time feature: neither policy reads it).
pub fn navigate_env(swim: SwimConfig) -> Result<NavigateEnv, PolicyError> {
    Ok(NavigateEnv::new(SwimConfig {
        time_feature: false,
        ..swim
    })?)
}

impl EsPolicy for Navigating<Ncap> {
    fn params(&self) -> Vec<f64> {
        self.0.params().to_vec()
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.params_mut().copy_from_slice(p);
    }
    fn episode(&self, swim: SwimConfig, seed: u64) -> Result<f64, PolicyError> {
        let mut env = navigate_env(swim)?;
        let ncap = self.0.with_joints(env.n_joints())?;
        Ok(ncap_episode(&ncap, &mut env, seed, |_| {})?)
    }
    fn saved(&self) -> SavedPolicy {
        self.0.saved()
    }
}

impl EsPolicy for Navigating<GaussianActor> {
    fn params(&self) -> Vec<f64> {
        self.0.params()
    }
    fn set_params(&mut self, p: &[f64]) {
        self.0.set_params(p);
    }
    fn episode(&self, swim: SwimConfig, seed: u64) -> Result<f64, PolicyError> {
        let mut env = navigate_env(swim)?;
        mlp_episode(&self.0, None, &mut env, seed, |_| {})
    }
    fn saved(&self) -> SavedPolicy {
        self.0.saved()
    }
}

/// One episode of a steered NCAP, calling `visit` after the reset and every step.
pub fn ncap_episode(
    ncap: &Ncap,
    env: &mut NavigateEnv,
    seed: u64,
    visit: impl FnMut(&NavigateEnv),
) -> Result<f64, nc_swimmer::SimError> {
    let nj = env.n_joints();
    run_episode_visiting(
        env,
        seed,
        |obs, t, a| ncap.act_steered(&obs[..nj], [obs[nj], obs[nj + 1]], t, a),
        visit,
    )
}

/// One episode of the MLP at its mean action, calling `visit` after the reset and every step.
/// The MLP reads the observation through `normalizer` when it was trained with one (PPO's),
/// raw otherwise (ES's); `env` must give the observation it was trained on (with PPO's time
/// feature, say).
pub fn mlp_episode(
    actor: &GaussianActor,
    normalizer: Option<&MeanStd>,
    env: &mut NavigateEnv,
    seed: u64,
    visit: impl FnMut(&NavigateEnv),
) -> Result<f64, PolicyError> {
    let n_bodies = env.n_joints() + 1;
    if env.obs_dim() != actor.mlp.n_in() {
        return Err(PolicyError::ObsDim {
            expected: actor.mlp.n_in(),
            got: env.obs_dim(),
            n_bodies,
        });
    }
    if env.n_joints() != actor.mlp.n_out() {
        return Err(PolicyError::ActDim {
            expected: actor.mlp.n_out(),
            got: env.n_joints(),
            n_bodies,
        });
    }
    let mut cache = MlpCache::default();
    let mut x = vec![0.0; actor.mlp.n_in()];
    Ok(run_episode_visiting(
        env,
        seed,
        |obs, _, a| {
            match normalizer {
                Some(n) => n.normalize(obs, &mut x),
                None => x.copy_from_slice(obs),
            }
            actor
                .mlp
                .forward(&x, 1, &mut cache)
                .expect("input width checked above");
            a.copy_from_slice(cache.output());
        },
        visit,
    )?)
}
