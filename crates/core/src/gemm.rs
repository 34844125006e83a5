//! Strided GEMM, `C ← α·A·B + β·C`, over flat buffers.
//!
//! Views carry a row and a column stride, so transposes and sub-blocks cost nothing: a
//! transposed view just swaps them ([`MatRef::t`]). [`gemm`] runs matrixmultiply's kernel,
//! which selects AVX2/AVX-512 at run time. [`matmul`] runs faer's, which does not pack a
//! single row and is faster on the small and skinny products of the learners; [`epilogue`]
//! holds the dense-layer work around it (bias, activation and their gradients).

pub mod epilogue;

pub use epilogue::{Act, Kernel, dense_backward_epilogue, dense_forward, vectorized};

use thiserror::Error;

/// Element types the GEMM kernel accepts.
pub trait Scalar: Copy + Default + Send + Sync + 'static + epilogue::Elementwise {
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

    /// `C ← A·B` or `C ← C + A·B` with faer's kernels on one thread.
    #[doc(hidden)]
    fn faer_matmul(
        c: faer::MatMut<'_, Self>,
        a: faer::MatRef<'_, Self>,
        b: faer::MatRef<'_, Self>,
        accumulate: bool,
    );
}

fn accum(accumulate: bool) -> faer::Accum {
    if accumulate {
        faer::Accum::Add
    } else {
        faer::Accum::Replace
    }
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

    fn faer_matmul(
        c: faer::MatMut<'_, f32>,
        a: faer::MatRef<'_, f32>,
        b: faer::MatRef<'_, f32>,
        accumulate: bool,
    ) {
        faer::linalg::matmul::matmul(c, accum(accumulate), a, b, 1.0, faer::Par::Seq);
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

    fn faer_matmul(
        c: faer::MatMut<'_, f64>,
        a: faer::MatRef<'_, f64>,
        b: faer::MatRef<'_, f64>,
        accumulate: bool,
    ) {
        faer::linalg::matmul::matmul(c, accum(accumulate), a, b, 1.0, faer::Par::Seq);
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
    /// A shorter-lived view of the same matrix, so the view can be used again afterwards.
    pub fn reborrow(&mut self) -> MatMut<'_, T> {
        MatMut {
            data: &mut *self.data,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
        }
    }
    /// The read-only view of the same matrix.
    pub fn as_ref(&self) -> MatRef<'_, T> {
        MatRef {
            data: &*self.data,
            rows: self.rows,
            cols: self.cols,
            rs: self.rs,
            cs: self.cs,
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
    /// A bias (or bias gradient) does not have one value per output column.
    #[error("dense layer bias has {got} values, expected one per output column ({expected})")]
    Bias {
        /// Output columns.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// An epilogue needs rows with unit column stride.
    #[error(
        "epilogue operand {operand} needs contiguous rows, got row stride {rs} and column stride {cs}"
    )]
    Layout {
        /// Which operand.
        operand: &'static str,
        /// Its row stride.
        rs: usize,
        /// Its column stride.
        cs: usize,
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
    check_product(&a, &b, &c)?;
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
    internal(gemm(alpha, a, b, beta, c));
}

/// The policy of [`gemm_internal`] for any product of this module ([`matmul`],
/// [`dense_forward`], ...) whose shapes follow from the caller's construction: a shape error
/// is a bug in the caller, so it panics with the shapes and the caller's location.
///
/// # Panics
/// When `result` is a shape error.
#[track_caller]
pub fn internal(result: Result<(), GemmError>) {
    if let Err(e) = result {
        panic!("internal GEMM, shapes fixed by construction: {e} (a bug in the caller)");
    }
}

fn check_product<T>(
    a: &MatRef<'_, T>,
    b: &MatRef<'_, T>,
    c: &MatMut<'_, T>,
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
    check("C", c.rows, c.cols, c.rs, c.cs, c.data.len())
}

// faer's view of one of ours, when it has a unit row or column stride
fn faer_ref<'a, T>(m: &MatRef<'a, T>) -> Option<faer::MatRef<'a, T>> {
    let data = &m.data[..extent(m.rows, m.cols, m.rs, m.cs)];
    if m.cs == 1 {
        Some(faer::MatRef::from_row_major_slice_with_stride(
            data, m.rows, m.cols, m.rs,
        ))
    } else if m.rs == 1 {
        Some(faer::MatRef::from_column_major_slice_with_stride(
            data, m.rows, m.cols, m.cs,
        ))
    } else {
        None
    }
}

// a destination faer can write: unit stride one way, rows (columns) that do not overlap
fn faer_mut<'a, T>(m: MatMut<'a, T>) -> Option<faer::MatMut<'a, T>> {
    let n = extent(m.rows, m.cols, m.rs, m.cs);
    let data = &mut m.data[..n];
    if m.cs == 1 && (m.rows == 1 || m.rs >= m.cols) {
        let rs = if m.rows == 1 { m.cols } else { m.rs };
        // the transpose of a column-major view: faer 0.24.4's
        // `from_row_major_slice_with_stride_mut` swaps the strides and writes out of bounds
        Some(
            faer::MatMut::from_column_major_slice_with_stride_mut(data, m.cols, m.rows, rs)
                .transpose_mut(),
        )
    } else if m.rs == 1 && (m.cols == 1 || m.cs >= m.rows) {
        let cs = if m.cols == 1 { m.rows } else { m.cs };
        Some(faer::MatMut::from_column_major_slice_with_stride_mut(
            data, m.rows, m.cols, cs,
        ))
    } else {
        None
    }
}

