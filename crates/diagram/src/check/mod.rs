//! The checker: rules with codes, like a linter. Errors (`E…`) stop a run; warnings (`W…`)
//! flag likely mistakes. Each rule lives in its own module with its documentation.
//!
//! Build-time type errors (`E101`–`E110`, from [`crate::builder::BuildError`]) are reported
//! by the builder and the text parser; the rules here need bound sizes or the whole circuit.

pub mod dangling;
pub mod implicit_sharing;
pub mod lossy_floor;
pub mod sizes;
pub mod softmax_axis;
pub mod uniform_bias;
pub mod unused_save;
pub mod window_resize;

use crate::ir::{Circuit, NodeId};
use crate::size::Bindings;
use serde::Serialize;
use std::fmt;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Severity {
    /// The circuit cannot run.
    Error,
    /// Probably a mistake.
    Warning,
}

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Rule code, e.g. `"W001"`.
    pub code: &'static str,
    /// Severity.
    pub severity: Severity,
    /// The node concerned, if any.
    pub node: Option<NodeId>,
    /// The message, naming op, axis and sizes.
    pub message: String,
    /// A hint on how to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    pub(crate) fn error(code: &'static str, node: Option<NodeId>, message: String) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            node,
            message,
            help: None,
        }
    }
    pub(crate) fn warning(code: &'static str, node: Option<NodeId>, message: String) -> Self {
        Diagnostic {
            code,
            severity: Severity::Warning,
            node,
            message,
            help: None,
        }
    }
    pub(crate) fn with_help(mut self, h: impl Into<String>) -> Self {
        self.help = Some(h.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}[{}]: {}", self.code, self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  = help: {h}")?;
        }
        Ok(())
    }
}

/// All findings for one circuit under one binding.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Findings in rule order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
    /// The codes found, in order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.diagnostics.iter().map(|d| d.code).collect()
    }
    /// Every finding rendered, one per paragraph.
    pub fn render(&self) -> String {
        self.diagnostics
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Runs every rule. Size rules need every symbol bound; the structural rules do not.
pub fn check(c: &Circuit, b: &Bindings) -> Report {
    let mut d = sizes::run(c, b);
    d.extend(lossy_floor::run(c, b));
    d.extend(window_resize::run(c, b));
    d.extend(unused_save::run(c));
    d.extend(implicit_sharing::run(c));
    d.extend(softmax_axis::run(c));
    d.extend(uniform_bias::run(c));
    d.extend(dangling::run(c));
    Report { diagnostics: d }
}

pub(crate) fn node_label(c: &Circuit, n: NodeId) -> String {
    let node = c.node(n);
    format!("op `{}` ({})", node.name, node.op.kind())
}
