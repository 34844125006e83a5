//! From text to circuit: each statement is parsed and handed to the [`Builder`] at once, so
//! every operation is type-checked by the same code as the Rust API, and its error is
//! reported at the line and column of the operation.

mod axes;
mod cursor;
mod lambda;
mod ops;
mod suggest;

use crate::builder::{BuildError, Builder};
use crate::ir::{AxisId, AxisKind, Circuit, Init, NodeId, ParamId, ValueId};
use crate::parse::error::TextError;
use crate::parse::lexer::{Line, lex};
use crate::size::Constraint;
use cursor::{Cursor, Name, R};
use lambda::{lambda_body, matching_close, stray_braces};
use std::collections::HashMap;
use suggest::unknown;

/// Words that end an axis list, so they cannot be bare axis names (quote them instead).
pub(crate) const KEYWORDS: &[&str] = &[
    "over", "per", "by", "using", "stride", "dilation", "pad", "affine", "fixed", "eps", "init",
    "shared", "index", "of", "along",
];

/// Blocks nest at most this deep.
pub(crate) const MAX_DEPTH: usize = 64;
/// At most this many operations, parameters, block instances, constraints and outputs
/// together: repeated blocks multiply a short file, and this bounds what it may build.
pub(crate) const MAX_ITEMS: usize = 100_000;
/// At most this many tokens are run, a repeated block's body counted once per iteration:
/// this bounds the loader's time whatever the file.
pub(crate) const MAX_TOKENS: usize = 10_000_000;

/// Parses and builds a circuit from the text format.
///
/// Every statement costs time and memory linear in its tokens (times the nesting depth,
/// at most [`MAX_DEPTH`]), and [`MAX_ITEMS`] and [`MAX_TOKENS`] bound the totals.
pub(crate) fn load_text(src: &str) -> Result<Circuit, TextError> {
    let mut lines = lex(src)?;
    let eof = lines
        .last()
        .map(|l| (l.number, l.end_col))
        .unwrap_or((1, 1));
    // blank and comment lines do nothing: drop them once rather than on every iteration
    lines.retain(|l| !l.tokens.is_empty());
    let mut l = Loader::new(eof);
    l.run(&lines)?;
    l.finish(eof)
}

/// An open block instance: the prefix its names get, and where it was opened.
struct OpenBlock {
    prefix: String,
    /// In a `repeat` block after the first iteration: the previous iteration's prefix,
    /// where names not yet defined in this iteration are looked up (loop-carried values).
    carry: Option<String>,
    /// In the first iteration of a λ repeat: the names its `with x = v` binds to the
    /// values outside (by their keys), where later iterations carry the previous `x`.
    first: Vec<(String, String)>,
    name: String,
    line: usize,
}

struct Loader {
    b: Builder,
    name: Option<String>,
    /// Axes by key (`name` or `name#tag`).
    axes: HashMap<String, AxisId>,
    /// Where each axis key was introduced, for redefinition messages.
    /// (A repeated block's body introduces its axes once: the later runs of the same line
    /// and column refer to them.)
    axis_lines: HashMap<String, (usize, usize)>,
    /// Values and parameters by full (block-prefixed) name.
    values: HashMap<String, ValueId>,
    params: HashMap<String, ParamId>,
    /// Line of each defined name, for redefinition messages.
    defined_at: HashMap<String, usize>,
    open: Vec<OpenBlock>,
    /// Operations given parameters with `using` that made their own (norm, embed): the
    /// node, its parameters, and the ids of the ones it made, dropped at the end.
    substitutions: Vec<(NodeId, Vec<ParamId>, std::ops::Range<usize>)>,
    /// Final names of parameters declared with a rooted name (`param /name`).
    param_renames: Vec<(ParamId, String)>,
    /// Twin input axes of `n -> n` linear maps, by the line and column of the map.
    twins: HashMap<((usize, usize), AxisId), AxisId>,
    /// Final names of nodes whose builder-given name differs (`save`, `load`).
    renames: Vec<(NodeId, String)>,
    /// Per chain-stage base name, the next `~k` to try (so naming stays linear).
    next_suffix: HashMap<String, usize>,
    /// Tokens run so far (see [`MAX_TOKENS`]).
    tokens_run: usize,
    /// Line and column of the end of the file.
    eof: (usize, usize),
}

