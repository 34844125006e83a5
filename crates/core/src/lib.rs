//! Numerical core of neurocircuits.
//!
//! Brief overview:
//! - [`gemm`]: strided matrix multiply over flat `f32`/`f64` buffers (matrixmultiply),
//! - [`small`]: dense linear algebra for the small systems of the physics (Cholesky),
//! - [`activation`]: vectorisable activations (a rational `tanh` that avoids libm),
//! - [`real`]: the one float trait (`f32`, `f64`) every generic kernel is written over,
//! - [`rng`]: seeded random streams derived from (run seed, purpose, index),
//! - [`output`]: atomic file and folder writes, and config hashes,
//! - [`shard`]: deterministic `--shard I/N` selection of sweep units,
//! - [`sweep`]: the one sweep engine (resume only on a matching key, shards, atomic merge),
//! - [`verdict`]: the one rule for saying a run agrees or disagrees with a paper.
//!
//! ```
//! use nc_core::gemm::{gemm, MatRef, MatMut};
//! let a = [1.0f64, 2.0, 3.0, 4.0]; // 2x2 row-major
//! let b = [1.0f64, 0.0, 0.0, 1.0];
//! let mut c = [0.0f64; 4];
//! gemm(1.0, MatRef::row_major(&a, 2, 2), MatRef::row_major(&b, 2, 2), 0.0,
//!      MatMut::row_major(&mut c, 2, 2)).unwrap();
//! assert_eq!(c, a);
//! ```
#![deny(missing_docs)]

pub mod activation;
pub mod gemm;
pub mod output;
pub mod real;
pub mod rng;
pub mod shard;
pub mod small;
pub mod sweep;
pub mod verdict;

pub use faer;
