//! The empirical tangent kernel `K = J Jᵀ` of the logits, `J = ∂y[t,b,k]/∂θ`, without ever
//! materialising `J`.
//!
//! Each row of the recurrent Jacobian is `∂y_t[k]/∂W_h = α Σ_{s≤t} g_s h_{s−1}ᵀ`, with `g_s` the
//! backpropagated signal at step `s`, so
//! `K[r, r'] = α² Σ_{s,s'} ⟨g_s, g'_{s'}⟩ ⟨h_{s−1}, h'_{s'−1}⟩`: one Gram matrix of the signals
//! (inner dimension N) and one of the states, instead of a GEMM with inner dimension N².
//! The signals come from one batched reverse pass per output step, over all trials and logits
//! at once. Rows are ordered `(output step, trial, logit)`, like PyTorch's `y.reshape(-1)`.
//!
//! When the signal Gram would cost more than `J Jᵀ` itself (long sequences with one output
//! step, e.g. sMNIST: 27 backprop steps × 2,000 rows = 54,000 signal rows), the kernel is
//! instead the Gram of the per-row gradients `J_r = α Σ_s g_s h_{s−1}ᵀ` (one small GEMM per
//! row, inner dimension the number of steps), built in row chunks of at most
//! [`J_CHUNK_BYTES`] so memory stays bounded; only the upper block triangle is computed.

use crate::model::{ModelError, Rnn, Tape};
use crate::real::Real;
use nc_core::gemm::{MatMut, MatRef, gemm_internal};
use rayon::prelude::*;
use thiserror::Error;

/// Largest number of kernel rows (the kernel is this squared in `f64`: 2 GiB).
pub const MAX_KERNEL_ROWS: usize = 16_384;
/// Largest signal Gram matrix (bytes) before the per-row gradient route is taken.
pub const MAX_GRAM_BYTES: usize = 1 << 30;
/// Largest chunk of materialised per-row gradients (bytes); two chunks are held at a time.
pub const J_CHUNK_BYTES: usize = 128 << 20;

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
    /// The kernel would not fit.
    #[error(
        "tangent kernel needs {rows} rows (limit {limit}); use fewer kernel trials or output steps"
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
    kernel_via(net, x, steps, batch, out_steps, params, None)
}

