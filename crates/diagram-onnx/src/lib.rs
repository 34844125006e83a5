//! ONNX import for neural circuit diagrams: an ONNX model becomes a typed circuit (axes with
//! identity and readable names) plus its weights, which the executor runs and the drawer
//! draws.
//!
//! The protobuf is decoded by `prost` ([`proto`] lists the messages read); constants are
//! checked against their dimensions ([`data`]); [`import`] translates the graph operator by
//! operator ([`SUPPORTED`]); every node it cannot translate is listed in one error, and
//! [`Options::partial`] imports the graph up to them. A malformed file is an error, never a
//! panic (`tests/malformed.rs` mutates real models' bytes).
//!
//! ```no_run
//! let m = nc_diagram_onnx::import_file("model.onnx".as_ref(), &Default::default()).unwrap();
//! let params = m.params::<f32>();
//! # let _ = params;
//! ```
#![deny(missing_docs)]

pub mod data;
mod error;
mod import;
pub mod proto;
pub mod weights;

pub use error::{ImportError, Unsupported};
pub use import::{Imported, Options, SUPPORTED, Weight, import, import_file};
