//! One operation (a stage of a definition line): its arguments, then the builder call.

use super::cursor::{Cursor, Name, R};
use super::{AxisUse, KEYWORDS, Loader};
use crate::builder::WindowSpec;
use crate::ir::{AxisId, AxisKind, Func, Init, ParamId, ReduceKind, ValueId, WindowAxis};
use crate::parse::error::TextError;
use crate::size::SizeExpr;

/// The operations, for the "expected an operation" message.
const OPS: &str = "linear, linear+, einsum, relu, tanh, sigmoid, gelu, gelu_tanh, gelu_erf, \
                   silu, erf, exp, square, sqrt, rsqrt, reciprocal, sin, cos, scale, add, \
                   mul, mask, split, select, gather, softmax, sum, mean, max, norm, rmsnorm, rope, topk, layernorm, batchnorm, copy, window, \
                   window_t, concat, reshape, permute, embed, constant, sinusoid, learned, save, load";

impl Loader {
    /// Parses one operation and builds it; returns its (first) output.
    pub(super) fn stage(
        &mut self,
        cur: &mut Cursor,
        op: &Name,
        local: &str,
        prev: Option<ValueId>,
        at: (usize, usize),
    ) -> R<ValueId> {
        let name = op.text.as_str();
        let func = Func::named(name);
        let built = match name {
            _ if func.is_some() => {
                let x = self.first(cur, prev, name)?;
                self.b.map(local, x, func.unwrap_or(Func::Relu))
            }
            "scale" => {
                let x = self.first(cur, prev, name)?;
                let f = self.scale_factor(cur)?;
                self.b.map(local, x, f)
            }
            "linear" => return self.linear(cur, local, prev, at),
            "einsum" => {
                let sig =
                    cur.plain_name("the einsum signature in quotes, as \"y k, x k -> y x\"")?;
                let mut xs: Vec<ValueId> = prev.into_iter().collect();
                while !cur.at_stage_end() {
                    xs.push(self.value_ref(cur, "an operand's value name")?);
                }
                self.b.einsum(local, &sig.text, &xs)
            }
            "add" | "mul" => {
                let a = self.first(cur, prev, name)?;
                let b = self.value_ref(cur, &format!("the second value of '{name}'"))?;
                if name == "add" {
                    self.b.add(local, a, b)
                } else {
                    self.b.mul(local, a, b)
                }
            }
            "softmax" | "sum" | "mean" | "max" => {
                let x = self.first(cur, prev, name)?;
                let axes = self.over(cur, name)?;
                match name {
                    "softmax" => self.b.softmax(local, x, &axes),
                    "sum" => self.b.reduce(local, x, ReduceKind::Sum, &axes),
                    "mean" => self.b.reduce(local, x, ReduceKind::Mean, &axes),
                    _ => self.b.reduce(local, x, ReduceKind::Max, &axes),
                }
            }
            "norm" => return self.norm(cur, local, prev, at),
            "rmsnorm" => {
                let x = self.first(cur, prev, name)?;
                let axes = self.over(cur, name)?;
                let eps = if cur.eat_word("eps") {
                    cur.float("the epsilon after 'eps'")?
                } else {
                    1e-6
                };
                let using = self.using_params(cur, 1, "the gain parameter after 'using'")?;
                let made = self.b.circuit().params.len();
                let v = self.b.rms_norm(local, x, &axes, eps);
                if let (Some(ps), Ok(_)) = (using, &v) {
                    self.substitute(ps, made, at)?;
                }
                v
            }
            "rope" => {
                let x = self.first(cur, prev, name)?;
                let pos = self.axis(cur, AxisUse::Existing, None, "the position axis")?;
                let dim = self.axis(cur, AxisUse::Existing, None, "the rotated axis")?;
                let base = if cur.eat_word("base") {
                    cur.float("the frequency base after 'base'")?
                } else {
                    10000.0
                };
                self.b.rope(local, x, pos, dim, base)
            }
            "topk" => {
                let x = self.first(cur, prev, name)?;
                if !cur.eat_word("over") {
                    return Err(cur.expected("'over' and the axis selected along"));
                }
                let over = self.axis(cur, AxisUse::Existing, None, "the axis selected along")?;
                let k = cur.int("how many entries are kept")?;
                if !(1..=1_000_000).contains(&k) {
                    return Err(self.at(at, "topk: keep 1 to 1000000 entries"));
                }
                self.b.top_k(local, x, over, k as usize)
            }
            "select" => {
                let x = self.first(cur, prev, name)?;
                let axis = self.axis(cur, AxisUse::Existing, None, "the selected axis")?;
                let i = cur.int("the position selected (from 0)")?;
                if !(0..=i64::from(u32::MAX)).contains(&i) {
                    return Err(
                        self.at(at, format!("select: position {i} is negative or too large"))
                    );
                }
                self.b.select(local, x, axis, i as usize)
            }
            "gather" => {
                let x = self.first(cur, prev, name)?;
                let axis = self.axis(cur, AxisUse::Existing, None, "the gathered axis")?;
                if !cur.eat_word("at") {
                    return Err(cur.expected("'at' and the index value"));
                }
                let idx = self.value_ref(cur, "the index value after 'at'")?;
                self.b.gather(local, x, axis, idx)
            }
            "split" => {
                let x = self.first(cur, prev, name)?;
                let axis = self.axis(cur, AxisUse::Existing, None, "the axis to split")?;
                cur.expect("->", "'->' and the axis of each part")?;
                let kind = self.b.circuit().axis(axis).kind;
                let parts = self.axis_list(cur, AxisUse::MayIntroduce(kind))?;
                self.b
                    .split(local, x, axis, &parts)
                    .map(|v| v.first().copied().unwrap_or(x))
            }
            "mask" => {
                let x = self.first(cur, prev, name)?;
                let rows = self.axis(cur, AxisUse::Existing, None, "the mask's row axis")?;
                let cols = self.axis(cur, AxisUse::Existing, None, "the mask's column axis")?;
                let (below, above) = if cur.eat_word("causal") {
                    (None, Some(0))
                } else {
                    let below = match cur.eat_word("below") {
                        true => Some(cur.int("the diagonals kept below the main one")?),
                        false => None,
                    };
                    let above = match cur.eat_word("above") {
                        true => Some(cur.int("the diagonals kept above the main one")?),
                        false => None,
                    };
                    (below, above)
                };
                self.b.mask(local, x, rows, cols, below, above)
            }
            "layernorm" => {
                let x = self.first(cur, prev, name)?;
                let axes = self.over(cur, name)?;
                self.b.layer_norm(local, x, &axes)
            }
            "batchnorm" => {
                let x = self.first(cur, prev, name)?;
                if !cur.eat_word("per") {
                    return Err(cur.expected("'per' and the channel axes after the value"));
                }
                let axes = self.axis_list(cur, AxisUse::Existing)?;
                self.b.batch_norm(local, x, &axes)
            }
            "copy" => {
                let x = self.first(cur, prev, name)?;
                let n = cur.int("the number of copies")?;
                if !(1..=10_000).contains(&n) {
                    return Err(self.at(at, "copy: the number of copies must be 1 to 10000"));
                }
                self.b
                    .copy(local, x, n as usize)
                    .map(|v| v.first().copied().unwrap_or(x))
            }
            "window" | "window_t" => return self.window(cur, local, prev, at, name == "window"),
            "concat" => {
                let mut xs: Vec<ValueId> = prev.into_iter().collect();
                while cur.at_name_except(KEYWORDS) {
                    xs.push(self.value_ref(cur, "a value name")?);
                }
                if !cur.eat_word("along") {
                    return Err(cur.expected("'along' and one axis per value"));
                }
                let axes = self.axis_list(cur, AxisUse::Existing)?;
                if axes.len() != xs.len() || xs.is_empty() {
                    return Err(self.at(
                        at,
                        format!(
                            "concat: {} values but {} axes after 'along'; give one axis per value",
                            xs.len(),
                            axes.len()
                        ),
                    ));
                }
                cur.expect("->", "'->' and the concatenated axis")?;
                let sum = axes.iter().fold(SizeExpr::Lit(0), |s, a| {
                    s.add(&self.b.circuit().axis(*a).size)
                });
                let kind = self.b.circuit().axis(axes[0]).kind;
                let out = self.axis(
                    cur,
                    AxisUse::MayIntroduce(kind),
                    Some(sum),
                    "the concatenated axis after '->'",
                )?;
                self.b.concat(local, &xs, &axes, out)
            }
            "reshape" => {
                let x = self.first(cur, prev, name)?;
                let from = self.axis_list(cur, AxisUse::Existing)?;
                if from.is_empty() {
                    return Err(cur.expected("the axes to reshape"));
                }
                cur.expect("->", "'->' between the old and the new axes")?;
                let to = self.reshape_targets(cur, &from)?;
                self.b.reshape(local, x, &from, &to)
            }
            "permute" => {
                let x = self.first(cur, prev, name)?;
                let axes = self.axis_list(cur, AxisUse::Existing)?;
                self.b.permute(local, x, &axes)
            }
            "embed" => {
                let ids = self.first(cur, prev, name)?;
                let vocab = self.axis(
                    cur,
                    AxisUse::MayIntroduce(AxisKind::Feature),
                    None,
                    "the vocabulary axis",
                )?;
                cur.expect("->", "'->' and the feature axes")?;
                let features = self.axis_list(cur, AxisUse::MayIntroduce(AxisKind::Feature))?;
                let using = self.using_params(cur, 1, "the table parameter after 'using'")?;
                let made = self.b.circuit().params.len();
                let v = self.b.embed(local, ids, vocab, &features);
                if let (Some(ps), Ok(_)) = (using, &v) {
                    self.substitute(ps, made, at)?;
                }
                v
            }
            "constant" | "learned" | "load" | "sinusoid" if prev.is_some() => {
                return Err(op.err(format!(
                    "`{name}` takes no input value, so it cannot follow ';'"
                )));
            }
            "constant" => {
                let v = cur.float("the constant's value")?;
                let axes = self.bracket_axes(cur, AxisUse::MayIntroduce(AxisKind::Feature))?;
                self.b.constant(local, &axes, v)
            }
            "sinusoid" => {
                let axes = self.bracket_axes(cur, AxisUse::MayIntroduce(AxisKind::Feature))?;
                let [pos, dim] = axes[..] else {
                    return Err(self.at(
                        at,
                        format!(
                            "sinusoid: expected two axes in brackets, [positions features], found {}",
                            axes.len()
                        ),
                    ));
                };
                let base = if cur.eat_word("base") {
                    cur.float("the frequency base after 'base'")?
                } else {
                    10000.0
                };
                self.b.sinusoid(local, pos, dim, base)
            }
            "learned" => {
                let axes = self.bracket_axes(cur, AxisUse::MayIntroduce(AxisKind::Feature))?;
                let init = if cur.eat_word("init") {
                    self.init(cur)?
                } else {
                    Init::Normal
                };
                let before = self.b.circuit().params.len();
                let v = self.b.learned_init(local, &axes, init);
                if let Some(p) = self.b.circuit().params.get(before) {
                    self.params.insert(p.name.clone(), p.id);
                }
                v
            }
            "save" => {
                let label = cur.plain_name("the saved value's label")?;
                let x = self.first(cur, prev, name)?;
                self.b.save(&label.text, x)
            }
            "load" => {
                let label = cur.plain_name("the label of a saved value")?;
                self.b.load(&label.text)
            }
            _ => {
                return Err(op.err(format!("expected an operation ({OPS}), found '{name}'")));
            }
        };
        let v = built.map_err(|e| self.build_err(at, e))?;
        self.stage_end(cur, name)?;
        Ok(v)
    }

