//! The MLP baselines with Tonic's shapes: a (64,64) tanh Gaussian actor (PPO, ES), a (256,256)
//! ReLU deterministic actor with a tanh head (DDPG), and critics.

use crate::mlp::{Activation, Mlp, MlpError};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Tonic's `DetachedScaleGaussianPolicyHead` bounds on the scale.
pub const SCALE_MIN: f64 = 1e-4;
/// Upper bound on the scale.
pub const SCALE_MAX: f64 = 1.0;

/// Gaussian policy: `loc = tanh(MLP(obs))`, state-independent `scale = softplus(log_scale)`.
///
/// Loading checks one finite log-scale per network output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "GaussianFile")]
pub struct GaussianActor {
    /// The torso and tanh location head.
    pub mlp: Mlp,
    /// Unconstrained scale parameters, one per action.
    pub log_scale: Vec<f64>,
}

// the saved form, checked before it becomes a `GaussianActor`
#[derive(Deserialize)]
struct GaussianFile {
    mlp: Mlp,
    log_scale: Vec<f64>,
}

impl TryFrom<GaussianFile> for GaussianActor {
    type Error = MlpError;
    fn try_from(f: GaussianFile) -> Result<Self, MlpError> {
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

impl GaussianActor {
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
            log_scale: vec![0.0; act_dim],
        })
    }
    /// Parameter count (network plus log-scales).
    pub fn n_params(&self) -> usize {
        self.mlp.n_params() + self.log_scale.len()
    }
    /// The scale per action: `clamp(softplus(log_scale) + 1e-8, 1e-4, 1)`.
    pub fn scale(&self) -> Vec<f64> {
        self.log_scale
            .iter()
            .map(|&l| (softplus(l) + 1e-8).clamp(SCALE_MIN, SCALE_MAX))
            .collect()
    }
    /// `∂scale/∂log_scale` (zero where the clamp binds, PyTorch convention).
    pub fn dscale(&self) -> Vec<f64> {
        self.log_scale
            .iter()
            .map(|&l| {
                let s = softplus(l) + 1e-8;
                if (SCALE_MIN..=SCALE_MAX).contains(&s) {
                    sigmoid(l)
                } else {
                    0.0
                }
            })
            .collect()
    }
    /// Flat parameters: network then log-scales.
    pub fn params(&self) -> Vec<f64> {
        let mut p = self.mlp.params().to_vec();
        p.extend_from_slice(&self.log_scale);
        p
    }
    /// Sets the flat parameters (network then log-scales).
    pub fn set_params(&mut self, p: &[f64]) {
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
pub struct DeterministicActor {
    /// The network, tanh head included.
    pub mlp: Mlp,
}

impl DeterministicActor {
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
}

/// A value critic `MLP(input) → 1` with a linear head (`input` = obs, or obs ‖ action).
pub fn critic(
    input_dim: usize,
    hidden: &[usize],
    act: Activation,
    rng: &mut impl Rng,
) -> Result<Mlp, MlpError> {
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
            GaussianActor::new(24, 5, &[64, 64], &mut rng)
                .unwrap()
                .n_params(),
            6090
        );
        assert_eq!(
            DeterministicActor::new(24, 5, &[256, 256], &mut rng)
                .unwrap()
                .mlp
                .n_params(),
            73_477
        );
        assert_eq!(
            critic(29, &[256, 256], Activation::Relu, &mut rng)
                .unwrap()
                .n_params(),
            73_729
        );
        let g = GaussianActor::new(3, 2, &[4], &mut rng).unwrap();
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
pub struct ActorCache {
    pub(crate) mlp: crate::mlp::MlpCache,
    traces: Vec<crate::ncap::NcapTrace>,
}

impl ActorCache {
    /// NCAP's actions for `n` rows of raw observations (joint angles first) at their episode
    /// `steps`, written into `out` (`n × joints`); each row's trace is kept.
    pub(crate) fn ncap_forward(
        &mut self,
        ncap: &crate::ncap::Ncap,
        raw: &[f64],
        steps: &[usize],
        n: usize,
        out: &mut Vec<f64>,
    ) {
        let d = raw.len() / n.max(1);
        let nj = ncap.n_joints();
        self.traces.resize_with(n, crate::ncap::NcapTrace::default);
        out.resize(n * nj, 0.0);
        for r in 0..n {
            let row = &mut out[r * nj..(r + 1) * nj];
            ncap.forward(&raw[r * d..r * d + nj], steps[r], row, &mut self.traces[r]);
        }
    }

    /// Accumulates NCAP's parameter gradient from `∂L/∂actions` (`n × joints`) of the rows of
    /// the last [`ActorCache::ncap_forward`].
    pub(crate) fn ncap_backward(&self, ncap: &crate::ncap::Ncap, dact: &[f64], grad: &mut [f64]) {
        let nj = ncap.n_joints();
        for (r, tr) in self.traces.iter().enumerate() {
            ncap.backward(tr, &dact[r * nj..(r + 1) * nj], grad);
        }
    }
}
