//! Build-time type errors, each with a diagnostic code.

use crate::size::SizeError;
use thiserror::Error;

/// Why an operation could not be added.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum BuildError {
    /// An operation names an axis its input does not carry.
    #[error("op `{op}` ({kind}): axis {axis} is not on input `{value}`, whose axes are [{has}]")]
    MissingAxis {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The axis.
        axis: String,
        /// The input value.
        value: String,
        /// Its axes.
        has: String,
    },
    /// Two different axes with one name meet where one axis is meant.
    #[error(
        "op `{op}` ({kind}): `{name}` is {first} in one place and {second} in another; axes that share a name are different unless declared the same"
    )]
    AxisConflict {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The shared name.
        name: String,
        /// First axis label.
        first: String,
        /// Second axis label.
        second: String,
    },
    /// An axis would appear twice on one value.
    #[error("op `{op}` ({kind}): axis {axis} would appear twice on the output")]
    DuplicateAxis {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The axis.
        axis: String,
    },
    /// The einsum signature is malformed or does not fit the operands.
    #[error("op `{op}` (einsum): {why}")]
    Signature {
        /// Node name.
        op: String,
        /// What is wrong.
        why: String,
    },
    /// Wrong element type.
    #[error("op `{op}` ({kind}): input `{value}` must hold {expected}")]
    DType {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// The value.
        value: String,
        /// Expected element type.
        expected: &'static str,
    },
    /// A load of a label never saved.
    #[error("op `{op}` (load): nothing was saved as `{label}`")]
    UnknownLabel {
        /// Node name.
        op: String,
        /// The label.
        label: String,
    },
    /// Any other malformed operation.
    #[error("op `{op}` ({kind}): {why}")]
    Invalid {
        /// Node name.
        op: String,
        /// Operation kind.
        kind: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A size expression did not parse.
    #[error(transparent)]
    Size(#[from] SizeError),
    /// A block was closed that is not open, or left open.
    #[error("block nesting: {0}")]
    Blocks(String),
    /// The circuit has no outputs.
    #[error("circuit `{0}` has no outputs")]
    NoOutputs(String),
}

impl BuildError {
    /// The diagnostic code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            BuildError::MissingAxis { .. } => "E101",
            BuildError::AxisConflict { .. } => "E102",
            BuildError::DuplicateAxis { .. } => "E103",
            BuildError::Signature { .. } => "E104",
            BuildError::DType { .. } => "E105",
            BuildError::UnknownLabel { .. } => "E106",
            BuildError::Invalid { .. } => "E107",
            BuildError::Size(_) => "E108",
            BuildError::Blocks(_) => "E109",
            BuildError::NoOutputs(_) => "E110",
        }
    }
}
