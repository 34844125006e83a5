//! From circuit to text: the canonical form written by [`super::text::save`].
//!
//! Deterministic and one line per item, in the order the loader must create them so that
//! loading gives back the same ids: sizes, constraints, every axis (in id order), then inputs,
//! parameters that no operation creates implicitly, and operations in execution order,
//! nested in their blocks, then the outputs. Names are printed as short as the loader's
//! scoping allows, and quoted when they are not bare words.

use super::lexer::{is_name_char, is_name_start};
use super::loader::KEYWORDS;
use crate::ir::*;
use crate::size::SizeExpr;
use std::collections::HashSet;
use std::fmt::Write;

/// A name as written in the format: bare when it can be, quoted otherwise.
pub(crate) fn fmt_name(s: &str) -> String {
    let mut cs = s.chars();
    let bare = cs.next().is_some_and(is_name_start)
        && s.chars().all(is_name_char)
        && !KEYWORDS.contains(&s);
    if bare { s.to_string() } else { quote(s) }
}

/// `s` in quotes, with `\\`, `\"` and `\n` escaped so the line stays one line.
fn quote(s: &str) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n");
    format!("\"{escaped}\"")
}

/// A real number that reads back bit-for-bit.
fn fmt_f64(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.into()
    } else {
        format!("{v:?}")
    }
}

struct Printer<'a> {
    c: &'a Circuit,
    out: String,
    /// Each axis's key: its name, with `#id` when several axes share the name.
    axis_keys: Vec<String>,
    values: HashSet<String>,
    params: HashSet<String>,
    /// Open blocks and their name prefixes, outermost first.
    open: Vec<(BlockId, String)>,
    next_param: usize,
    next_value: usize,
}

/// The circuit in the text format.
pub(crate) fn print(c: &Circuit) -> String {
    let axis_keys = c
        .axes
        .iter()
        .map(|a| {
            let n = fmt_name(&a.name);
            if c.axes.iter().filter(|b| b.name == a.name).count() > 1 {
                format!("{n}#{}", a.id.0)
            } else {
                n
            }
        })
        .collect();
    let mut p = Printer {
        c,
        out: String::new(),
        axis_keys,
        values: HashSet::new(),
        params: HashSet::new(),
        open: Vec::new(),
        next_param: 0,
        next_value: 0,
    };
    p.header();
    p.body();
    p.out
}

