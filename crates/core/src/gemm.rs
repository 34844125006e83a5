//! Strided GEMM, `C ← α·A·B + β·C`, over flat buffers.
//!
//! Views carry a row and a column stride, so transposes and sub-blocks cost nothing: a
//! transposed view just swaps them ([`MatRef::t`]). The kernel is matrixmultiply's, which
//! selects AVX2/AVX-512 at run time.

use thiserror::Error;

/// Element types the GEMM kernel accepts.
pub trait Scalar: Copy + Default + Send + Sync + 'static {
    /// `C ← α·A·B + β·C` on raw strided pointers; the caller has checked every bound.
    ///
    /// # Safety
    /// Every index `i·rs + j·cs` reachable for the given dimensions must lie inside the
    /// corresponding allocation, and `c` must not alias `a` or `b`.
    #[allow(unsafe_code, clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

#[allow(unsafe_code)]
impl Scalar for f32 {
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded contract, checked by `gemm`.
        unsafe {
            matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

#[allow(unsafe_code)]
impl Scalar for f64 {
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        // SAFETY: forwarded contract, checked by `gemm`.
        unsafe {
            matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
        }
    }
}

/// A read-only strided matrix view over a flat slice.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// Backing storage.
    pub data: &'a [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance in elements between consecutive rows.
    pub rs: usize,
    /// Distance in elements between consecutive columns.
    pub cs: usize,
}

/// A mutable strided matrix view over a flat slice.
#[derive(Debug)]
pub struct MatMut<'a, T> {
    /// Backing storage.
    pub data: &'a mut [T],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance in elements between consecutive rows.
    pub rs: usize,
    /// Distance in elements between consecutive columns.
    pub cs: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A dense row-major `rows × cols` view.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }
    /// A view with explicit strides.
    pub fn strided(data: &'a [T], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }
    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

impl<'a, T> MatMut<'a, T> {
    /// A dense row-major `rows × cols` view.
    pub fn row_major(data: &'a mut [T], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs: cols,
            cs: 1,
        }
    }
    /// A view with explicit strides.
    pub fn strided(data: &'a mut [T], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }
    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        Self {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// Why a GEMM call was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum GemmError {
    /// The inner or outer dimensions disagree.
    #[error(
        "gemm shape mismatch: A is {a_rows}x{a_cols}, B is {b_rows}x{b_cols}, C is {c_rows}x{c_cols}"
    )]
    Shape {
        /// Rows of A.
        a_rows: usize,
        /// Columns of A.
        a_cols: usize,
        /// Rows of B.
        b_rows: usize,
        /// Columns of B.
        b_cols: usize,
        /// Rows of C.
        c_rows: usize,
        /// Columns of C.
        c_cols: usize,
    },
    /// A view reaches past the end of its slice.
    #[error("gemm operand {operand} reaches element {needed} but its buffer holds {len}")]
    OutOfBounds {
        /// Which operand: "A", "B" or "C".
        operand: &'static str,
        /// One past the largest index the view touches.
        needed: usize,
        /// The slice length.
        len: usize,
    },
}

fn extent(rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    }
}

fn check(
    operand: &'static str,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
    len: usize,
) -> Result<(), GemmError> {
    let needed = extent(rows, cols, rs, cs);
    if needed > len {
        return Err(GemmError::OutOfBounds {
            operand,
            needed,
            len,
        });
    }
    Ok(())
}

/// `C ← α·A·B + β·C`. With `β = 0`, C is not read (NaNs in it are overwritten).
///
/// ```
/// use nc_core::gemm::{gemm, MatRef, MatMut};
/// // Aᵀ·B with A stored row-major as 3x2: no copy, just a transposed view
/// let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let b = [1.0f32, 1.0, 1.0];
/// let mut c = [0.0f32; 2];
/// gemm(1.0, MatRef::row_major(&a, 3, 2).t(), MatRef::row_major(&b, 3, 1), 0.0,
///      MatMut::row_major(&mut c, 2, 1)).unwrap();
/// assert_eq!(c, [9.0, 12.0]);
/// ```
pub fn gemm<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) -> Result<(), GemmError> {
    if a.cols != b.rows || a.rows != c.rows || b.cols != c.cols {
        return Err(GemmError::Shape {
            a_rows: a.rows,
            a_cols: a.cols,
            b_rows: b.rows,
            b_cols: b.cols,
            c_rows: c.rows,
            c_cols: c.cols,
        });
    }
    check("A", a.rows, a.cols, a.rs, a.cs, a.data.len())?;
    check("B", b.rows, b.cols, b.rs, b.cs, b.data.len())?;
    check("C", c.rows, c.cols, c.rs, c.cs, c.data.len())?;
    if c.rows == 0 || c.cols == 0 {
        return Ok(());
    }
    #[allow(unsafe_code)]
    // SAFETY: every reachable index was bounds-checked above; `c` is a unique borrow so it
    // cannot alias `a` or `b`.
    unsafe {
        T::gemm_raw(
            a.rows,
            a.cols,
            b.cols,
            alpha,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            beta,
            c.data.as_mut_ptr(),
            c.rs as isize,
            c.cs as isize,
        );
    }
    Ok(())
}

