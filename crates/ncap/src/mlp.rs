//! Multi-layer perceptrons with hand-written batched forward and backward passes on
//! [`nc_core::gemm::matmul`] and its dense-layer epilogues, laid out like PyTorch `nn.Linear`
//! stacks (weight `out × in`, then bias), in `f32` or `f64` ([`Real`]).
//!
//! A forward pass keeps each layer's output in an [`MlpCache`] for the backward pass; the
//! cache's buffers grow to the largest batch seen and are reused, so repeated passes of one
//! batch size allocate nothing.

use crate::precision::{Real, wide};
use nc_core::gemm::{
    Act, MatMut, MatRef, dense_backward_epilogue, dense_forward, internal, matmul,
};
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

impl Activation {
    fn act(self) -> Act {
        match self {
            Activation::Tanh => Act::Tanh,
            Activation::Relu => Act::Relu,
            Activation::Identity => Act::Identity,
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
    /// A loaded parameter is NaN or infinite (in the network's precision).
    #[error("mlp parameter {index} is not finite")]
    NonFinite {
        /// Its index.
        index: usize,
    },
}

/// A fully connected network `sizes[0] → … → sizes[L]` with one activation per layer, its
/// parameters in `T` (`f64` unless stated).
///
/// Loading checks the layout: widths non-zero, one activation per layer, as many finite
/// parameters as the widths need. Files hold the parameters as `f64` whatever `T` is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "MlpFile", bound(serialize = "", deserialize = ""))]
pub struct Mlp<T: Real = f64> {
    sizes: Vec<usize>,
    acts: Vec<Activation>,
    #[serde(with = "wide")]
    params: Vec<T>,
}

// the saved form, checked by `TryFrom` before it becomes an `Mlp`
#[derive(Deserialize)]
struct MlpFile {
    sizes: Vec<usize>,
    acts: Vec<Activation>,
    params: Vec<f64>,
}

impl<T: Real> TryFrom<MlpFile> for Mlp<T> {
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
        let params: Vec<T> = f.params.into_iter().map(T::of).collect();
        if let Some(index) = params.iter().position(|p| !p.is_finite()) {
            return Err(MlpError::NonFinite { index });
        }
        Ok(Mlp {
            sizes: f.sizes,
            acts: f.acts,
            params,
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

/// Per-layer outputs of a batched forward pass, kept for the backward pass, and the backward
/// pass's scratch. Buffers only grow.
#[derive(Clone, Debug, Default)]
pub struct MlpCache<T = f64> {
    batch: usize,
    // a copy of the input (`Mlp::forward` only; the view passes leave it empty)
    input: Vec<T>,
    // outs[l]: the output of layer l after its activation, `batch × sizes[l+1]`
    outs: Vec<Vec<T>>,
    delta: Vec<T>,
    delta_prev: Vec<T>,
}

impl<T: Real> MlpCache<T> {
    /// The network's output rows (`batch × sizes[L]`) of the last forward pass.
    pub fn output(&self) -> &[T] {
        self.outs.last().map_or(&[], |v| v.as_slice())
    }
    /// Rows in the last forward pass.
    pub fn batch(&self) -> usize {
        self.batch
    }
}

/// How a backward pass writes the parameter gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradMode {
    /// `grad += ∂L/∂params`.
    Accumulate,
    /// `grad = ∂L/∂params` (the old contents are not read).
    Overwrite,
}

// `v` resized to `n` without reallocating once it has held `n`
fn sized<T: Real>(v: &mut Vec<T>, n: usize) -> &mut [T] {
    v.resize(n, T::zero());
    &mut v[..n]
}

impl<T: Real> Mlp<T> {
    /// A network with PyTorch's default `nn.Linear` init: weights and biases U(±1/√fan_in),
    /// drawn in `f64` and rounded to `T`.
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
                params.push(T::of(rng.random_range(-bound..bound)));
            }
        }
        Ok(Self {
            sizes: sizes.to_vec(),
            acts: acts.to_vec(),
            params,
        })
    }

    /// The same network in precision `U`.
    pub fn cast<U: Real>(&self) -> Mlp<U> {
        Mlp {
            sizes: self.sizes.clone(),
            acts: self.acts.clone(),
            params: crate::precision::cast(&self.params),
        }
    }

    /// Layer widths, input first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
    /// Activations, one per layer.
    pub fn activations(&self) -> &[Activation] {
        &self.acts
    }
    /// Whether `other` has the same widths and activations.
    pub fn same_shape<U: Real>(&self, other: &Mlp<U>) -> bool {
        self.sizes == other.sizes && self.acts == other.acts
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
    pub fn params(&self) -> &[T] {
        &self.params
    }
    /// Flat parameters, for optimisers.
    pub fn params_mut(&mut self) -> &mut [T] {
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
        input: &[T],
        batch: usize,
        cache: &mut MlpCache<T>,
    ) -> Result<(), MlpError> {
        let n_in = self.n_in();
        if input.len() != batch * n_in {
            return Err(MlpError::Shape {
                what: "input",
                expected: batch * n_in,
                got: input.len(),
            });
        }
        let mut stored = std::mem::take(&mut cache.input);
        stored.clear();
        stored.extend_from_slice(input);
        self.forward_rows(MatRef::row_major(&stored, batch, n_in), cache);
        cache.input = stored;
        Ok(())
    }

    /// Forward pass on the rows of `x` (`batch × n_in`, any row stride: a column block of a
    /// wider buffer works). The input is not copied: pass the same `x` to
    /// [`Mlp::backward_rows`].
    ///
    /// # Panics
    /// If `x` is not `n_in` wide or does not fit its slice (the learners build `x` from the
    /// network's own sizes).
    pub fn forward_rows(&self, x: MatRef<'_, T>, cache: &mut MlpCache<T>) {
        assert_eq!(x.cols, self.n_in(), "mlp input width");
        let batch = x.rows;
        cache.batch = batch;
        cache.outs.resize_with(self.acts.len(), Vec::new);
        for l in 0..self.acts.len() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.offsets(l);
            let (prev, rest) = cache.outs.split_at_mut(l);
            let input = if l == 0 {
                x
            } else {
                MatRef::row_major(&prev[l - 1][..batch * fi], batch, fi)
            };
            let y = sized(&mut rest[0], batch * fo);
            internal(dense_forward(
                input,
                MatRef::row_major(&self.params[wo..bo], fo, fi).t(),
                &self.params[bo..bo + fo],
                self.acts[l].act(),
                MatMut::row_major(y, batch, fo),
            ));
        }
    }

    /// One input row to one output row (allocates a cache; for tests and single steps).
    pub fn forward_one(&self, input: &[T]) -> Result<Vec<T>, MlpError> {
        let mut cache = MlpCache::default();
        self.forward(input, 1, &mut cache)?;
        Ok(cache.output().to_vec())
    }

    /// Backward pass for the last [`Mlp::forward`]: accumulates `∂L/∂params` into `grad`
    /// given `∂L/∂output` (`batch × n_out`), and writes `∂L/∂input` into `grad_input` if
    /// given.
    pub fn backward(
        &self,
        cache: &mut MlpCache<T>,
        grad_output: &[T],
        grad: &mut [T],
        grad_input: Option<&mut [T]>,
    ) -> Result<(), MlpError> {
        let batch = cache.batch;
        if grad.len() != self.params.len() {
            return Err(MlpError::Shape {
                what: "parameter gradient",
                expected: self.params.len(),
                got: grad.len(),
            });
        }
        if let Some(gi) = &grad_input
            && gi.len() != batch * self.n_in()
        {
            return Err(MlpError::Shape {
                what: "input gradient",
                expected: batch * self.n_in(),
                got: gi.len(),
            });
        }
        if cache.input.len() != batch * self.n_in() {
            return Err(MlpError::Shape {
                what: "cached input (run forward first)",
                expected: batch * self.n_in(),
                got: cache.input.len(),
            });
        }
        let input = std::mem::take(&mut cache.input);
        let r = self.backward_rows(
            MatRef::row_major(&input, batch, self.n_in()),
            cache,
            grad_output,
            Some((grad, GradMode::Accumulate)),
            grad_input.map(|g| (g, 0..self.n_in())),
        );
        cache.input = input;
        r
    }

    /// Backward pass for the last [`Mlp::forward_rows`] on `x`: given `∂L/∂output`
    /// (`batch × n_out`), writes or accumulates `∂L/∂params` into `grad` if given, and writes
    /// the input gradient of the input columns `cols` into `grad_input` (`batch × cols.len()`)
    /// if given. Skipping what is not asked for skips its products.
    pub fn backward_rows(
        &self,
        x: MatRef<'_, T>,
        cache: &mut MlpCache<T>,
        grad_output: &[T],
        mut grad: Option<(&mut [T], GradMode)>,
        mut grad_input: Option<(&mut [T], std::ops::Range<usize>)>,
    ) -> Result<(), MlpError> {
        let batch = cache.batch;
        if grad_output.len() != batch * self.n_out() {
            return Err(MlpError::Shape {
                what: "output gradient",
                expected: batch * self.n_out(),
                got: grad_output.len(),
            });
        }
        if let Some((g, _)) = &grad
            && g.len() != self.params.len()
        {
            return Err(MlpError::Shape {
                what: "parameter gradient",
                expected: self.params.len(),
                got: g.len(),
            });
        }
        if let Some((g, cols)) = &grad_input
            && (cols.end > self.n_in() || cols.start > cols.end || g.len() != batch * cols.len())
        {
            return Err(MlpError::Shape {
                what: "input gradient",
                expected: batch * cols.len(),
                got: g.len(),
            });
        }
        assert_eq!((x.rows, x.cols), (batch, self.n_in()), "mlp backward input");
        // both buffers hold the widest layer, so swapping them never re-zeroes either
        let widest = batch * self.sizes.iter().max().copied().unwrap_or(0);
        let mut delta = std::mem::take(&mut cache.delta);
        let mut delta_prev = std::mem::take(&mut cache.delta_prev);
        for v in [&mut delta, &mut delta_prev] {
            if v.len() < widest {
                v.resize(widest, T::zero());
            }
        }
        delta[..grad_output.len()].copy_from_slice(grad_output);
        for l in (0..self.acts.len()).rev() {
            let (fi, fo) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.offsets(l);
            let y = MatRef::row_major(&cache.outs[l][..batch * fo], batch, fo);
            let d = &mut delta[..batch * fo];
            // through the activation, with the bias gradient in the same pass
            let (gw, gb, mode) = match grad.as_mut() {
                Some((g, mode)) => {
                    let (gw, gb) = g[wo..bo + fo].split_at_mut(bo - wo);
                    (Some(gw), Some(gb), *mode)
                }
                None => (None, None, GradMode::Overwrite),
            };
            let acc = mode == GradMode::Accumulate;
            internal(dense_backward_epilogue(
                self.acts[l].act(),
                y,
                MatMut::row_major(d, batch, fo),
                gb,
                acc,
            ));
            let input = if l == 0 {
                x
            } else {
                MatRef::row_major(&cache.outs[l - 1][..batch * fi], batch, fi)
            };
            // dW (+)= δᵀ·x
            if let Some(gw) = gw {
                internal(matmul(
                    MatRef::row_major(d, batch, fo).t(),
                    input,
                    MatMut::row_major(gw, fo, fi),
                    acc,
                ));
            }
            // δ_prev = δ·W (only the asked columns of the first layer's input)
            let w = MatRef::row_major(&self.params[wo..bo], fo, fi);
            if l > 0 {
                let dp = &mut delta_prev[..batch * fi];
                internal(matmul(
                    MatRef::row_major(d, batch, fo),
                    w,
                    MatMut::row_major(dp, batch, fi),
                    false,
                ));
                std::mem::swap(&mut delta, &mut delta_prev);
            } else if let Some((gi, cols)) = grad_input.take() {
                let n = cols.len();
                let wc = MatRef::strided(&w.data[cols.start..], fo, n, fi, 1);
                internal(matmul(
                    MatRef::row_major(d, batch, fo),
                    wc,
                    MatMut::row_major(gi, batch, n),
                    false,
                ));
                break;
            }
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
        let mlp = Mlp::<f64>::new(sizes, acts, &mut rng).unwrap();
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
        // the view passes: the input as a column block of a wider buffer, overwrite mode,
        // the input gradient of the last two columns only, and the same numbers in f32
        let n_in = sizes[0];
        let wide: Vec<f64> = x
            .chunks(n_in)
            .flat_map(|r| [r, &[9.0, 9.0]].concat())
            .collect();
        let xv = MatRef::strided(&wide, batch, n_in, n_in + 2, 1);
        let mut cv = MlpCache::default();
        mlp.forward_rows(xv, &mut cv);
        assert_eq!(cv.output(), cache.output());
        let mut g2 = vec![f64::NAN; mlp.n_params()];
        let mut gx2 = vec![0.0; batch * 2];
        let cols = n_in - 2..n_in;
        mlp.backward_rows(
            xv,
            &mut cv,
            &c,
            Some((&mut g2, GradMode::Overwrite)),
            Some((&mut gx2, cols.clone())),
        )
        .unwrap();
        for (a, b) in g.iter().zip(&g2) {
            assert!((a - b).abs() < 1e-12, "overwrite grad {a} vs {b}");
        }
        for r in 0..batch {
            for (j, col) in cols.clone().enumerate() {
                assert!((gx2[r * 2 + j] - gx[r * n_in + col]).abs() < 1e-12);
            }
        }
        let m32: Mlp<f32> = mlp.cast();
        let x32: Vec<f32> = crate::precision::cast(&x);
        let c32: Vec<f32> = crate::precision::cast(&c);
        let mut c32c = MlpCache::default();
        m32.forward(&x32, batch, &mut c32c).unwrap();
        let mut g32 = vec![0.0f32; mlp.n_params()];
        m32.backward(&mut c32c, &c32, &mut g32, None).unwrap();
        for (a, b) in g.iter().zip(&g32) {
            assert!(
                (a - f64::from(*b)).abs() < 1e-4 * (1.0 + a.abs()),
                "f32 grad {a} vs {b}"
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
    fn counts_and_init_follow_pytorch() {
        use Activation::*;
        let mut rng = nc_core::rng::stream(1, "t", 0);
        let m = Mlp::<f64>::new(&[24, 64, 64, 5], &[Tanh, Tanh, Tanh], &mut rng).unwrap();
        assert_eq!(m.n_params(), 24 * 64 + 64 + 64 * 64 + 64 + 64 * 5 + 5);
        let bound = 1.0 / 24f64.sqrt();
        assert!(m.params()[..24 * 64 + 64].iter().all(|p| p.abs() <= bound));
        assert!(Mlp::<f64>::new(&[3], &[], &mut rng).is_err());
        assert!(Mlp::<f64>::new(&[3, 2], &[Tanh, Tanh], &mut rng).is_err());
        assert!(m.forward_one(&[0.0; 3]).is_err());
    }

    #[test]
    fn files_hold_f64_and_an_f32_network_round_trips_exactly() {
        use Activation::*;
        let mut rng = nc_core::rng::stream(2, "t", 0);
        let m = Mlp::<f32>::new(&[5, 7, 2], &[Relu, Tanh], &mut rng).unwrap();
        let s = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Mlp<f32>>(&s).unwrap(), m);
        let wide: Mlp<f64> = serde_json::from_str(&s).unwrap();
        assert_eq!(wide, m.cast::<f64>());
        // an f64 value beyond f32's range is refused by an f32 network, not made infinite
        let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
        v["params"][3] = serde_json::json!(1e300);
        let err = serde_json::from_value::<Mlp<f32>>(v).unwrap_err();
        assert!(
            err.to_string().contains("parameter 3 is not finite"),
            "{err}"
        );
    }
}
