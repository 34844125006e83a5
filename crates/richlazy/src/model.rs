//! The rate RNN `h_t = φ((1−α)h_{t−1} + α(W_in x_t + W_h h_{t−1}))`, `y_t = W_out h_t`, no biases,
//! with its forward pass and hand-written backpropagation through time side by side.
//!
//! States are stored time-major as one `(steps·batch) × n` matrix, so the weight gradients are
//! one GEMM each over all steps rather than one small GEMM per step.

use crate::real::Real;
use crate::tasks::LossSteps;
use nc_core::gemm::{MatMut, MatRef, gemm_internal};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Hidden nonlinearity φ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `max(z, 0)`, the paper's choice.
    Relu,
    /// `tanh z`.
    Tanh,
}

/// Why a forward or backward pass was refused.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum ModelError {
    /// An input buffer has the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    Shape {
        /// Which buffer.
        what: &'static str,
        /// Required length.
        expected: usize,
        /// Given length.
        got: usize,
    },
    /// A label outside `0..n_out`.
    #[error("label {label} at row {row} is out of range for {n_out} outputs")]
    Label {
        /// The label.
        label: u32,
        /// Its row (t·batch + b).
        row: usize,
        /// Number of outputs.
        n_out: usize,
    },
    /// The loss became NaN or infinite (diverged training).
    #[error("the loss is not finite ({loss})")]
    NonFinite {
        /// The value.
        loss: f64,
    },
}

/// The network's weights, row-major: `w_in` is `n × n_in`, `w_h` is `n × n`, `w_out` is
/// `n_out × n` (PyTorch's `nn.Linear.weight` layout).
#[derive(Clone, Debug, PartialEq)]
pub struct Rnn<T> {
    /// Input channels.
    pub n_in: usize,
    /// Hidden units.
    pub n: usize,
    /// Outputs (logits).
    pub n_out: usize,
    /// Leak α = dt/τ (1 for the paper's tasks).
    pub alpha: T,
    /// Nonlinearity.
    pub act: Activation,
    /// Input weights.
    pub w_in: Vec<T>,
    /// Recurrent weights.
    pub w_h: Vec<T>,
    /// Readout weights.
    pub w_out: Vec<T>,
}

/// Gradients with the same layout as [`Rnn`]'s weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads<T> {
    /// ∂L/∂W_in.
    pub w_in: Vec<T>,
    /// ∂L/∂W_h.
    pub w_h: Vec<T>,
    /// ∂L/∂W_out.
    pub w_out: Vec<T>,
}

/// Activations kept from the forward pass, and backward scratch; reused across iterations.
#[derive(Clone, Debug, Default)]
pub struct Tape<T> {
    /// Steps of the last forward pass.
    pub steps: usize,
    /// Trials of the last forward pass.
    pub batch: usize,
    /// Hidden states, `(steps·batch) × n`.
    pub h: Vec<T>,
    /// Logits, `(steps·batch) × n_out`.
    pub y: Vec<T>,
    g: Vec<T>,
    dy: Vec<T>,
}

fn uniform<T: Real, R: Rng + ?Sized>(rng: &mut R, len: usize, bound: f64) -> Vec<T> {
    (0..len)
        .map(|_| T::of(rng.random_range(-bound..bound)))
        .collect()
}

fn mm<T: Real>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    gemm_internal(alpha, a, b, beta, c);
}

impl<T: Real> Rnn<T> {
    /// PyTorch `nn.Linear` default input and readout weights, U(±1/√fan_in), and `w_h = 0`
    /// (set it with an initialisation from [`crate::init`]).
    pub fn new_pytorch<R: Rng + ?Sized>(
        n_in: usize,
        n: usize,
        n_out: usize,
        act: Activation,
        rng: &mut R,
    ) -> Self {
        let w_in = uniform(rng, n * n_in, 1.0 / (n_in as f64).sqrt());
        let w_out = uniform(rng, n_out * n, 1.0 / (n as f64).sqrt());
        Self {
            n_in,
            n,
            n_out,
            alpha: T::one(),
            act,
            w_in,
            w_h: vec![T::zero(); n * n],
            w_out,
        }
    }