/// How an axis position treats an unknown name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum AxisUse {
    /// The axis must exist (an operation acts on it).
    Existing,
    /// A new name introduces the axis, with this kind unless one is written.
    MayIntroduce(AxisKind),
}

impl Loader {
    fn new(eof: (usize, usize)) -> Self {
        Loader {
            eof,
            b: Builder::new("circuit"),
            name: None,
            axes: HashMap::new(),
            axis_lines: HashMap::new(),
            values: HashMap::new(),
            params: HashMap::new(),
            defined_at: HashMap::new(),
            open: Vec::new(),
            renames: Vec::new(),
            twins: HashMap::new(),
            substitutions: Vec::new(),
            param_renames: Vec::new(),
            next_suffix: HashMap::new(),
            tokens_run: 0,
        }
    }

    /// Counts a line against [`MAX_TOKENS`] and the circuit against [`MAX_ITEMS`].
    fn budget(&mut self, line: &Line) -> R<()> {
        self.tokens_run += line.tokens.len();
        let c = self.b.circuit();
        let items =
            c.nodes.len() + c.params.len() + c.blocks.len() + c.constraints.len() + c.outputs.len();
        let at = |msg: String| TextError::syntax(line.number, 1, msg);
        if items > MAX_ITEMS {
            return Err(at(format!(
                "the circuit grows past {MAX_ITEMS} operations, parameters and blocks here \
                 (repeated blocks multiply their bodies)"
            )));
        }
        if self.tokens_run > MAX_TOKENS {
            return Err(at(format!(
                "loading runs more than {MAX_TOKENS} tokens by here (repeated blocks run \
                 their bodies once per iteration)"
            )));
        }
        Ok(())
    }

    /// Refuses a block that would nest deeper than [`MAX_DEPTH`].
    fn check_depth(&self, n: &Name) -> R<()> {
        if self.open.len() >= MAX_DEPTH {
            return Err(n.err(format!(
                "block `{}` would nest {} deep; blocks nest at most {MAX_DEPTH} deep",
                n.text,
                self.open.len() + 1
            )));
        }
        Ok(())
    }

    /// Runs statements; a `block NAME repeat N { … }` runs its body N times.
    fn run(&mut self, lines: &[Line]) -> R<()> {
        let mut i = 0;
        while i < lines.len() {
            let line = &lines[i];
            let is_repeat = line.tokens.first().and_then(|t| t.word()) == Some("block")
                && line.tokens.get(2).and_then(|t| t.word()) == Some("repeat");
            self.budget(line)?;
            if !is_repeat {
                stray_braces(line)?;
                self.statement(line)?;
                i += 1;
                continue;
            }
            let mut cur = Cursor::new(line);
            cur.bump();
            let n = cur.plain_name("the block's name after 'block'")?;
            self.check_depth(&n)?;
            cur.bump();
            let count = cur.int("the number of repetitions after 'repeat'")?;
            if !(1..=10_000).contains(&count) {
                return Err(n.err(format!("block `{}`: cannot repeat {count} times", n.text)));
            }
            let index = self.repeat_index(&mut cur, &n)?;
            let first = match index {
                Some(_) => self.first_inputs(&mut cur)?,
                None => Vec::new(),
            };
            let shared = cur.eat_word("shared");
            cur.expect("{", "'{' opening the block")?;
            cur.end("'{'")?;
            let end = matching_close(lines, i).ok_or_else(|| {
                TextError::syntax(
                    self.eof.0,
                    self.eof.1,
                    format!(
                        "expected '}}' closing block `{}` opened at line {}, found end of file",
                        n.text, n.line
                    ),
                )
            })?;
            let count = count as u32;
            let parent = self.prefix().to_string();
            let own = |it: u32| {
                let o = if count > 1 {
                    format!("{}[{it}]", n.text)
                } else {
                    n.text.clone()
                };
                if parent.is_empty() {
                    o
                } else {
                    format!("{parent}.{o}")
                }
            };
            for it in 0..count {
                if it > 0 {
                    self.budget(line)?;
                }
                self.b.begin_block(&n.text, it, count, shared);
                self.open.push(OpenBlock {
                    prefix: own(it),
                    carry: (it > 0).then(|| own(it - 1)),
                    first: if it == 0 { first.clone() } else { Vec::new() },
                    name: n.text.clone(),
                    line: n.line,
                });
                match &index {
                    None => self.run(&lines[i + 1..end])?,
                    Some((var, from)) => {
                        let body = lambda_body(&lines[i + 1..end], var, from + i64::from(it))?;
                        self.run(&body)?;
                    }
                }
                self.open.pop();
                self.b
                    .end_block()
                    .map_err(|e| TextError::syntax(lines[end].number, 1, e.to_string()))?;
            }
            // after the block, `Name.x` is the last iteration's `x`
            if count > 1 {
                let last = format!("{}.", own(count - 1));
                let alias = if parent.is_empty() {
                    n.text.clone()
                } else {
                    format!("{parent}.{}", n.text)
                };
                let found: Vec<(String, ValueId)> = self
                    .values
                    .iter()
                    .filter_map(|(k, v)| {
                        k.strip_prefix(&last).map(|r| (format!("{alias}.{r}"), *v))
                    })
                    .collect();
                for (k, v) in found {
                    self.values.entry(k).or_insert(v);
                }
            }
            i = end + 1;
        }
        Ok(())
    }

