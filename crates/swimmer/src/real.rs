//! The number type the smooth physics stages are written over: `f64` for one environment,
//! [`Lanes`] for several environments stepped together, one per SIMD lane.
//!
//! Every operation is the same IEEE operation lane by lane (no fused multiply-add, no
//! reassociation), so a lane computes bit for bit what the scalar code computes for the
//! same environment.

use std::ops::{Add, AddAssign, Div, Mul, Neg, Sub, SubAssign};

/// Arithmetic shared by `f64` and [`Lanes`].
pub(crate) trait Real:
    Copy
    + std::fmt::Debug
    + PartialEq
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + Mul<f64, Output = Self>
{
    /// Every lane set to `x`.
    fn splat(x: f64) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Clamped to `[-1, 1]` (NaN stays NaN).
    fn clamp_unit(self) -> Self;
    /// `(sin, cos)`, by [`crate::trig::sin_cos`] in every lane.
    fn sin_cos(self) -> (Self, Self);
    /// True if every lane is `> x` (false for NaN).
    fn all_gt(self, x: f64) -> bool;
    /// True if every lane is `<= x` (false for NaN).
    fn all_le(self, x: f64) -> bool;
    /// True if every lane is finite.
    fn all_finite(self) -> bool;
}

impl Real for f64 {
    #[inline(always)]
    fn splat(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn abs(self) -> Self {
        f64::abs(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    #[inline(always)]
    fn clamp_unit(self) -> Self {
        self.clamp(-1.0, 1.0)
    }
    #[inline(always)]
    fn sin_cos(self) -> (Self, Self) {
        crate::trig::sin_cos(self)
    }
    #[inline(always)]
    fn all_gt(self, x: f64) -> bool {
        self > x
    }
    #[inline(always)]
    fn all_le(self, x: f64) -> bool {
        self <= x
    }
    #[inline(always)]
    fn all_finite(self) -> bool {
        self.is_finite()
    }
}

/// `L` values, one per environment, operated on lane by lane.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(align(32))]
pub(crate) struct Lanes<const L: usize>(pub [f64; L]);

impl<const L: usize> Lanes<L> {
    /// The value in lane `i`.
    #[inline(always)]
    pub(crate) fn lane(self, i: usize) -> f64 {
        self.0[i]
    }

    /// Sets lane `i`.
    #[inline(always)]
    pub(crate) fn set_lane(&mut self, i: usize, x: f64) {
        self.0[i] = x;
    }

    #[inline(always)]
    fn map2(self, o: Self, f: impl Fn(f64, f64) -> f64) -> Self {
        Lanes(std::array::from_fn(|i| f(self.0[i], o.0[i])))
    }
    #[inline(always)]
    fn map(self, f: impl Fn(f64) -> f64) -> Self {
        Lanes(std::array::from_fn(|i| f(self.0[i])))
    }
}

macro_rules! lane_op {
    ($tr:ident, $f:ident, $op:tt, $atr:ident, $af:ident) => {
        impl<const L: usize> $tr for Lanes<L> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                self.map2(o, |a, b| a $op b)
            }
        }
        impl<const L: usize> $atr for Lanes<L> {
            #[inline(always)]
            fn $af(&mut self, o: Self) {
                *self = *self $op o;
            }
        }
    };
}
lane_op!(Add, add, +, AddAssign, add_assign);
lane_op!(Sub, sub, -, SubAssign, sub_assign);

impl<const L: usize> Mul for Lanes<L> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.map2(o, |a, b| a * b)
    }
}

impl<const L: usize> Div for Lanes<L> {
    type Output = Self;
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        self.map2(o, |a, b| a / b)
    }
}

impl<const L: usize> Mul<f64> for Lanes<L> {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: f64) -> Self {
        self.map(|a| a * o)
    }
}

impl<const L: usize> Neg for Lanes<L> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.map(|a| -a)
    }
}

impl<const L: usize> Real for Lanes<L> {
    #[inline(always)]
    fn splat(x: f64) -> Self {
        Lanes([x; L])
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.map(f64::abs)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.map(f64::sqrt)
    }
    #[inline(always)]
    fn clamp_unit(self) -> Self {
        self.map(|a| a.clamp(-1.0, 1.0))
    }
    #[inline(always)]
    fn sin_cos(self) -> (Self, Self) {
        use crate::trig::{in_range, place, reduce};
        let (t, s, c) = reduce(self);
        let mut sin = [0.0; L];
        let mut cos = [0.0; L];
        for i in 0..L {
            (sin[i], cos[i]) = place(t.0[i], s.0[i], c.0[i]);
        }
        // out of range or NaN: libm, as the scalar path does
        if !self.0.iter().fold(true, |ok, &x| ok & in_range(x)) {
            for i in 0..L {
                if !in_range(self.0[i]) {
                    (sin[i], cos[i]) = self.0[i].sin_cos();
                }
            }
        }
        (Lanes(sin), Lanes(cos))
    }
    #[inline(always)]
    fn all_gt(self, x: f64) -> bool {
        self.0.iter().fold(true, |ok, &a| ok & (a > x))
    }
    #[inline(always)]
    fn all_le(self, x: f64) -> bool {
        self.0.iter().fold(true, |ok, &a| ok & (a <= x))
    }
    #[inline(always)]
    fn all_finite(self) -> bool {
        self.0.iter().fold(true, |ok, &a| ok & a.is_finite())
    }
}
