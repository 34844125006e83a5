//! Error types: invalid configuration and simulation failures.

use thiserror::Error;

/// A configuration value is out of range.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `n_bodies` is outside the supported range.
    #[error("n_bodies must be in {min}..={max}, got {got}")]
    NBodies {
        /// Requested number of bodies.
        got: usize,
        /// Smallest supported.
        min: usize,
        /// Largest supported.
        max: usize,
    },
    /// A number is NaN or infinite.
    #[error("{field} must be finite, got {value}")]
    NonFinite {
        /// Offending field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A number must be > 0.
    #[error("{field} must be positive, got {value}")]
    NotPositive {
        /// Offending field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A number must be >= 0.
    #[error("{field} must not be negative, got {value}")]
    Negative {
        /// Offending field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// A count must be >= 1.
    #[error("{field} must be at least 1, got {got}")]
    ZeroCount {
        /// Offending field.
        field: &'static str,
        /// Its value.
        got: usize,
    },
}

/// Simulation failed. The state is never silently NaN: stepping stops with this error.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SimError {
    /// A state or acceleration entry became non-finite or exceeded MuJoCo's `mjMAXVAL` (1e10).
    #[error("simulation diverged at physics step {step}: {field} is not finite or too large")]
    Diverged {
        /// Physics steps since the last reset when the bad value was found.
        step: usize,
        /// The field (`qpos`, `qvel` or `qacc`).
        field: &'static str,
    },
    /// The action (or batch of actions) has the wrong length.
    #[error("{what}: expected {expected} values, got {got}")]
    Length {
        /// What was passed (`action`, `actions`, `rewards`, `seeds`).
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// An action entry is NaN or infinite.
    #[error("action[{index}] must be finite, got {value}")]
    BadAction {
        /// Index in the (flattened) action.
        index: usize,
        /// Its value.
        value: f64,
    },
}
