//! Multi-layer perceptrons with hand-written batched forward and backward passes on
//! [`nc_core::gemm`], laid out like PyTorch `nn.Linear` stacks (weight `out × in`, then bias).

use nc_core::gemm::{MatMut, MatRef, gemm_internal};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A layer's activation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `tanh(x)`.
    Tanh,
    /// `max(x, 0)`.
    Relu,
    /// `x`.
    Identity,
}

/// `tanh` through one `exp` (about 3× cheaper than libm's `tanh`; absolute error < 1e-15).
#[inline]
pub fn tanh(x: f64) -> f64 {
    // beyond ±20, tanh is ±1 to double precision and exp would overflow for large |x|
    let x = x.clamp(-20.0, 20.0);
    1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
}

impl Activation {
    #[inline]
    fn apply(self, x: f64) -> f64 {
        match self {
            Activation::Tanh => tanh(x),
            Activation::Relu => x.max(0.0),
            Activation::Identity => x,
        }
    }
    // derivative expressed through the output y, as PyTorch's backward does
    #[inline]
    fn grad_from_output(self, y: f64) -> f64 {
        match self {
            Activation::Tanh => 1.0 - y * y,
            Activation::Relu => f64::from(u8::from(y > 0.0)),
            Activation::Identity => 1.0,
        }
    }
}

/// Why an MLP call was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum MlpError {
    /// A buffer has the wrong length.
    #[error("mlp {what} has {got} values, expected {expected}")]
    Shape {
        /// Which buffer.
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// The architecture has no layers, a zero width, or more parameters than fit in memory.
    #[error(
        "mlp needs at least one layer, non-zero widths and at most 10^8 parameters, got sizes {sizes:?}"
    )]
    BadSizes {
        /// The sizes given.
        sizes: Vec<usize>,
    },
    /// A loaded parameter is NaN or infinite.
    #[error("mlp parameter {index} is not finite")]
    NonFinite {
        /// Its index.
        index: usize,
    },
}

/// A fully connected network `sizes[0] → … → sizes[L]` with one activation per layer.
///
/// Loading checks the layout: widths non-zero, one activation per layer, as many finite
/// parameters as the widths need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MlpFile")]
pub struct Mlp {
    sizes: Vec<usize>,
    acts: Vec<Activation>,
    params: Vec<f64>,
}

// the saved form, checked by `TryFrom` before it becomes an `Mlp`
#[derive(Deserialize)]
struct MlpFile {
    sizes: Vec<usize>,
    acts: Vec<Activation>,
    params: Vec<f64>,
}

impl TryFrom<MlpFile> for Mlp {
    type Error = MlpError;
    fn try_from(f: MlpFile) -> Result<Self, MlpError> {
        let n = param_count(&f.sizes)?;
        if f.acts.len() != f.sizes.len() - 1 {
            return Err(MlpError::Shape {
                what: "activation list",
                expected: f.sizes.len() - 1,
                got: f.acts.len(),
            });
        }
        if f.params.len() != n {
            return Err(MlpError::Shape {
                what: "parameter list",
                expected: n,
                got: f.params.len(),
            });
        }
        if let Some(index) = f.params.iter().position(|p| !p.is_finite()) {
            return Err(MlpError::NonFinite { index });
        }
        Ok(Mlp {
            sizes: f.sizes,
            acts: f.acts,
            params: f.params,
        })
    }
}

/// The most parameters one network may have (8·10⁸ bytes of f64), so that a mistyped width
/// is an error rather than an allocation failure.
pub const MAX_PARAMS: usize = 100_000_000;

/// Parameters of a network with these widths; refuses empty or zero widths and networks of
/// more than [`MAX_PARAMS`].
pub fn param_count(sizes: &[usize]) -> Result<usize, MlpError> {
    let bad = || MlpError::BadSizes {
        sizes: sizes.to_vec(),
    };
    if sizes.len() < 2 || sizes.contains(&0) {
        return Err(bad());
    }
    sizes.windows(2).try_fold(0usize, |acc, w| {
        w[1].checked_mul(w[0])
            .and_then(|x| x.checked_add(w[1]))
            .and_then(|x| x.checked_add(acc))
            .filter(|&x| x <= MAX_PARAMS)
            .ok_or_else(bad)
    })
}

/// Per-layer outputs of a batched forward pass, kept for the backward pass.
#[derive(Clone, Debug, Default)]
pub struct MlpCache {
    batch: usize,
    // outs[0] is the input, outs[l+1] the output of layer l (after activation)
    outs: Vec<Vec<f64>>,
    // backward scratch
    delta: Vec<f64>,
    delta_prev: Vec<f64>,
}

impl MlpCache {
    /// The network's output rows (`batch × sizes[L]`) of the last forward pass.
    pub fn output(&self) -> &[f64] {
        self.outs.last().map_or(&[], |v| v.as_slice())
    }
    /// Rows in the last forward pass.
    pub fn batch(&self) -> usize {
        self.batch
    }
}

