//! The stochastic actors PPO trains: Tonic's Gaussian MLP, or NCAP with fixed noise.

pub use crate::actor::ActorCache;
use crate::actor::GaussianActor;
use crate::mlp::GradMode;
use crate::ncap::Ncap;
use crate::normalizer::MeanStd;
use crate::policy::SavedPolicy;
use crate::precision::Real;
use nc_core::gemm::MatRef;
use serde::{Deserialize, Serialize};

/// A Gaussian policy `N(loc(obs), scale)`, its network in `T` (`f64` unless stated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub enum PpoActor<T: Real = f64> {
    /// `loc = tanh(MLP(normalised obs))`, learned state-independent scale.
    Mlp(GaussianActor<T>),
    /// `loc = NCAP(raw joints, episode step)`, fixed scale; NCAP's weights stay `f64`.
    Ncap {
        /// The controller.
        ncap: Ncap,
        /// The fixed standard deviation.
        std: f64,
    },
}

impl<T: Real> PpoActor<T> {
    /// The same actor in precision `U`.
    pub fn cast<U: Real>(&self) -> PpoActor<U> {
        match self {
            PpoActor::Mlp(a) => PpoActor::Mlp(a.cast()),
            PpoActor::Ncap { ncap, std } => PpoActor::Ncap {
                ncap: ncap.clone(),
                std: *std,
            },
        }
    }
    /// Whether `other` has the same architecture (variant, layer sizes, joints), so that
    /// state saved for one can continue the other.
    pub fn same_shape<U: Real>(&self, other: &PpoActor<U>) -> bool {
        match (self, other) {
            (PpoActor::Mlp(a), PpoActor::Mlp(b)) => a.mlp.same_shape(&b.mlp),
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
    pub fn params(&self) -> Vec<T> {
        match self {
            PpoActor::Mlp(a) => a.params(),
            PpoActor::Ncap { ncap, .. } => crate::precision::cast(ncap.params()),
        }
    }
    /// Writes the flat parameters into `out` (`n_params` values).
    pub fn params_into(&self, out: &mut [T]) {
        match self {
            PpoActor::Mlp(a) => {
                let n = a.mlp.n_params();
                out[..n].copy_from_slice(a.mlp.params());
                out[n..].copy_from_slice(&a.log_scale);
            }
            PpoActor::Ncap { ncap, .. } => {
                for (o, &p) in out.iter_mut().zip(ncap.params()) {
                    *o = T::of(p);
                }
            }
        }
    }
    /// Sets the flat parameters.
    pub fn set_params(&mut self, p: &[T]) {
        match self {
            PpoActor::Mlp(a) => a.set_params(p),
            PpoActor::Ncap { ncap, .. } => {
                for (o, &v) in ncap.params_mut().iter_mut().zip(p) {
                    *o = v.f64();
                }
            }
        }
    }
    /// Whether every parameter is finite.
    pub fn is_finite(&self) -> bool {
        match self {
            PpoActor::Mlp(a) => {
                a.mlp.params().iter().all(|p| p.is_finite())
                    && a.log_scale.iter().all(|p| p.is_finite())
            }
            PpoActor::Ncap { ncap, .. } => ncap.params().iter().all(|p| p.is_finite()),
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
        let mut s = vec![0.0; self.act_dim()];
        self.scale_into(&mut s);
        s
    }
    /// Per-action scale, written into `out` (`act_dim` values).
    pub fn scale_into(&self, out: &mut [f64]) {
        match self {
            PpoActor::Mlp(a) => {
                for (o, &l) in out.iter_mut().zip(&a.log_scale) {
                    *o = crate::actor::scale_of(l.f64());
                }
            }
            PpoActor::Ncap { std, .. } => out.fill(*std),
        }
    }
    /// Locations for the `steps.len()` rows: `x` holds the normalised observations (MLP),
    /// `raw` the raw ones and `steps` the episode steps (NCAP). Writes `rows × act_dim` values
    /// into `loc`.
    pub fn loc(
        &self,
        x: MatRef<'_, T>,
        raw: &[f64],
        steps: &[usize],
        cache: &mut ActorCache<T>,
        loc: &mut [f64],
    ) {
        match self {
            PpoActor::Mlp(a) => cache.mlp_forward(&a.mlp, x, loc),
            PpoActor::Ncap { ncap, .. } => {
                cache.ncap_forward(ncap, raw, steps, steps.len(), loc);
            }
        }
    }
    /// The gradient of the location's parameters (everything but the log-scales) from
    /// `∂L/∂loc` of the last [`PpoActor::loc`] on `x`; the log-scales' entries are left alone.
    pub fn backward(
        &self,
        x: MatRef<'_, T>,
        cache: &mut ActorCache<T>,
        dloc: &[f64],
        grad: &mut [T],
        mode: GradMode,
    ) {
        match self {
            PpoActor::Mlp(a) => {
                let n = a.mlp.n_params();
                cache.mlp_backward(&a.mlp, x, dloc, &mut grad[..n], mode);
            }
            PpoActor::Ncap { ncap, .. } => cache.ncap_backward(ncap, dloc, grad, mode),
        }
    }
    /// Sets the log-scales' gradient from `∂L/∂scale` (the MLP's learned scale; NCAP's scale
    /// is fixed).
    pub fn scale_grad(&self, dscale: &[f64], grad: &mut [T]) {
        if let PpoActor::Mlp(a) = self {
            let n = a.mlp.n_params();
            for (k, &l) in a.log_scale.iter().enumerate() {
                grad[n + k] = T::of(dscale[k] * crate::actor::dscale_of(l.f64()));
            }
        }
    }
    /// The policy in its saved form (evaluated at its mean, in `f64`).
    pub fn saved(&self, normalizer: &MeanStd) -> SavedPolicy {
        match self.cast::<f64>() {
            PpoActor::Mlp(a) => SavedPolicy::Gaussian {
                actor: a,
                normalizer: Some(normalizer.clone()),
                time_feature: true,
            },
            PpoActor::Ncap { ncap, .. } => SavedPolicy::Ncap { ncap },
        }
    }
}
