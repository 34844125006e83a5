//! Policies as the swimmer sees them, saved policies, and evaluation over reset seeds.

use crate::actor::{DeterministicActor, GaussianActor};
use crate::mlp::MlpCache;
use crate::ncap::{Ncap, NcapError};
use crate::normalizer::MeanStd;
use nc_swimmer::{ConfigError, SimError, SwimConfig, SwimEnv, run_episode};
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;
use thiserror::Error;

/// Why an evaluation or a policy file failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The swimmer configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The NCAP controller does not fit.
    #[error(transparent)]
    Ncap(#[from] NcapError),
    /// An MLP policy was trained for another body or observation layout.
    #[error("policy expects {expected} observations but the {n_bodies}-body swimmer gives {got}")]
    ObsDim {
        /// Inputs of the policy.
        expected: usize,
        /// Observations of the swimmer.
        got: usize,
        /// Bodies of the swimmer.
        n_bodies: usize,
    },
    /// An MLP policy drives another number of joints.
    #[error("policy drives {expected} joints but the {n_bodies}-body swimmer has {got}")]
    ActDim {
        /// Outputs of the policy.
        expected: usize,
        /// Joints of the swimmer.
        got: usize,
        /// Bodies of the swimmer.
        n_bodies: usize,
    },
    /// Reading or parsing a policy file failed.
    #[error("policy file {path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Zero episodes were requested.
    #[error("need at least one episode")]
    NoEpisodes,
    /// The reset seeds `seed, seed+1, …` would pass `u64::MAX`.
    #[error("reset seeds {seed} + {episodes} episodes pass the largest seed {max}", max = u64::MAX)]
    SeedOverflow {
        /// The first seed.
        seed: u64,
        /// Episodes asked for.
        episodes: usize,
    },
}

/// A trained policy as saved to disk (`policy.safetensors`; see [`crate::policy_file`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SavedPolicy {
    /// An NCAP controller (raw angles and the episode step; no normaliser).
    Ncap {
        /// The controller.
        ncap: Ncap,
    },
    /// A Gaussian MLP actor, evaluated at its mean.
    Gaussian {
        /// The actor.
        actor: GaussianActor,
        /// The observation normaliser, if trained with one.
        normalizer: Option<MeanStd>,
        /// Whether the observation ends with the time feature.
        time_feature: bool,
    },
    /// A deterministic MLP actor.
    Deterministic {
        /// The actor.
        actor: DeterministicActor,
        /// The observation normaliser, if trained with one.
        normalizer: Option<MeanStd>,
        /// Whether the observation ends with the time feature.
        time_feature: bool,
    },
}

impl SavedPolicy {
    /// Writes the policy atomically: safetensors with JSON metadata ([`crate::policy_file`]),
    /// or the old all-JSON form when `path` ends in `.json`.
    pub fn save(&self, path: &Path) -> Result<(), PolicyError> {
        let err = |message: String| PolicyError::File {
            path: path.display().to_string(),
            message,
        };
        if path.extension().is_some_and(|e| e == "json") {
            return nc_core::output::write_json_atomic(path, self).map_err(|e| err(e.to_string()));
        }
        let bytes = crate::policy_file::to_bytes(self).map_err(err)?;
        nc_core::output::write_atomic(path, &bytes).map_err(|e| err(e.to_string()))
    }
    /// Reads a policy written by [`SavedPolicy::save`] (safetensors or JSON, told apart by
    /// content).
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let err = |m: String| PolicyError::File {
            path: path.display().to_string(),
            message: m,
        };
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        crate::policy_file::from_bytes(&bytes).map_err(err)
    }
    /// Parses and checks an old JSON policy file's text; every rejection says why.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::from_value(serde_json::from_str(text).map_err(|e| e.to_string())?)
    }
    /// Builds and checks a policy from its JSON value.
    pub(crate) fn from_value(v: serde_json::Value) -> Result<Self, String> {
        let p: SavedPolicy = serde_json::from_value(v).map_err(|e| e.to_string())?;
        let (n_in, norm) = match &p {
            SavedPolicy::Ncap { .. } => return Ok(p),
            SavedPolicy::Gaussian {
                actor, normalizer, ..
            } => (actor.mlp.n_in(), normalizer),
            SavedPolicy::Deterministic {
                actor, normalizer, ..
            } => (actor.mlp.n_in(), normalizer),
        };
        if let Some(n) = norm
            && !n.fits(n_in)
        {
            return Err(format!(
                "the normaliser has {} features (or non-finite statistics); the actor reads {n_in}",
                n.dim()
            ));
        }
        Ok(p)
    }
    /// The kind of policy, as the file names it (`ncap`, `gaussian`, `deterministic`).
    pub fn kind(&self) -> &'static str {
        match self {
            SavedPolicy::Ncap { .. } => "ncap",
            SavedPolicy::Gaussian { .. } => "gaussian",
            SavedPolicy::Deterministic { .. } => "deterministic",
        }
    }
    /// Parameter count of the actor.
    pub fn n_params(&self) -> usize {
        match self {
            SavedPolicy::Ncap { ncap } => ncap.n_params(),
            SavedPolicy::Gaussian { actor, .. } => actor.n_params(),
            SavedPolicy::Deterministic { actor, .. } => actor.mlp.n_params(),
        }
    }
}

