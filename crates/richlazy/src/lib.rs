//! Rich and lazy learning in rate RNNs (Liu et al., ICLR 2024), rebuilt and extended.
//!
//! Brief overview:
//! - [`tasks`]: seeded 2AF, DMS and CXT generators with neurogym 0.0.2 semantics;
//!   [`mnist`]: sequential MNIST from user IDX files,
//! - [`model`]: the rate RNN with hand-written BPTT on `nc_core::gemm` ([`real`]: `f32` for
//!   speed, `f64` for checks); [`optim`]: SGD with momentum and Adam, PyTorch conventions,
//! - [`init`]: rank-controlled and structured initialisations of `W_h`; [`connectome`]:
//!   cell-type and small-world generators, CSV/NPY loader, shuffle control; [`linalg`]: faer,
//! - [`kernel`]: the empirical tangent kernel by batched reverse mode and one Gram GEMM;
//!   [`measures`]: weight change, RA, KA, sign similarity, kernel–target alignment,
//!   effective ranks, accuracy, CKA; [`capacity`]: simulated manifold capacity,
//! - [`train`]: one run with measures tracked over training; [`save`]: its files,
//! - [`grid`]: every experiment as a grid of runs on nc-core's sweep engine (resume only on a
//!   matching key, shards, atomic merge); [`tables`]: the one writer of its tidy tables;
//!   [`sweep`]: the rank sweep, with [`stats`] (medians, bootstrap intervals, sign tests),
//!   [`claims`] (a verdict per measure) and [`plots`]; [`structure`] and [`controls`]:
//!   experiments 2 and 4; [`smnist`]: the sequential-MNIST rank sweep; [`protocol`]: ours
//!   (paired) or the original's draws, and the learning-rate search; [`mod@bench`]: timings,
//! - [`theory`]: the two-layer linear network with its closed-form NTK; [`kappa`]: its
//!   anisotropic-feature version (the aligned exception, Fig. 3).
//!
//! ```
//! use nc_richlazy::tasks::{NeurogymTask, TaskKind};
//! let mut rng = nc_core::rng::stream(0, "doc", 0);
//! let batch = NeurogymTask::new(TaskKind::TwoAf).sample(&mut rng, 4);
//! assert_eq!((batch.steps, batch.n_in), (8, 3));
//! ```
#![deny(missing_docs)]

pub mod bench;
pub mod capacity;
pub mod claims;
pub mod connectome;
pub mod controls;
pub mod grid;
pub mod init;
pub mod kappa;
pub mod kernel;
pub mod linalg;
pub mod measures;
pub mod mnist;
pub mod model;
pub mod optim;
pub mod plots;
pub mod protocol;
pub mod real;
pub mod save;
pub mod smnist;
pub mod stats;
pub mod structure;
pub mod sweep;
pub mod tables;
pub mod tasks;
pub mod theory;
pub mod train;
