//! Front ends: einsum signatures and the circuit text format.

pub mod signature;
pub mod text;