    fn statement(&mut self, line: &Line) -> R<()> {
        let mut cur = Cursor::new(line);
        let first = cur.peek().map(|t| (t.word(), t.is("}")));
        match first {
            Some((_, true)) => {
                cur.bump();
                cur.end("'}'")?;
                self.close_block(&cur)
            }
            Some((Some(w), _)) if !cur.peek2().is_some_and(|t| t.is("=")) => {
                cur.bump();
                match w {
                    "circuit" => self.circuit_stmt(&mut cur),
                    "size" => self.size_stmt(&mut cur),
                    "constraint" => self.constraint_stmt(&mut cur),
                    "axis" => self.axis_stmt(&mut cur),
                    "input" => self.input_stmt(&mut cur),
                    "param" => self.param_stmt(&mut cur),
                    "output" => self.output_stmt(&mut cur),
                    "block" => self.block_stmt(&mut cur),
                    _ => Err(TextError::syntax(
                        line.number,
                        line.tokens[0].col,
                        format!(
                            "expected a statement (circuit, size, constraint, axis, input, param, \
                             output, block, or NAME = operation), found '{w}'"
                        ),
                    )),
                }
            }
            _ => self.definition(&mut cur),
        }
    }

    fn finish(mut self, (line, col): (usize, usize)) -> Result<Circuit, TextError> {
        if let Some(b) = self.open.last() {
            return Err(TextError::syntax(
                line,
                col,
                format!(
                    "expected '}}' closing block `{}` opened at line {}, found end of file",
                    b.name, b.line
                ),
            ));
        }
        let name = self.name.take();
        let mut c = self.b.finish().map_err(|e| match e {
            BuildError::NoOutputs(_) => TextError::syntax(
                line,
                col,
                "the circuit has no outputs: add a line `output NAME`",
            ),
            e => TextError::syntax(line, col, e.to_string()),
        })?;
        if let Some(n) = name {
            c.name = n;
        }
        for (p, name) in self.param_renames {
            c.params[p.ix()].name = name;
        }
        substitute_params(&mut c, &self.substitutions);
        for (n, name) in self.renames {
            let node = &mut c.nodes[n.ix()];
            node.name = name.clone();
            let outs = node.outputs.clone();
            for (i, v) in outs.iter().enumerate() {
                c.values[v.ix()].name = if outs.len() == 1 {
                    name.clone()
                } else {
                    format!("{name}.{i}")
                };
            }
        }
        Ok(c)
    }

    // ------------------------------------------------------------ names and scopes

    fn prefix(&self) -> &str {
        self.open.last().map(|b| b.prefix.as_str()).unwrap_or("")
    }

    /// The full name of a name defined here: block prefix, dot, name.
    fn full(&self, local: &str) -> String {
        match self.prefix() {
            "" => local.to_string(),
            p => format!("{p}.{local}"),
        }
    }

