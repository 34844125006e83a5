//! Rich and lazy learning in rate RNNs (Liu et al., ICLR 2024), rebuilt and extended.
//!
//! Brief overview:
//! - [`tasks`]: seeded 2AF, DMS and CXT generators with neurogym 0.0.2 semantics,
//! - [`model`]: the rate RNN with hand-written BPTT on `nc_core::gemm`,
//! - [`real`]: the float types (`f32` for speed, `f64` for checks).
//!
//! ```
//! use nc_richlazy::tasks::{NeurogymTask, TaskKind};
//! let mut rng = nc_core::rng::stream(0, "doc", 0);
//! let batch = NeurogymTask::new(TaskKind::TwoAf).sample(&mut rng, 4);
//! assert_eq!((batch.steps, batch.n_in), (8, 3));
//! ```
#![deny(missing_docs)]

pub mod bench;
pub mod connectome;
pub mod init;
pub mod kernel;
pub mod linalg;
pub mod measures;
pub mod model;
pub mod optim;
pub mod plots;
pub mod real;
pub mod sweep;
pub mod tasks;
pub mod theory;
pub mod train;