/// [`gemm`] for the workspace's own kernels, whose shapes follow from their construction
/// (layer sizes, bound axes): the one policy for "an internal GEMM cannot fail".
///
/// The shapes and bounds are always checked (it is cheap next to the product); a mismatch
/// is a bug in the caller, never bad input, so it panics with the shapes and the caller's
/// location rather than returning an error nobody can act on or computing a wrong result.
/// Code that multiplies user-shaped matrices calls [`gemm`] and returns its error.
///
/// ```
/// use nc_core::gemm::{gemm_internal, MatRef, MatMut};
/// let a = [1.0f64, 2.0, 3.0, 4.0];
/// let mut c = [0.0f64; 4];
/// gemm_internal(1.0, MatRef::row_major(&a, 2, 2), MatRef::row_major(&a, 2, 2).t(), 0.0,
///               MatMut::row_major(&mut c, 2, 2));
/// assert_eq!(c, [5.0, 11.0, 11.0, 25.0]);
/// ```
///
/// # Panics
/// When the views' shapes disagree or a view reaches past its buffer.
#[track_caller]
pub fn gemm_internal<T: Scalar>(
    alpha: T,
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    beta: T,
    c: MatMut<'_, T>,
) {
    if let Err(e) = gemm(alpha, a, b, beta, c) {
        panic!("internal GEMM, shapes fixed by construction: {e} (a bug in the caller)");
    }
}

/// Reference triple loop, used by tests and benchmarks as the peer of [`gemm`].
pub fn gemm_naive(
    alpha: f64,
    a: MatRef<'_, f64>,
    b: MatRef<'_, f64>,
    beta: f64,
    c: MatMut<'_, f64>,
) {
    for i in 0..c.rows {
        for j in 0..c.cols {
            let mut acc = 0.0;
            for p in 0..a.cols {
                acc += a.data[i * a.rs + p * a.cs] * b.data[p * b.rs + j * b.cs];
            }
            let dst = &mut c.data[i * c.rs + j * c.cs];
            *dst = alpha * acc + if beta == 0.0 { 0.0 } else { beta * *dst };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn matches_naive_on_strided_views(m in 1usize..9, k in 1usize..9, n in 1usize..9, ta: bool, tb: bool, seed in 0u64..1000) {
            let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let mut next = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((s >> 33) as f64 / (1u64 << 31) as f64) - 0.5 };
            let a: Vec<f64> = (0..m * k).map(|_| next()).collect();
            let b: Vec<f64> = (0..k * n).map(|_| next()).collect();
            let c0: Vec<f64> = (0..m * n).map(|_| next()).collect();
            let av = if ta { MatRef::row_major(&a, k, m).t() } else { MatRef::row_major(&a, m, k) };
            let bv = if tb { MatRef::row_major(&b, n, k).t() } else { MatRef::row_major(&b, k, n) };
            let mut c1 = c0.clone();
            let mut c2 = c0.clone();
            gemm(0.7, av, bv, 0.3, MatMut::row_major(&mut c1, m, n)).unwrap();
            gemm_naive(0.7, av, bv, 0.3, MatMut::row_major(&mut c2, m, n));
            for (x, y) in c1.iter().zip(&c2) {
                prop_assert!((x - y).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rejects_mismatched_shapes_and_short_buffers() {
        let a = [0.0f32; 6];
        let mut c = [0.0f32; 4];
        let err = gemm(
            1.0,
            MatRef::row_major(&a, 2, 3),
            MatRef::row_major(&a, 2, 3),
            0.0,
            MatMut::row_major(&mut c, 2, 2),
        );
        assert!(matches!(err, Err(GemmError::Shape { .. })));
        let err = gemm(
            1.0,
            MatRef::row_major(&a[..5], 2, 3),
            MatRef::row_major(&a, 3, 2),
            0.0,
            MatMut::row_major(&mut c, 2, 2),
        );
        assert_eq!(
            err,
            Err(GemmError::OutOfBounds {
                operand: "A",
                needed: 6,
                len: 5
            })
        );
    }

    #[test]
    #[should_panic(expected = "internal GEMM, shapes fixed by construction: gemm shape mismatch")]
    fn internal_mismatch_is_a_bug_and_panics() {
        let a = [0.0f32; 6];
        let mut c = [0.0f32; 4];
        gemm_internal(
            1.0,
            MatRef::row_major(&a, 2, 3),
            MatRef::row_major(&a, 2, 3),
            0.0,
            MatMut::row_major(&mut c, 2, 2),
        );
    }

    #[test]
    fn beta_zero_overwrites_nan() {
        let a = [1.0f32; 4];
        let mut c = [f32::NAN; 4];
        gemm(
            1.0,
            MatRef::row_major(&a, 2, 2),
            MatRef::row_major(&a, 2, 2),
            0.0,
            MatMut::row_major(&mut c, 2, 2),
        )
        .unwrap();
        assert_eq!(c, [2.0; 4]);
    }
}