    /// Resolves a name as written: innermost block first, then outwards, then as is.
    fn resolve<T: Copy>(&self, table: &HashMap<String, T>, n: &str) -> Option<T> {
        self.open
            .iter()
            .rev()
            .find_map(|b| {
                table
                    .get(&format!("{}.{n}", b.prefix))
                    .copied()
                    .or_else(|| {
                        let carry = b.carry.as_ref()?;
                        table.get(&format!("{carry}.{n}")).copied()
                    })
                    .or_else(|| {
                        let (_, key) = b.first.iter().find(|(k, _)| k == n)?;
                        table.get(key).copied()
                    })
            })
            .or_else(|| table.get(n).copied())
    }

    fn value_ref(&self, cur: &mut Cursor, what: &str) -> R<ValueId> {
        let n = cur.plain_name(what)?;
        self.resolve(&self.values, &n.text)
            .ok_or_else(|| n.err(unknown("value", &n.text, self.values.keys())))
    }

    fn param_ref(&self, cur: &mut Cursor) -> R<ParamId> {
        let n = cur.plain_name("a parameter name")?;
        self.resolve(&self.params, &n.text)
            .ok_or_else(|| n.err(unknown("parameter", &n.text, self.params.keys())))
    }

    /// Claims a full name for a new value or parameter; redefinition is an error.
    fn claim(&mut self, full: &str, at: &Name) -> R<()> {
        if let Some(l) = self.defined_at.get(full) {
            return Err(at.err(format!("`{}` is already defined at line {l}", at.text)));
        }
        self.defined_at.insert(full.to_string(), at.line);
        Ok(())
    }

    fn build_err(&self, at: (usize, usize), e: BuildError) -> TextError {
        TextError::syntax(at.0, at.1, e.to_string())
    }

    // ------------------------------------------------------------ statements

