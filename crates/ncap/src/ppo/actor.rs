//! The stochastic actors PPO trains: Tonic's Gaussian MLP, or NCAP with fixed noise.

pub use crate::actor::ActorCache;
use crate::actor::GaussianActor;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::policy::SavedPolicy;
use serde::{Deserialize, Serialize};

/// A Gaussian policy `N(loc(obs), scale)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PpoActor {
    /// `loc = tanh(MLP(normalised obs))`, learned state-independent scale.
    Mlp(GaussianActor),
    /// `loc = NCAP(raw joints, episode step)`, fixed scale.
    Ncap {
        /// The controller.
        ncap: Ncap,
        /// The fixed standard deviation.
        std: f64,
    },
}

impl PpoActor {
    /// Whether `other` has the same architecture (variant, layer sizes, joints), so that
    /// state saved for one can continue the other.
    pub fn same_shape(&self, other: &PpoActor) -> bool {
        match (self, other) {
            (PpoActor::Mlp(a), PpoActor::Mlp(b)) => {
                a.mlp.sizes() == b.mlp.sizes() && a.mlp.activations() == b.mlp.activations()
            }
            (PpoActor::Ncap { ncap: a, .. }, PpoActor::Ncap { ncap: b, .. }) => {
                a.config() == b.config() && a.n_joints() == b.n_joints()
            }
            _ => false,
        }
    }
    /// Number of learnable parameters.
    pub fn n_params(&self) -> usize {
        match self {
            PpoActor::Mlp(a) => a.n_params(),
            PpoActor::Ncap { ncap, .. } => ncap.n_params(),
        }
    }
    /// Flat parameters.
    pub fn params(&self) -> Vec<f64> {
        match self {
            PpoActor::Mlp(a) => a.params(),
            PpoActor::Ncap { ncap, .. } => ncap.params().to_vec(),
        }
    }
    /// Sets the flat parameters.
    pub fn set_params(&mut self, p: &[f64]) {
        match self {
            PpoActor::Mlp(a) => a.set_params(p),
            PpoActor::Ncap { ncap, .. } => ncap.params_mut().copy_from_slice(p),
        }
    }
    /// Action dimension.
    pub fn act_dim(&self) -> usize {
        match self {
            PpoActor::Mlp(a) => a.log_scale.len(),
            PpoActor::Ncap { ncap, .. } => ncap.n_joints(),
        }
    }
    /// Per-action scale.
    pub fn scale(&self) -> Vec<f64> {
        match self {
            PpoActor::Mlp(a) => a.scale(),
            PpoActor::Ncap { ncap, std } => vec![*std; ncap.n_joints()],
        }
    }
    /// Locations for `n` rows: `norm` holds normalised observations (MLP), `raw` the raw ones and
    /// `steps` the episode steps (NCAP). Writes `n × act_dim` values into `loc`.
    pub fn loc(
        &self,
        norm: &[f64],
        raw: &[f64],
        steps: &[usize],
        n: usize,
        cache: &mut ActorCache,
        loc: &mut Vec<f64>,
    ) {
        loc.clear();
        match self {
            PpoActor::Mlp(a) => {
                a.mlp
                    .forward(norm, n, &mut cache.mlp)
                    .expect("observation width fixed at construction");
                loc.extend_from_slice(cache.mlp.output());
            }
            PpoActor::Ncap { ncap, .. } => cache.ncap_forward(ncap, raw, steps, n, loc),
        }
    }
    /// Accumulates `∂L/∂params` from `∂L/∂loc` (`n × act_dim`) and `∂L/∂scale` (`act_dim`).
    pub fn backward(&self, cache: &mut ActorCache, dloc: &[f64], dscale: &[f64], grad: &mut [f64]) {
        match self {
            PpoActor::Mlp(a) => {
                let n = a.mlp.n_params();
                a.mlp
                    .backward(&mut cache.mlp, dloc, &mut grad[..n], None)
                    .expect("shapes fixed by the forward pass");
                for (k, d) in a.dscale().iter().enumerate() {
                    grad[n + k] += dscale[k] * d;
                }
            }
            PpoActor::Ncap { ncap, .. } => cache.ncap_backward(ncap, dloc, grad),
        }
    }
    /// The policy in its saved form (evaluated at its mean).
    pub fn saved(&self, normalizer: &MeanStd) -> SavedPolicy {
        match self {
            PpoActor::Mlp(a) => SavedPolicy::Gaussian {
                actor: a.clone(),
                normalizer: Some(normalizer.clone()),
                time_feature: true,
            },
            PpoActor::Ncap { ncap, .. } => SavedPolicy::Ncap { ncap: ncap.clone() },
        }
    }
}
