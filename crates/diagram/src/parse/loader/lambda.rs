//! λ-indexed repeats, `block NAME repeat N as λ [from K] { … }`: the body runs N times with
//! λ = K, K+1, …, K+N−1 (K = 1 unless given, as the paper's λ = 1 … N). Before each run the
//! body's source text is rewritten: `{expr}` becomes the value of `expr` (whole numbers, λ,
//! `+ - * / ^` and parentheses; `/` must divide exactly), wherever it stands, in a name
//! (`c{λ}`, `C{5-λ}`, `kp#{2*λ+7}`, `"Down[{λ-1}].x"`) or alone; a bare word `λ` outside
//! quotes becomes the number, so sizes may use it (`c*2^λ`).

use super::cursor::{Cursor, Name, R};
use super::{Loader, unknown};
use crate::parse::error::TextError;
use crate::parse::lexer::{Line, is_name_char, lex_line};

/// Largest magnitude an interpolated value may take (as a size literal, 2^40).
const MAX_VALUE: i64 = 1 << 40;

/// Whether the character at `i` starts a comment: a `#` not glued to a name as its tag
/// (`kH#5`, `kH#{λ}`, `kx{λ}#{2*λ}`).
fn comment_at(cs: &[char], i: usize) -> bool {
    cs[i] == '#'
        && !(i > 0
            && (is_name_char(cs[i - 1]) || cs[i - 1] == '"' || cs[i - 1] == '}')
            && cs
                .get(i + 1)
                .is_some_and(|c| c.is_ascii_digit() || *c == '{'))
}

fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in s.chars().chain(std::iter::once(' ')) {
        if is_name_char(c) && !(cur.is_empty() && c.is_ascii_digit()) {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    out
}

/// `line` (source line `number`) with `var = value` substituted. A `{…}` group naming only
/// `var` is replaced by its value; one naming a name in `deferred` (the index of a block
/// nested inside) is left for that block; any other name is an error. A `{` with no `}`
/// after it on the line (a block's opening brace) is kept.
pub(super) fn substitute(
    line: &str,
    number: usize,
    var: &str,
    value: i64,
    deferred: &[String],
) -> Result<String, TextError> {
    let cs: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    let mut quoted = false;
    while i < cs.len() {
        let c = cs[i];
        if !quoted && comment_at(&cs, i) {
            out.extend(&cs[i..]);
            break;
        }
        if c == '"' && !(quoted && i > 0 && cs[i - 1] == '\\') {
            quoted = !quoted;
        }
        if c == '{'
            && let Some(len) = cs[i + 1..].iter().position(|c| *c == '}')
        {
            let inner: String = cs[i + 1..i + 1 + len].iter().collect();
            let names = words(&inner);
            if let Some(other) = names.iter().find(|n| *n != var) {
                if !deferred.contains(other) {
                    return Err(TextError::syntax(
                        number,
                        i + 1,
                        format!(
                            "unknown name `{other}` in `{{{inner}}}`: the repeat index here is \
                             `{var}`"
                        ),
                    ));
                }
                out.extend(&cs[i..i + len + 2]);
            } else {
                let v = eval(&inner, var, value).map_err(|why| {
                    TextError::syntax(
                        number,
                        i + 1,
                        format!("`{{{inner}}}` with {var} = {value}: {why}"),
                    )
                })?;
                out.push_str(&v.to_string());
            }
            i += len + 2;
            continue;
        }
        // a bare word equal to the index, outside quotes
        if !quoted && (i == 0 || !is_name_char(cs[i - 1])) && starts_word(&cs, i, var) {
            out.push_str(&value.to_string());
            i += var.chars().count();
            continue;
        }
        out.push(c);
        i += 1;
    }
    Ok(out)
}

fn starts_word(cs: &[char], i: usize, w: &str) -> bool {
    let wc: Vec<char> = w.chars().collect();
    cs.len() >= i + wc.len()
        && cs[i..i + wc.len()] == wc[..]
        && cs.get(i + wc.len()).is_none_or(|c| !is_name_char(*c))
}

/// Evaluates an index expression: whole numbers, `var`, `+ - * / ^`, parentheses.
pub(super) fn eval(s: &str, var: &str, value: i64) -> Result<i64, String> {
    let toks = tokens(s, var, value)?;
    let mut p = Parser { toks: &toks, at: 0 };
    let v = p.sum(0)?;
    if p.at != toks.len() {
        return Err(format!("unexpected `{}`", p.toks[p.at].show()));
    }
    Ok(v)
}

#[derive(Clone, Copy, PartialEq)]
enum T {
    Num(i64),
    Op(char),
}

impl T {
    fn show(self) -> String {
        match self {
            T::Num(n) => n.to_string(),
            T::Op(c) => c.to_string(),
        }
    }
}

fn tokens(s: &str, var: &str, value: i64) -> Result<Vec<T>, String> {
    let cs: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let st = i;
            while i < cs.len() && cs[i].is_ascii_digit() {
                i += 1;
            }
            let n: String = cs[st..i].iter().collect();
            out.push(T::Num(n.parse().map_err(|_| format!("{n} is too large"))?));
        } else if "+-*/^()".contains(c) || c == '−' {
            out.push(T::Op(if c == '−' { '-' } else { c }));
            i += 1;
        } else if starts_word(&cs, i, var) {
            out.push(T::Num(value));
            i += var.chars().count();
        } else {
            return Err(format!(
                "unexpected `{c}`; expected whole numbers, {var}, + - * / ^ and parentheses"
            ));
        }
    }
    if out.is_empty() {
        return Err("the expression is empty".into());
    }
    Ok(out)
}