    fn circuit_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        let n = cur.plain_name("the circuit's name after 'circuit'")?;
        if self.name.is_some() {
            return Err(n.err("the circuit is already named"));
        }
        self.name = Some(n.text);
        cur.end("the circuit's name")
    }

    fn size_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        let n = cur.plain_name("a size symbol after 'size'")?;
        if !axes::is_symbol(&n.text) {
            return Err(n.err(format!(
                "`{}` is not a size symbol (letters, digits and `_`)",
                n.text
            )));
        }
        let default = if cur.eat("=") {
            Some(cur.int("an integer default size after '='")?)
        } else {
            None
        };
        if self
            .b
            .circuit()
            .sizes
            .get(&n.text)
            .is_some_and(|d| d.is_some())
        {
            return Err(n.err(format!("size `{}` already has a default", n.text)));
        }
        self.b.size(&n.text, default);
        cur.end("the size")
    }

    fn constraint_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        let a = self.size_expr(cur)?;
        let rel = ["==", ">=", "|"].into_iter().find(|p| cur.peek_is(p));
        let Some(rel) = rel else {
            return Err(cur.expected("'==', '>=' or '|' (divides)"));
        };
        cur.bump();
        let b = self.size_expr(cur)?;
        cur.end("the constraint")?;
        for s in a.symbols().into_iter().chain(b.symbols()) {
            if !self.b.circuit().sizes.contains_key(&s) {
                self.b.size(&s, None);
            }
        }
        self.b.constraint(match rel {
            "==" => Constraint::Eq(a, b),
            ">=" => Constraint::Ge(a, b),
            _ => Constraint::Divides(a, b),
        });
        Ok(())
    }

    fn axis_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        loop {
            let (l, c) = cur.here();
            let before = self.b.circuit().axes.len();
            self.axis(
                cur,
                AxisUse::MayIntroduce(AxisKind::Feature),
                None,
                "an axis name",
            )?;
            if self.b.circuit().axes.len() == before {
                return Err(TextError::syntax(
                    l,
                    c,
                    "an `axis` line introduces new axes; this one already exists",
                ));
            }
            if !cur.eat(",") {
                return cur.end("the axis");
            }
        }
    }

    fn input_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        let n = cur.plain_name("the input's name after 'input'")?;
        let axes = self.bracket_axes(cur, AxisUse::MayIntroduce(AxisKind::Feature))?;
        let index = cur.eat_word("index");
        cur.end("the input's axes")?;
        // inputs are circuit-wide: their names take no block prefix
        self.claim(&n.text, &n)?;
        let v = if index {
            self.b.index_input(&n.text, &axes)
        } else {
            self.b.input(&n.text, &axes)
        };
        self.values.insert(n.text, v);
        Ok(())
    }

    fn param_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        let rooted = cur.eat("/");
        let n = cur.plain_name("the parameter's name after 'param'")?;
        let axes = self.bracket_axes(cur, AxisUse::MayIntroduce(AxisKind::Feature))?;
        let init = if cur.eat_word("init") {
            self.init(cur)?
        } else {
            Init::Normal
        };
        let shared = cur.eat_word("shared");
        cur.end("the parameter")?;
        let full = if rooted {
            n.text.clone()
        } else {
            self.full(&n.text)
        };
        self.claim(&full, &n)?;
        let fresh = self.b.circuit().params.len();
        let p = self.b.param(&n.text, &axes, init);
        if p.ix() == fresh && self.b.circuit().param(p).name != full {
            self.param_renames.push((p, full.clone()));
        }
        if shared {
            self.b.share(p);
        }
        self.params.insert(full, p);
        Ok(())
    }

    fn init(&mut self, cur: &mut Cursor) -> R<Init> {
        let n = cur.plain_name("an initialisation (fanin, zeros, ones, normal, const)")?;
        Ok(match n.text.as_str() {
            "zeros" => Init::Zeros,
            "ones" => Init::Ones,
            "normal" => Init::Normal,
            "fanin" => {
                cur.expect("(", "'(' after 'fanin'")?;
                let mut axes = Vec::new();
                while !cur.peek_is(")") {
                    axes.push(self.axis(cur, AxisUse::Existing, None, "an axis name or ')'")?);
                }
                cur.bump();
                Init::FanIn(axes)
            }
            "const" => {
                cur.expect("(", "'(' after 'const'")?;
                let v = cur.float("a number")?;
                cur.expect(")", "')'")?;
                Init::Const(v)
            }
            other => {
                return Err(n.err(format!(
                    "expected an initialisation (fanin(..), zeros, ones, normal, const(..)), \
                     found '{other}'"
                )));
            }
        })
    }

    fn output_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        if cur.at_end() {
            return Err(cur.expected("a value name after 'output'"));
        }
        while !cur.at_end() {
            let v = self.value_ref(cur, "a value name")?;
            self.b.output(v);
        }
        Ok(())
    }

    /// `block NAME [I of N] [shared] {`
    fn block_stmt(&mut self, cur: &mut Cursor) -> R<()> {
        let n = cur.plain_name("the block's name after 'block'")?;
        self.check_depth(&n)?;
        let (mut iteration, mut repeat) = (0, 1);
        if cur.eat("[") {
            iteration = cur.int("the iteration number (from 0)")?;
            if !cur.eat_word("of") {
                return Err(cur.expected("'of' (as in `[0 of 3]`)"));
            }
            repeat = cur.int("the number of repetitions")?;
            cur.expect("]", "']'")?;
            if repeat < 1 || iteration < 0 || iteration >= repeat {
                return Err(n.err(format!(
                    "block `{}`: iteration {iteration} of {repeat} is out of range",
                    n.text
                )));
            }
        }
        let shared = cur.eat_word("shared");
        cur.expect("{", "'{' opening the block")?;
        cur.end("'{'")?;
        let (iteration, repeat) = (iteration as u32, repeat as u32);
        let own = if repeat > 1 {
            format!("{}[{iteration}]", n.text)
        } else {
            n.text.clone()
        };
        let prefix = self.full(&own);
        self.b.begin_block(&n.text, iteration, repeat, shared);
        self.open.push(OpenBlock {
            prefix,
            carry: None,
            first: Vec::new(),
            name: n.text,
            line: n.line,
        });
        Ok(())
    }

    fn close_block(&mut self, cur: &Cursor) -> R<()> {
        if self.open.pop().is_none() {
            return Err(TextError::syntax(
                cur.here().0,
                1,
                "found '}' but no block is open",
            ));
        }
        self.b
            .end_block()
            .map_err(|e| TextError::syntax(cur.here().0, 1, e.to_string()))
    }

    /// `NAME = op … ; op … ; …`: each stage after the first reads the previous one's value.
    fn definition(&mut self, cur: &mut Cursor) -> R<()> {
        let rooted = cur.eat("/");
        let n = cur.plain_name("a statement or `NAME = operation`")?;
        cur.expect("=", &format!("'=' after `{}`", n.text))?;
        let mut prev: Option<ValueId> = None;
        loop {
            let last = !cur.toks_left_contain(";");
            let (l, c) = cur.here();
            let op = cur.plain_name("an operation")?;
            // stages before the last are named after the line's name and their operation
            let local = if last {
                n.text.clone()
            } else {
                self.fresh_local(&format!("{}.{}", n.text, op.text))
            };
            let full = if rooted {
                local.clone()
            } else {
                self.full(&local)
            };
            self.claim(
                &full,
                &Name {
                    text: local.clone(),
                    ..n.clone()
                },
            )?;
            let before = self.b.circuit().nodes.len();
            // the builder names the node and its parameters from the name without its
            // `~k`, making them unique as it did when the circuit was first built
            let base = crate::parse::printer::base_name(&local).to_string();
            let v = self.stage(cur, &op, &base, prev, (l, c))?;
            let nodes = self.b.circuit().nodes.len();
            if nodes == before {
                return Err(op.err("internal: the operation built nothing"));
            }
            let node = &self.b.circuit().nodes[nodes - 1];
            if node.name != full {
                self.renames.push((node.id, full.clone()));
            }
            // helper nodes of a stage (a learned array's constant) are named by the builder
            for k in before..nodes - 1 {
                let outs = self.b.circuit().nodes[k].outputs.clone();
                for o in outs {
                    let vn = self.b.circuit().value(o).name.clone();
                    self.defined_at.insert(vn.clone(), n.line);
                    self.values.insert(vn, o);
                }
            }
            let outs = self.b.circuit().nodes[nodes - 1].outputs.clone();
            if outs.len() == 1 {
                self.values.insert(full, outs[0]);
            } else {
                for (i, o) in outs.iter().enumerate() {
                    let vn = format!("{full}.{i}");
                    self.defined_at.insert(vn.clone(), n.line);
                    self.values.insert(vn, *o);
                }
            }
            prev = Some(v);
            if !cur.eat(";") {
                break;
            }
            if cur.at_end() {
                return Err(cur.expected("an operation after ';'"));
            }
        }
        cur.end("the operation")
    }

    /// `base`, or `base~k` with the smallest free `k ≥ 2`. Names are never freed, so the
    /// search resumes where the last one for this base ended.
    fn fresh_local(&mut self, base: &str) -> String {
        let key = self.full(base);
        let mut k = self.next_suffix.get(&key).copied().unwrap_or(1);
        let mut name = if k == 1 {
            base.to_string()
        } else {
            format!("{base}~{k}")
        };
        while self.defined_at.contains_key(&self.full(&name)) {
            k += 1;
            name = format!("{base}~{k}");
        }
        self.next_suffix.insert(key, k);
        name
    }
}