impl Mlp {
    /// A network with PyTorch's default `nn.Linear` init: weights and biases U(±1/√fan_in).
    pub fn new(sizes: &[usize], acts: &[Activation], rng: &mut impl Rng) -> Result<Self, MlpError> {
        let n = param_count(sizes)?;
        if acts.len() != sizes.len() - 1 {
            return Err(MlpError::Shape {
                what: "activation list",
                expected: sizes.len() - 1,
                got: acts.len(),
            });
        }
        let mut params = Vec::with_capacity(n);
        for w in sizes.windows(2) {
            let bound = 1.0 / (w[0] as f64).sqrt();
            for _ in 0..w[1] * w[0] + w[1] {
                params.push(rng.random_range(-bound..bound));
            }
        }
        Ok(Self {
            sizes: sizes.to_vec(),
            acts: acts.to_vec(),
            params,
        })
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// Activations, one per layer.
    pub fn activations(&self) -> &[Activation] {
        &self.acts
    }
    /// Input width.
    pub fn n_in(&self) -> usize {
        self.sizes[0]
    }
    /// Output width.
    pub fn n_out(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }
    /// Number of parameters.
    pub fn n_params(&self) -> usize {
        self.params.len()
    }
    /// Flat parameters: per layer the row-major `out × in` weight, then the bias.
    pub fn params(&self) -> &[f64] {
        &self.params
    }
    /// Flat parameters, for optimisers.
    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }

    // (weight offset, bias offset) of layer l
    fn offsets(&self, l: usize) -> (usize, usize) {
        let mut off = 0;
        for w in self.sizes.windows(2).take(l) {
            off += w[1] * w[0] + w[1];
        }
        (off, off + self.sizes[l + 1] * self.sizes[l])
    }

