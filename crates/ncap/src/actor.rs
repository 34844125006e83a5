//! The MLP baselines with Tonic's shapes: a (64,64) tanh Gaussian actor (PPO, ES), a (256,256)
//! ReLU deterministic actor with a tanh head (DDPG), and critics.

use crate::mlp::{Activation, GradMode, Mlp, MlpCache, MlpError};
use crate::precision::{Real, wide};
use nc_core::gemm::MatRef;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Tonic's `DetachedScaleGaussianPolicyHead` bounds on the scale.
pub const SCALE_MIN: f64 = 1e-4;
/// Upper bound on the scale.
pub const SCALE_MAX: f64 = 1.0;

/// Gaussian policy: `loc = tanh(MLP(obs))`, state-independent `scale = softplus(log_scale)`,
/// its parameters in `T` (`f64` unless stated).
///
/// Loading checks one finite log-scale per network output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "GaussianFile<T>", bound(serialize = "", deserialize = ""))]
pub struct GaussianActor<T: Real = f64> {
    /// The torso and tanh location head.
    pub mlp: Mlp<T>,
    /// Unconstrained scale parameters, one per action.
    #[serde(with = "wide")]
    pub log_scale: Vec<T>,
}

// the saved form, checked before it becomes a `GaussianActor`
#[derive(Deserialize)]
#[serde(bound(deserialize = ""))]
struct GaussianFile<T: Real> {
    mlp: Mlp<T>,
    #[serde(with = "wide")]
    log_scale: Vec<T>,
}

impl<T: Real> TryFrom<GaussianFile<T>> for GaussianActor<T> {
    type Error = MlpError;
    fn try_from(f: GaussianFile<T>) -> Result<Self, MlpError> {
        if f.log_scale.len() != f.mlp.n_out() {
            return Err(MlpError::Shape {
                what: "log_scale",
                expected: f.mlp.n_out(),
                got: f.log_scale.len(),
            });
        }
        if let Some(index) = f.log_scale.iter().position(|p| !p.is_finite()) {
            return Err(MlpError::NonFinite { index });
        }
        Ok(Self {
            mlp: f.mlp,
            log_scale: f.log_scale,
        })
    }
}

fn softplus(x: f64) -> f64 {
    if x > 20.0 { x } else { x.exp().ln_1p() }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// One action's scale from its log-scale: `clamp(softplus(l) + 1e-8, 1e-4, 1)`.
pub fn scale_of(l: f64) -> f64 {
    (softplus(l) + 1e-8).clamp(SCALE_MIN, SCALE_MAX)
}

/// `∂scale/∂l` of [`scale_of`] (zero where the clamp binds, PyTorch convention).
pub fn dscale_of(l: f64) -> f64 {
    let s = softplus(l) + 1e-8;
    if (SCALE_MIN..=SCALE_MAX).contains(&s) {
        sigmoid(l)
    } else {
        0.0
    }
}

impl<T: Real> GaussianActor<T> {
    /// Tonic's PPO actor: hidden `(64, 64)` tanh, log-scale 0.
    pub fn new(
        obs_dim: usize,
        act_dim: usize,
        hidden: &[usize],
        rng: &mut impl Rng,
    ) -> Result<Self, MlpError> {
        let mut sizes = vec![obs_dim];
        sizes.extend_from_slice(hidden);
        sizes.push(act_dim);
        let acts = vec![Activation::Tanh; sizes.len() - 1];
        Ok(Self {
            mlp: Mlp::new(&sizes, &acts, rng)?,
            log_scale: vec![T::zero(); act_dim],
        })
    }
    /// The same actor in precision `U`.
    pub fn cast<U: Real>(&self) -> GaussianActor<U> {
        GaussianActor {
            mlp: self.mlp.cast(),
            log_scale: crate::precision::cast(&self.log_scale),
        }
    }
    /// Parameter count (network plus log-scales).
    pub fn n_params(&self) -> usize {
        self.mlp.n_params() + self.log_scale.len()
    }
    /// The scale per action: `clamp(softplus(log_scale) + 1e-8, 1e-4, 1)`.
    pub fn scale(&self) -> Vec<f64> {
        self.log_scale.iter().map(|&l| scale_of(l.f64())).collect()
    }
    /// `∂scale/∂log_scale` (zero where the clamp binds, PyTorch convention).
    pub fn dscale(&self) -> Vec<f64> {
        self.log_scale.iter().map(|&l| dscale_of(l.f64())).collect()
    }
    /// Flat parameters: network then log-scales.
    pub fn params(&self) -> Vec<T> {
        let mut p = self.mlp.params().to_vec();
        p.extend_from_slice(&self.log_scale);
        p
    }
    /// Sets the flat parameters (network then log-scales).
    pub fn set_params(&mut self, p: &[T]) {
        let n = self.mlp.n_params();
        self.mlp.params_mut().copy_from_slice(&p[..n]);
        self.log_scale.copy_from_slice(&p[n..]);
    }
}

/// Log-density of `a` under `N(loc, scale)` summed over action dimensions, with its gradients
/// with respect to `loc` and `scale` written into `dloc` and accumulated into `dscale`.
pub fn gaussian_log_prob(
    a: &[f64],
    loc: &[f64],
    scale: &[f64],
    dloc: &mut [f64],
    dscale: &mut [f64],
) -> f64 {
    let half_ln_2pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    let mut lp = 0.0;
    for k in 0..a.len() {
        let z = (a[k] - loc[k]) / scale[k];
        lp += -0.5 * z * z - scale[k].ln() - half_ln_2pi;
        dloc[k] = z / scale[k];
        dscale[k] += (z * z - 1.0) / scale[k];
    }
    lp
}

/// Deterministic policy: `tanh(MLP(obs))` with ReLU hidden layers (Tonic's DDPG actor).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct DeterministicActor<T: Real = f64> {
    /// The network, tanh head included.
    pub mlp: Mlp<T>,
}