/// What `ncap eval` runs.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalPolicy {
    /// NCAP (any body length when weights are shared).
    Ncap(Ncap),
    /// Uniform random actions in [−1, 1].
    Random,
    /// All-zero actions.
    Zero,
    /// A saved policy.
    Saved(SavedPolicy),
}

/// Returns of an evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    /// Mean return.
    pub mean: f64,
    /// Population standard deviation of the returns (numpy's default).
    pub sd: f64,
    /// One return per episode, in reset-seed order.
    pub returns: Vec<f64>,
}

impl EvalResult {
    /// Mean and standard deviation of `returns`.
    pub fn from_returns(returns: Vec<f64>) -> Self {
        let n = returns.len().max(1) as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let sd = (returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / n).sqrt();
        Self { mean, sd, returns }
    }
}

/// One return of `policy` from `reset(seed)`; `index` seeds the random policy's stream.
pub fn episode_return(
    policy: &EvalPolicy,
    swim: SwimConfig,
    seed: u64,
) -> Result<f64, PolicyError> {
    let n_joints = swim.n_bodies.saturating_sub(1);
    let mut swim = swim;
    match policy {
        EvalPolicy::Ncap(ncap) => {
            let ncap = ncap.with_joints(n_joints)?;
            let mut env = SwimEnv::new(swim)?;
            Ok(run_episode(&mut env, seed, |obs, t, a| {
                ncap.act(&obs[..n_joints], t, a)
            })?)
        }
        EvalPolicy::Zero => {
            let mut env = SwimEnv::new(swim)?;
            Ok(run_episode(&mut env, seed, |_, _, a| a.fill(0.0))?)
        }
        EvalPolicy::Random => {
            let mut env = SwimEnv::new(swim)?;
            let mut rng = nc_core::rng::stream(seed, "eval-random-actions", 0);
            Ok(run_episode(&mut env, seed, |_, _, a| {
                for v in a.iter_mut() {
                    *v = rng.random_range(-1.0..1.0);
                }
            })?)
        }
        EvalPolicy::Saved(SavedPolicy::Ncap { ncap }) => {
            episode_return(&EvalPolicy::Ncap(ncap.clone()), swim, seed)
        }
        EvalPolicy::Saved(SavedPolicy::Gaussian {
            actor,
            normalizer,
            time_feature,
        }) => {
            swim.time_feature = *time_feature;
            mlp_episode(&actor.mlp, normalizer.as_ref(), swim, seed)
        }
        EvalPolicy::Saved(SavedPolicy::Deterministic {
            actor,
            normalizer,
            time_feature,
        }) => {
            swim.time_feature = *time_feature;
            mlp_episode(&actor.mlp, normalizer.as_ref(), swim, seed)
        }
    }
}

