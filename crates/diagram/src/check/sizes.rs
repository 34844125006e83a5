//! `E001`–`E005`: sizes that cannot be evaluated or do not fit together.
//!
//! **What it does.** Evaluates every axis size and checks each operation's size relations:
//! a reshape keeps the element count, a concatenation adds up, a window's output size follows
//! ⌊(x + 2p − d(k−1) − 1)/s⌋ + 1, a group `(k h)` multiplies out, a weight's twin axis equals
//! its input axis, and the declared constraints hold.
//!
//! **Why.** These are the run-time "can't divide axis of length 173" errors, caught before
//! anything runs and reported with the operation, the axes and their sizes.
//!
//! **Example.** `reshape [k, h] -> [m]` with k = 16, h = 3, m = 128 is `E004`.

use super::{Diagnostic, node_label};
use crate::ir::{AxisId, Circuit, Concat, Einsum, Linear, Op, Reshape, Split, Window, WindowAxis};
use crate::size::{Bindings, SizeError};

/// Runs the rule.
pub fn run(c: &Circuit, b: &Bindings) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut sizes: Vec<Option<i64>> = Vec::new();
    for a in &c.axes {
        match a.size.eval(b) {
            Ok(v) if v <= 0 => {
                out.push(Diagnostic::error(
                    "E002",
                    None,
                    format!(
                        "axis {} = {} evaluates to {v}; sizes must be positive",
                        c.axis_label(a.id),
                        a.size
                    ),
                ));
                sizes.push(None);
            }
            Ok(v) => sizes.push(Some(v)),
            Err(SizeError::Unbound(s)) => {
                if !out
                    .iter()
                    .any(|d: &Diagnostic| d.code == "E001" && d.message.contains(&format!("`{s}`")))
                {
                    out.push(
                        Diagnostic::error(
                            "E001",
                            None,
                            format!(
                                "size symbol `{s}` (used by axis {}) is not bound",
                                c.axis_label(a.id)
                            ),
                        )
                        .with_help(format!("bind it, e.g. --bind {s}=8")),
                    );
                }
                sizes.push(None);
            }
            Err(e @ SizeError::NotDivisible { .. }) => {
                out.push(Diagnostic::error(
                    "E003",
                    None,
                    format!("axis {}: {e}", c.axis_label(a.id)),
                ));
                sizes.push(None);
            }
            Err(e) => {
                out.push(Diagnostic::error(
                    "E003",
                    None,
                    format!("axis {}: {e}", c.axis_label(a.id)),
                ));
                sizes.push(None);
            }
        }
    }
    for k in &c.constraints {
        if let Ok(false) = k.holds(b) {
            out.push(Diagnostic::error(
                "E005",
                None,
                format!("constraint {k} does not hold"),
            ));
        }
    }
    let sz = |a: AxisId| sizes[a.ix()];
    // a product or sum past i64 is reported as unknown here; evaluating it is an error
    let prod = |axes: &[AxisId]| -> Option<i64> {
        axes.iter().try_fold(1i64, |p, a| p.checked_mul(sz(*a)?))
    };
    let show = |axes: &[AxisId]| -> String {
        let parts: Vec<String> = axes
            .iter()
            .map(|a| {
                format!(
                    "{}={}",
                    c.axis_label(*a),
                    sz(*a).map_or("?".into(), |v| v.to_string())
                )
            })
            .collect();
        format!("[{}]", parts.join(", "))
    };
    for n in &c.nodes {
        let here = node_label(c, n.id);
        let mut mismatch = |msg: String| {
            out.push(Diagnostic::error(
                "E004",
                Some(n.id),
                format!("{here}: {msg}"),
            ))
        };
        match &n.op {
            Op::Reshape(Reshape { from, to }) => {
                if let (Some(p), Some(q)) = (prod(from), prod(to))
                    && p != q
                {
                    mismatch(format!(
                        "axes {} hold {p} elements but {} hold {q}",
                        show(from),
                        show(to)
                    ));
                }
            }
            Op::Concat(Concat { inputs, output }) => {
                if let (Some(p), Some(q)) = (
                    inputs.iter().try_fold(0i64, |s, a| s.checked_add(sz(*a)?)),
                    sz(*output),
                ) && p != q
                {
                    mismatch(format!(
                        "inputs {} add up to {p} but axis {} has size {q}",
                        show(inputs),
                        c.axis_label(*output)
                    ));
                }
            }
            Op::Split(Split { axis, parts }) => {
                if let (Some(p), Some(q)) = (
                    parts.iter().try_fold(0i64, |s, a| s.checked_add(sz(*a)?)),
                    sz(*axis),
                ) && p != q
                {
                    mismatch(format!(
                        "parts {} add up to {p} but the split axis {} has size {q}",
                        show(parts),
                        c.axis_label(*axis)
                    ));
                }
            }
            Op::Window(Window { axes: ws }) | Op::WindowT(Window { axes: ws }) => {
                for w in ws {
                    if let Some(msg) = window_mismatch(c, w, &sz) {
                        mismatch(msg);
                    }
                }
            }
            Op::Einsum(Einsum {
                operands, output, ..
            }) => {
                for t in operands.iter().flatten().chain(output) {
                    if (t.parts.len() > 1 || t.parts[0] != t.axis)
                        && let (Some(p), Some(q)) = (prod(&t.parts), sz(t.axis))
                        && p != q
                    {
                        mismatch(format!(
                            "group {} multiplies to {p} but axis {} has size {q}",
                            show(&t.parts),
                            c.axis_label(t.axis)
                        ));
                    }
                }
            }
            Op::Linear(Linear { inputs, groups, .. }) => {
                let w = &c.param(n.params[0]).axes;
                for (i, a) in inputs.iter().enumerate() {
                    let t = w[groups.len() + i];
                    if t != *a
                        && let (Some(p), Some(q)) = (sz(*a), sz(t))
                        && p != q
                    {
                        mismatch(format!(
                            "weight axis {} has size {q} but input axis {} has size {p}",
                            c.axis_label(t),
                            c.axis_label(*a)
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn window_mismatch(
    c: &Circuit,
    w: &WindowAxis,
    sz: &dyn Fn(AxisId) -> Option<i64>,
) -> Option<String> {
    let (x, o, k) = (sz(w.input)?, sz(w.output)?, sz(w.kernel)?);
    // reach = x + 2p − d(k − 1) − 1, checked: out-of-range geometry is reported, not wrapped
    let span = k.checked_sub(1).and_then(|k1| w.dilation.checked_mul(k1));
    let reach = w
        .padding
        .checked_mul(2)
        .and_then(|p2| x.checked_add(p2))
        .zip(span)
        .and_then(|(a, s)| a.checked_sub(s))
        .and_then(|a| a.checked_sub(1));
    let (Some(span), Some(reach)) = (span, reach) else {
        return Some(format!(
            "the window over axis {} (size {x}, kernel {k}, dilation {}, padding {}) overflows",
            c.axis_label(w.input),
            w.dilation,
            w.padding
        ));
    };
    if w.stride < 1 {
        return Some(format!(
            "the window over axis {} has stride {}; strides are at least 1",
            c.axis_label(w.input),
            w.stride
        ));
    }
    if reach < 0 {
        return Some(format!(
            "axis {} has size {x} but the window needs at least {} (kernel {k}, dilation {}, padding {})",
            c.axis_label(w.input),
            span.saturating_add(1)
                .saturating_sub(w.padding.saturating_mul(2)),
            w.dilation,
            w.padding
        ));
    }
    let want = reach.div_euclid(w.stride) + 1;
    (want != o).then(|| {
        format!(
            "axis {} has size {o} but a window over {} = {x} with kernel {k}, stride {}, dilation {}, padding {} gives ({x} + 2*{} - {}*({k} - 1) - 1)//{} + 1 = {want}",
            c.axis_label(w.output),
            c.axis_label(w.input),
            w.stride,
            w.dilation,
            w.padding,
            w.padding,
            w.dilation,
            w.stride
        )
    })
}
