//! Axes and their sizes: size expressions, axis kinds, and axes named, introduced or
//! referred to in lists.

use super::cursor::{Cursor, R};
use super::{AxisUse, KEYWORDS, Loader};
use crate::ir::{AxisId, AxisKind};
use crate::size::SizeExpr;

/// Integer literals in sizes stay below this, so that folding sizes cannot overflow.
const MAX_SIZE_LITERAL: i64 = 1 << 40;
/// Tokens in one size expression.
const MAX_SIZE_TOKENS: usize = 256;
/// Parentheses nesting in one size expression.
const MAX_SIZE_NESTING: usize = 32;

impl Loader {
    /// A size expression: integers, size symbols, `+ - * / //`, parentheses.
    /// A size expression, at most [`MAX_SIZE_TOKENS`] tokens and [`MAX_SIZE_NESTING`]
    /// parentheses deep (so evaluating, printing and dropping it cannot exhaust the stack).
    pub(super) fn size_expr(&self, cur: &mut Cursor) -> R<SizeExpr> {
        let start = cur.pos();
        self.size_sum(cur, start, 0)
    }

    fn size_budget(cur: &Cursor, start: usize) -> R<()> {
        if cur.pos() - start > MAX_SIZE_TOKENS {
            let (l, c) = cur.here();
            return Err(crate::parse::error::TextError::syntax(
                l,
                c,
                format!("a size expression may have at most {MAX_SIZE_TOKENS} tokens"),
            ));
        }
        Ok(())
    }

    fn size_sum(&self, cur: &mut Cursor, start: usize, depth: usize) -> R<SizeExpr> {
        let mut l = self.size_term(cur, start, depth)?;
        loop {
            let sub = if cur.peek_is("+") {
                false
            } else if cur.peek_is("-") {
                true
            } else {
                return Ok(l);
            };
            cur.bump();
            Self::size_budget(cur, start)?;
            let r = self.size_term(cur, start, depth)?;
            l = if sub {
                SizeExpr::Sub(l.into(), r.into())
            } else {
                SizeExpr::Add(l.into(), r.into())
            };
        }
    }

    fn size_term(&self, cur: &mut Cursor, start: usize, depth: usize) -> R<SizeExpr> {
        let mut l = self.size_atom(cur, start, depth)?;
        loop {
            let op = ["*", "//", "/"].into_iter().find(|p| cur.peek_is(p));
            let Some(op) = op else { return Ok(l) };
            cur.bump();
            Self::size_budget(cur, start)?;
            let r = self.size_atom(cur, start, depth)?;
            l = match op {
                "*" => SizeExpr::Mul(l.into(), r.into()),
                "/" => SizeExpr::ExactDiv(l.into(), r.into()),
                _ => SizeExpr::FloorDiv(l.into(), r.into()),
            };
        }
    }

    fn size_atom(&self, cur: &mut Cursor, start: usize, depth: usize) -> R<SizeExpr> {
        if cur.peek_is("(") {
            if depth >= MAX_SIZE_NESTING {
                let (l, c) = cur.here();
                return Err(crate::parse::error::TextError::syntax(
                    l,
                    c,
                    format!("size expressions nest at most {MAX_SIZE_NESTING} parentheses deep"),
                ));
            }
            cur.bump();
            let e = self.size_sum(cur, start, depth + 1)?;
            cur.expect(")", "')' closing the size expression")?;
            return Ok(e);
        }
        if cur.at_name_except(&[]) {
            let n = cur.plain_name("a size symbol")?;
            if !is_symbol(&n.text) {
                return Err(n.err(format!(
                    "`{}` is not a size symbol (letters, digits and `_`)",
                    n.text
                )));
            }
            return Ok(SizeExpr::Sym(n.text));
        }
        let at = cur.here();
        let mut v = cur.int("a size (an integer, a size symbol or '(')")?;
        // a whole power of a whole number (`2^3`, what `2^λ` becomes in a λ-indexed repeat)
        // is folded
        if cur.peek_is("^") {
            cur.bump();
            let pat = cur.here();
            let e = self.size_atom(cur, start, depth)?;
            let bad = |why: String| crate::parse::error::TextError::syntax(pat.0, pat.1, why);
            let e = e
                .eval(&Default::default())
                .ok()
                .filter(|e| *e >= 0)
                .ok_or_else(|| {
                    bad(format!(
                        "the power `{e}` of a size must be a whole number, 0 or more (as \
                         2^3, or 2^λ in a repeat indexed by λ)"
                    ))
                })?;
            v = u32::try_from(e)
                .ok()
                .and_then(|e| v.checked_pow(e))
                .filter(|p| p.abs() <= MAX_SIZE_LITERAL)
                .ok_or_else(|| bad(format!("size {v}^{e} is too large (at most 2^40)")))?;
        }
        if v.abs() > MAX_SIZE_LITERAL {
            return Err(crate::parse::error::TextError::syntax(
                at.0,
                at.1,
                format!("size {v} is too large (at most 2^40)"),
            ));
        }
        Ok(SizeExpr::Lit(v))
    }

