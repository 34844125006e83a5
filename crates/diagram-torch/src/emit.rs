//! The body of `forward`: one line per operation (a split adds a line per part that needs
//! its axes reordered), each laid out in its value's declared axis order.

use crate::names::{Letters, unique_identifiers};
use crate::prelude::{self, Helper};
use crate::{ExportError, py_float};
use nc_diagram::exec::Bound;
use nc_diagram::ir::{AxisId, Circuit, EinTerm, Func, Node, Op, ReduceKind};
use std::fmt::Write;

/// `[b t m]`: axis labels as the comments show them.
pub(crate) fn axes_label(c: &Circuit, axes: &[AxisId]) -> String {
    let l: Vec<String> = axes.iter().map(|a| c.axis_label(*a)).collect();
    format!("[{}]", l.join(" "))
}

/// A Python tuple of sizes: `(2, 3)`, `(2,)`, `()`.
pub(crate) fn tuple(dims: &[usize]) -> String {
    match dims {
        [d] => format!("({d},)"),
        _ => {
            let v: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
            format!("({})", v.join(", "))
        }
    }
}

/// Sizes as call arguments: `2, 3`, `2`, or `()` for a scalar.
pub(crate) fn args(dims: &[usize]) -> String {
    if dims.is_empty() {
        return "()".into();
    }
    let v: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    v.join(", ")
}

fn pos(axes: &[AxisId], a: AxisId) -> usize {
    axes.iter().position(|b| *b == a).unwrap_or(usize::MAX)
}

fn without(axes: &[AxisId], drop: &[AxisId]) -> Vec<AxisId> {
    axes.iter().copied().filter(|a| !drop.contains(a)).collect()
}

/// Writes `forward`'s body and records the names and helpers it uses.
pub(crate) struct Emitter<'a> {
    c: &'a Circuit,
    bound: &'a Bound,
    /// Python name of each value.
    pub vars: Vec<String>,
    /// Attribute name of each parameter.
    pub params: Vec<String>,
    /// Helper functions used, in first-use order.
    pub helpers: Vec<&'static Helper>,
    node: Option<&'a Node>,
    /// A remark for the current line's comment.
    note: Option<String>,
}

impl<'a> Emitter<'a> {
    pub fn new(c: &'a Circuit, bound: &'a Bound) -> Self {
        Emitter {
            c,
            bound,
            vars: unique_identifiers(c.values.iter().map(|v| v.name.as_str())),
            params: unique_identifiers(c.params.iter().map(|p| p.name.as_str())),
            helpers: Vec::new(),
            node: None,
            note: None,
        }
    }

    fn use_helper(&mut self, h: &'static Helper) -> &'static str {
        if !self.helpers.iter().any(|k| k.name == h.name) {
            self.helpers.push(h);
        }
        h.name
    }

    fn dims(&self, axes: &[AxisId]) -> Vec<usize> {
        self.bound.dims(axes)
    }

    fn size(&self, a: AxisId) -> usize {
        self.bound.sizes[a.ix()]
    }

    fn unsupported(&self, why: impl Into<String>) -> ExportError {
        let n = self.node.expect("called while emitting a node");
        ExportError::Unsupported {
            node: n.name.clone(),
            kind: n.op.kind(),
            why: why.into(),
        }
    }

    /// Letters for the axes of one line, or an error when they are more than einsum has.
    fn letters(&self, axes: &[AxisId]) -> Result<Letters, ExportError> {
        let l = Letters::new(self.c, axes);
        if l.complete(axes) {
            Ok(l)
        } else {
            Err(self.unsupported("more than 52 axes in one einsum"))
        }
    }

    /// `expr` (laid out as `from`) laid out as `to`, the same axes reordered.
    fn perm(&self, expr: &str, from: &[AxisId], to: &[AxisId]) -> Result<String, ExportError> {
        if from == to {
            return Ok(expr.to_owned());
        }
        let l = self.letters(&[from, to].concat())?;
        Ok(format!(
            "torch.einsum(\"{}->{}\", {expr})",
            l.of(from),
            l.of(to)
        ))
    }

    /// `expr` (laid out as `from`, a subset of `to`) reordered and given unit axes so that it
    /// broadcasts against a tensor laid out as `to`.
    fn align(&self, expr: &str, from: &[AxisId], to: &[AxisId]) -> Result<String, ExportError> {
        let order: Vec<AxisId> = to.iter().copied().filter(|a| from.contains(a)).collect();
        let e = self.perm(expr, from, &order)?;
        if order.len() == to.len() || from.is_empty() {
            return Ok(e);
        }
        let ix: Vec<&str> = to
            .iter()
            .map(|a| if from.contains(a) { ":" } else { "None" })
            .collect();
        let e = if e
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.')
        {
            e
        } else {
            format!("({e})")
        };
        Ok(format!("{e}[{}]", ix.join(", ")))
    }

    fn var(&self, n: &Node, i: usize) -> &str {
        &self.vars[n.inputs[i].ix()]
    }

    fn in_axes(&self, n: &Node, i: usize) -> &'a [AxisId] {
        &self.c.value(n.inputs[i]).ty.axes
    }