    fn at(&self, at: (usize, usize), msg: impl Into<String>) -> TextError {
        TextError::syntax(at.0, at.1, msg)
    }

    /// Nothing but `;` or the end of the line may follow an operation's arguments.
    fn stage_end(&self, cur: &Cursor, op: &str) -> R<()> {
        if cur.at_stage_end() {
            Ok(())
        } else if cur.prev_is("->") {
            Err(cur.expected("an axis name after '->'"))
        } else {
            Err(cur.expected(&format!("';' or end of line after the arguments of '{op}'")))
        }
    }

    /// The operation's main input: the previous stage's value, or a name.
    fn first(&self, cur: &mut Cursor, prev: Option<ValueId>, op: &str) -> R<ValueId> {
        match prev {
            Some(v) => Ok(v),
            None => self.value_ref(cur, &format!("a value name after '{op}'")),
        }
    }

    fn over(&mut self, cur: &mut Cursor, op: &str) -> R<Vec<AxisId>> {
        if !cur.eat_word("over") {
            return Err(cur.expected(&format!("'over' and the axes '{op}' acts on")));
        }
        let axes = self.axis_list(cur, AxisUse::Existing)?;
        if axes.is_empty() {
            return Err(cur.expected("an axis name after 'over'"));
        }
        Ok(axes)
    }

