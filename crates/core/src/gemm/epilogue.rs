//! The elementwise work of a dense layer around its products: bias and activation after the
//! forward product ([`dense_forward`]), activation gradient and bias gradient before the
//! backward products ([`dense_backward_epilogue`]).
//!
//! Each is one pass over a block that the product has just left in cache. The loops run
//! through [`vectorized`], which compiles them a second time for AVX2 and picks that copy when
//! the CPU has it: the default x86-64 target only has SSE2, and `mul_add` without FMA is a
//! library call per element. No loop here uses `mul_add`, so both copies give the same bits.

use super::{GemmError, MatMut, MatRef, Scalar, matmul};
use std::ops::{Add, AddAssign, Mul, Sub};

/// The element arithmetic the epilogues need, for `f32` and `f64`.
pub trait Elementwise:
    Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + AddAssign
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// `tanh(x)`: a rational approximation within 5e-7 in `f32`, `1 − 2/(e^{2x} + 1)` within
    /// 1e-15 in `f64`.
    fn tanh_epi(self) -> Self;
    /// `max(x, 0)` (NaN gives 0).
    fn relu_epi(self) -> Self;
    /// `1` where `x > 0`, else `0`: the ReLU's derivative from its output.
    fn step_epi(self) -> Self;
}

impl Elementwise for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn relu_epi(self) -> Self {
        self.max(0.0)
    }
    #[inline(always)]
    fn step_epi(self) -> Self {
        f32::from(u8::from(self > 0.0))
    }
    // the 13/6 rational form of nc_core::activation::tanh_fast, written without mul_add
    #[inline(always)]
    fn tanh_epi(self) -> Self {
        let x = self.clamp(-7.905_311, 7.905_311);
        let x2 = x * x;
        let p = x2 * -2.760_768_5e-16 + 2.000_188e-13;
        let p = x2 * p - 8.604_672e-11;
        let p = x2 * p + 5.122_297e-8;
        let p = x2 * p + 1.485_722_4e-5;
        let p = x2 * p + 6.372_619_3e-4;
        let p = x2 * p + 4.893_524_6e-3;
        let p = x * p;
        let q = x2 * 1.198_258_4e-6 + 1.185_347_1e-4;
        let q = x2 * q + 2.268_434_6e-3;
        let q = x2 * q + 4.893_525e-3;
        p / q
    }
}

impl Elementwise for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    #[inline(always)]
    fn relu_epi(self) -> Self {
        self.max(0.0)
    }
    #[inline(always)]
    fn step_epi(self) -> Self {
        f64::from(u8::from(self > 0.0))
    }
    #[inline(always)]
    fn tanh_epi(self) -> Self {
        // beyond ±20, tanh is ±1 to double precision and exp would overflow for large |x|
        let x = self.clamp(-20.0, 20.0);
        1.0 - 2.0 / ((2.0 * x).exp() + 1.0)
    }
}

/// A loop worth compiling twice, run by [`vectorized`].
pub trait Kernel {
    /// What the loop returns.
    type Output;
    /// Runs the loop. Implementations are `#[inline(always)]`, so that the body is compiled
    /// inside [`vectorized`]'s AVX2 copy.
    fn run(self) -> Self::Output;
}

/// Runs `k` compiled for AVX2 and FMA when the CPU has them, else for the baseline target.
pub fn vectorized<K: Kernel>(k: K) -> K::Output {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            #[allow(unsafe_code)]
            // SAFETY: the CPU has AVX2 and FMA, checked just above.
            return unsafe { run_avx2(k) };
        }
    }
    k.run()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2<K: Kernel>(k: K) -> K::Output {
    k.run()
}

/// An activation a dense layer applies after its bias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// `x`.
    Identity,
    /// `tanh(x)` (see [`Elementwise::tanh_epi`]).
    Tanh,
    /// `max(x, 0)`.
    Relu,
}

// a row-contiguous block: `rows` rows of `cols` values, `rs` apart
fn rows_of<T>(m: &MatRef<'_, T>, what: &'static str) -> Result<(), GemmError> {
    if m.cs != 1 && m.cols > 1 {
        return Err(GemmError::Layout {
            operand: what,
            rs: m.rs,
            cs: m.cs,
        });
    }
    Ok(())
}

struct BiasAct<'a, T> {
    y: &'a mut [T],
    rows: usize,
    cols: usize,
    rs: usize,
    bias: &'a [T],
    act: Act,
}

impl<T: Elementwise> Kernel for BiasAct<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        for i in 0..self.rows {
            let row = &mut self.y[i * self.rs..i * self.rs + self.cols];
            let it = row.iter_mut().zip(self.bias);
            match self.act {
                Act::Identity => it.for_each(|(y, &b)| *y += b),
                Act::Tanh => it.for_each(|(y, &b)| *y = (*y + b).tanh_epi()),
                Act::Relu => it.for_each(|(y, &b)| *y = (*y + b).relu_epi()),
            }
        }
    }
}