    fn param(&self, n: &Node, i: usize) -> String {
        format!("self.{}", self.params[n.params[i].ix()])
    }

    fn param_axes(&self, n: &Node, i: usize) -> &'a [AxisId] {
        &self.c.param(n.params[i]).axes
    }

    /// The whole body of `forward`.
    pub fn forward(&mut self) -> Result<String, ExportError> {
        let c = self.c;
        let mut s = String::new();
        let mut block = None;
        for n in &c.nodes {
            if n.block != block {
                block = n.block;
                if let Some(b) = block {
                    let _ = writeln!(s, "        # {}", self.block_path(b));
                }
            }
            self.node = Some(n);
            self.node_lines(n, &mut s)?;
        }
        let outs: Vec<&str> = c
            .outputs
            .iter()
            .map(|v| self.vars[v.ix()].as_str())
            .collect();
        let _ = writeln!(s, "        return {}", outs.join(", "));
        Ok(s)
    }

    fn block_path(&self, b: nc_diagram::ir::BlockId) -> String {
        let mut parts = Vec::new();
        let mut cur = Some(b);
        while let Some(id) = cur {
            let blk = &self.c.blocks[id.ix()];
            parts.push(if blk.repeat > 1 {
                format!("{} ({} of {})", blk.name, blk.iteration + 1, blk.repeat)
            } else {
                blk.name.clone()
            });
            cur = blk.parent;
        }
        parts.reverse();
        format!("block {}", parts.join(" / "))
    }

    fn comment(&mut self, n: &Node, out: usize) -> String {
        let v = self.c.value(n.outputs[out]);
        let note = self
            .note
            .take()
            .map(|s| format!("; {s}"))
            .unwrap_or_default();
        format!(
            "  # {} ({}) {}{note}",
            n.name,
            n.op.kind(),
            axes_label(self.c, &v.ty.axes)
        )
    }

    /// Writes the node's lines: its outputs, each laid out as declared.
    fn node_lines(&mut self, n: &Node, s: &mut String) -> Result<(), ExportError> {
        let c = self.c;
        let outs: Vec<String> = n
            .outputs
            .iter()
            .map(|v| self.vars[v.ix()].clone())
            .collect();
        let decl = |i: usize| c.value(n.outputs[i]).ty.axes.clone();
        match &n.op {
            Op::Split(sp) => {
                let comment = self.comment(n, 0);
                let (x, xa) = (self.var(n, 0), self.in_axes(n, 0));
                let dim = pos(xa, sp.axis);
                let sizes: Vec<String> =
                    sp.parts.iter().map(|p| self.size(*p).to_string()).collect();
                let _ = writeln!(
                    s,
                    "        {} = {x}.split([{}], dim={dim}){comment}",
                    outs.join(", "),
                    sizes.join(", "),
                );
                for (i, p) in sp.parts.iter().enumerate() {
                    let mut natural = xa.to_vec();
                    natural[dim] = *p;
                    if natural != decl(i) {
                        let e = self.perm(&outs[i], &natural, &decl(i))?;
                        let _ = writeln!(s, "        {} = {e}", outs[i]);
                    }
                }
                Ok(())
            }
            Op::Copy(_) => {
                let comment = self.comment(n, 0);
                let x = self.var(n, 0);
                let mut rhs = Vec::new();
                for i in 0..outs.len() {
                    rhs.push(self.perm(x, self.in_axes(n, 0), &decl(i))?);
                }
                let _ = writeln!(
                    s,
                    "        {} = {}{comment}",
                    outs.join(", "),
                    rhs.join(", "),
                );
                Ok(())
            }
            _ => {
                let (e, natural) = self.single(n)?;
                let e = self.perm(&e, &natural, &decl(0))?;
                let comment = self.comment(n, 0);
                let _ = writeln!(s, "        {} = {e}{comment}", outs[0]);
                Ok(())
            }
        }
    }

    /// The expression of a one-output operation and the order of its result's axes.
    fn single(&mut self, n: &Node) -> Result<(String, Vec<AxisId>), ExportError> {
        let c = self.c;
        let out_decl = c.value(n.outputs[0]).ty.axes.clone();
        if let Op::Constant(v) = n.op {
            let e = format!(
                "torch.full({}, {})",
                tuple(&self.dims(&out_decl)),
                py_float(v)
            );
            return Ok((e, out_decl));
        }
        if let Op::Sinusoid(sn) = &n.op {
            let d = self.size(sn.dim);
            if !d.is_multiple_of(2) {
                return Err(self.unsupported(format!(
                    "the feature axis {} has odd size {d}",
                    c.axis_label(sn.dim)
                )));
            }
            let f = self.use_helper(&prelude::SINUSOID);
            let e = format!("{f}({}, {d}, {})", self.size(sn.pos), py_float(sn.base));
            return Ok((e, vec![sn.pos, sn.dim]));
        }
        let x = self.var(n, 0).to_owned();
        let xa = self.in_axes(n, 0).to_vec();
        Ok(match &n.op {
            Op::Linear(l) => {
                let w = self.param_axes(n, 0);
                if w.len() != l.groups.len() + l.inputs.len() + l.outputs.len() {
                    return Err(
                        self.unsupported("its weight's axes are not groups, inputs, outputs")
                    );
                }
                // the input's contracted axes take the weight's (twin) input axes, as the
                // executor renames them: an input axis may also be an output axis (h -> h)
                let g = l.groups.len();
                let x_as: Vec<AxisId> = xa
                    .iter()
                    .map(|a| match l.inputs.iter().position(|i| i == a) {
                        Some(i) => w[g + i],
                        None => *a,
                    })
                    .collect();
                let w_as = w.to_vec();
                let lt = self.letters(&[x_as.clone(), w_as.clone(), out_decl.clone()].concat())?;
                let mut e = format!(
                    "torch.einsum(\"{},{}->{}\", {x}, {})",
                    lt.of(&x_as),
                    lt.of(&w_as),
                    lt.of(&out_decl),
                    self.param(n, 0)
                );
                if l.bias {
                    let b = self.align(&self.param(n, 1), self.param_axes(n, 1), &out_decl)?;
                    e = format!("{e} + {b}");
                }
                (e, out_decl)
            }
            Op::Einsum(es) => self.einsum(n, es)?,
            Op::Map(f) => (self.map(f, &x)?, xa),
            Op::Add | Op::Mul => {
                let a = self.align(&x, &xa, &out_decl)?;
                let b = self.align(self.var(n, 1), self.in_axes(n, 1), &out_decl)?;
                let sym = if matches!(n.op, Op::Add) { "+" } else { "*" };
                (format!("{a} {sym} {b}"), out_decl)
            }
            Op::Softmax(sm) => {
                let dims: Vec<usize> = sm.over.iter().map(|a| pos(&xa, *a)).collect();
                let e = if let [d] = dims[..] {
                    format!("torch.softmax({x}, dim={d})")
                } else {
                    let f = self.use_helper(&prelude::SOFTMAX);
                    format!("{f}({x}, {})", tuple(&dims))
                };
                (e, xa)
            }
            Op::Norm(nm) => {
                let dims: Vec<usize> = nm.stats.iter().map(|a| pos(&xa, *a)).collect();
                let f = self.use_helper(&prelude::NORM);
                let mut e = format!("{f}({x}, {}, {})", tuple(&dims), py_float(nm.eps));
                if nm.affine {
                    let g = self.align(&self.param(n, 0), self.param_axes(n, 0), &xa)?;
                    let b = self.align(&self.param(n, 1), self.param_axes(n, 1), &xa)?;
                    e = format!("{e} * {g} + {b}");
                }
                (e, xa)
            }
            Op::RmsNorm(r) => {
                let dims: Vec<usize> = r.over.iter().map(|a| pos(&xa, *a)).collect();
                let g = self.align(&self.param(n, 0), self.param_axes(n, 0), &xa)?;
                (
                    format!(
                        "{x} * torch.rsqrt({x}.square().mean({}, keepdim=True) + {}) * {g}",
                        tuple(&dims),
                        py_float(r.eps)
                    ),
                    xa,
                )
            }
            Op::Reduce(r) => {
                if r.over.is_empty() {
                    return Ok((x, xa));
                }
                let dims: Vec<usize> = r.over.iter().map(|a| pos(&xa, *a)).collect();
                let f = match r.kind {
                    ReduceKind::Sum => "sum",
                    ReduceKind::Mean => "mean",
                    ReduceKind::Max => "amax",
                };
                (format!("{x}.{f}({})", tuple(&dims)), without(&xa, &r.over))
            }
            Op::Window(w) => {
                let f = self.use_helper(&prelude::WINDOW);
                let (mut e, mut axes) = (x, xa);
                for wa in &w.axes {
                    let dim = pos(&axes, wa.input);
                    let (l, o, k) = (
                        self.size(wa.input),
                        self.size(wa.output),
                        self.size(wa.kernel),
                    );
                    let (s, d, p) = (wa.stride, wa.dilation, wa.padding);
                    let span = d * (k as i64 - 1) + 1;
                    let hi = s * (o as i64 - 1) + span - l as i64 - p;
                    e = format!("{f}({e}, {dim}, {k}, {s}, {d}, {p}, {hi})");
                    axes[dim] = wa.output;
                    axes.push(wa.kernel);
                }
                (e, axes)
            }
            Op::WindowT(w) => {
                let f = self.use_helper(&prelude::WINDOW_T);
                let (mut e, mut axes) = (x, xa);
                for wa in &w.axes {
                    let (dim, kdim) = (pos(&axes, wa.output), pos(&axes, wa.kernel));
                    let l = self.size(wa.input);
                    let (s, d, p) = (wa.stride, wa.dilation, wa.padding);
                    e = format!("{f}({e}, {dim}, {kdim}, {l}, {s}, {d}, {p})");
                    axes = without(&axes, &[wa.output, wa.kernel]);
                    axes.push(wa.input);
                }
                (e, axes)
            }
            Op::Concat(k) => {
                // every input laid out like the first, its own concatenated axis in place
                let dim = pos(&xa, k.inputs[0]);
                let mut parts = Vec::new();
                for (i, a) in k.inputs.iter().enumerate() {
                    let mut order = xa.clone();
                    order[dim] = *a;
                    parts.push(self.perm(self.var(n, i), self.in_axes(n, i), &order)?);
                }
                let mut natural = xa.clone();
                natural[dim] = k.output;
                (
                    format!("torch.cat([{}], dim={dim})", parts.join(", ")),
                    natural,
                )
            }
            Op::Reshape(r) => {
                // in place when the reshaped axes lie together in order, else moved last
                let start = xa.windows(r.from.len().max(1)).position(|w| w == r.from);
                let (e, to) = match start {
                    Some(i) if !r.from.is_empty() => {
                        let to = [&xa[..i], &r.to[..], &xa[i + r.from.len()..]].concat();
                        (x, to)
                    }
                    _ => {
                        let rest = without(&xa, &r.from);
                        let e = self.perm(&x, &xa, &[rest.clone(), r.from.clone()].concat())?;
                        (e, [rest, r.to.clone()].concat())
                    }
                };
                if self.dims(&to) == self.dims(&xa) {
                    // a renaming only
                    (e, to)
                } else {
                    (format!("{e}.reshape{}", tuple(&self.dims(&to))), to)
                }
            }
            Op::Permute(_) | Op::Save(_) | Op::Load(_) => (x, xa),
            Op::Embed(em) => {
                let order = [vec![em.vocab], em.features.clone()].concat();
                let t = self.perm(&self.param(n, 0), self.param_axes(n, 0), &order)?;
                (
                    format!("{t}[{x}.long()]"),
                    [xa, em.features.clone()].concat(),
                )
            }
            Op::Gather(g) => {
                let rest = without(&xa, &[g.axis]);
                let t = self.perm(&x, &xa, &[vec![g.axis], rest.clone()].concat())?;
                let ia = self.in_axes(n, 1).to_vec();
                (
                    format!("{t}[{}.long()]", self.var(n, 1)),
                    [ia, rest].concat(),
                )
            }
            Op::Mask(m) => {
                let f = self.use_helper(&prelude::BAND);
                let opt = |v: Option<i64>| v.map_or("None".to_owned(), |v| v.to_string());
                let band = format!(
                    "{f}({}, {}, {}, {}, {x}.device)",
                    self.size(m.rows),
                    self.size(m.cols),
                    opt(m.below),
                    opt(m.above)
                );
                let keep = self.align(&band, &[m.rows, m.cols], &xa)?;
                (format!("{x}.masked_fill(~{keep}, float(\"-inf\"))"), xa)
            }
            Op::Rope(r) => {
                if !self.size(r.dim).is_multiple_of(2) {
                    return Err(self.unsupported(format!(
                        "the rotated axis {} has odd size {}",
                        c.axis_label(r.dim),
                        self.size(r.dim)
                    )));
                }
                let f = self.use_helper(&prelude::ROPE);
                let e = format!(
                    "{f}({x}, {}, {}, {})",
                    pos(&xa, r.pos),
                    pos(&xa, r.dim),
                    py_float(r.base)
                );
                (e, xa)
            }
            Op::TopK(t) => {
                let f = self.use_helper(&prelude::TOPK);
                (format!("{f}({x}, {}, {})", pos(&xa, t.over), t.k), xa)
            }
            Op::Select(sl) => (
                format!("{x}.select({}, {})", pos(&xa, sl.axis), sl.index),
                without(&xa, &[sl.axis]),
            ),
            Op::Split(_) | Op::Copy(_) | Op::Constant(_) | Op::Sinusoid(_) => {
                unreachable!("handled by node_lines and above")
            }
        })
    }

    fn map(&mut self, f: &Func, x: &str) -> Result<String, ExportError> {
        Ok(match f {
            Func::Relu => format!("torch.relu({x})"),
            Func::Tanh => format!("torch.tanh({x})"),
            Func::Sigmoid => format!("torch.sigmoid({x})"),
            Func::Gelu => format!("F.gelu({x}, approximate=\"tanh\")"),
            Func::GeluErf => format!("F.gelu({x})"),
            Func::Silu => format!("F.silu({x})"),
            Func::Erf => format!("torch.erf({x})"),
            Func::Sqrt => format!("torch.sqrt({x})"),
            Func::Rsqrt => format!("torch.rsqrt({x})"),
            Func::Reciprocal => format!("torch.reciprocal({x})"),
            Func::Sin => format!("torch.sin({x})"),
            Func::Cos => format!("torch.cos({x})"),
            Func::Exp => format!("torch.exp({x})"),
            Func::Square => format!("torch.square({x})"),
            Func::Scale(k) => format!("{x} * {}", py_float(*k)),
            Func::ScaleBySize(e, p) => {
                let v = e
                    .eval(&self.bound.bindings)
                    .map_err(|err| self.unsupported(format!("its scale {e}: {err}")))?;
                let k = (v as f64).powf(*p);
                self.note = Some(format!("{} = ({e})^{}", py_float(k), py_float(*p)));
                format!("{x} * {}", py_float(k))
            }
        })
    }

    /// An einsum whose grouped terms are reshapes before (operands) and after (output).
    fn einsum(
        &self,
        n: &Node,
        es: &nc_diagram::ir::Einsum,
    ) -> Result<(String, Vec<AxisId>), ExportError> {
        let c = self.c;
        let expand = |axes: &[AxisId], terms: &[EinTerm]| -> Vec<AxisId> {
            axes.iter()
                .flat_map(|a| match terms.iter().find(|t| t.axis == *a) {
                    Some(t) => t.parts.clone(),
                    None => vec![*a],
                })
                .collect()
        };
        let mut subs = Vec::new();
        let mut args = Vec::new();
        for (i, terms) in es.operands.iter().enumerate() {
            let axes = self.in_axes(n, i);
            let ex = expand(axes, terms);
            let v = self.var(n, i);
            args.push(if self.dims(&ex) != self.dims(axes) {
                format!("{v}.reshape{}", tuple(&self.dims(&ex)))
            } else {
                v.to_owned()
            });
            subs.push(ex);
        }
        let out = c.value(n.outputs[0]).ty.axes.clone();
        let out_ex = expand(&out, &es.output);
        let all: Vec<AxisId> = subs.iter().flatten().chain(&out_ex).copied().collect();
        let lt = self.letters(&all)?;
        let lhs: Vec<String> = subs.iter().map(|s| lt.of(s)).collect();
        let mut e = format!(
            "torch.einsum(\"{}->{}\", {})",
            lhs.join(","),
            lt.of(&out_ex),
            args.join(", ")
        );
        if self.dims(&out_ex) != self.dims(&out) {
            e = format!("{e}.reshape{}", tuple(&self.dims(&out)));
        }
        Ok((e, out))
    }
}
