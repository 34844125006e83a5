//! The float types the model runs in: `f32` for speed, `f64` for reference checks. The
//! trait is the workspace's one, [`nc_core::real`].

pub use nc_core::real::{Real, cast};
