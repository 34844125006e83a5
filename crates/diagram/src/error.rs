//! Why a run, a binding or a cost failed: the one error type of the executor, the cost
//! model and the operations, kept below all three so none imports another for it.

use crate::size::SizeError;
use thiserror::Error;

/// Why a run failed.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExecError {
    /// A size could not be evaluated.
    #[error("axis {axis}: {cause}")]
    Size {
        /// The axis.
        axis: String,
        /// The cause (shown in the message, so not a `source`).
        cause: SizeError,
    },
    /// The size a `scale` multiplies by could not be evaluated.
    #[error("op `{op}` scales by a size: {cause}")]
    Scale {
        /// The op.
        op: String,
        /// The cause (shown in the message, so not a `source`).
        cause: SizeError,
    },
    /// A size is not positive.
    #[error("axis {axis} has size {size}; sizes must be positive")]
    NonPositive {
        /// The axis.
        axis: String,
        /// Its value.
        size: i64,
    },
    /// Wrong number of inputs.
    #[error("the circuit takes {expected} inputs, got {got}")]
    Arity {
        /// Expected count.
        expected: usize,
        /// Given count.
        got: usize,
    },
    /// An input tensor does not fit its wire.
    #[error("input `{input}`: axis {axis} should have size {expected}, got {got}")]
    InputShape {
        /// Input name.
        input: String,
        /// Axis.
        axis: String,
        /// Bound size.
        expected: usize,
        /// Given size (0 when the axis is missing).
        got: usize,
    },
    /// An embedding index out of range.
    #[error("op `{op}`: index {index} is outside the vocabulary of {vocab}")]
    Index {
        /// Node name.
        op: String,
        /// The index.
        index: f64,
        /// Vocabulary size.
        vocab: usize,
    },
    /// An operation produced NaN or infinity.
    #[error("op `{op}` produced a non-finite value in `{value}`")]
    NonFinite {
        /// Node name.
        op: String,
        /// Value name.
        value: String,
    },
    /// A cost or memory count could not be computed (it overflows).
    #[error("cost `{quantity}`: {cause}")]
    Cost {
        /// Which count.
        quantity: &'static str,
        /// The cause (shown in the message, so not a `source`).
        cause: SizeError,
    },
    /// The run would need more memory than allowed.
    #[error(
        "this run needs about {} ({estimate} bytes, the cost model's estimate for the \
         executor's forward and backward pass), over the memory limit of {} ({limit} bytes)",
        human_bytes(*estimate),
        human_bytes(*limit)
    )]
    OverMemory {
        /// Estimated peak bytes.
        estimate: u128,
        /// The limit.
        limit: u128,
    },
    /// An array has more elements than this machine can address.
    #[error("`{value}` would have {elements} elements, more than this machine can address")]
    TooLarge {
        /// The value or parameter.
        value: String,
        /// Its element count (saturated at `u128::MAX`).
        elements: u128,
    },
    /// The checker found a size error.
    #[error("{0}")]
    Check(String),
    /// Output gradients do not match the outputs.
    #[error("{0}")]
    Grad(String),
}

/// Bytes as people read them, in powers of 1024: `2.8 GiB`, `512.0 MiB`, `900 B`.
///
/// ```
/// use nc_diagram::cost::human_bytes;
/// assert_eq!(human_bytes(900), "900 B");
/// assert_eq!(human_bytes(3 << 29), "1.5 GiB");
/// ```
pub fn human_bytes(n: u128) -> String {
    const UNITS: [&str; 8] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.1} {}", UNITS[u])
}