struct Parser<'a> {
    toks: &'a [T],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<T> {
        self.toks.get(self.at).copied()
    }
    fn sum(&mut self, depth: usize) -> Result<i64, String> {
        let mut l = self.product(depth)?;
        while let Some(T::Op(o @ ('+' | '-'))) = self.peek() {
            self.at += 1;
            let r = self.product(depth)?;
            l = if o == '+' {
                l.checked_add(r)
            } else {
                l.checked_sub(r)
            }
            .filter(|v| v.abs() <= MAX_VALUE)
            .ok_or("the value is too large")?;
        }
        Ok(l)
    }
    fn product(&mut self, depth: usize) -> Result<i64, String> {
        let mut l = self.power(depth)?;
        while let Some(T::Op(o @ ('*' | '/'))) = self.peek() {
            self.at += 1;
            let r = self.power(depth)?;
            l = if o == '*' {
                l.checked_mul(r)
                    .filter(|v| v.abs() <= MAX_VALUE)
                    .ok_or("the value is too large")?
            } else if r == 0 || l % r != 0 {
                return Err(format!("{l}/{r} is not a whole number"));
            } else {
                l / r
            };
        }
        Ok(l)
    }
    fn power(&mut self, depth: usize) -> Result<i64, String> {
        let base = self.atom(depth)?;
        if self.peek() != Some(T::Op('^')) {
            return Ok(base);
        }
        self.at += 1;
        let e = self.power(depth)?;
        if e < 0 {
            return Err(format!("{base}^{e}: the power must not be negative"));
        }
        u32::try_from(e)
            .ok()
            .and_then(|e| base.checked_pow(e))
            .filter(|v| v.abs() <= MAX_VALUE)
            .ok_or_else(|| format!("{base}^{e} is too large"))
    }
    fn atom(&mut self, depth: usize) -> Result<i64, String> {
        match self.peek() {
            Some(T::Num(n)) => {
                self.at += 1;
                Ok(n)
            }
            Some(T::Op('-')) => {
                self.at += 1;
                Ok(-self.atom(depth)?)
            }
            Some(T::Op('(')) if depth < 32 => {
                self.at += 1;
                let v = self.sum(depth + 1)?;
                if self.peek() != Some(T::Op(')')) {
                    return Err("expected ')'".into());
                }
                self.at += 1;
                Ok(v)
            }
            Some(t) => Err(format!("unexpected `{}`", t.show())),
            None => Err("the expression ends early".into()),
        }
    }
}

impl Loader {
    /// `as λ [from K]` after `repeat N`: the index's name and first value (1 unless given).
    pub(super) fn repeat_index(&self, cur: &mut Cursor, block: &Name) -> R<Option<(String, i64)>> {
        if !cur.eat_word("as") {
            return Ok(None);
        }
        let var = cur.plain_name("the repeat index's name after 'as' (as in `as λ`)")?;
        if self.b.circuit().sizes.contains_key(&var.text) {
            return Err(var.err(format!(
                "block `{}`: the repeat index `{}` is also a size; give it another name",
                block.text, var.text
            )));
        }
        let from = if cur.eat_word("from") {
            let neg = cur.eat("-");
            let v = cur.int("the index's first value after 'from'")?;
            if neg { -v } else { v }
        } else {
            1
        };
        Ok(Some((var.text, from)))
    }

