//! The deterministic actors DDPG trains: Tonic's (256,256) ReLU MLP with a tanh head, or NCAP.

pub use crate::actor::ActorCache;
use crate::actor::DeterministicActor;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::policy::SavedPolicy;
use serde::{Deserialize, Serialize};

/// A deterministic policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DdpgActor {
    /// `tanh(MLP(normalised obs))`.
    Mlp(DeterministicActor),
    /// `NCAP(raw joints, episode step)`.
    Ncap(Ncap),
}

impl DdpgActor {
    /// Whether `other` has the same architecture (variant, layer sizes, joints), so that
    /// state saved for one can continue the other.
    pub fn same_shape(&self, other: &DdpgActor) -> bool {
        match (self, other) {
            (DdpgActor::Mlp(a), DdpgActor::Mlp(b)) => {
                a.mlp.sizes() == b.mlp.sizes() && a.mlp.activations() == b.mlp.activations()
            }
            (DdpgActor::Ncap(a), DdpgActor::Ncap(b)) => {
                a.config() == b.config() && a.n_joints() == b.n_joints()
            }
            _ => false,
        }
    }
    /// Flat parameters.
    pub fn params(&self) -> &[f64] {
        match self {
            DdpgActor::Mlp(a) => a.mlp.params(),
            DdpgActor::Ncap(n) => n.params(),
        }
    }
    /// Flat parameters, mutable.
    pub fn params_mut(&mut self) -> &mut [f64] {
        match self {
            DdpgActor::Mlp(a) => a.mlp.params_mut(),
            DdpgActor::Ncap(n) => n.params_mut(),
        }
    }
    /// Action dimension.
    pub fn act_dim(&self) -> usize {
        match self {
            DdpgActor::Mlp(a) => a.mlp.n_out(),
            DdpgActor::Ncap(n) => n.n_joints(),
        }
    }
    /// Actions for `n` rows (normalised obs for the MLP; raw obs and steps for NCAP).
    pub fn forward(
        &self,
        norm: &[f64],
        raw: &[f64],
        steps: &[usize],
        n: usize,
        cache: &mut ActorCache,
        out: &mut Vec<f64>,
    ) {
        out.clear();
        match self {
            DdpgActor::Mlp(a) => {
                a.mlp
                    .forward(norm, n, &mut cache.mlp)
                    .expect("observation width fixed at construction");
                out.extend_from_slice(cache.mlp.output());
            }
            DdpgActor::Ncap(ncap) => cache.ncap_forward(ncap, raw, steps, n, out),
        }
    }
    /// Accumulates `∂L/∂params` from `∂L/∂actions`.
    pub fn backward(&self, cache: &mut ActorCache, dact: &[f64], grad: &mut [f64]) {
        match self {
            DdpgActor::Mlp(a) => a
                .mlp
                .backward(&mut cache.mlp, dact, grad, None)
                .expect("shapes fixed by the forward pass"),
            DdpgActor::Ncap(ncap) => cache.ncap_backward(ncap, dact, grad),
        }
    }
    /// The saved form.
    pub fn saved(&self, norm: &MeanStd) -> SavedPolicy {
        match self {
            DdpgActor::Mlp(a) => SavedPolicy::Deterministic {
                actor: a.clone(),
                normalizer: Some(norm.clone()),
                time_feature: true,
            },
            DdpgActor::Ncap(n) => SavedPolicy::Ncap { ncap: n.clone() },
        }
    }
}