    /// `c` (a number) or `EXPR ^ p` (a size to a power, `k^-0.5`).
    fn scale_factor(&mut self, cur: &mut Cursor) -> R<Func> {
        let mut k = 0;
        let mut power = false;
        while let Some(t) = cur.peek_at(k) {
            if t.is(";") {
                break;
            }
            power |= t.is("^");
            k += 1;
        }
        if !power {
            return Ok(Func::Scale(
                cur.float("a number (or a size to a power, as k^-0.5)")?,
            ));
        }
        // a bare whole base (`4^2`) is the size, not a folded power of it
        let lit = cur
            .peek()
            .is_some_and(|t| matches!(t.tok, crate::parse::lexer::Tok::Number(_)))
            && cur.peek2().is_some_and(|t| t.is("^"));
        let e = if lit {
            SizeExpr::Lit(cur.int("a size")?)
        } else {
            self.size_expr(cur)?
        };
        cur.expect("^", "'^' and the power")?;
        Ok(Func::ScaleBySize(e, cur.float("the power after '^'")?))
    }

    /// New axes of a reshape; a single new one without a size gets the product of `from`.
    fn reshape_targets(&mut self, cur: &mut Cursor, from: &[AxisId]) -> R<Vec<AxisId>> {
        // one new axis, maybe with a kind, and no size: `-> i` or `-> s:token`
        let after = if cur.peek_at(1).is_some_and(|t| t.is(":")) {
            3
        } else {
            1
        };
        let single_bare = cur.at_name_except(KEYWORDS)
            && cur.peek_at(after).is_none_or(|t| t.is(";") || t.is(")"));
        if single_bare {
            let sizes: Vec<&SizeExpr> = from
                .iter()
                .map(|a| &self.b.circuit().axis(*a).size)
                .collect();
            // folding literal sizes must not overflow
            let lits = sizes.iter().filter_map(|e| e.as_lit());
            if lits
                .into_iter()
                .try_fold(1i64, |p, v| p.checked_mul(v))
                .is_none()
            {
                return Err(cur.err_here("reshape: the product of the sizes is too large"));
            }
            let prod = SizeExpr::product(sizes);
            let kind = self.b.circuit().axis(from[0]).kind;
            let a = self.axis(cur, AxisUse::MayIntroduce(kind), Some(prod), "an axis name")?;
            return Ok(vec![a]);
        }
        self.axis_list(cur, AxisUse::MayIntroduce(AxisKind::Feature))
    }