fn mlp_episode(
    mlp: &crate::mlp::Mlp,
    norm: Option<&MeanStd>,
    swim: SwimConfig,
    seed: u64,
) -> Result<f64, PolicyError> {
    let mut env = SwimEnv::new(swim)?;
    if env.obs_dim() != mlp.n_in() {
        return Err(PolicyError::ObsDim {
            expected: mlp.n_in(),
            got: env.obs_dim(),
            n_bodies: swim.n_bodies,
        });
    }
    if env.n_joints() != mlp.n_out() {
        return Err(PolicyError::ActDim {
            expected: mlp.n_out(),
            got: env.n_joints(),
            n_bodies: swim.n_bodies,
        });
    }
    let mut cache = MlpCache::default();
    let mut x = vec![0.0; mlp.n_in()];
    Ok(run_episode(&mut env, seed, |obs, _, a| {
        match norm {
            Some(n) => n.normalize(obs, &mut x),
            None => x.copy_from_slice(obs),
        }
        mlp.forward(&x, 1, &mut cache)
            .expect("input width checked above");
        a.copy_from_slice(cache.output());
    })?)
}

/// The last reset seed of `episodes` episodes from `seed`, or the overflow error.
pub fn last_seed(seed: u64, episodes: usize) -> Result<u64, PolicyError> {
    let overflow = PolicyError::SeedOverflow { seed, episodes };
    match episodes {
        0 => Err(PolicyError::NoEpisodes),
        n => seed.checked_add(n as u64 - 1).ok_or(overflow),
    }
}

/// Runs `episodes` episodes from reset seeds `seed, seed+1, …` in parallel (rayon); the result
/// does not depend on the thread count.
pub fn evaluate(
    policy: &EvalPolicy,
    swim: SwimConfig,
    episodes: usize,
    seed: u64,
) -> Result<EvalResult, PolicyError> {
    last_seed(seed, episodes)?;
    swim.validate()?;
    let returns = (0..episodes as u64)
        .into_par_iter()
        .map(|k| episode_return(policy, swim, seed + k))
        .collect::<Result<Vec<f64>, _>>()?;
    Ok(EvalResult::from_returns(returns))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_policy_earns_nothing_and_results_are_seeded() {
        let swim = SwimConfig {
            episode_len: 50,
            ..SwimConfig::default()
        };
        let r = evaluate(&EvalPolicy::Zero, swim, 3, 0).unwrap();
        assert_eq!(r.returns, vec![0.0; 3]);
        let a = evaluate(&EvalPolicy::Random, swim, 2, 5).unwrap();
        let b = evaluate(&EvalPolicy::Random, swim, 2, 5).unwrap();
        assert_eq!(a, b);
        assert!(evaluate(&EvalPolicy::Zero, swim, 0, 0).is_err());
        // the largest seed runs one episode; two would pass u64::MAX
        assert_eq!(
            evaluate(&EvalPolicy::Zero, swim, 1, u64::MAX)
                .unwrap()
                .returns,
            vec![0.0]
        );
        let e = evaluate(&EvalPolicy::Zero, swim, 2, u64::MAX).unwrap_err();
        assert!(matches!(e, PolicyError::SeedOverflow { .. }), "{e}");
        assert_eq!(last_seed(u64::MAX - 1, 2).unwrap(), u64::MAX);
    }

    #[test]
    fn saved_policies_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = SavedPolicy::Ncap {
            ncap: Ncap::default_for(5).unwrap(),
        };
        for name in ["p.json", "policy.safetensors"] {
            let path = dir.path().join(name);
            p.save(&path).unwrap();
            assert_eq!(SavedPolicy::load(&path).unwrap(), p);
        }
        let first = std::fs::read(dir.path().join("p.json")).unwrap();
        assert_eq!(first[0], b'{', "a .json path keeps the old JSON form");
        assert!(SavedPolicy::load(&dir.path().join("missing.json")).is_err());
    }
}