impl Printer<'_> {
    fn line(&mut self, text: &str) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn axis(&self, a: AxisId) -> String {
        self.axis_keys
            .get(a.ix())
            .cloned()
            .unwrap_or_else(|| format!("\"?axis{}\"", a.0))
    }

    fn axes(&self, axes: &[AxisId]) -> String {
        axes.iter()
            .map(|a| self.axis(*a))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn header(&mut self) {
        let c = self.c;
        self.line(&format!("circuit {}", fmt_name(&c.name)));
        for (s, d) in &c.sizes {
            match d {
                Some(v) => self.line(&format!("size {} = {v}", fmt_name(s))),
                None => self.line(&format!("size {}", fmt_name(s))),
            }
        }
        for k in &c.constraints {
            self.line(&format!("constraint {k}"));
        }
        for a in &c.axes {
            let mut l = format!("axis {}", self.axis(a.id));
            if a.kind != AxisKind::Feature {
                let _ = write!(l, ":{}", a.kind.keyword());
            }
            if a.size != SizeExpr::Sym(a.name.clone()) {
                let _ = write!(l, " = {}", a.size);
            }
            self.line(&l);
        }
    }

    fn prefix(&self) -> &str {
        self.open.last().map(|b| b.1.as_str()).unwrap_or("")
    }

    /// The shortest way to write a full name that the loader resolves back to it.
    fn reference(&self, table: &HashSet<String>, full: &str) -> String {
        let resolve = |n: &str| -> Option<String> {
            self.open
                .iter()
                .rev()
                .map(|b| format!("{}.{n}", b.1))
                .find(|f| table.contains(f))
                .or_else(|| table.contains(n).then(|| n.to_string()))
        };
        for (_, p) in self.open.iter().rev() {
            if let Some(local) = full.strip_prefix(&format!("{p}."))
                && resolve(local).as_deref() == Some(full)
            {
                return fmt_name(local);
            }
        }
        fmt_name(full)
    }

    fn value(&self, v: ValueId) -> String {
        let name = self.c.values.get(v.ix()).map(|v| v.name.as_str());
        self.reference(&self.values, name.unwrap_or("?"))
    }

    fn param(&self, p: ParamId) -> String {
        let name = self.c.params.get(p.ix()).map(|p| p.name.as_str());
        self.reference(&self.params, name.unwrap_or("?"))
    }

    /// A name defined here, relative to the open block; `/name` when it does not start
    /// with the block's prefix.
    fn local(&self, full: &str) -> String {
        let p = self.prefix();
        if p.is_empty() {
            return fmt_name(full);
        }
        match full.strip_prefix(&format!("{p}.")) {
            Some(local) => fmt_name(local),
            None => format!("/{}", fmt_name(full)),
        }
    }

    fn body(&mut self) {
        let c = self.c;
        for node in &c.nodes {
            if let Some(first) = node.outputs.iter().map(|v| v.ix()).min() {
                self.inputs_before(first);
            }
            let chain = self.block_chain(node.block);
            while self.open.last().is_some_and(|(b, _)| !chain.contains(b)) {
                self.open.pop();
                self.line("}");
            }
            let implicit = self.implicit_params(node);
            if !implicit {
                let last = node.params.iter().map(|p| p.ix() + 1).max().unwrap_or(0);
                self.params_until(last);
            }
            for b in chain {
                if !self.open.iter().any(|(o, _)| *o == b) {
                    self.open_block(b);
                }
            }
            self.node(node, implicit);
        }
        self.inputs_before(c.values.len());
        while self.open.pop().is_some() {
            self.line("}");
        }
        self.params_until(c.params.len());
        if !c.outputs.is_empty() {
            let outs: Vec<String> = c.outputs.iter().map(|v| self.value(*v)).collect();
            self.line(&format!("output {}", outs.join(" ")));
        }
    }

    fn inputs_before(&mut self, end: usize) {
        let c = self.c;
        while self.next_value < end.min(c.values.len()) {
            let v = &c.values[self.next_value];
            self.next_value += 1;
            if v.producer.is_some() || !c.inputs.contains(&v.id) {
                continue;
            }
            let index = if v.ty.dtype == DType::Index {
                " index"
            } else {
                ""
            };
            let l = format!(
                "input {} [{}]{index}",
                fmt_name(&v.name),
                self.axes(&v.ty.axes)
            );
            self.line(&l);
            self.values.insert(v.name.clone());
        }
    }

    /// Block instances from the outermost to `b`.
    fn block_chain(&self, b: Option<BlockId>) -> Vec<BlockId> {
        let mut chain = Vec::new();
        let mut cur = b;
        while let Some(id) = cur {
            // a malformed parent chain (a loop) must not hang the printer
            if chain.contains(&id) || chain.len() > self.c.blocks.len() {
                break;
            }
            chain.push(id);
            cur = self.c.blocks.get(id.ix()).and_then(|b| b.parent);
        }
        chain.reverse();
        chain
    }

    fn open_block(&mut self, id: BlockId) {
        let Some(b) = self.c.blocks.get(id.ix()) else {
            return;
        };
        let mut l = format!("block {}", fmt_name(&b.name));
        if b.repeat > 1 || b.iteration != 0 {
            let _ = write!(l, " [{} of {}]", b.iteration, b.repeat);
        }
        if b.share_weights {
            l.push_str(" shared");
        }
        l.push_str(" {");
        self.line(&l);
        let own = if b.repeat > 1 {
            format!("{}[{}]", b.name, b.iteration)
        } else {
            b.name.clone()
        };
        let prefix = match self.prefix() {
            "" => own,
            p => format!("{p}.{own}"),
        };
        self.open.push((id, prefix));
    }

    fn init(&self, i: &Init) -> String {
        match i {
            Init::FanIn(a) => format!("fanin({})", self.axes(a)),
            Init::Zeros => "zeros".into(),
            Init::Ones => "ones".into(),
            Init::Normal => "normal".into(),
            Init::Const(v) => format!("const({})", fmt_f64(*v)),
        }
    }

    /// Declares parameters explicitly up to (not including) id `end`.
    fn params_until(&mut self, end: usize) {
        while self.next_param < end.min(self.c.params.len()) {
            let p = &self.c.params[self.next_param];
            self.next_param += 1;
            let mut l = format!(
                "param {} [{}] init {}",
                self.local(&p.name),
                self.axes(&p.axes),
                self.init(&p.init)
            );
            if p.shared {
                l.push_str(" shared");
            }
            self.line(&l);
            self.params.insert(p.name.clone());
        }
    }

    /// Whether the node's parameters are exactly those its operation creates by itself
    /// (`L.W`, `L.b`, `N.gain`, …), fresh, in order, and not declared shared.
    fn implicit_params(&self, n: &Node) -> bool {
        let expect: Vec<(&str, Vec<AxisId>, Init)> = match &n.op {
            Op::Linear(Linear {
                inputs,
                outputs,
                groups,
                bias,
            }) => {
                if inputs.iter().any(|a| outputs.contains(a)) {
                    return false;
                }
                let w: Vec<AxisId> = groups
                    .iter()
                    .chain(inputs)
                    .chain(outputs)
                    .copied()
                    .collect();
                let mut e = vec![("W", w, Init::FanIn(inputs.clone()))];
                if *bias {
                    let b = groups.iter().chain(outputs).copied().collect();
                    e.push(("b", b, Init::FanIn(inputs.clone())));
                }
                e
            }
            Op::Norm(Norm {
                affine_axes,
                affine: true,
                ..
            }) => vec![
                ("gain", affine_axes.clone(), Init::Ones),
                ("shift", affine_axes.clone(), Init::Zeros),
            ],
            Op::Embed(Embed { vocab, features }) => {
                let t = std::iter::once(*vocab).chain(features.iter().copied());
                vec![("table", t.collect(), Init::Normal)]
            }
            _ => Vec::new(),
        };
        n.params.len() == expect.len()
            && n.params
                .iter()
                .zip(&expect)
                .enumerate()
                .all(|(i, (p, (suffix, axes, init)))| {
                    self.c.params.get(p.ix()).is_some_and(|q| {
                        p.ix() == self.next_param + i
                            && q.name == self.builder_param_name(&n.name, suffix, p.ix())
                            && q.axes == *axes
                            && q.init == *init
                            && !q.shared
                    })
                })
    }

    /// The name the builder gives parameter `suffix` of node `node` when it is parameter
    /// number `id`: `node.suffix`, made unique with `~2`, `~3` … as it does.
    fn builder_param_name(&self, node: &str, suffix: &str, id: usize) -> String {
        let base = format!("{}.{suffix}", base_name(node));
        // the names before `id`: those written so far, and this node's earlier ones
        let this_node = self.c.params.get(self.next_param..id).unwrap_or(&[]);
        let taken = |n: &str| self.params.contains(n) || this_node.iter().any(|p| p.name == n);
        let mut name = base.clone();
        let mut k = 2;
        while taken(&name) {
            name = format!("{base}~{k}");
            k += 1;
        }
        name
    }

    fn node(&mut self, n: &Node, implicit: bool) {
        let x = |i: usize| n.inputs.get(i).map(|v| self.value(*v)).unwrap_or_default();
        let all_inputs = || {
            n.inputs
                .iter()
                .map(|v| self.value(*v))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let using = || -> String {
            if implicit || n.params.is_empty() {
                return String::new();
            }
            let ps: Vec<String> = n.params.iter().map(|p| self.param(*p)).collect();
            format!(" using {}", ps.join(" "))
        };
        let text = match &n.op {
            Op::Linear(Linear {
                inputs,
                outputs,
                groups,
                bias,
            }) => {
                let mut t = format!(
                    "linear{} {}{}{} ->{}{}",
                    if *bias { "+" } else { "" },
                    x(0),
                    if inputs.is_empty() { "" } else { " " },
                    self.axes(inputs),
                    if outputs.is_empty() { "" } else { " " },
                    self.axes(outputs)
                );
                if !groups.is_empty() {
                    let _ = write!(t, " per {}", self.axes(groups));
                }
                t + &using()
            }
            Op::Einsum(Einsum { signature, .. }) => {
                format!("einsum {} {}", fmt_name_quoted(signature), all_inputs())
            }
            Op::Map(f) => match f {
                Func::Scale(v) => format!("scale {} {}", x(0), fmt_f64(*v)),
                Func::ScaleBySize(e, p) => {
                    let e = match e {
                        SizeExpr::Sym(_) => e.to_string(),
                        SizeExpr::Lit(v) if *v >= 0 => e.to_string(),
                        _ => format!("({e})"),
                    };
                    format!("scale {} {e}^{}", x(0), fmt_f64(*p))
                }
                f => format!("{} {}", f.name(), x(0)),
            },
            Op::Add => format!("add {} {}", x(0), x(1)),
            Op::Mul => format!("mul {} {}", x(0), x(1)),
            Op::Softmax(Softmax { over: a }) => format!("softmax {} over {}", x(0), self.axes(a)),
            Op::Norm(Norm {
                stats,
                affine_axes,
                affine,
                eps,
            }) => {
                let mut t = format!("norm {} over {}", x(0), self.axes(stats));
                if *affine || !affine_axes.is_empty() {
                    let kw = if *affine { "affine" } else { "fixed" };
                    let _ = write!(t, " {kw} {}", self.axes(affine_axes));
                }
                if *eps != 1e-5 {
                    let _ = write!(t, " eps {}", fmt_f64(*eps));
                }
                t + &using()
            }
            Op::Reduce(Reduce { kind: k, over: a }) => {
                let k = match k {
                    ReduceKind::Sum => "sum",
                    ReduceKind::Mean => "mean",
                    ReduceKind::Max => "max",
                };
                format!("{k} {} over {}", x(0), self.axes(a))
            }
            Op::Copy(k) => format!("copy {} {k}", x(0)),
            Op::RmsNorm(r) => {
                let mut t = format!("rmsnorm {} over {}", x(0), self.axes(&r.over));
                if r.eps != 1e-6 {
                    let _ = write!(t, " eps {}", fmt_f64(r.eps));
                }
                t + &using()
            }
            Op::Rope(r) => {
                let mut t = format!("rope {} {} {}", x(0), self.axis(r.pos), self.axis(r.dim));
                if r.base != 10000.0 {
                    let _ = write!(t, " base {}", fmt_f64(r.base));
                }
                t
            }
            Op::TopK(t) => format!("topk {} over {} {}", x(0), self.axis(t.over), t.k),
            Op::Gather(g) => format!("gather {} {} at {}", x(0), self.axis(g.axis), x(1)),
            Op::Select(s) => format!("select {} {} {}", x(0), self.axis(s.axis), s.index),
            Op::Sinusoid(s) => {
                let mut t = format!("sinusoid [{} {}]", self.axis(s.pos), self.axis(s.dim));
                if s.base != 10000.0 {
                    let _ = write!(t, " base {}", fmt_f64(s.base));
                }
                t
            }
            Op::Split(s) => format!(
                "split {} {} -> {}",
                x(0),
                self.axis(s.axis),
                self.axes(&s.parts)
            ),
            Op::Mask(m) => {
                let mut t = format!("mask {} {} {}", x(0), self.axis(m.rows), self.axis(m.cols));
                if m.below.is_none() && m.above == Some(0) {
                    t.push_str(" causal");
                } else {
                    if let Some(b) = m.below {
                        let _ = write!(t, " below {b}");
                    }
                    if let Some(a) = m.above {
                        let _ = write!(t, " above {a}");
                    }
                }
                t
            }
            Op::Window(Window { axes: w }) => format!("window {}{}", x(0), self.window_axes(w)),
            Op::WindowT(Window { axes: w }) => format!("window_t {}{}", x(0), self.window_axes(w)),
            Op::Concat(Concat { inputs, output }) => format!(
                "concat {} along {} -> {}",
                all_inputs(),
                self.axes(inputs),
                self.axis(*output)
            ),
            Op::Reshape(Reshape { from, to }) => format!(
                "reshape {} {} ->{}{}",
                x(0),
                self.axes(from),
                if to.is_empty() { "" } else { " " },
                self.axes(to)
            ),
            Op::Permute(Permute { order: a }) => format!("permute {} {}", x(0), self.axes(a)),
            Op::Embed(Embed { vocab, features }) => {
                format!(
                    "embed {} {} -> {}",
                    x(0),
                    self.axis(*vocab),
                    self.axes(features)
                ) + &using()
            }
            Op::Constant(v) => {
                let axes = n
                    .outputs
                    .first()
                    .and_then(|o| self.c.values.get(o.ix()))
                    .map(|o| self.axes(&o.ty.axes))
                    .unwrap_or_default();
                format!("constant {} [{axes}]", fmt_f64(*v))
            }
            Op::Save(label) => format!("save {} {}", fmt_name(label), x(0)),
            Op::Load(label) => format!("load {}", fmt_name(label)),
        };
        let l = format!("{} = {text}", self.local(&n.name));
        self.line(&l);
        if implicit {
            for p in &n.params {
                if let Some(q) = self.c.params.get(p.ix()) {
                    self.params.insert(q.name.clone());
                }
                self.next_param = self.next_param.max(p.ix() + 1);
            }
        }
        let outs = n.outputs.clone();
        for v in outs {
            if let Some(v) = self.c.values.get(v.ix()) {
                self.values.insert(v.name.clone());
            }
        }
    }

    fn window_axes(&self, w: &[WindowAxis]) -> String {
        let mut t = String::new();
        for a in w {
            let _ = write!(t, " ({} by {}", self.axis(a.input), self.axis(a.kernel));
            if a.stride != 1 {
                let _ = write!(t, " stride {}", a.stride);
            }
            if a.dilation != 1 {
                let _ = write!(t, " dilation {}", a.dilation);
            }
            if a.padding != 0 {
                let _ = write!(t, " pad {}", a.padding);
            }
            let _ = write!(t, " -> {})", self.axis(a.output));
        }
        t
    }
}

/// Always quoted (einsum signatures).
fn fmt_name_quoted(s: &str) -> String {
    quote(s)
}

/// A name without the `~k` the builder appends to make names unique.
pub(crate) fn base_name(name: &str) -> &str {
    match name.rsplit_once('~') {
        Some((base, k)) if !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()) => base,
        _ => name,
    }
}