    /// `linear[+] X IN… -> OUT… [per G…] [using W [B]]`.
    fn linear(
        &mut self,
        cur: &mut Cursor,
        local: &str,
        prev: Option<ValueId>,
        at: (usize, usize),
    ) -> R<ValueId> {
        let bias = cur.eat("+");
        let x = self.first(cur, prev, if bias { "linear+" } else { "linear" })?;
        let ins = self.axis_list(cur, AxisUse::Existing)?;
        cur.expect("->", "an input axis or '->'")?;
        let outs = self.axis_list(cur, AxisUse::MayIntroduce(AxisKind::Feature))?;
        let groups = if cur.eat_word("per") {
            self.axis_list(cur, AxisUse::Existing)?
        } else {
            Vec::new()
        };
        let (w, b) = if cur.eat_word("using") {
            let w = self.param_ref(cur)?;
            let b = if bias {
                if cur.at_stage_end() {
                    return Err(cur.expected("the bias parameter after the weight (linear+)"));
                }
                Some(self.param_ref(cur)?)
            } else {
                None
            };
            (w, b)
        } else {
            // the weight's own twin of an axis that is both input and output (`n -> n`),
            // made once per line even when a repeated block runs the line again
            let mut win = Vec::new();
            for a in &ins {
                if !outs.contains(a) {
                    win.push(*a);
                } else if let Some(t) = self.twins.get(&(at, *a)) {
                    win.push(*t);
                } else {
                    let t = self.b.weight_inputs(&[*a], &[*a])[0];
                    self.adopt_axis(t, at);
                    self.twins.insert((at, *a), t);
                    win.push(t);
                }
            }
            let mut waxes = groups.clone();
            waxes.extend(&win);
            waxes.extend(&outs);
            let w = self.new_param(&format!("{local}.W"), &waxes, Init::FanIn(win.clone()));
            let b = bias.then(|| {
                let mut baxes = groups.clone();
                baxes.extend(&outs);
                self.new_param(&format!("{local}.b"), &baxes, Init::FanIn(win))
            });
            (w, b)
        };
        let v = self
            .b
            .grouped_linear(local, x, &groups, &ins, &outs, w, b)
            .map_err(|e| self.build_err(at, e))?;
        self.stage_end(cur, "linear")?;
        Ok(v)
    }

