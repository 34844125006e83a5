//! The circuit file format: the IR as pretty-printed JSON, one field per line, stable key
//! order, so files can be written by hand or by [`save`], loaded, and diffed line by line.
//! Loading validates every reference and the execution order before returning a circuit.

use crate::ir::Circuit;
use thiserror::Error;

/// Why a circuit file could not be loaded.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TextError {
    /// Not valid JSON for the IR.
    #[error("line {line}, column {column}: {msg}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        msg: String,
    },
    /// A reference points nowhere, or an id disagrees with its position.
    #[error("invalid circuit: {0}")]
    Invalid(String),
}

/// The circuit as text.
pub fn save(c: &Circuit) -> String {
    let mut s = serde_json::to_string_pretty(c).unwrap_or_default();
    s.push('\n');
    s
}

/// Loads and validates a circuit.
pub fn load(text: &str) -> Result<Circuit, TextError> {
    let c: Circuit = serde_json::from_str(text).map_err(|e| TextError::Syntax {
        line: e.line(),
        column: e.column(),
        msg: e.to_string(),
    })?;
    validate(&c)?;
    Ok(c)
}

/// Checks ids, references and that every node reads only values computed before it.
pub fn validate(c: &Circuit) -> Result<(), TextError> {
    let bad = |m: String| Err(TextError::Invalid(m));
    for (i, a) in c.axes.iter().enumerate() {
        if a.id.ix() != i {
            return bad(format!("axis {i} has id {}", a.id.0));
        }
    }
    for (i, v) in c.values.iter().enumerate() {
        if v.id.ix() != i {
            return bad(format!("value {i} has id {}", v.id.0));
        }
        if let Some(a) = v.ty.axes.iter().find(|a| a.ix() >= c.axes.len()) {
            return bad(format!("value `{}` uses unknown axis {}", v.name, a.0));
        }
    }
    for (i, p) in c.params.iter().enumerate() {
        if p.id.ix() != i || p.axes.iter().any(|a| a.ix() >= c.axes.len()) {
            return bad(format!("parameter `{}` is malformed", p.name));
        }
    }
    let mut ready = vec![false; c.values.len()];
    for v in &c.inputs {
        match ready.get_mut(v.ix()) {
            Some(r) => *r = true,
            None => return bad(format!("unknown input value {}", v.0)),
        }
    }
    for (i, n) in c.nodes.iter().enumerate() {
        if n.id.ix() != i {
            return bad(format!("node {i} has id {}", n.id.0));
        }
        for v in &n.inputs {
            if !ready.get(v.ix()).copied().unwrap_or(false) {
                return bad(format!(
                    "op `{}` reads value {} before it is computed",
                    n.name, v.0
                ));
            }
        }
        if n.params.iter().any(|p| p.ix() >= c.params.len()) {
            return bad(format!("op `{}` uses an unknown parameter", n.name));
        }
        for v in &n.outputs {
            match ready.get_mut(v.ix()) {
                Some(r) => *r = true,
                None => return bad(format!("op `{}` writes unknown value {}", n.name, v.0)),
            }
        }
    }
    if let Some(v) = c
        .outputs
        .iter()
        .find(|v| !ready.get(v.ix()).copied().unwrap_or(false))
    {
        return bad(format!("output value {} is never computed", v.0));
    }
    Ok(())
}
