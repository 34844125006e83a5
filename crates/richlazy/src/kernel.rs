//! The empirical tangent kernel `K = J Jᵀ` of the logits, `J = ∂y[t,b,k]/∂θ`, without ever
//! materialising `J`.
//!
//! Each row of the recurrent Jacobian is `∂y_t[k]/∂W_h = α Σ_{s≤t} g_s h_{s−1}ᵀ`, with `g_s` the
//! backpropagated signal at step `s`, so
//! `K[r, r'] = α² Σ_{s,s'} ⟨g_s, g'_{s'}⟩ ⟨h_{s−1}, h'_{s'−1}⟩`: one Gram matrix of the signals
//! (inner dimension N) and one of the states, instead of a GEMM with inner dimension N².
//! The signals come from one batched reverse pass per output step, over all trials and logits
//! at once. Rows are ordered `(output step, trial, logit)`, like PyTorch's `y.reshape(-1)`.

use crate::model::{ModelError, Rnn, Tape};
use crate::real::Real;
use nc_core::gemm::{MatMut, MatRef, gemm_internal};
use rayon::prelude::*;
use thiserror::Error;

/// Largest number of stacked signal rows the Gram matrix may have (its size is this squared).
pub const MAX_SIGNAL_ROWS: usize = 16_384;

/// Why a kernel could not be computed.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum KernelError {
    /// The forward pass refused its inputs.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// An output step past the end of the sequence.
    #[error("kernel output step {step} is out of range for {steps} steps")]
    Step {
        /// The step asked for.
        step: usize,
        /// Steps in the sequence.
        steps: usize,
    },
    /// The signal Gram matrix would not fit.
    #[error(
        "tangent kernel needs {rows} signal rows (limit {limit}); use fewer kernel trials or output steps"
    )]
    TooLarge {
        /// Rows needed.
        rows: usize,
        /// The limit.
        limit: usize,
    },
}

/// Which parameters the Jacobian covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelParams {
    /// `W_h` only (the paper's choice).
    Recurrent,
    /// `W_in`, `W_h` and `W_out`.
    All,
}

/// The tangent kernel, `rows × rows`, row-major, in `f64`.
#[derive(Clone, Debug, PartialEq)]
pub struct TangentKernel {
    /// Number of rows: output steps × trials × logits.
    pub rows: usize,
    /// The matrix.
    pub k: Vec<f64>,
}

fn mm<T: Real>(alpha: T, a: MatRef<'_, T>, b: MatRef<'_, T>, beta: T, c: MatMut<'_, T>) {
    gemm_internal(alpha, a, b, beta, c);
}

/// `G ← G ⊙ φ'(h_s)` where row `(b, k)` of `G` belongs to trial `b`.
fn deriv_rows<T: Real>(net: &Rnn<T>, g: &mut [T], h_step: &[T], batch: usize) {
    let (n, kk) = (net.n, net.n_out);
    for b in 0..batch {
        let h = &h_step[b * n..(b + 1) * n];
        for k in 0..kk {
            let r = (b * kk + k) * n;
            net.mul_deriv(&mut g[r..r + n], h);
        }
    }
}

/// Symmetric Gram matrix `A Aᵀ` of a row-major `rows × n` matrix, row blocks in parallel.
fn gram<T: Real>(a: &[T], rows: usize, n: usize) -> Vec<T> {
    let mut out = vec![T::zero(); rows * rows];
    let at = MatRef::row_major(a, rows, n).t();
    let chunk = 256usize;
    out.par_chunks_mut(chunk * rows)
        .enumerate()
        .for_each(|(ci, o)| {
            let r = o.len() / rows;
            let lhs = MatRef::row_major(&a[ci * chunk * n..(ci * chunk + r) * n], r, n);
            mm(T::one(), lhs, at, T::zero(), MatMut::row_major(o, r, rows));
        });
    out
}