/// `C ← A·B`, or `C ← C + A·B` when `accumulate`, on one thread through faer's kernels.
///
/// On the learners' products (100×256 by 256×256, 512×64 by 64×64, and single rows) this ran
/// 1.3–15× faster than [`gemm`] in f32 here, which packs both operands on every call. Views
/// with a unit row or column stride go to faer; any other layout falls back to [`gemm`].
/// With `accumulate` false, C is not read (NaNs in it are overwritten).
///
/// ```
/// use nc_core::gemm::{matmul, MatRef, MatMut};
/// let a = [1.0f32, 2.0, 3.0, 4.0];
/// let mut c = [1.0f32; 4];
/// matmul(MatRef::row_major(&a, 2, 2), MatRef::row_major(&a, 2, 2).t(), MatMut::row_major(&mut c, 2, 2), true).unwrap();
/// assert_eq!(c, [6.0, 12.0, 12.0, 26.0]);
/// ```
pub fn matmul<T: Scalar>(
    a: MatRef<'_, T>,
    b: MatRef<'_, T>,
    mut c: MatMut<'_, T>,
    accumulate: bool,
) -> Result<(), GemmError> {
    check_product(&a, &b, &c)?;
    if c.rows == 0 || c.cols == 0 {
        return Ok(());
    }
    if let (Some(fa), Some(fb)) = (faer_ref(&a), faer_ref(&b))
        && let Some(fc) = faer_mut(c.reborrow())
    {
        T::faer_matmul(fc, fa, fb, accumulate);
        return Ok(());
    }
    let beta = if accumulate { T::ONE } else { T::ZERO };
    gemm(T::ONE, a, b, beta, c)
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

    proptest! {
        #[test]
        fn matmul_matches_naive_in_both_precisions(m in 1usize..40, k in 0usize..40, n in 1usize..40, ta: bool, tb: bool, acc: bool, seed in 0u64..1000) {
            let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            let mut next = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((s >> 33) as f64 / (1u64 << 31) as f64) - 0.5 };
            let a: Vec<f64> = (0..m * k).map(|_| next()).collect();
            let b: Vec<f64> = (0..k * n).map(|_| next()).collect();
            let c0: Vec<f64> = (0..m * n).map(|_| next()).collect();
            fn view<T>(x: &[T], r: usize, c: usize, t: bool) -> MatRef<'_, T> {
                if t { MatRef::row_major(x, c, r).t() } else { MatRef::row_major(x, r, c) }
            }
            let mut want = c0.clone();
            gemm_naive(1.0, view(&a, m, k, ta), view(&b, k, n, tb), if acc { 1.0 } else { 0.0 }, MatMut::row_major(&mut want, m, n));
            let mut c1 = c0.clone();
            matmul(view(&a, m, k, ta), view(&b, k, n, tb), MatMut::row_major(&mut c1, m, n), acc).unwrap();
            for (x, y) in c1.iter().zip(&want) {
                prop_assert!((x - y).abs() < 1e-12);
            }
            // f32, written into the transposed layout
            let (a32, b32): (Vec<f32>, Vec<f32>) = (a.iter().map(|&v| v as f32).collect(), b.iter().map(|&v| v as f32).collect());
            let mut c32: Vec<f32> = (0..m * n).map(|i| c0[(i % m) * n + i / m] as f32).collect();
            matmul(view(&a32, m, k, ta), view(&b32, k, n, tb), MatMut::row_major(&mut c32, n, m).t(), acc).unwrap();
            for i in 0..m {
                for j in 0..n {
                    prop_assert!((f64::from(c32[j * m + i]) - want[i * n + j]).abs() < 1e-5);
                }
            }
        }
    }

    #[test]
    fn matmul_writes_only_inside_its_view() {
        // faer 0.24.4's row-major-with-stride destination wrote past its view; sentinels in
        // the row padding and after the last row must survive
        let (m, k, n, rs) = (7, 5, 9, 12);
        let a: Vec<f32> = (0..m * k).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i % 7) as f32).collect();
        let mut c = vec![-1.0f32; m * rs + 5];
        matmul(
            MatRef::row_major(&a, m, k),
            MatRef::row_major(&b, k, n),
            MatMut::strided(&mut c, m, n, rs, 1),
            false,
        )
        .unwrap();
        for (idx, &v) in c.iter().enumerate() {
            let (i, j) = (idx / rs, idx % rs);
            if i < m && j < n {
                let want: f32 = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
                assert_eq!(v, want, "c[{i},{j}]");
            } else {
                assert_eq!(v, -1.0, "padding at {idx} was written");
            }
        }
    }

    #[test]
    fn matmul_falls_back_for_general_strides() {
        // A with strides (2, 3): neither unit, so gemm runs it
        let a: Vec<f64> = (0..12).map(f64::from).collect();
        let b = [1.0, 2.0];
        let mut c = [0.0; 3];
        matmul(
            MatRef::strided(&a, 3, 2, 2, 3),
            MatRef::row_major(&b, 2, 1),
            MatMut::row_major(&mut c, 3, 1),
            false,
        )
        .unwrap();
        assert_eq!(c, [6.0, 12.0, 18.0]);
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
