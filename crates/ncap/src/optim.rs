//! Adam with PyTorch's semantics (L2 weight decay added to the gradient, bias correction), in
//! the learner's precision, and the vectorised loops around it (gradient sums, Polyak
//! averaging).

use crate::precision::{Real, wide};
use nc_core::gemm::{Kernel, vectorized};
use serde::{Deserialize, Serialize};

/// Adam state for one flat parameter vector, its moments in `T` (`f64` unless stated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct Adam<T: Real = f64> {
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
    #[serde(with = "wide")]
    m: Vec<T>,
    #[serde(with = "wide")]
    v: Vec<T>,
    t: u64,
}

// one Adam step over a flat vector, as torch's single-tensor Adam writes it
struct AdamStep<'a, T> {
    p: &'a mut [T],
    m: &'a mut [T],
    v: &'a mut [T],
    g: &'a [T],
    wd: T,
    b1: T,
    b2: T,
    step_size: T,
    bc2_sqrt: T,
    eps: T,
}

impl<T: Real> Kernel for AdamStep<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let n = self.p.len();
        let (p, m, v, g) = (
            &mut self.p[..n],
            &mut self.m[..n],
            &mut self.v[..n],
            &self.g[..n],
        );
        let (one_b1, one_b2) = (T::one() - self.b1, T::one() - self.b2);
        for i in 0..n {
            let gi = g[i] + self.wd * p[i];
            m[i] = m[i] + one_b1 * (gi - m[i]);
            v[i] = self.b2 * v[i] + one_b2 * gi * gi;
            let denom = v[i].sqrt() / self.bc2_sqrt + self.eps;
            p[i] -= self.step_size * m[i] / denom;
        }
    }
}

impl<T: Real> Adam<T> {
    /// Adam with torch defaults (β = 0.9, 0.999; ε = 1e-8) for `n` parameters.
    pub fn new(n: usize, lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            m: vec![T::zero(); n],
            v: vec![T::zero(); n],
            t: 0,
        }
    }
    /// The same state in precision `U`.
    pub fn cast<U: Real>(&self) -> Adam<U> {
        Adam {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            weight_decay: self.weight_decay,
            m: crate::precision::cast(&self.m),
            v: crate::precision::cast(&self.v),
            t: self.t,
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
    ///
    /// # Panics
    /// If `params` or `grad` does not have as many values as the state.
    pub fn step(&mut self, params: &mut [T], grad: &[T]) {
        assert!(params.len() == self.m.len() && grad.len() == self.m.len());
        self.t += 1;
        let bc1 = 1.0 - self.beta1.powi(self.t as i32);
        let bc2 = 1.0 - self.beta2.powi(self.t as i32);
        vectorized(AdamStep {
            p: params,
            m: &mut self.m,
            v: &mut self.v,
            g: grad,
            wd: T::of(self.weight_decay),
            b1: T::of(self.beta1),
            b2: T::of(self.beta2),
            step_size: T::of(self.lr / bc1),
            bc2_sqrt: T::of(bc2.sqrt()),
            eps: T::of(self.eps),
        });
    }
}

struct Polyak<'a, T> {
    target: &'a mut [T],
    online: &'a [T],
    tau: T,
}

impl<T: Real> Kernel for Polyak<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let keep = T::one() - self.tau;
        for (t, &o) in self.target.iter_mut().zip(self.online) {
            *t = keep * *t + self.tau * o;
        }
    }
}

/// Polyak averaging of a target network: `target ← (1 − τ)·target + τ·online`.
pub fn polyak<T: Real>(target: &mut [T], online: &[T], tau: f64) {
    vectorized(Polyak {
        target,
        online,
        tau: T::of(tau),
    });
}

struct AddAssign<'a, T> {
    dst: &'a mut [T],
    src: &'a [T],
}

impl<T: Real> Kernel for AddAssign<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        for (d, &s) in self.dst.iter_mut().zip(self.src) {
            *d += s;
        }
    }
}

/// `dst += src`, elementwise (summing per-chunk gradients in a fixed order).
pub fn add_assign<T: Real>(dst: &mut [T], src: &[T]) {
    vectorized(AddAssign { dst, src });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_by_lr_and_minimises_a_quadratic() {
        let mut a = Adam::<f64>::new(2, 0.1);
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

    #[test]
    fn f32_adam_follows_f64_and_weight_decay_pulls_to_zero() {
        // 37 values: the vectorised loop and its scalar tail both run
        let n = 37;
        let (mut a64, mut a32) = (Adam::<f64>::new(n, 0.01), Adam::<f32>::new(n, 0.01));
        a64.weight_decay = 0.1;
        a32.weight_decay = 0.1;
        let mut p64: Vec<f64> = (0..n).map(|i| (i as f64 * 0.3).sin()).collect();
        let mut p32: Vec<f32> = crate::precision::cast(&p64);
        for k in 0..200 {
            let g: Vec<f64> = p64
                .iter()
                .map(|p| 0.5 * p + 0.01 * (k as f64).cos())
                .collect();
            let g32: Vec<f32> = p32
                .iter()
                .map(|&p| 0.5 * p + 0.01 * (k as f32).cos())
                .collect();
            a64.step(&mut p64, &g);
            a32.step(&mut p32, &g32);
        }
        for (x, y) in p64.iter().zip(&p32) {
            assert!((x - f64::from(*y)).abs() < 1e-4, "{x} vs {y}");
            assert!(x.abs() < 0.5);
        }
        let back: Adam<f32> = serde_json::from_str(&serde_json::to_string(&a32).unwrap()).unwrap();
        assert_eq!(back, a32);
        let mut t = vec![1.0f32; n];
        polyak(&mut t, &vec![3.0; n], 0.25);
        assert!(t.iter().all(|&x| x == 1.5));
        add_assign(&mut t, &vec![0.5; n]);
        assert!(t.iter().all(|&x| x == 2.0));
    }
}