/// Dense layer forward: `Y ← act(X·W + 1·biasᵀ)`, the product through [`matmul`], then bias
/// and activation in one pass. `Y` must have unit column stride.
///
/// ```
/// use nc_core::gemm::{dense_forward, Act, MatRef, MatMut};
/// let x = [1.0f32, -2.0];          // one row
/// let w = [1.0f32, 0.0, 0.0, 1.0]; // 2x2 identity, stored out x in as nn.Linear
/// let mut y = [0.0f32; 2];
/// dense_forward(MatRef::row_major(&x, 1, 2), MatRef::row_major(&w, 2, 2).t(), &[0.5, 0.5],
///               Act::Relu, MatMut::row_major(&mut y, 1, 2)).unwrap();
/// assert_eq!(y, [1.5, 0.0]);
/// ```
pub fn dense_forward<T: Scalar>(
    x: MatRef<'_, T>,
    w: MatRef<'_, T>,
    bias: &[T],
    act: Act,
    mut y: MatMut<'_, T>,
) -> Result<(), GemmError> {
    if bias.len() != y.cols {
        return Err(GemmError::Bias {
            expected: y.cols,
            got: bias.len(),
        });
    }
    rows_of(&y.as_ref(), "Y")?;
    matmul(x, w, y.reborrow(), false)?;
    vectorized(BiasAct {
        y: y.data,
        rows: y.rows,
        cols: y.cols,
        rs: y.rs,
        bias,
        act,
    });
    Ok(())
}

struct ActGrad<'a, T> {
    y: MatRef<'a, T>,
    delta: &'a mut [T],
    rsd: usize,
    db: Option<&'a mut [T]>,
    act: Act,
}

impl<T: Elementwise> Kernel for ActGrad<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(mut self) {
        let one = T::ONE;
        let (rows, cols) = (self.y.rows, self.y.cols);
        for i in 0..rows {
            let d = &mut self.delta[i * self.rsd..i * self.rsd + cols];
            let y = &self.y.data[i * self.y.rs..i * self.y.rs + cols];
            match self.act {
                Act::Identity => {}
                Act::Tanh => d
                    .iter_mut()
                    .zip(y)
                    .for_each(|(d, &y)| *d = *d * (one - y * y)),
                // a product, not a select: LLVM turns "d = y > 0 ? d : 0" into a masked
                // store, which is microcoded and slow on AMD cores
                Act::Relu => d
                    .iter_mut()
                    .zip(y)
                    .for_each(|(d, &y)| *d = *d * y.step_epi()),
            }
            if let Some(db) = self.db.as_deref_mut() {
                db.iter_mut().zip(d.iter()).for_each(|(g, &d)| *g += d);
            }
        }
    }
}

