//! Why a circuit file could not be loaded.

use crate::names::escape_control;
use thiserror::Error;

/// Why a circuit file could not be loaded.
///
/// A syntax or type error carries its position; render it with [`TextError::in_file`] to get
/// the usual `file:line:column: message` form. Control characters in the message (from
/// quoted names or stray bytes) are shown escaped.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextError {
    /// The text does not parse, or an operation in it is ill-typed.
    #[error("{line}:{column}: {}", escape_control(.msg))]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong: what was expected and what was found.
        msg: String,
    },
    /// A reference points nowhere, or an id disagrees with its position (JSON files).
    #[error("invalid circuit: {}", escape_control(.0))]
    Invalid(String),
}

impl TextError {
    pub(crate) fn syntax(line: usize, column: usize, msg: impl Into<String>) -> TextError {
        TextError::Syntax {
            line,
            column,
            msg: msg.into(),
        }
    }

    /// The error prefixed with a file name: `mlp.ncd:5:14: expected …`.
    ///
    /// ```
    /// let e = nc_diagram::parse::text::load("circuit c\noutput y\n").unwrap_err();
    /// assert_eq!(
    ///     e.in_file("c.ncd"),
    ///     "c.ncd:2:8: unknown value `y` (no value is in scope yet)"
    /// );
    /// ```
    pub fn in_file(&self, file: &str) -> String {
        match self {
            TextError::Syntax { .. } => format!("{}:{self}", escape_control(file)),
            TextError::Invalid(_) => format!("{}: {self}", escape_control(file)),
        }
    }
}