    /// Zero gradients of this network's shape.
    pub fn zero_grads(&self) -> Grads<T> {
        Grads {
            w_in: vec![T::zero(); self.w_in.len()],
            w_h: vec![T::zero(); self.w_h.len()],
            w_out: vec![T::zero(); self.w_out.len()],
        }
    }

    /// Converts the weights to another float type.
    pub fn cast<U: Real>(&self) -> Rnn<U> {
        let c = |v: &[T]| v.iter().map(|x| U::of(x.f64())).collect();
        Rnn {
            n_in: self.n_in,
            n: self.n,
            n_out: self.n_out,
            alpha: U::of(self.alpha.f64()),
            act: self.act,
            w_in: c(&self.w_in),
            w_h: c(&self.w_h),
            w_out: c(&self.w_out),
        }
    }

    /// Applies φ in place.
    pub fn activate(&self, z: &mut [T]) {
        match self.act {
            Activation::Relu => z.iter_mut().for_each(|v| *v = v.max(T::zero())),
            Activation::Tanh => T::tanh_slice(z),
        }
    }

    /// `g ← g ⊙ φ'(z)`, with φ' written in terms of `h = φ(z)`.
    pub fn mul_deriv(&self, g: &mut [T], h: &[T]) {
        match self.act {
            Activation::Relu => g.iter_mut().zip(h).for_each(|(g, &h)| {
                if h <= T::zero() {
                    *g = T::zero();
                }
            }),
            Activation::Tanh => g
                .iter_mut()
                .zip(h)
                .for_each(|(g, &h)| *g *= T::one() - h * h),
        }
    }

    /// Runs the network on `x` (`(steps·batch) × n_in`, time-major), filling `tape.h` and
    /// `tape.y`. `h_0 = 0`.
    pub fn forward(
        &self,
        x: &[T],
        steps: usize,
        batch: usize,
        tape: &mut Tape<T>,
    ) -> Result<(), ModelError> {
        let (n, tb) = (self.n, steps * batch);
        if x.len() != tb * self.n_in {
            return Err(ModelError::Shape {
                what: "inputs",
                expected: tb * self.n_in,
                got: x.len(),
            });
        }
        tape.steps = steps;
        tape.batch = batch;
        tape.h.resize(tb * n, T::zero());
        tape.y.resize(tb * self.n_out, T::zero());
        let a = self.alpha;
        // α·W_in x_t for every step in one GEMM
        mm(
            a,
            MatRef::row_major(x, tb, self.n_in),
            MatRef::row_major(&self.w_in, n, self.n_in).t(),
            T::zero(),
            MatMut::row_major(&mut tape.h, tb, n),
        );
        let w_h_t = MatRef::row_major(&self.w_h, n, n).t();
        for t in 0..steps {
            let (prev, rest) = tape.h.split_at_mut(t * batch * n);
            let cur = &mut rest[..batch * n];
            if t > 0 {
                let hp = &prev[(t - 1) * batch * n..];
                if a != T::one() {
                    let leak = T::one() - a;
                    cur.iter_mut().zip(hp).for_each(|(c, &p)| *c += leak * p);
                }
                mm(
                    a,
                    MatRef::row_major(hp, batch, n),
                    w_h_t,
                    T::one(),
                    MatMut::row_major(cur, batch, n),
                );
            }
            self.activate(cur);
        }
        mm(
            T::one(),
            MatRef::row_major(&tape.h, tb, n),
            MatRef::row_major(&self.w_out, self.n_out, n).t(),
            T::zero(),
            MatMut::row_major(&mut tape.y, tb, self.n_out),
        );
        Ok(())
    }

