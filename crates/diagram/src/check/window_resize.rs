//! `W006`: a strided window does not resize by exactly its stride.
//!
//! **What it does.** For ★ with stride s > 1 over an extent divisible by s, warns when the
//! output is not extent/s; for ★ᵀ, when the result is not s times the positions.
//!
//! **Why.** The notebook's U-Net pads its 2×2 max-pool and up-convolution with 1: 512 becomes
//! 257 going down and 32 becomes 62 coming up, so the skip connections no longer line up.
//!
//! **Example.** Max-pool 2, stride 2, padding 1 on 512: 257, not 256.

use super::{Diagnostic, node_label};
use crate::ir::{Circuit, Op, Window};
use crate::size::Bindings;

/// Runs the rule.
pub fn run(c: &Circuit, b: &Bindings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for n in &c.nodes {
        let (ws, t) = match &n.op {
            Op::Window(Window { axes: ws }) => (ws, false),
            Op::WindowT(Window { axes: ws }) => (ws, true),
            _ => continue,
        };
        for w in ws.iter().filter(|w| w.stride > 1) {
            let (Ok(x), Ok(o)) = (c.axis(w.input).size.eval(b), c.axis(w.output).size.eval(b))
            else {
                continue;
            };
            let msg = if !t && x % w.stride == 0 && o != x / w.stride {
                format!(
                    "{}: stride {} takes axis {} from {x} to {} = {o}, not {x}/{} = {}",
                    node_label(c, n.id),
                    w.stride,
                    c.axis_label(w.input),
                    c.axis_label(w.output),
                    w.stride,
                    x / w.stride
                )
            } else if t && x != o * w.stride {
                format!(
                    "{}: stride {} takes axis {} from {o} to {} = {x}, not {o}*{} = {}",
                    node_label(c, n.id),
                    w.stride,
                    c.axis_label(w.output),
                    c.axis_label(w.input),
                    w.stride,
                    o * w.stride
                )
            } else {
                continue;
            };
            out.push(
                Diagnostic::warning("W006", Some(n.id), msg)
                    .with_help(format!("padding {} is probably not intended", w.padding)),
            );
        }
    }
    out
}