/// The empirical tangent kernel of `net`'s logits at `out_steps` on inputs `x`
/// (`(steps·batch) × n_in`, time-major).
pub fn tangent_kernel<T: Real>(
    net: &Rnn<T>,
    x: &[T],
    steps: usize,
    batch: usize,
    out_steps: &[usize],
    params: KernelParams,
) -> Result<TangentKernel, KernelError> {
    if let Some(&step) = out_steps.iter().find(|&&s| s >= steps) {
        return Err(KernelError::Step { step, steps });
    }
    let mut tape = Tape::default();
    net.forward(x, steps, batch, &mut tape)?;
    let (n, kk, a) = (net.n, net.n_out, net.alpha);
    let bk = batch * kk;
    let all = params == KernelParams::All;
    let s_min = usize::from(!all);
    // blocks of signal rows, one per (output step, backprop step s)
    let mut base = Vec::with_capacity(out_steps.len());
    let mut blocks = Vec::new();
    for (ti, &t) in out_steps.iter().enumerate() {
        base.push(blocks.len());
        for s in s_min..=t {
            blocks.push((ti, t, s));
        }
    }
    let m = blocks.len() * bk;
    if m > MAX_SIGNAL_ROWS {
        return Err(KernelError::TooLarge {
            rows: m,
            limit: MAX_SIGNAL_ROWS,
        });
    }
    let rows_k = out_steps.len() * bk;
    let mut d = vec![T::zero(); m * n];
    let mut g = vec![T::zero(); bk * n];
    let mut tmp = vec![T::zero(); bk * n];
    let w_h = MatRef::row_major(&net.w_h, n, n);
    let hstep = |s: usize| &tape.h[s * batch * n..(s + 1) * batch * n];
    // batched reverse passes, one per output step
    for (ti, &t) in out_steps.iter().enumerate() {
        for b in 0..batch {
            for k in 0..kk {
                let r = (b * kk + k) * n;
                g[r..r + n].copy_from_slice(&net.w_out[k * n..(k + 1) * n]);
            }
        }
        deriv_rows(net, &mut g, hstep(t), batch);
        for s in (s_min..=t).rev() {
            let blk = base[ti] + (s - s_min);
            d[blk * bk * n..(blk + 1) * bk * n]
                .iter_mut()
                .zip(&g)
                .for_each(|(o, &v)| *o = a * v);
            if s == s_min {
                break;
            }
            let leak = T::one() - a;
            tmp.iter_mut().zip(&g).for_each(|(o, &v)| *o = leak * v);
            mm(
                a,
                MatRef::row_major(&g, bk, n),
                w_h,
                T::one(),
                MatMut::row_major(&mut tmp, bk, n),
            );
            std::mem::swap(&mut g, &mut tmp);
            deriv_rows(net, &mut g, hstep(s - 1), batch);
        }
    }
    let gd = gram(&d, m, n);
    let tb = steps * batch;
    let gh = gram(&tape.h, tb, n);
    let gx = if all {
        gram(x, tb, net.n_in)
    } else {
        Vec::new()
    };
    // combine: K[r, r'] = Σ_{s,s'} ⟨d, d'⟩ (⟨h_{s-1}, h'_{s'-1}⟩ + ⟨x_s, x'_{s'}⟩ if all)
    let mut kmat = vec![0.0f64; rows_k * rows_k];
    kmat.par_chunks_mut(bk * rows_k)
        .enumerate()
        .for_each(|(ti, out)| {
            let t = out_steps[ti];
            for s in s_min..=t {
                let bi = base[ti] + (s - s_min);
                for (bj, &(tj, _, s2)) in blocks.iter().enumerate() {
                    for b in 0..batch {
                        for b2 in 0..batch {
                            let mut w = 0.0;
                            if s >= 1 && s2 >= 1 {
                                w += gh[((s - 1) * batch + b) * tb + (s2 - 1) * batch + b2].f64();
                            }
                            if all {
                                w += gx[(s * batch + b) * tb + s2 * batch + b2].f64();
                            }
                            if w == 0.0 {
                                continue;
                            }
                            for k in 0..kk {
                                let gi = (bi * bk + b * kk + k) * m + bj * bk + b2 * kk;
                                let o = (b * kk + k) * rows_k + tj * bk + b2 * kk;
                                for k2 in 0..kk {
                                    out[o + k2] += w * gd[gi + k2].f64();
                                }
                            }
                        }
                    }
                }
            }
            // readout: ∂y_t[k]/∂W_out = e_k h_tᵀ
            if all {
                for (tj, &t2) in out_steps.iter().enumerate() {
                    for b in 0..batch {
                        for b2 in 0..batch {
                            let w = gh[(t * batch + b) * tb + t2 * batch + b2].f64();
                            for k in 0..kk {
                                out[(b * kk + k) * rows_k + tj * bk + b2 * kk + k] += w;
                            }
                        }
                    }
                }
            }
        });
    Ok(TangentKernel {
        rows: rows_k,
        k: kmat,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Activation;
    use rand::RngExt;

    // J by finite differences of the logits, then J Jᵀ
    fn fd_kernel(net: &Rnn<f64>, x: &[f64], steps: usize, batch: usize, all: bool) -> Vec<f64> {
        let logits = |m: &Rnn<f64>| {
            let mut tape = Tape::default();
            m.forward(x, steps, batch, &mut tape).unwrap();
            tape.y.clone()
        };
        let r = steps * batch * net.n_out;
        let mut cols: Vec<Vec<f64>> = Vec::new();
        let eps = 1e-6;
        let which: Vec<usize> = if all { vec![0, 1, 2] } else { vec![1] };
        for w in which {
            let len = [net.w_in.len(), net.w_h.len(), net.w_out.len()][w];
            for i in 0..len {
                let mut p = net.clone();
                [&mut p.w_in, &mut p.w_h, &mut p.w_out][w][i] += eps;
                let mut q = net.clone();
                [&mut q.w_in, &mut q.w_h, &mut q.w_out][w][i] -= eps;
                let (yp, yq) = (logits(&p), logits(&q));
                cols.push(
                    yp.iter()
                        .zip(&yq)
                        .map(|(a, b)| (a - b) / (2.0 * eps))
                        .collect(),
                );
            }
        }
        let mut k = vec![0.0; r * r];
        for i in 0..r {
            for j in 0..r {
                k[i * r + j] = cols.iter().map(|c| c[i] * c[j]).sum();
            }
        }
        k
    }

    #[test]
    fn kernel_matches_finite_difference_jacobian() {
        for (act, alpha) in [(Activation::Tanh, 0.4), (Activation::Relu, 1.0)] {
            let mut rng = nc_core::rng::stream(5, "kernel-test", 0);
            let mut net = Rnn::<f64>::new_pytorch(2, 5, 3, act, &mut rng);
            net.alpha = alpha;
            net.w_h = (0..25).map(|_| rng.random_range(-0.7..0.7)).collect();
            let (steps, batch) = (4, 3);
            let x: Vec<f64> = (0..steps * batch * 2)
                .map(|_| rng.random_range(0.0..1.0))
                .collect();
            let out: Vec<usize> = (0..steps).collect();
            for (params, all) in [(KernelParams::Recurrent, false), (KernelParams::All, true)] {
                let k = tangent_kernel(&net, &x, steps, batch, &out, params).unwrap();
                let want = fd_kernel(&net, &x, steps, batch, all);
                let worst =
                    k.k.iter()
                        .zip(&want)
                        .map(|(a, b)| (a - b).abs())
                        .fold(0.0, f64::max);
                assert!(worst < 1e-6, "{act:?} {params:?}: {worst:e}");
            }
        }
    }

    #[test]
    fn out_of_range_step_is_an_error() {
        let mut rng = nc_core::rng::stream(5, "kernel-test", 1);
        let net = Rnn::<f64>::new_pytorch(2, 3, 3, Activation::Relu, &mut rng);
        let x = vec![0.5; 2 * 2 * 2];
        let r = tangent_kernel(&net, &x, 2, 2, &[2], KernelParams::Recurrent);
        assert_eq!(r, Err(KernelError::Step { step: 2, steps: 2 }));
    }
}
