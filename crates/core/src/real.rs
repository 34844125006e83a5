//! The one float trait of the workspace: `f32` for speed, `f64` for reference checks.
//!
//! Every generic numerical kernel (the diagram executor, the rate RNN and its kernels) is
//! written over [`Real`]: the arithmetic of [`num_traits::Float`], the GEMM of
//! [`crate::gemm::Scalar`], and conversions to and from `f64`.

use crate::gemm::Scalar;
use num_traits::{Float, NumAssign};
use std::fmt::{Debug, Display};
use std::iter::Sum;

/// A float the workspace computes in (`f32` or `f64`).
///
/// ```
/// use nc_core::real::Real;
/// fn mean<T: Real>(xs: &[T]) -> f64 {
///     xs.iter().copied().sum::<T>().f64() / xs.len() as f64
/// }
/// assert_eq!(mean(&[1.0f32, 2.0, 4.5]), 2.5);
/// assert_eq!(f32::of(0.1).f64(), 0.1f32 as f64);
/// ```
pub trait Real: Scalar + Float + NumAssign + Sum + Debug + Display {
    /// Converts from `f64` (rounding for `f32`).
    fn of(x: f64) -> Self;
    /// Widens to `f64`.
    fn f64(self) -> f64;
    /// tanh: for `f32` the rational approximation [`crate::activation::tanh_fast`] (error
    /// below 4e-7), for `f64` the exact one.
    fn tanh_fast(self) -> Self;
    /// `y ← tanh(y)` over a slice, as [`Real::tanh_fast`]; vectorised for `f32`.
    fn tanh_slice(y: &mut [Self]);
}

impl Real for f32 {
    #[allow(clippy::cast_possible_truncation)]
    fn of(x: f64) -> Self {
        x as f32
    }
    fn f64(self) -> f64 {
        f64::from(self)
    }
    fn tanh_fast(self) -> Self {
        crate::activation::tanh_fast(self)
    }
    fn tanh_slice(y: &mut [Self]) {
        crate::activation::tanh_in_place(y);
    }
}

impl Real for f64 {
    fn of(x: f64) -> Self {
        x
    }
    fn f64(self) -> f64 {
        self
    }
    fn tanh_fast(self) -> Self {
        self.tanh()
    }
    fn tanh_slice(y: &mut [Self]) {
        for v in y {
            *v = v.tanh();
        }
    }
}

/// Converts a slice of `f64` into the float type `T`.
pub fn cast<T: Real>(xs: &[f64]) -> Vec<T> {
    xs.iter().map(|&x| T::of(x)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_and_scalar_tanh_agree() {
        let xs: Vec<f64> = (-40..=40).map(|i| f64::from(i) * 0.25).collect();
        let mut a: Vec<f32> = cast(&xs);
        f32::tanh_slice(&mut a);
        for (x, y) in xs.iter().zip(&a) {
            assert_eq!(*y, f32::of(*x).tanh_fast());
            assert!((y.f64() - x.tanh()).abs() < 1e-6);
        }
        let mut b = xs.clone();
        f64::tanh_slice(&mut b);
        assert!(b.iter().zip(&xs).all(|(y, x)| *y == x.tanh()));
    }
}