/// Dense layer backward, before its products: `δ ← δ ⊙ act'(·)`, with the derivative taken
/// from the layer's output `y` as PyTorch's backward does (`1 − y²` for tanh, `[y > 0]` for
/// ReLU), and the bias gradient `db ← Σ_rows δ` (`db += Σ_rows δ` with `accumulate`) in the same
/// pass. `y` and `δ` have the same shape and unit column stride.
pub fn dense_backward_epilogue<T: Scalar>(
    act: Act,
    y: MatRef<'_, T>,
    delta: MatMut<'_, T>,
    db: Option<&mut [T]>,
    accumulate: bool,
) -> Result<(), GemmError> {
    if (y.rows, y.cols) != (delta.rows, delta.cols) {
        return Err(GemmError::Shape {
            a_rows: y.rows,
            a_cols: y.cols,
            b_rows: delta.rows,
            b_cols: delta.cols,
            c_rows: delta.rows,
            c_cols: delta.cols,
        });
    }
    rows_of(&y, "Y")?;
    rows_of(&delta.as_ref(), "delta")?;
    super::check("Y", y.rows, y.cols, y.rs, y.cs, y.data.len())?;
    super::check(
        "delta",
        delta.rows,
        delta.cols,
        delta.rs,
        delta.cs,
        delta.data.len(),
    )?;
    let db = match db {
        Some(db) if db.len() != y.cols => {
            return Err(GemmError::Bias {
                expected: y.cols,
                got: db.len(),
            });
        }
        Some(db) => {
            if !accumulate {
                db.fill(T::ZERO);
            }
            Some(db)
        }
        None => None,
    };
    vectorized(ActGrad {
        y,
        rsd: delta.rs,
        delta: delta.data,
        db,
        act,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_epi_is_accurate_in_both_precisions() {
        let mut worst32 = 0.0f64;
        let mut worst64 = 0.0f64;
        for i in -400_000..=400_000 {
            let x = f64::from(i) * 5e-5;
            worst32 =
                worst32.max((f64::from((x as f32).tanh_epi()) - (x as f32 as f64).tanh()).abs());
            worst64 = worst64.max((x.tanh_epi() - x.tanh()).abs());
        }
        for x in [-1e30f32, -100.0, 8.0, 100.0, 1e30] {
            worst32 = worst32.max((f64::from(x.tanh_epi()) - f64::from(x).tanh()).abs());
        }
        assert!(worst32 < 5e-7, "f32 max error {worst32}");
        assert!(worst64 < 1e-15, "f64 max error {worst64}");
    }

    // y = act(x·W + b) against a scalar loop, and its backward epilogue against the
    // derivative of the scalar activation taken by central differences
    fn layer_case<T: Scalar + Into<f64>>(of: impl Fn(f64) -> T, tol: f64) {
        let (n, fi, fo) = (7, 5, 9);
        let x: Vec<T> = (0..n * fi)
            .map(|k| of((0.7 * k as f64).sin() * 2.0))
            .collect();
        let w: Vec<T> = (0..fo * fi)
            .map(|k| of((0.3 * k as f64 + 1.0).cos()))
            .collect();
        let b: Vec<T> = (0..fo).map(|k| of(0.1 * k as f64 - 0.4)).collect();
        for act in [Act::Identity, Act::Tanh, Act::Relu] {
            let f = |v: f64| match act {
                Act::Identity => v,
                Act::Tanh => v.tanh(),
                Act::Relu => v.max(0.0),
            };
            // a padded output (row stride fo + 3) checks the strided rows
            let rs = fo + 3;
            let mut y = vec![of(f64::NAN); n * rs];
            dense_forward(
                MatRef::row_major(&x, n, fi),
                MatRef::row_major(&w, fo, fi).t(),
                &b,
                act,
                MatMut::strided(&mut y, n, fo, rs, 1),
            )
            .unwrap();
            let mut pre = vec![0.0; n * fo];
            for i in 0..n {
                for j in 0..fo {
                    let mut s: f64 = b[j].into();
                    for p in 0..fi {
                        s += x[i * fi + p].into() * w[j * fi + p].into();
                    }
                    pre[i * fo + j] = s;
                    let got: f64 = y[i * rs + j].into();
                    assert!(
                        (got - f(s)).abs() < tol,
                        "{act:?} y[{i},{j}]: {got} vs {}",
                        f(s)
                    );
                }
            }
            let d0: Vec<T> = (0..n * fo).map(|k| of((0.9 * k as f64).cos())).collect();
            let mut d = d0.clone();
            let mut db = vec![of(1.0); fo];
            dense_backward_epilogue(
                act,
                MatRef::strided(&y, n, fo, rs, 1),
                MatMut::row_major(&mut d, n, fo),
                Some(&mut db),
                true,
            )
            .unwrap();
            let mut sums = vec![1.0; fo];
            for k in 0..n * fo {
                let s = pre[k];
                let h = 1e-6;
                let deriv = (f(s + h) - f(s - h)) / (2.0 * h);
                let want = d0[k].into() * deriv;
                let got: f64 = d[k].into();
                // a ReLU exactly at its kink has no derivative to compare
                if act != Act::Relu || s.abs() > 1e-5 {
                    assert!(
                        (got - want).abs() < tol + 1e-5,
                        "{act:?} d[{k}]: {got} vs {want}"
                    );
                }
                sums[k % fo] += got;
            }
            for j in 0..fo {
                let got: f64 = db[j].into();
                assert!((got - sums[j]).abs() < 10.0 * tol, "db[{j}]");
            }
        }
    }

    #[test]
    fn dense_layer_epilogues_match_scalar_loops() {
        layer_case::<f64>(|v| v, 1e-12);
        layer_case::<f32>(|v| v as f32, 2e-5);
    }

    #[test]
    fn epilogues_refuse_bad_shapes() {
        let x = [0.0f32; 6];
        let mut y = [0.0f32; 4];
        let err = dense_forward(
            MatRef::row_major(&x, 2, 3),
            MatRef::row_major(&x, 2, 3).t(),
            &[0.0; 3],
            Act::Tanh,
            MatMut::row_major(&mut y, 2, 2),
        );
        assert_eq!(
            err,
            Err(GemmError::Bias {
                expected: 2,
                got: 3
            })
        );
        let err = dense_forward(
            MatRef::row_major(&x, 2, 3),
            MatRef::row_major(&x, 2, 3).t(),
            &[0.0; 2],
            Act::Tanh,
            MatMut::row_major(&mut y, 2, 2).t(),
        );
        assert!(matches!(err, Err(GemmError::Layout { operand: "Y", .. })));
        let mut d = [0.0f32; 6];
        let err = dense_backward_epilogue(
            Act::Relu,
            MatRef::row_major(&x, 2, 3),
            MatMut::row_major(&mut d, 3, 2),
            None,
            false,
        );
        assert!(matches!(err, Err(GemmError::Shape { .. })));
    }
}