    /// `with x = v, …` after `as λ`: in the first iteration `x` is the value `v` (the loop's
    /// input, which later iterations carry from the previous one). Returns (x, key of v).
    pub(super) fn first_inputs(&self, cur: &mut Cursor) -> R<Vec<(String, String)>> {
        let mut out = Vec::new();
        if !cur.eat_word("with") {
            return Ok(out);
        }
        loop {
            let x = cur.plain_name("the carried name after 'with'")?;
            cur.expect("=", "'=' and the value the first iteration reads")?;
            let v = cur.plain_name("the value the first iteration reads")?;
            let key = self
                .open
                .iter()
                .rev()
                .map(|b| format!("{}.{}", b.prefix, v.text))
                .chain(std::iter::once(v.text.clone()))
                .find(|k| self.values.contains_key(k))
                .ok_or_else(|| v.err(unknown("value", &v.text, self.values.keys())))?;
            out.push((x.text, key));
            if !cur.eat(",") {
                return Ok(out);
            }
        }
    }
}

/// The body of a λ-indexed repeat with `var = value` substituted (see the module doc); the
/// indices of blocks nested inside are left for them.
pub(super) fn lambda_body(lines: &[Line], var: &str, value: i64) -> R<Vec<Line>> {
    let mut nested: Vec<String> = Vec::new();
    for l in lines {
        if l.tokens.first().and_then(|t| t.word()) != Some("block") {
            continue;
        }
        let Some(at) = l.tokens.iter().position(|t| t.word() == Some("as")) else {
            continue;
        };
        if let Some(t) = l.tokens.get(at + 1).filter(|t| t.word().is_some()) {
            if t.word() == Some(var) {
                return Err(TextError::syntax(
                    l.number,
                    t.col,
                    format!(
                        "`{var}` is already the repeat index of an enclosing block; give this \
                         one another name"
                    ),
                ));
            }
            nested.extend(t.word().map(str::to_string));
        }
    }
    lines
        .iter()
        .map(|l| {
            let text = substitute(&l.text, l.number, var, value, &nested)?;
            lex_line(&text, l.number)
        })
        .collect()
}

/// A `{` that neither opens a block (last on its line) nor was replaced by a repeat index.
pub(super) fn stray_braces(line: &Line) -> R<()> {
    let n = line.tokens.len();
    match line
        .tokens
        .iter()
        .enumerate()
        .find(|(i, t)| t.is("{") && i + 1 != n)
    {
        Some((_, t)) => Err(TextError::syntax(
            line.number,
            t.col,
            "`{…}` stands for the value of a repeat index, which exists only inside \
             `block NAME repeat N as λ { … }`",
        )),
        None => Ok(()),
    }
}

/// The index of the line with the `}` that closes the block opened on line `open`.
pub(super) fn matching_close(lines: &[Line], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, l) in lines.iter().enumerate().skip(open) {
        if l.tokens.last().is_some_and(|t| t.is("{")) {
            depth += 1;
        } else if l.tokens.first().is_some_and(|t| t.is("}")) {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(eval("λ", "λ", 3), Ok(3));
        assert_eq!(eval("5-λ", "λ", 3), Ok(2));
        assert_eq!(eval("2^λ*3", "λ", 3), Ok(24));
        assert_eq!(eval("(λ+1)/2", "λ", 3), Ok(2));
        assert_eq!(eval("λ/2", "λ", 3), Err("3/2 is not a whole number".into()));
        assert!(eval("2^-1", "λ", 3).is_err());
        assert!(eval("μ", "λ", 3).unwrap_err().contains("unexpected `μ`"));
    }

    #[test]
    fn substitution() {
        let s = |l: &str| substitute(l, 1, "λ", 2, &["μ".into()]);
        assert_eq!(s("y{λ} = conv x{λ-1} c*2^λ").unwrap(), "y2 = conv x1 c*2^2");
        assert_eq!(
            s("a = load \"C{5-λ}\" # {λ} kept").unwrap(),
            "a = load \"C3\" # {λ} kept"
        );
        assert_eq!(s("k = kp#{2*λ+1}").unwrap(), "k = kp#5");
        assert_eq!(s("k = kx{λ}#{2*λ+1}").unwrap(), "k = kx2#5");
        assert_eq!(
            s("block B repeat 2 as μ {").unwrap(),
            "block B repeat 2 as μ {"
        );
        assert_eq!(s("x{μ} = relu λa").unwrap(), "x{μ} = relu λa");
        let e = s("x{ν} = relu a").unwrap_err().to_string();
        assert_eq!(
            e,
            "1:2: unknown name `ν` in `{ν}`: the repeat index here is `λ`"
        );
    }
}
