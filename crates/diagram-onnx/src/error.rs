//! The importer's errors: each names the node, tensor or field and what was expected.

use nc_diagram::builder::BuildError;
use std::path::PathBuf;

/// A node the importer cannot translate, with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The node's name (or `#index` when the model leaves it empty).
    pub node: String,
    /// Its `op_type` (with the domain when not the default one).
    pub op_type: String,
    /// Why: an unknown operator, or an attribute or input form not covered.
    pub why: String,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.node, self.op_type, self.why)
    }
}

/// Why an import failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bytes are not a protobuf `ModelProto`.
    #[error("not an ONNX model: protobuf decoding failed: {0}")]
    Decode(String),
    /// The model has no graph.
    #[error("the model has no graph (ModelProto.graph is missing)")]
    NoGraph,
    /// The default-domain opset is outside what the importer reads.
    #[error("opset_import: default-domain opset {0} is outside the supported 13..=21")]
    Opset(i64),
    /// A malformed tensor (initialiser, constant or attribute).
    #[error("tensor `{name}`: {why}")]
    Tensor {
        /// The tensor's name.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// A malformed graph input, output or value type.
    #[error("graph value `{name}`: {why}")]
    Value {
        /// The value's name.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// A node whose inputs or attributes contradict the operator's definition.
    #[error("node {node} ({op_type}): {why}")]
    Node {
        /// The node's name.
        node: String,
        /// Its operator.
        op_type: String,
        /// What is wrong.
        why: String,
    },
    /// Operators the importer does not translate (all of them listed).
    #[error("{} unsupported node(s); `--partial` imports the graph up to them:\n  {}",
        .0.len(), .0.iter().map(|u| u.to_string()).collect::<Vec<_>>().join("\n  "))]
    Unsupported(Vec<Unsupported>),
    /// The circuit builder refused an operation (a bug in the translation or an odd model).
    #[error("building the circuit: {0}")]
    Build(#[from] BuildError),
    /// The partial import reached no output.
    #[error("nothing to import: no graph output or unsupported node's input is computed")]
    Empty,
    /// Reading a file.
    #[error("reading {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An error while importing a given file.
    #[error("{}: {source}", .path.display())]
    InFile {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: Box<ImportError>,
    },
}