    /// Mean cross-entropy of the logits in `tape` over the rows `loss_steps` selects; fills
    /// `tape.dy` with its gradient with respect to the logits.
    fn cross_entropy(
        &self,
        labels: &[u32],
        loss_steps: LossSteps,
        tape: &mut Tape<T>,
    ) -> Result<f64, ModelError> {
        let (k, tb) = (self.n_out, tape.steps * tape.batch);
        if labels.len() != tb {
            return Err(ModelError::Shape {
                what: "labels",
                expected: tb,
                got: labels.len(),
            });
        }
        let first = match loss_steps {
            LossSteps::All => 0,
            LossSteps::Last => (tape.steps - 1) * tape.batch,
        };
        let count = (tb - first) as f64;
        tape.dy.clear();
        tape.dy.resize(tb * k, T::zero());
        let mut loss = 0.0;
        let mut p = vec![0.0f64; k];
        for (r, &label) in labels.iter().enumerate().skip(first) {
            if label as usize >= k {
                return Err(ModelError::Label {
                    label,
                    row: r,
                    n_out: k,
                });
            }
            let row = &tape.y[r * k..(r + 1) * k];
            let max = row
                .iter()
                .map(|v| v.f64())
                .fold(f64::NEG_INFINITY, f64::max);
            let mut sum = 0.0;
            for (pi, v) in p.iter_mut().zip(row) {
                *pi = (v.f64() - max).exp();
                sum += *pi;
            }
            loss += sum.ln() + max - row[label as usize].f64();
            for (j, pi) in p.iter().enumerate() {
                let target = if j == label as usize { 1.0 } else { 0.0 };
                tape.dy[r * k + j] = T::of((pi / sum - target) / count);
            }
        }
        let loss = loss / count;
        if !loss.is_finite() {
            return Err(ModelError::NonFinite { loss });
        }
        Ok(loss)
    }