impl<T: Real> DeterministicActor<T> {
    /// Tonic's DDPG actor: hidden `(256, 256)` ReLU, tanh head.
    pub fn new(
        obs_dim: usize,
        act_dim: usize,
        hidden: &[usize],
        rng: &mut impl Rng,
    ) -> Result<Self, MlpError> {
        let mut sizes = vec![obs_dim];
        sizes.extend_from_slice(hidden);
        sizes.push(act_dim);
        let mut acts = vec![Activation::Relu; sizes.len() - 2];
        acts.push(Activation::Tanh);
        Ok(Self {
            mlp: Mlp::new(&sizes, &acts, rng)?,
        })
    }
    /// The same actor in precision `U`.
    pub fn cast<U: Real>(&self) -> DeterministicActor<U> {
        DeterministicActor {
            mlp: self.mlp.cast(),
        }
    }
}

/// A value critic `MLP(input) → 1` with a linear head (`input` = obs, or obs ‖ action).
pub fn critic<T: Real>(
    input_dim: usize,
    hidden: &[usize],
    act: Activation,
    rng: &mut impl Rng,
) -> Result<Mlp<T>, MlpError> {
    let mut sizes = vec![input_dim];
    sizes.extend_from_slice(hidden);
    sizes.push(1);
    let mut acts = vec![act; sizes.len() - 2];
    acts.push(Activation::Identity);
    Mlp::new(&sizes, &acts, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_parameter_counts() {
        let mut rng = nc_core::rng::stream(1, "t", 0);
        // the reference's actor sizes: PPO (64,64) tanh + 5 log-scales on 24 inputs,
        // DDPG (256,256) ReLU with a tanh head, its critic on 24 + 5 inputs
        assert_eq!(
            GaussianActor::<f64>::new(24, 5, &[64, 64], &mut rng)
                .unwrap()
                .n_params(),
            6090
        );
        assert_eq!(
            DeterministicActor::<f64>::new(24, 5, &[256, 256], &mut rng)
                .unwrap()
                .mlp
                .n_params(),
            73_477
        );
        assert_eq!(
            critic::<f64>(29, &[256, 256], Activation::Relu, &mut rng)
                .unwrap()
                .n_params(),
            73_729
        );
        let g = GaussianActor::<f64>::new(3, 2, &[4], &mut rng).unwrap();
        assert!((g.scale()[0] - 2f64.ln()).abs() < 1e-7);
    }

    #[test]
    fn log_prob_gradients_match_finite_differences() {
        let a = [0.3, -0.2];
        let loc = [0.1, 0.4];
        let scale = [0.7, 0.2];
        let (mut dl, mut ds) = ([0.0; 2], [0.0; 2]);
        gaussian_log_prob(&a, &loc, &scale, &mut dl, &mut ds);
        let f =
            |l: [f64; 2], s: [f64; 2]| gaussian_log_prob(&a, &l, &s, &mut [0.0; 2], &mut [0.0; 2]);
        let h = 1e-6;
        for k in 0..2 {
            let (mut lp, mut lm, mut sp, mut sm) = (loc, loc, scale, scale);
            lp[k] += h;
            lm[k] -= h;
            sp[k] += h;
            sm[k] -= h;
            assert!(((f(lp, scale) - f(lm, scale)) / (2.0 * h) - dl[k]).abs() < 1e-6);
            assert!(((f(loc, sp) - f(loc, sm)) / (2.0 * h) - ds[k]).abs() < 1e-5);
        }
    }
}

/// Forward-pass state an actor keeps for its backward pass: the MLP's activations, or one
/// NCAP trace per row. PPO's and DDPG's actors share it.
#[derive(Clone, Debug, Default)]
pub struct ActorCache<T = f64> {
    pub(crate) mlp: MlpCache<T>,
    traces: Vec<crate::ncap::NcapTrace>,
    // the output gradient in the network's precision, and NCAP's gradient before rounding
    dout: Vec<T>,
    ncap_grad: Vec<f64>,
}

impl<T: Real> ActorCache<T> {
    /// The MLP's outputs for the rows of `x`, widened into `out` (`rows × n_out`).
    pub(crate) fn mlp_forward(&mut self, mlp: &Mlp<T>, x: MatRef<'_, T>, out: &mut [f64]) {
        mlp.forward_rows(x, &mut self.mlp);
        for (o, &y) in out.iter_mut().zip(self.mlp.output()) {
            *o = y.f64();
        }
    }

    /// The MLP's parameter gradient from `∂L/∂outputs` of the last
    /// [`ActorCache::mlp_forward`] on `x`.
    pub(crate) fn mlp_backward(
        &mut self,
        mlp: &Mlp<T>,
        x: MatRef<'_, T>,
        dout: &[f64],
        grad: &mut [T],
        mode: GradMode,
    ) {
        self.dout.clear();
        self.dout.extend(dout.iter().map(|&d| T::of(d)));
        mlp.backward_rows(x, &mut self.mlp, &self.dout, Some((grad, mode)), None)
            .expect("shapes fixed by the forward pass");
    }

    /// NCAP's actions for `n` rows of raw observations (joint angles first) at their episode
    /// `steps`, written into `out` (`n × joints`); each row's trace is kept.
    pub(crate) fn ncap_forward(
        &mut self,
        ncap: &crate::ncap::Ncap,
        raw: &[f64],
        steps: &[usize],
        n: usize,
        out: &mut [f64],
    ) {
        self.ncap_rows(ncap, raw, (steps, n), out, false);
    }

    /// A steered NCAP's actions ([`crate::ncap::Ncap::act_steered`]) for `n` rows of raw
    /// target-task observations (joint angles, then `to_target`) at their episode `steps`,
    /// written into `out` (`n × joints`); each row's trace, the descending drive included, is
    /// kept for [`ActorCache::ncap_backward`].
    pub(crate) fn ncap_steered_forward(
        &mut self,
        ncap: &crate::ncap::Ncap,
        raw: &[f64],
        steps: &[usize],
        n: usize,
        out: &mut [f64],
    ) {
        self.ncap_rows(ncap, raw, (steps, n), out, true);
    }

    // the rows of either forward pass
    fn ncap_rows(
        &mut self,
        ncap: &crate::ncap::Ncap,
        raw: &[f64],
        (steps, n): (&[usize], usize),
        out: &mut [f64],
        steered: bool,
    ) {
        let d = raw.len() / n.max(1);
        let nj = ncap.n_joints();
        self.traces.resize_with(n, crate::ncap::NcapTrace::default);
        for r in 0..n {
            let (obs, row) = (&raw[r * d..(r + 1) * d], &mut out[r * nj..(r + 1) * nj]);
            let trace = &mut self.traces[r];
            if steered {
                let to_target = [obs[nj], obs[nj + 1]];
                ncap.forward_steered(&obs[..nj], to_target, steps[r], row, trace);
            } else {
                ncap.forward(&obs[..nj], steps[r], row, trace);
            }
        }
    }

    /// NCAP's parameter gradient from `∂L/∂actions` (`n × joints`) of the rows of the last
    /// [`ActorCache::ncap_forward`] or [`ActorCache::ncap_steered_forward`] (a steered trace
    /// carries its drive, so the steering weights and the learned controller get their
    /// gradients too), in `f64` and then rounded into `grad`.
    pub(crate) fn ncap_backward(
        &mut self,
        ncap: &crate::ncap::Ncap,
        dact: &[f64],
        grad: &mut [T],
        mode: GradMode,
    ) {
        let nj = ncap.n_joints();
        self.ncap_grad.clear();
        self.ncap_grad.resize(grad.len(), 0.0);
        for (r, tr) in self.traces.iter().enumerate() {
            ncap.backward(tr, &dact[r * nj..(r + 1) * nj], &mut self.ncap_grad);
        }
        for (g, &v) in grad.iter_mut().zip(&self.ncap_grad) {
            *g = match mode {
                GradMode::Accumulate => T::of(g.f64() + v),
                GradMode::Overwrite => T::of(v),
            };
        }
    }
}
