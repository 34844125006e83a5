//! The one error type of the plotting helpers: every variant carries the facts.

use std::path::PathBuf;

/// What went wrong while checking, drawing or writing a figure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// A required collection (series, points, categories, frames…) was empty.
    #[error("{what} is empty")]
    Empty {
        /// Which input, e.g. `series "train" points`.
        what: String,
    },
    /// A value was NaN or infinite.
    #[error("{what}[{index}] is not finite: {value}")]
    NonFinite {
        /// Which input.
        what: String,
        /// Position within it.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Two inputs that must match in length do not.
    #[error("{what}: expected length {expected}, got {got}")]
    LengthMismatch {
        /// Which input.
        what: String,
        /// The length it must have.
        expected: usize,
        /// The length it has.
        got: usize,
    },
    /// A value that must be positive (log axis, size, fps…) is not.
    #[error("{what}[{index}] = {value} is not positive, but {why}")]
    NonPositive {
        /// Which input.
        what: String,
        /// Position within it.
        index: usize,
        /// The offending value.
        value: f64,
        /// Why it must be positive, e.g. `the y axis is logarithmic`.
        why: String,
    },
    /// An option or combination of options that cannot be drawn.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which option.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The embedded font could not be loaded (should not happen: it is compiled in).
    #[error("font could not be registered: {0}")]
    Font(String),
    /// plotters failed while drawing.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Encoding a PNG or GIF failed.
    #[error("encoding {format} failed: {reason}")]
    Encode {
        /// `png` or `gif`.
        format: &'static str,
        /// The encoder's message.
        reason: String,
    },
    /// Writing the output file failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Wraps any plotters drawing error.
pub(crate) fn draw_err<E: std::fmt::Display>(e: E) -> PlotError {
    PlotError::Draw(e.to_string())
}
