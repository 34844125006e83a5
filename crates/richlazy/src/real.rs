//! The float types the model runs in: `f32` for speed, `f64` for reference checks.

use nc_core::gemm::Scalar;
use num_traits::{Float, NumAssign};
use std::fmt::{Debug, Display};
use std::iter::Sum;

/// A float the RNN, its gradients and its kernels can be computed in.
pub trait Real: Scalar + Float + NumAssign + Sum + Debug + Display {
    /// Converts from `f64` (rounding for `f32`).
    fn of(x: f64) -> Self;
    /// Widens to `f64`.
    fn f64(self) -> f64;
    /// `y ← tanh(y)` over a slice; vectorised for `f32`.
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
    fn tanh_slice(y: &mut [Self]) {
        nc_core::activation::tanh_in_place(y);
    }
}

impl Real for f64 {
    fn of(x: f64) -> Self {
        x
    }
    fn f64(self) -> f64 {
        self
    }
    fn tanh_slice(y: &mut [Self]) {
        for v in y {
            *v = v.tanh();
        }
    }
}

/// Converts a slice of `f64` into the model's float type.
pub fn cast<T: Real>(xs: &[f64]) -> Vec<T> {
    xs.iter().map(|&x| T::of(x)).collect()
}