    /// `using P…`: the parameters an operation takes instead of making its own.
    fn using_params(
        &mut self,
        cur: &mut Cursor,
        count: usize,
        what: &str,
    ) -> R<Option<Vec<ParamId>>> {
        if !cur.eat_word("using") {
            return Ok(None);
        }
        if count == 0 {
            return Err(
                cur.err_here("this operation has no parameters, so 'using' has none to give")
            );
        }
        (0..count)
            .map(|_| {
                if cur.at_stage_end() {
                    Err(cur.expected(what))
                } else {
                    self.param_ref(cur)
                }
            })
            .collect::<R<Vec<_>>>()
            .map(Some)
    }

    /// The last node takes `using` instead of the parameters it made (ids from `made` on),
    /// which are dropped when the circuit is finished.
    /// Each given parameter must have the axes of the one it replaces.
    fn substitute(&mut self, using: Vec<ParamId>, made: usize, at: (usize, usize)) -> R<()> {
        let c = self.b.circuit();
        for (u, m) in using.iter().zip(made..c.params.len()) {
            let (given, wanted) = (c.param(*u), &c.params[m]);
            if given.axes != wanted.axes {
                let show = |axes: &[crate::ir::AxisId]| {
                    axes.iter()
                        .map(|a| c.axis_label(*a))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                return Err(TextError::syntax(
                    at.0,
                    at.1,
                    format!(
                        "parameter `{}` has axes [{}] but this operation needs [{}]",
                        given.name,
                        show(&given.axes),
                        show(&wanted.axes)
                    ),
                ));
            }
        }
        if let Some(n) = c.nodes.last() {
            let created = made..c.params.len();
            self.substitutions.push((n.id, using, created));
        }
        Ok(())
    }

    fn new_param(&mut self, local: &str, axes: &[AxisId], init: Init) -> ParamId {
        let p = self.b.param(local, axes, init);
        let full = self.b.circuit().param(p).name.clone();
        self.defined_at.entry(full.clone()).or_insert(0);
        self.params.insert(full, p);
        p
    }

    /// `norm X over S… [affine A… | fixed A…] [eps E]`.
    fn norm(
        &mut self,
        cur: &mut Cursor,
        local: &str,
        prev: Option<ValueId>,
        at: (usize, usize),
    ) -> R<ValueId> {
        let x = self.first(cur, prev, "norm")?;
        if !cur.eat_word("over") {
            return Err(cur.expected("'over' and the axes of the statistics"));
        }
        let stats = self.axis_list(cur, AxisUse::Existing)?;
        let (affine, affine_axes) = if cur.eat_word("affine") {
            (true, self.axis_list(cur, AxisUse::Existing)?)
        } else if cur.eat_word("fixed") {
            (false, self.axis_list(cur, AxisUse::Existing)?)
        } else {
            (false, Vec::new())
        };
        let eps = if cur.eat_word("eps") {
            cur.float("the variance floor after 'eps'")?
        } else {
            1e-5
        };
        let using = self.using_params(
            cur,
            if affine { 2 } else { 0 },
            "the gain and the shift parameters after 'using'",
        )?;
        let made = self.b.circuit().params.len();
        let v = self
            .b
            .norm(local, x, &stats, &affine_axes, affine, eps)
            .map_err(|e| self.build_err(at, e))?;
        match using {
            Some(ps) => self.substitute(ps, made, at)?,
            None => {
                for p in made..self.b.circuit().params.len() {
                    let name = self.b.circuit().params[p].name.clone();
                    self.params.insert(name, ParamId(p as u32));
                }
            }
        }
        self.stage_end(cur, "norm")?;
        Ok(v)
    }

    /// `window X (IN by K [stride s] [dilation d] [pad p] [-> OUT]) …`, and `window_t`
    /// with the same geometry read backwards (from OUT and K onto IN).
    fn window(
        &mut self,
        cur: &mut Cursor,
        local: &str,
        prev: Option<ValueId>,
        at: (usize, usize),
        forward: bool,
    ) -> R<ValueId> {
        let op = if forward { "window" } else { "window_t" };
        let x = self.first(cur, prev, op)?;
        let mut was = Vec::new();
        while cur.eat("(") {
            let input = if forward {
                self.axis(cur, AxisUse::Existing, None, "the spatial axis")?
            } else {
                self.axis(
                    cur,
                    AxisUse::MayIntroduce(AxisKind::Spatial),
                    None,
                    "the spatial axis",
                )?
            };
            if !cur.eat_word("by") {
                return Err(cur.expected("'by' and the kernel axis (as `by kH=3`)"));
            }
            let usage = if forward {
                AxisUse::MayIntroduce(AxisKind::Kernel)
            } else {
                AxisUse::Existing
            };
            let kernel = self.axis(cur, usage, None, "the kernel axis after 'by'")?;
            let mut spec = WindowSpec::new(1);
            loop {
                if cur.eat_word("stride") {
                    spec.stride = cur.int("the stride")?;
                } else if cur.eat_word("dilation") {
                    spec.dilation = cur.int("the dilation")?;
                } else if cur.eat_word("pad") {
                    spec.padding = cur.int("the padding")?;
                } else {
                    break;
                }
            }
            let too_big = [spec.stride, spec.dilation, spec.padding]
                .iter()
                .any(|v| v.abs() > 1_000_000);
            if too_big {
                return Err(cur.err_here(format!(
                    "{op}: stride, dilation and padding must stay within ±1000000"
                )));
            }
            if spec.stride < 1 || spec.dilation < 1 {
                return Err(cur.err_here(format!(
                    "{op}: stride and dilation must be at least 1 (found stride {}, dilation {})",
                    spec.stride, spec.dilation
                )));
            }
            let c = self.b.circuit();
            let in_ax = c.axis(input).clone();
            let computed = c.axis(kernel).size.as_lit().map(|k| {
                spec.kernel = k;
                spec.output_size(&in_ax.size)
            });
            let output = if cur.eat("->") {
                let usage = if forward {
                    AxisUse::MayIntroduce(in_ax.kind)
                } else {
                    AxisUse::Existing
                };
                self.axis(cur, usage, computed, "the output axis after '->'")?
            } else if computed.as_ref() == Some(&in_ax.size) {
                input
            } else {
                return Err(cur.expected(&format!(
                    "'->' and the output axis (the window changes the size of `{}`)",
                    in_ax.name
                )));
            };
            cur.expect(")", "')' closing the window axis")?;
            was.push(WindowAxis {
                input,
                output,
                kernel,
                stride: spec.stride,
                dilation: spec.dilation,
                padding: spec.padding,
            });
        }
        if was.is_empty() {
            return Err(cur.expected("'(' and a window axis, as `(H by kH=3 pad 1)`"));
        }
        let v = if forward {
            self.b.window_with(local, x, &was)
        } else {
            self.b.window_t(local, x, &was)
        }
        .map_err(|e| self.build_err(at, e))?;
        self.stage_end(cur, op)?;
        Ok(v)
    }
}