impl Cursor<'_> {
    /// Whether a `;` follows somewhere on this line (the current stage is not the last).
    fn toks_left_contain(&self, p: &str) -> bool {
        let mut probe = 1;
        while let Some(t) = self.peek_at(probe - 1) {
            if t.is(p) {
                return true;
            }
            probe += 1;
        }
        false
    }
}

/// Gives nodes the parameters they were written `using`, drops the ones they made, and
/// renumbers the rest.
fn substitute_params(c: &mut Circuit, subs: &[(NodeId, Vec<ParamId>, std::ops::Range<usize>)]) {
    if subs.is_empty() {
        return;
    }
    let mut dead = vec![false; c.params.len()];
    for (n, using, made) in subs {
        for i in made.clone() {
            if let Some(d) = dead.get_mut(i) {
                *d = true;
            }
        }
        if let Some(node) = c.nodes.get_mut(n.ix()) {
            node.params = using.clone();
        }
    }
    let mut new_id = vec![None; c.params.len()];
    let mut kept = Vec::new();
    for (i, mut p) in std::mem::take(&mut c.params).into_iter().enumerate() {
        if !dead[i] {
            new_id[i] = Some(ParamId(kept.len() as u32));
            p.id = ParamId(kept.len() as u32);
            kept.push(p);
        }
    }
    c.params = kept;
    for node in &mut c.nodes {
        node.params = node
            .params
            .iter()
            .filter_map(|p| new_id.get(p.ix()).copied().flatten())
            .collect();
    }
}
