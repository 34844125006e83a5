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
    /// `loc = NCAP(raw joints, episode step)`, fixed scale; NCAP's weights stay `f64`. A
    /// steered NCAP (its config has [`crate::ncap::Steering`]) also reads `to_target`, the two
    /// observations after the joints on the target task.
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
    /// Whether this is an NCAP with steering, which reads `to_target` (the target task only).
    pub fn is_steered(&self) -> bool {
        matches!(self, PpoActor::Ncap { ncap, .. } if ncap.config().steering.is_some())
    }
    /// Locations for the `steps.len()` rows: `x` holds the normalised observations (MLP),
    /// `raw` the raw ones and `steps` the episode steps (NCAP; a steered NCAP reads the
    /// target task's `to_target` after the joints). Writes `rows × act_dim` values into `loc`.
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
            PpoActor::Ncap { ncap, .. } if ncap.config().steering.is_some() => {
                cache.ncap_steered_forward(ncap, raw, steps, steps.len(), loc);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ncap::{NcapConfig, Steering};
    use rand::RngExt;

    // PPO's NCAP actor with steering on 5 joints, its weights scaled away from the clamps'
    // kinks so that differences see smooth pieces
    fn steered(learned: bool, rng: &mut impl rand::Rng) -> PpoActor {
        let cfg = NcapConfig {
            steering: Some(Steering {
                learned,
                turn_joints: 2,
            }),
            ..NcapConfig::default()
        };
        let mut ncap = Ncap::new(cfg, 5, rng).unwrap();
        for p in ncap.params_mut() {
            *p *= rng.random_range(0.3..0.7);
        }
        PpoActor::Ncap { ncap, std: 0.1 }
    }

    #[test]
    fn the_steered_batch_backward_matches_central_differences_of_its_forward() {
        let mut rng = nc_core::rng::stream(5, "t", 0);
        // 6 rows of target-task observations: 5 joints, `to_target`, 18 velocities, time
        let (rows, d) = (6, 26);
        for learned in [false, true] {
            let actor = steered(learned, &mut rng);
            assert_eq!(actor.n_params(), if learned { 15 } else { 6 });
            let raw: Vec<f64> = (0..rows * d).map(|_| rng.random_range(-0.9..0.9)).collect();
            let steps: Vec<usize> = (0..rows).map(|_| rng.random_range(0..200)).collect();
            let dloc: Vec<f64> = (0..rows * 5).map(|_| rng.random_range(-1.0..1.0)).collect();
            let x = MatRef::row_major(&[] as &[f64], 0, 0);
            let mut cache = ActorCache::default();
            let mut loc = vec![0.0; rows * 5];
            actor.loc(x, &raw, &steps, &mut cache, &mut loc);
            // each row is `act_steered` on that row's joints and `to_target`
            let PpoActor::Ncap { ncap, .. } = &actor else {
                unreachable!()
            };
            for r in 0..rows {
                let obs = &raw[r * d..(r + 1) * d];
                let mut out = [0.0; 5];
                ncap.act_steered(&obs[..5], [obs[5], obs[6]], steps[r], &mut out);
                assert_eq!(&loc[r * 5..(r + 1) * 5], &out);
            }
            let mut grad = vec![0.0; actor.n_params()];
            actor.backward(x, &mut cache, &dloc, &mut grad, GradMode::Overwrite);
            let loss = |a: &PpoActor| {
                let mut l = vec![0.0; rows * 5];
                a.loc(x, &raw, &steps, &mut ActorCache::default(), &mut l);
                l.iter().zip(&dloc).map(|(a, g)| a * g).sum::<f64>()
            };
            let (h, p) = (1e-6, actor.params());
            for k in 0..p.len() {
                let (mut up, mut down) = (actor.clone(), actor.clone());
                let (mut pu, mut pd) = (p.clone(), p.clone());
                pu[k] += h;
                pd[k] -= h;
                up.set_params(&pu);
                down.set_params(&pd);
                let fd = (loss(&up) - loss(&down)) / (2.0 * h);
                assert!(
                    (fd - grad[k]).abs() < 1e-6,
                    "learned {learned}, {}: fd {fd} vs {}",
                    ncap.param_names()[k].0,
                    grad[k]
                );
            }
            // the steering weights are trained: their gradients are not all zero
            assert!(grad[4..].iter().any(|g| g.abs() > 1e-6), "{grad:?}");
        }
    }
}
