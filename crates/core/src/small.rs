//! Dense linear algebra for small systems (the physics' 8×8 to 23×23 mass matrices).
//!
//! Hand-written because faer's dispatch overhead dominates at these sizes; matrices are
//! row-major `n × n` slices and every routine works in place on caller-owned storage.

use thiserror::Error;

/// Why a factorisation failed.
#[derive(Debug, Error, PartialEq)]
#[non_exhaustive]
pub enum SmallError {
    /// The matrix is not (numerically) positive definite.
    #[error("cholesky: non-positive pivot {value} at index {index}")]
    NonPositivePivot {
        /// Pivot index.
        index: usize,
        /// Value of the pivot before the square root.
        value: f64,
    },
    /// The slice does not hold `n × n` values.
    #[error("expected a {n}x{n} matrix ({} values), got {len}", n * n)]
    Size {
        /// Matrix order.
        n: usize,
        /// Slice length.
        len: usize,
    },
}

/// Overwrites the lower triangle of the SPD matrix `a` (row-major `n × n`) with its Cholesky
/// factor L, `A = L·Lᵀ`. The strict upper triangle is left untouched.
///
/// ```
/// let mut a = [4.0, 2.0, 2.0, 3.0];
/// nc_core::small::cholesky_in_place(&mut a, 2).unwrap();
/// assert_eq!([a[0], a[2], a[3]], [2.0, 1.0, 2f64.sqrt()]);
/// ```
pub fn cholesky_in_place(a: &mut [f64], n: usize) -> Result<(), SmallError> {
    if a.len() != n * n {
        return Err(SmallError::Size { n, len: a.len() });
    }
    for j in 0..n {
        let mut d = a[j * n + j];
        for k in 0..j {
            d -= a[j * n + k] * a[j * n + k];
        }
        if d <= 0.0 || !d.is_finite() {
            return Err(SmallError::NonPositivePivot { index: j, value: d });
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        let inv = 1.0 / d;
        for i in j + 1..n {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= a[i * n + k] * a[j * n + k];
            }
            a[i * n + j] = s * inv;
        }
    }
    Ok(())
}

/// Solves `L·Lᵀ x = b` in place, given the factor from [`cholesky_in_place`].
pub fn cholesky_solve_in_place(l: &[f64], n: usize, b: &mut [f64]) {
    debug_assert_eq!(l.len(), n * n);
    debug_assert_eq!(b.len(), n);
    // forward: L y = b
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
    // backward: Lᵀ x = y
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spd(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let g: Vec<f64> = (0..n * n).map(|_| next()).collect();
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|k| g[i * n + k] * g[j * n + k]).sum::<f64>();
            }
            a[i * n + i] += n as f64 * 1e-3;
        }
        a
    }

    #[test]
    fn solves_random_spd_systems_of_several_sizes() {
        for (n, seed) in [(1, 1), (3, 2), (8, 3), (23, 4)] {
            let a = spd(n, seed);
            let x_true: Vec<f64> = (0..n).map(|i| (i as f64).sin()).collect();
            let mut b: Vec<f64> = (0..n)
                .map(|i| (0..n).map(|j| a[i * n + j] * x_true[j]).sum())
                .collect();
            let mut l = a.clone();
            cholesky_in_place(&mut l, n).unwrap();
            cholesky_solve_in_place(&l, n, &mut b);
            for (x, y) in b.iter().zip(&x_true) {
                assert!((x - y).abs() < 1e-8, "n={n}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn rejects_indefinite_and_wrong_size() {
        let mut a = [1.0, 2.0, 2.0, 1.0];
        assert!(matches!(
            cholesky_in_place(&mut a, 2),
            Err(SmallError::NonPositivePivot { index: 1, .. })
        ));
        let mut b = [1.0; 3];
        assert_eq!(
            cholesky_in_place(&mut b, 2),
            Err(SmallError::Size { n: 2, len: 3 })
        );
    }
}
