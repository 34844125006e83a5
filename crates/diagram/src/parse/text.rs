//! The circuit text format.
