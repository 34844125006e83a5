//! # nc-swimmer: dm_control's swimmer, natively
//!
//! Brief overview: a planar articulated-body simulator that reproduces MuJoCo 3.17's dynamics
//! for dm_control's `swimmer` (`_make_model(n_bodies)`), the NCAP "swim" task on top of it,
//! and a rayon-parallel batch of environments for training.
//!
//! The physics follows MuJoCo's structure: an immutable [`Model`], a mutable [`Data`] with
//! MuJoCo's field names, and one module per pipeline stage ([`kinematics`], [`inertia`] and
//! its O(n) [`articulated`] solve, [`bias`], [`passive`] (inertia-box fluid), [`actuation`], [`constraint`] (soft joint limits,
//! solved exactly), [`integrate`] (semi-implicit Euler)), combined by [`step()`] as `mj_step`
//! does. The state layout is MuJoCo's: `qpos = (x, y, heading, joint angles)`.
//!
//! ```
//! use nc_swimmer::{SwimConfig, SwimEnv, run_episode};
//! let mut env = SwimEnv::new(SwimConfig { episode_len: 20, ..SwimConfig::default() }).unwrap();
//! // a travelling sine wave along the body
//! let ret = run_episode(&mut env, 7, |_obs, k, act| {
//!     for (j, a) in act.iter_mut().enumerate() {
//!         *a = (k as f64 * 0.2 - j as f64).sin();
//!     }
//! })
//! .unwrap();
//! assert!((0.0..=20.0).contains(&ret));
//! ```
#![deny(missing_docs)]

pub mod actuation;
pub mod articulated;
mod batch;
pub mod bench;
pub mod bias;
pub mod constraint;
pub mod data;
pub mod error;
pub mod inertia;
pub mod integrate;
pub mod kinematics;
pub mod model;
pub mod navigate;
pub mod passive;
mod real;
pub mod render;
pub mod script;
pub mod sensor;
pub mod step;
pub mod task;
pub mod trajectory;
mod trig;
pub mod vec_env;

pub use data::Data;
pub use error::{ConfigError, SimError};
pub use model::{MAX_BODIES, MIN_BODIES, Model, Options};
pub use navigate::NavigateEnv;
pub use step::{forward, step};
pub use task::{
    BodyPose, Episodic, StepOutcome, SwimConfig, SwimEnv, run_episode, run_episode_visiting,
};
pub use vec_env::VecEnv;