/// [`tangent_kernel`], with the route forced (`Some(true)`: per-row gradients) for tests.
fn kernel_via<T: Real>(
    net: &Rnn<T>,
    x: &[T],
    steps: usize,
    batch: usize,
    out_steps: &[usize],
    params: KernelParams,
    force_rows: Option<bool>,
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
    let rows_k = out_steps.len() * bk;
    if rows_k > MAX_KERNEL_ROWS {
        return Err(KernelError::TooLarge {
            rows: rows_k,
            limit: MAX_KERNEL_ROWS,
        });
    }
    let n_params = n * n + if all { n * net.n_in + kk * n } else { 0 };
    let steps_sq: usize = out_steps.iter().map(|&t| (t + 1) * (t + 1)).sum::<usize>() * bk;
    let gram_cost = m * m * n + rows_k * steps_sq;
    let rows_cost = rows_k * rows_k * n_params;
    let per_rows =
        force_rows.unwrap_or_else(|| route(m, gram_cost, rows_cost, std::mem::size_of::<T>()));
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
    if per_rows {
        let geo = Geometry {
            batch,
            kk,
            base: &base,
            s_min,
            out_steps,
            n_params,
        };
        return Ok(TangentKernel {
            rows: rows_k,
            k: kernel_by_rows(net, x, &tape.h, &d, &geo),
        });
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

/// Whether the per-row gradient route is taken: when it is cheaper, or when the signal
/// Gram (`m × m` of `elem` bytes) would exceed [`MAX_GRAM_BYTES`].
fn route(m: usize, gram_cost: usize, rows_cost: usize, elem: usize) -> bool {
    rows_cost < gram_cost || m.saturating_mul(m).saturating_mul(elem) > MAX_GRAM_BYTES
}

/// Where the signal rows of a kernel row live.
struct Geometry<'a> {
    batch: usize,
    kk: usize,
    /// First signal block of each output step.
    base: &'a [usize],
    s_min: usize,
    out_steps: &'a [usize],
    /// Columns of a per-row gradient.
    n_params: usize,
}

/// Writes the per-row gradients of kernel rows `r0..r0 + rows` into `j` (`rows × n_params`):
/// `vec(α Σ_{s≥1} g_s h_{s−1}ᵀ)`, then with all parameters `vec(α Σ_s g_s x_sᵀ)` and
/// `vec(e_k h_tᵀ)`. The signals in `d` already carry the factor α.
fn gradients<T: Real>(
    net: &Rnn<T>,
    x: &[T],
    h: &[T],
    d: &[T],
    geo: &Geometry<'_>,
    r0: usize,
    j: &mut [T],
) {
    let (n, n_in, kk, batch) = (net.n, net.n_in, geo.kk, geo.batch);
    let n_params = geo.n_params;
    let bk = batch * kk;
    j.par_chunks_mut(n_params).enumerate().for_each(|(i, row)| {
        let r = r0 + i;
        let (ti, rr) = (r / bk, r % bk);
        let (b, k) = (rr / kk, rr % kk);
        let t = geo.out_steps[ti];
        // the signal of backprop step s sits at block base[ti] + s − s_min, row rr
        let at = |s: usize| ((geo.base[ti] + s - geo.s_min) * bk + rr) * n;
        let (wh, rest) = row.split_at_mut(n * n);
        if t >= 1 {
            // W_h: Σ_{s=1..t} g_s h_{s−1}ᵀ, a (n × t)(t × n) product
            let g = MatRef::strided(&d[at(1)..], n, t, 1, bk * n);
            let hs = MatRef::strided(&h[b * n..], t, n, batch * n, 1);
            mm(T::one(), g, hs, T::zero(), MatMut::row_major(wh, n, n));
        } else {
            wh.fill(T::zero());
        }
        if rest.is_empty() {
            return;
        }
        let (wi, wo) = rest.split_at_mut(n * n_in);
        let g = MatRef::strided(&d[at(0)..], n, t + 1, 1, bk * n);
        let xs = MatRef::strided(&x[b * n_in..], t + 1, n_in, batch * n_in, 1);
        mm(T::one(), g, xs, T::zero(), MatMut::row_major(wi, n, n_in));
        wo.fill(T::zero());
        wo[k * n..(k + 1) * n].copy_from_slice(&h[(t * batch + b) * n..(t * batch + b + 1) * n]);
    });
}

/// `K = J Jᵀ` from per-row gradients built chunk by chunk (upper block triangle, mirrored).
fn kernel_by_rows<T: Real>(
    net: &Rnn<T>,
    x: &[T],
    h: &[T],
    d: &[T],
    geo: &Geometry<'_>,
) -> Vec<f64> {
    let n_params = geo.n_params;
    let rows = geo.out_steps.len() * geo.batch * geo.kk;
    let chunk = (J_CHUNK_BYTES / (n_params * std::mem::size_of::<T>())).clamp(1, rows);
    let mut k = vec![0.0f64; rows * rows];
    let mut ji = vec![T::zero(); chunk * n_params];
    let mut jj = vec![T::zero(); chunk * n_params];
    let mut block = vec![T::zero(); chunk * chunk];
    for i0 in (0..rows).step_by(chunk) {
        let ri = chunk.min(rows - i0);
        gradients(net, x, h, d, geo, i0, &mut ji[..ri * n_params]);
        for j0 in (i0..rows).step_by(chunk) {
            let rj = chunk.min(rows - j0);
            let other = if j0 == i0 {
                &ji[..ri * n_params]
            } else {
                gradients(net, x, h, d, geo, j0, &mut jj[..rj * n_params]);
                &jj[..rj * n_params]
            };
            let a = MatRef::row_major(&ji[..ri * n_params], ri, n_params);
            let bt = MatRef::row_major(other, rj, n_params).t();
            mm(
                T::one(),
                a,
                bt,
                T::zero(),
                MatMut::row_major(&mut block[..ri * rj], ri, rj),
            );
            for p in 0..ri {
                for q in 0..rj {
                    let v = block[p * rj + q].f64();
                    k[(i0 + p) * rows + j0 + q] = v;
                    k[(j0 + q) * rows + i0 + p] = v;
                }
            }
        }
    }
    k
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
                let want = fd_kernel(&net, &x, steps, batch, all);
                // both routes: the signal Gram and the per-row gradients
                for rows in [false, true] {
                    let k = kernel_via(&net, &x, steps, batch, &out, params, Some(rows)).unwrap();
                    let worst =
                        k.k.iter()
                            .zip(&want)
                            .map(|(a, b)| (a - b).abs())
                            .fold(0.0, f64::max);
                    assert!(worst < 1e-6, "{act:?} {params:?} rows {rows}: {worst:e}");
                }
            }
        }
    }

    /// The paper's sMNIST kernel: 200 trials × 10 logits at the last of 28 steps, 2,000 rows
    /// (54,000 signal rows: past the old cap), against finite differences of the logits.
    #[test]
    fn smnist_sized_kernel_of_2000_rows_matches_finite_differences() {
        let mut rng = nc_core::rng::stream(9, "kernel-test", 2);
        let (n, steps, batch) = (6, 28, 200);
        let mut net = Rnn::<f64>::new_pytorch(28, n, 10, Activation::Relu, &mut rng);
        net.w_h = (0..n * n).map(|_| rng.random_range(-0.5..0.5)).collect();
        let x: Vec<f64> = (0..steps * batch * 28)
            .map(|_| rng.random_range(0.0..1.0))
            .collect();
        let k = tangent_kernel(&net, &x, steps, batch, &[27], KernelParams::Recurrent).unwrap();
        assert_eq!(k.rows, 2000);
        // J by central differences of the last-step logits, one column per W_h entry
        let last = |m: &Rnn<f64>| {
            let mut tape = Tape::default();
            m.forward(&x, steps, batch, &mut tape).unwrap();
            tape.y[27 * batch * 10..].to_vec()
        };
        let eps = 1e-6;
        let cols: Vec<Vec<f64>> = (0..n * n)
            .map(|i| {
                let (mut p, mut q) = (net.clone(), net.clone());
                p.w_h[i] += eps;
                q.w_h[i] -= eps;
                let (yp, yq) = (last(&p), last(&q));
                yp.iter()
                    .zip(&yq)
                    .map(|(a, b)| (a - b) / (2.0 * eps))
                    .collect()
            })
            .collect();
        let fd = |r: usize, c: usize| cols.iter().map(|col| col[r] * col[c]).sum::<f64>();
        let scale = (0..2000).map(|r| fd(r, r)).fold(0.0, f64::max);
        assert!(scale > 0.0);
        // the diagonal, a row, a column and scattered entries
        let mut pairs: Vec<(usize, usize)> = (0..2000).map(|r| (r, r)).collect();
        pairs.extend((0..2000).map(|c| (1234, c)));
        pairs.extend((0..2000).map(|r| (r, 7)));
        pairs.extend((0..500).map(|_| (rng.random_range(0..2000), rng.random_range(0..2000))));
        for (r, c) in pairs {
            let got = k.k[r * 2000 + c];
            assert!(
                (got - fd(r, c)).abs() < 1e-6 * scale,
                "K[{r},{c}] {got} vs {}",
                fd(r, c)
            );
        }
    }

    /// The paper's sMNIST kernel at N = 300 in f32 (2,000 rows, 90,000 columns of `J`):
    /// run by hand with `cargo test --release -p nc-richlazy --lib paper_sized -- --ignored`
    /// under `/usr/bin/time -v` to see its peak memory (two 128 MiB chunks, the 65 MB of
    /// signals and the 32 MB kernel).
    #[test]
    #[ignore = "a 720 GFLOP kernel: seconds to minutes in release"]
    fn paper_sized_smnist_kernel() {
        let mut rng = nc_core::rng::stream(9, "kernel-test", 3);
        let (n, steps, batch) = (300, 28, 200);
        let mut net = Rnn::<f64>::new_pytorch(28, n, 10, Activation::Relu, &mut rng);
        let fam = crate::init::RankFamily::new(n, 1.25, &mut rng).unwrap();
        net.w_h = fam.rank(30, crate::init::Renorm::Frobenius).unwrap();
        let net: Rnn<f32> = net.cast();
        let x: Vec<f32> = (0..steps * batch * 28)
            .map(|_| rng.random_range(0.0..1.0))
            .collect();
        let k = tangent_kernel(&net, &x, steps, batch, &[27], KernelParams::Recurrent).unwrap();
        assert_eq!(k.rows, 2000);
        assert!(k.k.iter().all(|v| v.is_finite()));
        assert!((0..2000).all(|r| k.k[r * 2000 + r] >= 0.0));
    }

    #[test]
    fn long_single_output_sequences_take_the_per_row_route() {
        // sMNIST at N = 300: 27 × 2,000 signal rows would need an 11.7 GB Gram
        let (m, rows, n) = (27 * 2000, 2000, 300);
        let gram_cost = m * m * n;
        assert!(route(m, gram_cost, rows * rows * n * n, 4));
        // neurogym at N = 300 (768 rows, 2,688 signal rows) keeps the Gram route
        assert!(!route(2688, 2688 * 2688 * n, 768 * 768 * n * n, 4));
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
