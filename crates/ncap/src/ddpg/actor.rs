//! The deterministic actors DDPG trains: Tonic's (256,256) ReLU MLP with a tanh head, or NCAP.

pub use crate::actor::ActorCache;
use crate::actor::DeterministicActor;
use crate::mlp::GradMode;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::policy::SavedPolicy;
use crate::precision::Real;
use nc_core::gemm::MatRef;
use serde::{Deserialize, Serialize};

/// A deterministic policy, its network in `T` (`f64` unless stated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub enum DdpgActor<T: Real = f64> {
    /// `tanh(MLP(normalised obs))`.
    Mlp(DeterministicActor<T>),
    /// `NCAP(raw joints, episode step)`; NCAP's weights stay `f64`.
    Ncap(Ncap),
}

impl<T: Real> DdpgActor<T> {
    /// The same actor in precision `U`.
    pub fn cast<U: Real>(&self) -> DdpgActor<U> {
        match self {
            DdpgActor::Mlp(a) => DdpgActor::Mlp(a.cast()),
            DdpgActor::Ncap(n) => DdpgActor::Ncap(n.clone()),
        }
    }
    /// Whether `other` has the same architecture (variant, layer sizes, joints), so that
    /// state saved for one can continue the other.
    pub fn same_shape<U: Real>(&self, other: &DdpgActor<U>) -> bool {
        match (self, other) {
            (DdpgActor::Mlp(a), DdpgActor::Mlp(b)) => a.mlp.same_shape(&b.mlp),
            (DdpgActor::Ncap(a), DdpgActor::Ncap(b)) => {
                a.config() == b.config() && a.n_joints() == b.n_joints()
            }
            _ => false,
        }
    }
    /// Number of learnable parameters.
    pub fn n_params(&self) -> usize {
        match self {
            DdpgActor::Mlp(a) => a.mlp.n_params(),
            DdpgActor::Ncap(n) => n.n_params(),
        }
    }
    /// Whether every parameter is finite.
    pub fn is_finite(&self) -> bool {
        match self {
            DdpgActor::Mlp(a) => a.mlp.params().iter().all(|p| p.is_finite()),
            DdpgActor::Ncap(n) => n.params().iter().all(|p| p.is_finite()),
        }
    }
    /// One optimiser step on the parameters: `step` gets them in `T` (NCAP's go through
    /// `scratch` and back).
    pub fn update(&mut self, scratch: &mut Vec<T>, step: impl FnOnce(&mut [T])) {
        match self {
            DdpgActor::Mlp(a) => step(a.mlp.params_mut()),
            DdpgActor::Ncap(n) => {
                scratch.clear();
                scratch.extend(n.params().iter().map(|&p| T::of(p)));
                step(scratch);
                for (p, &v) in n.params_mut().iter_mut().zip(scratch.iter()) {
                    *p = v.f64();
                }
            }
        }
    }
    /// Polyak averaging towards `online`: `self ← (1 − τ)·self + τ·online`.
    pub fn follow(&mut self, online: &DdpgActor<T>, tau: f64) {
        match (self, online) {
            (DdpgActor::Mlp(t), DdpgActor::Mlp(o)) => {
                crate::optim::polyak(t.mlp.params_mut(), o.mlp.params(), tau);
            }
            (DdpgActor::Ncap(t), DdpgActor::Ncap(o)) => {
                crate::optim::polyak(t.params_mut(), o.params(), tau);
            }
            _ => unreachable!("a target has its online network's architecture"),
        }
    }
    /// Action dimension.
    pub fn act_dim(&self) -> usize {
        match self {
            DdpgActor::Mlp(a) => a.mlp.n_out(),
            DdpgActor::Ncap(n) => n.n_joints(),
        }
    }
    /// Actions for the `steps.len()` rows (normalised obs `x` for the MLP; raw obs and steps
    /// for NCAP), written into `out` (`rows × act_dim`).
    pub fn forward(
        &self,
        x: MatRef<'_, T>,
        raw: &[f64],
        steps: &[usize],
        cache: &mut ActorCache<T>,
        out: &mut [f64],
    ) {
        match self {
            DdpgActor::Mlp(a) => cache.mlp_forward(&a.mlp, x, out),
            DdpgActor::Ncap(ncap) => cache.ncap_forward(ncap, raw, steps, steps.len(), out),
        }
    }
    /// `∂L/∂params` from `∂L/∂actions` of the last [`DdpgActor::forward`] on `x`.
    pub fn backward(
        &self,
        x: MatRef<'_, T>,
        cache: &mut ActorCache<T>,
        dact: &[f64],
        grad: &mut [T],
        mode: GradMode,
    ) {
        match self {
            DdpgActor::Mlp(a) => cache.mlp_backward(&a.mlp, x, dact, grad, mode),
            DdpgActor::Ncap(ncap) => cache.ncap_backward(ncap, dact, grad, mode),
        }
    }
    /// The saved form (in `f64`).
    pub fn saved(&self, norm: &MeanStd) -> SavedPolicy {
        match self.cast::<f64>() {
            DdpgActor::Mlp(actor) => SavedPolicy::Deterministic {
                actor,
                normalizer: Some(norm.clone()),
                time_feature: true,
            },
            DdpgActor::Ncap(ncap) => SavedPolicy::Ncap { ncap },
        }
    }
}
