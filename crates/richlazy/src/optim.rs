//! Optimisers in PyTorch's conventions: SGD with momentum (`v ← μv + g; θ ← θ − lr·v`, the
//! buffer starting at the first gradient) and Adam.

use crate::model::{Grads, Rnn};
use crate::real::Real;
use serde::{Deserialize, Serialize};

/// Which optimiser, with its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OptimizerConfig {
    /// `torch.optim.SGD(lr, momentum)`, no dampening, no weight decay.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum μ.
        momentum: f64,
    },
    /// `torch.optim.Adam(lr, betas, eps)`.
    Adam {
        /// Learning rate.
        lr: f64,
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
        /// ε.
        eps: f64,
    },
}

impl Default for OptimizerConfig {
    /// The paper's SGD, lr 0.003 and momentum 0.9.
    fn default() -> Self {
        Self::Sgd {
            lr: 0.003,
            momentum: 0.9,
        }
    }
}

/// Optimiser state for the three weight matrices.
#[derive(Clone, Debug)]
pub struct Optimizer<T> {
    config: OptimizerConfig,
    step: u64,
    m: [Vec<T>; 3],
    v: [Vec<T>; 3],
}

impl<T: Real> Optimizer<T> {
    /// Fresh state for `net`'s shapes.
    pub fn new(config: OptimizerConfig, net: &Rnn<T>) -> Self {
        let z = |n: usize| vec![T::zero(); n];
        let shapes = [net.w_in.len(), net.w_h.len(), net.w_out.len()];
        Self {
            config,
            step: 0,
            m: shapes.map(z),
            v: shapes.map(z),
        }
    }

    /// Applies one update with gradients `g`.
    pub fn step(&mut self, net: &mut Rnn<T>, g: &Grads<T>) {
        self.step += 1;
        let params = [&mut net.w_in, &mut net.w_h, &mut net.w_out];
        let grads = [&g.w_in, &g.w_h, &g.w_out];
        for (i, (p, g)) in params.into_iter().zip(grads).enumerate() {
            match self.config {
                OptimizerConfig::Sgd { lr, momentum } => {
                    let (lr, mu) = (T::of(lr), T::of(momentum));
                    let buf = &mut self.m[i];
                    let first = self.step == 1;
                    for ((p, &g), b) in p.iter_mut().zip(g.iter()).zip(buf.iter_mut()) {
                        *b = if first { g } else { mu * *b + g };
                        *p -= lr * *b;
                    }
                }
                OptimizerConfig::Adam {
                    lr,
                    beta1,
                    beta2,
                    eps,
                } => {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
                    let t = self.step as i32;
                    let bc1 = 1.0 - beta1.powi(t);
                    let bc2 = 1.0 - beta2.powi(t);
                    let step_size = T::of(lr / bc1);
                    let (b1, b2, eps, sq) =
                        (T::of(beta1), T::of(beta2), T::of(eps), T::of(bc2.sqrt()));
                    let (m, v) = (&mut self.m[i], &mut self.v[i]);
                    for (((p, &g), m), v) in p
                        .iter_mut()
                        .zip(g.iter())
                        .zip(m.iter_mut())
                        .zip(v.iter_mut())
                    {
                        *m = b1 * *m + (T::one() - b1) * g;
                        *v = b2 * *v + (T::one() - b2) * g * g;
                        *p -= step_size * *m / (v.sqrt() / sq + eps);
                    }
                }
            }
        }
    }
}
