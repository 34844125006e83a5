//! Dense linear algebra over row-major `f64` buffers, through faer.

use faer::Mat;
use thiserror::Error;

/// A decomposition that did not converge.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinalgError {
    /// faer's SVD or eigen solver gave up.
    #[error("{what} of a {rows}x{cols} matrix did not converge")]
    NoConvergence {
        /// Which decomposition.
        what: &'static str,
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
    },
}

/// A full singular value decomposition `A = U diag(s) Vᵀ`, all row-major.
#[derive(Clone, Debug)]
pub struct Svd {
    /// `rows × k` left singular vectors (`k = min(rows, cols)`).
    pub u: Vec<f64>,
    /// Singular values, non-increasing.
    pub s: Vec<f64>,
    /// `k × cols` right singular vectors, transposed.
    pub vt: Vec<f64>,
    /// Rows of A.
    pub rows: usize,
    /// Columns of A.
    pub cols: usize,
}

fn to_mat(a: &[f64], rows: usize, cols: usize) -> Mat<f64> {
    Mat::from_fn(rows, cols, |i, j| a[i * cols + j])
}

/// The thin SVD of a row-major `rows × cols` matrix.
pub fn svd(a: &[f64], rows: usize, cols: usize) -> Result<Svd, LinalgError> {
    let m = to_mat(a, rows, cols);
    let d = m.thin_svd().map_err(|_| LinalgError::NoConvergence {
        what: "svd",
        rows,
        cols,
    })?;
    let k = rows.min(cols);
    let (u, v) = (d.U(), d.V());
    let s: Vec<f64> = d.S().column_vector().iter().copied().collect();
    let mut uu = vec![0.0; rows * k];
    let mut vt = vec![0.0; k * cols];
    for i in 0..rows {
        for j in 0..k {
            uu[i * k + j] = u[(i, j)];
        }
    }
    for i in 0..k {
        for j in 0..cols {
            vt[i * cols + j] = v[(j, i)];
        }
    }
    Ok(Svd {
        u: uu,
        s,
        vt,
        rows,
        cols,
    })
}

impl Svd {
    /// `Σ_{i<r} s_i u_i v_iᵀ`, row-major `rows × cols`.
    pub fn truncate(&self, r: usize) -> Vec<f64> {
        let k = self.s.len();
        let r = r.min(k);
        let mut out = vec![0.0; self.rows * self.cols];
        for i in 0..self.rows {
            let row = &mut out[i * self.cols..(i + 1) * self.cols];
            for q in 0..r {
                let c = self.u[i * k + q] * self.s[q];
                if c != 0.0 {
                    let v = &self.vt[q * self.cols..(q + 1) * self.cols];
                    row.iter_mut().zip(v).for_each(|(o, &vj)| *o += c * vj);
                }
            }
        }
        out
    }
}

/// Singular values of a row-major matrix, non-increasing.
pub fn singular_values(a: &[f64], rows: usize, cols: usize) -> Result<Vec<f64>, LinalgError> {
    to_mat(a, rows, cols)
        .singular_values()
        .map_err(|_| LinalgError::NoConvergence {
            what: "singular values",
            rows,
            cols,
        })
}

/// Eigenvalues `(re, im)` of a square row-major matrix.
pub fn eigenvalues(a: &[f64], n: usize) -> Result<Vec<(f64, f64)>, LinalgError> {
    let ev = to_mat(a, n, n)
        .eigenvalues()
        .map_err(|_| LinalgError::NoConvergence {
            what: "eigenvalues",
            rows: n,
            cols: n,
        })?;
    Ok(ev.iter().map(|c| (c.re, c.im)).collect())
}

/// A Haar-random orthogonal `n × n` matrix: QR of a Gaussian with the signs of R's diagonal
/// folded into Q.
pub fn haar_orthogonal(g: &[f64], n: usize) -> Vec<f64> {
    let m = to_mat(g, n, n);
    let qr = m.qr();
    let q = qr.compute_Q();
    let r = qr.R();
    let mut out = vec![0.0; n * n];
    for j in 0..n {
        let sign = if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
        for i in 0..n {
            out[i * n + j] = q[(i, j)] * sign;
        }
    }
    out
}

/// Frobenius norm.
pub fn frobenius(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svd_reconstructs_and_truncates() {
        let a = [3.0, 1.0, 0.5, 1.0, 2.0, 0.2, 0.0, 0.4, 1.0, 2.0, 0.1, 0.3];
        let d = svd(&a, 4, 3).unwrap();
        let back = d.truncate(3);
        for (x, y) in a.iter().zip(&back) {
            assert!((x - y).abs() < 1e-12);
        }
        let r1 = d.truncate(1);
        // rank one: Frobenius norm equals the top singular value
        assert!((frobenius(&r1) - d.s[0]).abs() < 1e-12);
        assert!(d.s.windows(2).all(|w| w[0] >= w[1]));
    }

    #[test]
    fn orthogonal_is_orthogonal() {
        let g: Vec<f64> = (0..25)
            .map(|i| ((i * 37 % 11) as f64) - 5.0 + 0.1 * i as f64)
            .collect();
        let q = haar_orthogonal(&g, 5);
        for i in 0..5 {
            for j in 0..5 {
                let d: f64 = (0..5).map(|k| q[k * 5 + i] * q[k * 5 + j]).sum();
                assert!((d - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }
}