    /// Forward pass on `batch` row-major input rows; the output is `cache.output()`.
    pub fn forward(
        &self,
        input: &[f64],
        batch: usize,
        cache: &mut MlpCache,
    ) -> Result<(), MlpError> {
        let n_in = self.n_in();
        if input.len() != batch * n_in {
            return Err(MlpError::Shape {
                what: "input",
                expected: batch * n_in,
                got: input.len(),
            });
        }
        cache.batch = batch;
        cache.outs.resize_with(self.sizes.len(), Vec::new);
        cache.outs[0].clear();
        cache.outs[0].extend_from_slice(input);
        for l in 0..self.acts.len() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.offsets(l);
            let (prev, rest) = cache.outs.split_at_mut(l + 1);
            let x = &prev[l];
            let y = &mut rest[0];
            y.clear();
            // bias first, then y += x · Wᵀ
            for _ in 0..batch {
                y.extend_from_slice(&self.params[bo..bo + fo]);
            }
            let w = MatRef::row_major(&self.params[wo..bo], fo, fi).t();
            gemm_internal(
                1.0,
                MatRef::row_major(x, batch, fi),
                w,
                1.0,
                MatMut::row_major(y, batch, fo),
            );
            let act = self.acts[l];
            if act != Activation::Identity {
                for v in y.iter_mut() {
                    *v = act.apply(*v);
                }
            }
        }
        Ok(())
    }

    /// One input row to one output row (allocates a cache; for tests and single steps).
    pub fn forward_one(&self, input: &[f64]) -> Result<Vec<f64>, MlpError> {
        let mut cache = MlpCache::default();
        self.forward(input, 1, &mut cache)?;
        Ok(cache.output().to_vec())
    }

    /// Backward pass for the last forward: accumulates `∂L/∂params` into `grad` given
    /// `∂L/∂output` (`batch × n_out`), and writes `∂L/∂input` into `grad_input` if given.
    pub fn backward(
        &self,
        cache: &mut MlpCache,
        grad_output: &[f64],
        grad: &mut [f64],
        grad_input: Option<&mut [f64]>,
    ) -> Result<(), MlpError> {
        let batch = cache.batch;
        if grad_output.len() != batch * self.n_out() {
            return Err(MlpError::Shape {
                what: "output gradient",
                expected: batch * self.n_out(),
                got: grad_output.len(),
            });
        }
        if grad.len() != self.params.len() {
            return Err(MlpError::Shape {
                what: "parameter gradient",
                expected: self.params.len(),
                got: grad.len(),
            });
        }
        let mut delta = std::mem::take(&mut cache.delta);
        let mut delta_prev = std::mem::take(&mut cache.delta_prev);
        delta.clear();
        delta.extend_from_slice(grad_output);
        let n_layers = self.acts.len();
        for l in (0..n_layers).rev() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.offsets(l);
            // through the activation
            let act = self.acts[l];
            if act != Activation::Identity {
                for (d, y) in delta.iter_mut().zip(&cache.outs[l + 1]) {
                    *d *= act.grad_from_output(*y);
                }
            }
            // dW += δᵀ·x, db += Σ_rows δ
            let x = &cache.outs[l];
            let (gw, gb) = grad[wo..bo + fo].split_at_mut(bo - wo);
            gemm_internal(
                1.0,
                MatRef::row_major(&delta, batch, fo).t(),
                MatRef::row_major(x, batch, fi),
                1.0,
                MatMut::row_major(gw, fo, fi),
            );
            for row in delta.chunks_exact(fo) {
                for (g, d) in gb.iter_mut().zip(row) {
                    *g += d;
                }
            }
            // δ_prev = δ·W
            if l > 0 || grad_input.is_some() {
                delta_prev.clear();
                delta_prev.resize(batch * fi, 0.0);
                gemm_internal(
                    1.0,
                    MatRef::row_major(&delta, batch, fo),
                    MatRef::row_major(&self.params[wo..bo], fo, fi),
                    0.0,
                    MatMut::row_major(&mut delta_prev, batch, fi),
                );
                std::mem::swap(&mut delta, &mut delta_prev);
            }
        }
        if let Some(gi) = grad_input {
            if gi.len() != delta.len() {
                return Err(MlpError::Shape {
                    what: "input gradient",
                    expected: delta.len(),
                    got: gi.len(),
                });
            }
            gi.copy_from_slice(&delta);
        }
        cache.delta = delta;
        cache.delta_prev = delta_prev;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // f(params) = Σ c ⊙ output, checked against central differences
    fn check_fd(sizes: &[usize], acts: &[Activation], batch: usize) {
        let mut rng = nc_core::rng::stream(11, "mlp-fd", sizes[1] as u64);
        let mlp = Mlp::new(sizes, acts, &mut rng).unwrap();
        let x: Vec<f64> = (0..batch * sizes[0])
            .map(|_| rng.random_range(-2.0..2.0))
            .collect();
        let c: Vec<f64> = (0..batch * mlp.n_out())
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let f = |m: &Mlp, x: &[f64]| {
            let mut cache = MlpCache::default();
            m.forward(x, batch, &mut cache).unwrap();
            cache
                .output()
                .iter()
                .zip(&c)
                .map(|(a, b)| a * b)
                .sum::<f64>()
        };
        let mut cache = MlpCache::default();
        mlp.forward(&x, batch, &mut cache).unwrap();
        let mut g = vec![0.0; mlp.n_params()];
        let mut gx = vec![0.0; x.len()];
        mlp.backward(&mut cache, &c, &mut g, Some(&mut gx)).unwrap();
        let h = 1e-6;
        for k in (0..mlp.n_params()).step_by(7) {
            let (mut a, mut b) = (mlp.clone(), mlp.clone());
            a.params_mut()[k] += h;
            b.params_mut()[k] -= h;
            let fd = (f(&a, &x) - f(&b, &x)) / (2.0 * h);
            assert!(
                (fd - g[k]).abs() < 1e-6 * (1.0 + fd.abs()),
                "param {k}: fd {fd} vs {}",
                g[k]
            );
        }
        for k in 0..x.len() {
            let (mut xa, mut xb) = (x.clone(), x.clone());
            xa[k] += h;
            xb[k] -= h;
            let fd = (f(&mlp, &xa) - f(&mlp, &xb)) / (2.0 * h);
            assert!(
                (fd - gx[k]).abs() < 1e-6 * (1.0 + fd.abs()),
                "input {k}: fd {fd} vs {}",
                gx[k]
            );
        }
    }

    #[test]
    fn backward_matches_finite_differences() {
        use Activation::*;
        check_fd(&[6, 8, 7, 3], &[Tanh, Tanh, Tanh], 5);
        check_fd(&[6, 9, 8, 2], &[Relu, Relu, Tanh], 4);
        check_fd(&[4, 5, 5, 1], &[Relu, Relu, Identity], 3);
    }

    #[test]
    fn fast_tanh_matches_libm() {
        let worst = (-4000..=4000)
            .map(|i| i as f64 * 0.01)
            .map(|x| (tanh(x) - x.tanh()).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-15, "{worst}");
        assert_eq!(tanh(1e300), 1.0);
        assert_eq!(tanh(-1e300), -1.0);
    }

    #[test]
    fn counts_and_init_follow_pytorch() {
        use Activation::*;
        let mut rng = nc_core::rng::stream(1, "t", 0);
        let m = Mlp::new(&[24, 64, 64, 5], &[Tanh, Tanh, Tanh], &mut rng).unwrap();
        assert_eq!(m.n_params(), 24 * 64 + 64 + 64 * 64 + 64 + 64 * 5 + 5);
        let bound = 1.0 / 24f64.sqrt();
        assert!(m.params()[..24 * 64 + 64].iter().all(|p| p.abs() <= bound));
        assert!(Mlp::new(&[3], &[], &mut rng).is_err());
        assert!(Mlp::new(&[3, 2], &[Tanh, Tanh], &mut rng).is_err());
        assert!(m.forward_one(&[0.0; 3]).is_err());
    }
}
