//! `W001`: a floor division in a size drops a remainder, so data is lost.
//!
//! **What it does.** Evaluates each axis size and reports floor divisions (`//`) with a
//! nonzero remainder. For a window it warns only when trailing input positions are reached by
//! no window (a remainder that falls in the padding, or in the gap of a stride larger than
//! the kernel, loses nothing), and says how many positions are reached.
//!
//! **Why.** The notebook's visual attention turns 16 pixels into 15: a 3-wide window with
//! stride 3 reads positions 0–14 only, and the transposed window rebuilds 5·3 = 15. The
//! notebook blamed "stride > 1"; the cause is the floor.
//!
//! **Example.** `★` with kernel 3, stride 3 on x = 16: `(x - 3)//3` is 13/3 = 4 remainder 1.

use super::{Diagnostic, node_label};
use crate::ir::{Circuit, Op, Window};
use crate::size::Bindings;

/// Runs the rule.
pub fn run(c: &Circuit, b: &Bindings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // report each lossy division once, where it first appears, listing the axes it reaches
    let mut seen: Vec<(String, usize)> = Vec::new();
    for a in &c.axes {
        let mut lossy = Vec::new();
        if a.size.eval_traced(b, &mut lossy).is_err() || lossy.is_empty() {
            continue;
        }
        if let Some((_, i)) = seen.iter().find(|(e, _)| *e == lossy[0].expr) {
            if *i == usize::MAX {
                continue;
            }
            let d: &mut Diagnostic = &mut out[*i];
            match d.message.find("; also affects ") {
                Some(_) => d.message.push_str(&format!(", {}", c.axis_label(a.id))),
                None => d
                    .message
                    .push_str(&format!("; also affects {}", c.axis_label(a.id))),
            }
            continue;
        }
        let here_node = c.nodes.iter().find(|n| {
            n.outputs
                .iter()
                .any(|v| c.value(*v).ty.axes.contains(&a.id))
                && !n.inputs.iter().any(|v| c.value(*v).ty.axes.contains(&a.id))
        });
        // a window whose remainder falls in its padding loses nothing
        if let Some(n) = here_node
            && let Op::Window(Window { axes: ws }) = &n.op
            && let Some(w) = ws.iter().find(|w| w.output == a.id)
            && let (Ok(x), Ok(o), Ok(k)) = (
                c.axis(w.input).size.eval(b),
                a.size.eval(b),
                c.axis(w.kernel).size.eval(b),
            )
            && (o - 1) * w.stride + w.stride.max(w.dilation * (k - 1) + 1) - w.padding >= x
        {
            seen.push((lossy[0].expr.clone(), usize::MAX));
            continue;
        }
        seen.push((lossy[0].expr.clone(), out.len()));
        // the node that introduces the axis
        let node = c.nodes.iter().find(|n| {
            n.outputs
                .iter()
                .any(|v| c.value(*v).ty.axes.contains(&a.id))
                && !n.inputs.iter().any(|v| c.value(*v).ty.axes.contains(&a.id))
        });
        let here = node.map_or_else(
            || format!("axis {}", c.axis_label(a.id)),
            |n| node_label(c, n.id),
        );
        let l = &lossy[0];
        let mut msg = format!(
            "{here}: axis {} = {} rounds down: {} is {} / {} = {} remainder {}",
            c.axis_label(a.id),
            a.size,
            l.expr,
            l.num,
            l.den,
            l.num.div_euclid(l.den),
            l.num.rem_euclid(l.den)
        );
        if let Some(n) = node
            && let Op::Window(Window { axes: ws }) = &n.op
            && let Some(w) = ws.iter().find(|w| w.output == a.id)
            && let (Ok(x), Ok(o), Ok(k)) = (
                c.axis(w.input).size.eval(b),
                a.size.eval(b),
                c.axis(w.kernel).size.eval(b),
            )
        {
            let read =
                ((o - 1) * w.stride + w.stride.max(w.dilation * (k - 1) + 1) - w.padding).min(x);
            msg.push_str(&format!(
                "; the windows reach only the first {read} of the {x} positions of {}",
                c.axis_label(w.input)
            ));
        }
        out.push(Diagnostic::warning("W001", node.map(|n| n.id), msg).with_help("pad or crop so the stride divides the extent, or use exact division `/` to make this an error"));
    }
    out
}