    pub(super) fn kind(&self, cur: &mut Cursor) -> R<AxisKind> {
        let n = cur.plain_name("an axis kind")?;
        AxisKind::from_keyword(&n.text).ok_or_else(|| {
            n.err(format!(
                "expected an axis kind (batch, feature, token, spatial, kernel, head), found '{}'",
                n.text
            ))
        })
    }

    /// One axis: `name`, `name = size`, `name : kind`, `name : kind = size`. A known name is a
    /// reference; a new one is introduced (where `usage` allows), its size defaulting to
    /// `default_size` or else to the size symbol of its own name.
    pub(super) fn axis(
        &mut self,
        cur: &mut Cursor,
        usage: AxisUse,
        default_size: Option<SizeExpr>,
        what: &str,
    ) -> R<AxisId> {
        let n = cur.name(what)?;
        let kind = if cur.eat(":") {
            Some(self.kind(cur)?)
        } else {
            None
        };
        let size = if cur.eat("=") {
            Some(self.size_expr(cur)?)
        } else {
            None
        };
        let key = n.key();
        if let Some(&a) = self.axes.get(&key) {
            let replayed = self.axis_lines.get(&key) == Some(&(n.line, n.col));
            if (size.is_some() || kind.is_some()) && !replayed {
                return Err(n.err(format!(
                    "axis `{key}` is already defined at line {}; write `{key}` alone to refer \
                     to it, or give the new axis another name",
                    self.axis_lines.get(&key).map(|p| p.0).unwrap_or(0)
                )));
            }
            return Ok(a);
        }
        // a tag is the axis id, so `c1_in#22` also names an axis written `c1_in` (a λ repeat
        // tags every instance's axis where only some share their name)
        if size.is_none()
            && kind.is_none()
            && let Some(a) = n
                .tag
                .as_ref()
                .and_then(|t| t.parse::<usize>().ok())
                .filter(|&i| {
                    self.b
                        .circuit()
                        .axes
                        .get(i)
                        .is_some_and(|ax| ax.name == n.text)
                        && self.axes.get(&n.text) == Some(&crate::ir::AxisId(i as u32))
                })
        {
            return Ok(crate::ir::AxisId(a as u32));
        }
        let AxisUse::MayIntroduce(default_kind) = usage else {
            return Err(n.err(super::unknown("axis", &key, self.axes.keys())));
        };
        let size = match size.or(default_size) {
            Some(s) => s,
            None if is_symbol(&n.text) => SizeExpr::Sym(n.text.clone()),
            None => {
                return Err(n.err(format!(
                    "axis `{key}` needs a size, as `{key}=8`: its name is not a size symbol"
                )));
            }
        };
        let size = size
            .bounded()
            .map_err(|e| n.err(format!("axis `{key}`: {e}, as `{key}=8`")))?;
        let a = self
            .b
            .axis_expr(&n.text, size, kind.unwrap_or(default_kind));
        self.axes.insert(key.clone(), a);
        self.axis_lines.insert(key, (n.line, n.col));
        Ok(a)
    }

    /// Axes until a keyword, `->`, `)`, `]`, `;` or the end; parentheses around them are
    /// allowed (`(x y) -> i`).
    pub(super) fn axis_list(&mut self, cur: &mut Cursor, usage: AxisUse) -> R<Vec<AxisId>> {
        let paren = cur.eat("(");
        let mut out = Vec::new();
        while cur.at_name_except(KEYWORDS) {
            out.push(self.axis(cur, usage, None, "an axis name")?);
        }
        if paren {
            cur.expect(")", "an axis name or ')'")?;
        }
        Ok(out)
    }

    /// `[a b c]`.
    pub(super) fn bracket_axes(&mut self, cur: &mut Cursor, usage: AxisUse) -> R<Vec<AxisId>> {
        cur.expect("[", "'[' starting a list of axes")?;
        let mut out = Vec::new();
        while !cur.peek_is("]") {
            let (l, c) = cur.here();
            let a = self.axis(cur, usage, None, "an axis name or ']'")?;
            if out.contains(&a) {
                return Err(crate::parse::error::TextError::syntax(
                    l,
                    c,
                    format!("axis `{}` is listed twice", self.b.circuit().axis_label(a)),
                ));
            }
            out.push(a);
        }
        cur.bump();
        Ok(out)
    }

    /// Registers an axis the builder made (a linear map's twin input axis).
    pub(super) fn adopt_axis(&mut self, a: AxisId, at: (usize, usize)) {
        let name = self.b.circuit().axis(a).name.clone();
        let key = if self.axes.contains_key(&name) {
            format!("{name}#{}", a.0)
        } else {
            name
        };
        self.axes.insert(key.clone(), a);
        self.axis_lines.insert(key, at);
    }
}

/// Whether `s` can be a size symbol: what [`SizeExpr::parse`] and `--bind` accept.
pub(super) fn is_symbol(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}
