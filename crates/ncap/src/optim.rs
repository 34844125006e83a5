//! Adam with PyTorch's semantics (L2 weight decay added to the gradient, bias correction).

use serde::{Deserialize, Serialize};

/// Adam state for one flat parameter vector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    /// Learning rate.
    pub lr: f64,
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator guard.
    pub eps: f64,
    /// L2 penalty added to the gradient (torch `weight_decay`).
    pub weight_decay: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u64,
}

impl Adam {
    /// Adam with torch defaults (β = 0.9, 0.999; ε = 1e-8) for `n` parameters.
    pub fn new(n: usize, lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }
    /// Steps taken.
    pub fn steps(&self) -> u64 {
        self.t
    }
    /// Whether this state fits `n` parameters with finite settings (a loaded checkpoint is
    /// checked before use).
    pub fn fits(&self, n: usize) -> bool {
        self.m.len() == n
            && self.v.len() == n
            && [self.lr, self.beta1, self.beta2, self.eps, self.weight_decay]
                .iter()
                .all(|x| x.is_finite())
            && self.t < i32::MAX as u64
    }
    /// One descent step `params ← params − lr·m̂/(√v̂ + ε)` for gradient `grad`.
    pub fn step(&mut self, params: &mut [f64], grad: &[f64]) {
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t as i32);
        let bc2 = 1.0 - self.beta2.powi(self.t as i32);
        for i in 0..params.len() {
            let g = grad[i] + self.weight_decay * params[i];
            self.m[i] = self.beta1 * self.m[i] + (1.0 - self.beta1) * g;
            self.v[i] = self.beta2 * self.v[i] + (1.0 - self.beta2) * g * g;
            let denom = (self.v[i] / bc2).sqrt() + self.eps;
            params[i] -= self.lr * (self.m[i] / bc1) / denom;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_lr_and_minimises_a_quadratic() {
        let mut a = Adam::new(2, 0.1);
        let mut p = [1.0, -2.0];
        a.step(&mut p, &[3.0, -0.5]);
        // bias-corrected first step is lr·sign(g)
        assert!((p[0] - 0.9).abs() < 1e-9 && (p[1] + 1.9).abs() < 1e-8);
        a.lr = 0.01;
        for _ in 0..3000 {
            let g = [2.0 * (p[0] - 0.3), 2.0 * (p[1] + 0.7)];
            a.step(&mut p, &g);
        }
        assert!((p[0] - 0.3).abs() < 1e-3 && (p[1] + 0.7).abs() < 1e-3);
    }
}