    /// Forward pass, mean cross-entropy and every weight gradient (overwriting `grads`).
    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors the flat buffer layout; a struct would only rename them"
    )]
    pub fn loss_and_grads(
        &self,
        x: &[T],
        labels: &[u32],
        steps: usize,
        batch: usize,
        loss_steps: LossSteps,
        tape: &mut Tape<T>,
        grads: &mut Grads<T>,
    ) -> Result<f64, ModelError> {
        self.forward(x, steps, batch, tape)?;
        let loss = self.cross_entropy(labels, loss_steps, tape)?;
        self.backward(x, tape, grads);
        Ok(loss)
    }

    /// Backpropagates `tape.dy` (∂L/∂y) through time into `grads`.
    fn backward(&self, x: &[T], tape: &mut Tape<T>, grads: &mut Grads<T>) {
        let (n, k, steps, batch) = (self.n, self.n_out, tape.steps, tape.batch);
        let tb = steps * batch;
        let a = self.alpha;
        let h = MatRef::row_major(&tape.h, tb, n);
        let dy = MatRef::row_major(&tape.dy, tb, k);
        // readout: dW_out = dYᵀ H, dH = dY W_out
        mm(
            T::one(),
            dy.t(),
            h,
            T::zero(),
            MatMut::row_major(&mut grads.w_out, k, n),
        );
        tape.g.resize(tb * n, T::zero());
        mm(
            T::one(),
            dy,
            MatRef::row_major(&self.w_out, k, n),
            T::zero(),
            MatMut::row_major(&mut tape.g, tb, n),
        );
        // through time: g_t = φ'(z_t) ⊙ dh_t; dh_{t-1} += (1-α) g_t + α g_t W_h
        let w_h = MatRef::row_major(&self.w_h, n, n);
        for t in (0..steps).rev() {
            let (prev, rest) = tape.g.split_at_mut(t * batch * n);
            let cur = &mut rest[..batch * n];
            self.mul_deriv(cur, &tape.h[t * batch * n..(t + 1) * batch * n]);
            if t > 0 {
                let gp = &mut prev[(t - 1) * batch * n..];
                if a != T::one() {
                    let leak = T::one() - a;
                    gp.iter_mut()
                        .zip(cur.iter())
                        .for_each(|(p, &c)| *p += leak * c);
                }
                mm(
                    a,
                    MatRef::row_major(cur, batch, n),
                    w_h,
                    T::one(),
                    MatMut::row_major(gp, batch, n),
                );
            }
        }
        // weights: one GEMM each over all steps (h_{-1} = 0 drops the first step for W_h)
        let g_all = MatRef::row_major(&tape.g, tb, n);
        if steps > 1 {
            let rows = (steps - 1) * batch;
            let g_late = MatRef::row_major(&tape.g[batch * n..], rows, n);
            let h_early = MatRef::row_major(&tape.h[..rows * n], rows, n);
            mm(
                a,
                g_late.t(),
                h_early,
                T::zero(),
                MatMut::row_major(&mut grads.w_h, n, n),
            );
        } else {
            grads.w_h.fill(T::zero());
        }
        mm(
            a,
            g_all.t(),
            MatRef::row_major(x, tb, self.n_in),
            T::zero(),
            MatMut::row_major(&mut grads.w_in, n, self.n_in),
        );
    }

    /// Mean cross-entropy only (no gradients), in `f64` accumulation.
    pub fn loss(
        &self,
        x: &[T],
        labels: &[u32],
        steps: usize,
        batch: usize,
        loss_steps: LossSteps,
    ) -> Result<f64, ModelError> {
        let mut tape = Tape::default();
        self.forward(x, steps, batch, &mut tape)?;
        self.cross_entropy(labels, loss_steps, &mut tape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    fn small(act: Activation, alpha: f64) -> (Rnn<f64>, Vec<f64>, Vec<u32>) {
        let mut rng = nc_core::rng::stream(3, "model-test", 0);
        let mut net = Rnn::<f64>::new_pytorch(3, 7, 3, act, &mut rng);
        net.alpha = alpha;
        net.w_h = (0..49).map(|_| rng.random_range(-0.6..0.6)).collect();
        let (steps, batch) = (5, 4);
        let x = (0..steps * batch * 3)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let labels = (0..steps * batch)
            .map(|_| rng.random_range(0..3u32))
            .collect();
        (net, x, labels)
    }

    fn check_fd(act: Activation, alpha: f64, loss_steps: LossSteps) {
        let (net, x, labels) = small(act, alpha);
        let mut tape = Tape::default();
        let mut g = net.zero_grads();
        net.loss_and_grads(&x, &labels, 5, 4, loss_steps, &mut tape, &mut g)
            .unwrap();
        let eps = 1e-6;
        let mut worst: f64 = 0.0;
        for which in 0..3 {
            let len = [net.w_in.len(), net.w_h.len(), net.w_out.len()][which];
            for i in 0..len {
                let f = |d: f64| {
                    let mut m = net.clone();
                    [&mut m.w_in, &mut m.w_h, &mut m.w_out][which][i] += d;
                    m.loss(&x, &labels, 5, 4, loss_steps).unwrap()
                };
                let fd = (f(eps) - f(-eps)) / (2.0 * eps);
                let an = [&g.w_in, &g.w_h, &g.w_out][which][i];
                worst = worst.max((fd - an).abs());
            }
        }
        assert!(
            worst < 1e-7,
            "{act:?} α={alpha}: worst |fd - bptt| = {worst:e}"
        );
    }

    #[test]
    fn bptt_matches_central_differences() {
        check_fd(Activation::Tanh, 1.0, LossSteps::All);
        check_fd(Activation::Tanh, 0.3, LossSteps::Last);
        check_fd(Activation::Relu, 1.0, LossSteps::All);
        check_fd(Activation::Relu, 0.5, LossSteps::All);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let (net, x, labels) = small(Activation::Relu, 1.0);
        let mut tape = Tape::default();
        assert!(matches!(
            net.forward(&x[1..], 5, 4, &mut tape),
            Err(ModelError::Shape { .. })
        ));
        let mut g = net.zero_grads();
        let mut bad = labels.clone();
        bad[3] = 9;
        let r = net.loss_and_grads(&x, &bad, 5, 4, LossSteps::All, &mut tape, &mut g);
        assert!(matches!(
            r,
            Err(ModelError::Label {
                label: 9,
                row: 3,
                ..
            })
        ));
    }
}
