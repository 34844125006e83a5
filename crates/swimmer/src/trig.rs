//! `sin` and `cos` of one angle together, within 2 ulp of the libm values, for the body
//! rotations of every physics step.
//!
//! glibc's `sincos` spends over 100 instructions a call on its general argument reduction;
//! body angles here are moderate, so a Cody–Waite reduction by π/2 in three parts (exact
//! for `|x| < 2^19·π/2`) and fdlibm's minimax kernels on `[−π/4, π/4]` suffice, branch-free
//! but for the quadrant. Larger arguments fall back to libm.

// the kernel constants are fdlibm's published digits, kept as published
#![allow(clippy::excessive_precision)]

use crate::real::Real;
use std::f64::consts::FRAC_2_PI;

/// π/2 in three pieces: two of 33 bits each, so `k·piece` is exact for `|k| < 2^20`, and
/// the rounded rest.
const PIO2_1: f64 = 1.570_796_326_734_125_614_17;
const PIO2_2: f64 = 6.077_100_506_303_965_976_6e-11;
const PIO2_2T: f64 = 2.022_266_248_795_950_631_54e-21;
/// Beyond this the reduction above is no longer exact.
const REDUCE_MAX: f64 = 823_549.6;
/// Adding and subtracting 1.5·2⁵² rounds to the nearest integer (ties to even) in two
/// instructions; `f64::round` is a libm call on baseline x86-64.
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// fdlibm `__kernel_sin` coefficients.
const S1: f64 = -1.666_666_666_666_663_243_48e-1;
const S2: f64 = 8.333_333_333_322_489_461_24e-3;
const S3: f64 = -1.984_126_982_985_794_931_34e-4;
const S4: f64 = 2.755_731_370_707_006_767_89e-6;
const S5: f64 = -2.505_076_025_340_686_341_95e-8;
const S6: f64 = 1.589_690_995_211_550_102_21e-10;
/// fdlibm `__kernel_cos` coefficients.
const C1: f64 = 4.166_666_666_666_660_190_37e-2;
const C2: f64 = -1.388_888_888_887_410_957_49e-3;
const C3: f64 = 2.480_158_728_947_672_941_78e-5;
const C4: f64 = -2.755_731_435_139_066_330_35e-7;
const C5: f64 = 2.087_572_321_298_174_827_90e-9;
const C6: f64 = -1.135_964_755_778_819_482_65e-11;

/// `(sin x, cos x)`.
#[inline(always)]
pub fn sin_cos(x: f64) -> (f64, f64) {
    let (t, s, c) = reduce(x);
    if in_range(x) {
        place(t, s, c)
    } else {
        x.sin_cos()
    }
}

/// The reduction and the kernels, for one value or one per lane: `t` carries the
/// quadrant in its low mantissa bits, `(s, c)` are sin and cos of the remainder.
#[inline(always)]
pub(crate) fn reduce<T: Real>(x: T) -> (T, T, T) {
    let t = x * FRAC_2_PI + T::splat(ROUNDER);
    let k = t - T::splat(ROUNDER);
    let r = (x - k * PIO2_1) - k * PIO2_2 - k * PIO2_2T;
    let (s, c) = kernel(r);
    (t, s, c)
}

/// True if [`reduce`] is exact for `x` (false for NaN, which goes to libm).
#[inline(always)]
pub(crate) fn in_range(x: f64) -> bool {
    x.abs() < REDUCE_MAX
}

/// `(sin, cos)` of the reduced argument moved back to its quadrant: quadrant `k mod 4`
/// maps `(s, c)` to `(s, c)`, `(c, −s)`, `(−s, −c)`, `(−c, s)`.
#[inline(always)]
pub(crate) fn place(t: f64, s: f64, c: f64) -> (f64, f64) {
    let q = t.to_bits();
    let (a, b) = if q & 1 != 0 { (c, s) } else { (s, c) };
    let sin = if q & 2 != 0 { -a } else { a };
    let cos = if q.wrapping_add(1) & 2 != 0 { -b } else { b };
    (sin, cos)
}

/// sin and cos on `[−π/4, π/4]`.
#[inline(always)]
fn kernel<T: Real>(x: T) -> (T, T) {
    let z = x * x;
    let w = z * z;
    let v = z * x;
    let rs = z * (z * S4 + T::splat(S3)) + T::splat(S2) + z * w * (z * S6 + T::splat(S5));
    let s = x + v * (z * rs + T::splat(S1));
    let rc = z * (z * (z * C3 + T::splat(C2)) + T::splat(C1))
        + w * w * (z * (z * C6 + T::splat(C5)) + T::splat(C4));
    let hz = z * 0.5;
    let one = T::splat(1.0);
    let one_hz = one - hz;
    let c = one_hz + (((one - one_hz) - hz) + z * rc);
    (s, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> f64 {
        let spacing = f64::EPSILON * b.abs().max(f64::MIN_POSITIVE);
        (a - b).abs() / spacing
    }

    /// Against libm over the angles a swimmer visits and far beyond: at most 2 ulp apart
    /// (each is within 1 ulp of the true value), or 1e-19 apart near the zeros, where
    /// the reduction's absolute error is what is left.
    #[test]
    fn agrees_with_libm() {
        let mut s = 0x9e37_79b9_7f4a_7c15_u64;
        let mut worst: f64 = 0.0;
        for i in 0..400_000 {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let x = match i % 4 {
                0 => (u - 0.5) * 8.0,
                1 => (u - 0.5) * 200.0,
                2 => (u - 0.5) * 1.6e6,
                _ => (u - 0.5) * 1e-3,
            };
            let (sf, cf) = sin_cos(x);
            let (sl, cl) = x.sin_cos();
            for (a, b) in [(sf, sl), (cf, cl)] {
                if (a - b).abs() > 1e-19 {
                    worst = worst.max(ulps(a, b));
                }
            }
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
        // multiples of π/2 and the fallback
        for x in [0.0, -0.0, 1.0e9, -3.0e7, f64::NAN] {
            let (a, b) = sin_cos(x);
            let (c, d) = x.sin_cos();
            assert!((a == c || a.is_nan() && c.is_nan()) && (b == d || b.is_nan() && d.is_nan()));
        }
    }
}
