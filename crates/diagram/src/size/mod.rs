//! Symbolic axis sizes: integer expressions over size symbols with `+ − × ÷`, exact (`/`)
//! and floor (`//`) division, and constraints between them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

mod poly;
pub use poly::Poly;

/// Values bound to size symbols, e.g. `h = 8`.
pub type Bindings = BTreeMap<String, i64>;

/// An integer size expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SizeExpr {
    /// A literal.
    Lit(i64),
    /// A size symbol, bound later.
    Sym(String),
    /// `a + b`.
    Add(Box<SizeExpr>, Box<SizeExpr>),
    /// `a − b`.
    Sub(Box<SizeExpr>, Box<SizeExpr>),
    /// `a × b`.
    Mul(Box<SizeExpr>, Box<SizeExpr>),
    /// `a / b`, which must divide exactly.
    ExactDiv(Box<SizeExpr>, Box<SizeExpr>),
    /// `a // b`, rounding down; the checker warns when it drops a remainder.
    FloorDiv(Box<SizeExpr>, Box<SizeExpr>),
}

/// Why a size expression could not be evaluated.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SizeError {
    /// A symbol has no value.
    #[error("size symbol `{0}` is not bound")]
    Unbound(String),
    /// An exact division left a remainder.
    #[error("`{expr}` is not exact: {num} is not divisible by {den}")]
    NotDivisible {
        /// The division, as written.
        expr: String,
        /// Its numerator's value.
        num: i64,
        /// Its denominator's value.
        den: i64,
    },
    /// Division by zero.
    #[error("`{0}` divides by zero")]
    DivByZero(String),
    /// A size formula with more nodes than allowed.
    #[error(
        "a size formula of {nodes} terms is too complex (at most {max}); give the axis a size \
         of its own"
    )]
    TooComplex {
        /// Its number of nodes.
        nodes: usize,
        /// The limit.
        max: usize,
    },
    /// A value past the integer range (i64 for sizes, i128 for costs).
    #[error("{0} overflows")]
    Overflow(String),
    /// A size expression could not be parsed.
    #[error("cannot parse size `{text}`: {why}")]
    Parse {
        /// The text.
        text: String,
        /// What went wrong.
        why: String,
    },
}

/// A floor division that dropped a remainder during evaluation (16 → 15 data loss).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossyDiv {
    /// The division, as written.
    pub expr: String,
    /// Numerator value.
    pub num: i64,
    /// Denominator value.
    pub den: i64,
}

impl SizeExpr {
    /// A literal.
    pub fn lit(v: i64) -> Self {
        SizeExpr::Lit(v)
    }
    /// A symbol.
    pub fn sym(name: &str) -> Self {
        SizeExpr::Sym(name.to_string())
    }
    /// The literal value, if constant.
    pub fn as_lit(&self) -> Option<i64> {
        match self {
            SizeExpr::Lit(v) => Some(*v),
            _ => None,
        }
    }
    /// `self + o`, folding constants (unless the sum overflows: then evaluating it says so).
    pub fn add(&self, o: &SizeExpr) -> SizeExpr {
        match (self.as_lit(), o.as_lit()) {
            (Some(a), Some(b)) if a.checked_add(b).is_some() => SizeExpr::Lit(a + b),
            (Some(0), _) => o.clone(),
            (_, Some(0)) => self.clone(),
            _ => SizeExpr::Add(Box::new(self.clone()), Box::new(o.clone())),
        }
    }
    /// `self − o`, folding constants.
    pub fn sub(&self, o: &SizeExpr) -> SizeExpr {
        match (self.as_lit(), o.as_lit()) {
            (Some(a), Some(b)) if a.checked_sub(b).is_some() => SizeExpr::Lit(a - b),
            (_, Some(0)) => self.clone(),
            _ => SizeExpr::Sub(Box::new(self.clone()), Box::new(o.clone())),
        }
    }
    /// `self × o`, folding constants.
    pub fn mul(&self, o: &SizeExpr) -> SizeExpr {
        match (self.as_lit(), o.as_lit()) {
            (Some(a), Some(b)) if a.checked_mul(b).is_some() => SizeExpr::Lit(a * b),
            (Some(1), _) => o.clone(),
            (_, Some(1)) => self.clone(),
            _ => SizeExpr::Mul(Box::new(self.clone()), Box::new(o.clone())),
        }
    }
    /// `self / o`, exact.
    pub fn exact_div(&self, o: &SizeExpr) -> SizeExpr {
        match (self.as_lit(), o.as_lit()) {
            (Some(a), Some(b)) if a.checked_rem(b) == Some(0) => SizeExpr::Lit(a / b),
            (_, Some(1)) => self.clone(),
            _ => SizeExpr::ExactDiv(Box::new(self.clone()), Box::new(o.clone())),
        }
    }
    /// `self // o`, floor.
    pub fn floor_div(&self, o: &SizeExpr) -> SizeExpr {
        match (self.as_lit(), o.as_lit()) {
            (Some(a), Some(b)) if a.checked_div_euclid(b).is_some() => {
                SizeExpr::Lit(a.div_euclid(b))
            }
            (_, Some(1)) => self.clone(),
            _ => SizeExpr::FloorDiv(Box::new(self.clone()), Box::new(o.clone())),
        }
    }
    /// The product of several expressions (1 when empty).
    pub fn product<'a>(items: impl IntoIterator<Item = &'a SizeExpr>) -> SizeExpr {
        items
            .into_iter()
            .fold(SizeExpr::Lit(1), |acc, e| acc.mul(e))
    }

    /// Evaluates under `b`.
    pub fn eval(&self, b: &Bindings) -> Result<i64, SizeError> {
        self.eval_traced(b, &mut Vec::new())
    }

    /// Evaluates under `b`, recording every floor division that dropped a remainder.
    pub fn eval_traced(&self, b: &Bindings, lossy: &mut Vec<LossyDiv>) -> Result<i64, SizeError> {
        let ov = || SizeError::Overflow(format!("`{self}`"));
        Ok(match self {
            SizeExpr::Lit(v) => *v,
            SizeExpr::Sym(s) => *b.get(s).ok_or_else(|| SizeError::Unbound(s.clone()))?,
            SizeExpr::Add(x, y) => x
                .eval_traced(b, lossy)?
                .checked_add(y.eval_traced(b, lossy)?)
                .ok_or_else(ov)?,
            SizeExpr::Sub(x, y) => x
                .eval_traced(b, lossy)?
                .checked_sub(y.eval_traced(b, lossy)?)
                .ok_or_else(ov)?,
            SizeExpr::Mul(x, y) => x
                .eval_traced(b, lossy)?
                .checked_mul(y.eval_traced(b, lossy)?)
                .ok_or_else(ov)?,
            SizeExpr::ExactDiv(x, y) | SizeExpr::FloorDiv(x, y) => {
                let (n, d) = (x.eval_traced(b, lossy)?, y.eval_traced(b, lossy)?);
                if d == 0 {
                    return Err(SizeError::DivByZero(self.to_string()));
                }
                let (Some(q), Some(r)) = (n.checked_div_euclid(d), n.checked_rem_euclid(d)) else {
                    return Err(ov());
                };
                if r != 0 {
                    if matches!(self, SizeExpr::ExactDiv(..)) {
                        return Err(SizeError::NotDivisible {
                            expr: self.to_string(),
                            num: n,
                            den: d,
                        });
                    }
                    lossy.push(LossyDiv {
                        expr: self.to_string(),
                        num: n,
                        den: d,
                    });
                }
                q
            }
        })
    }

    /// Most nodes an axis size may have when an operation derives it from other sizes
    /// (a chain of concatenations adds one term per link): evaluating, printing and
    /// dropping a size recurse over it, and every derived size copies its parts.
    pub const MAX_NODES: usize = 512;

    /// Number of nodes (literals, symbols and operators).
    pub fn nodes(&self) -> usize {
        match self {
            SizeExpr::Lit(_) | SizeExpr::Sym(_) => 1,
            SizeExpr::Add(a, b)
            | SizeExpr::Sub(a, b)
            | SizeExpr::Mul(a, b)
            | SizeExpr::ExactDiv(a, b)
            | SizeExpr::FloorDiv(a, b) => 1 + a.nodes() + b.nodes(),
        }
    }

    /// `Ok(self)` when it has at most [`SizeExpr::MAX_NODES`] nodes.
    pub fn bounded(self) -> Result<SizeExpr, SizeError> {
        match self.nodes() {
            n if n > Self::MAX_NODES => Err(SizeError::TooComplex {
                nodes: n,
                max: Self::MAX_NODES,
            }),
            _ => Ok(self),
        }
    }

    /// The symbols this expression mentions, sorted.
    pub fn symbols(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_symbols(&mut out);
        out.sort();
        out.dedup();
        out
    }

    fn collect_symbols(&self, out: &mut Vec<String>) {
        match self {
            SizeExpr::Lit(_) => {}
            SizeExpr::Sym(s) => out.push(s.clone()),
            SizeExpr::Add(a, b)
            | SizeExpr::Sub(a, b)
            | SizeExpr::Mul(a, b)
            | SizeExpr::ExactDiv(a, b)
            | SizeExpr::FloorDiv(a, b) => {
                a.collect_symbols(out);
                b.collect_symbols(out);
            }
        }
    }

    fn prec(&self) -> u8 {
        match self {
            SizeExpr::Lit(_) | SizeExpr::Sym(_) => 3,
            SizeExpr::Mul(..) | SizeExpr::ExactDiv(..) | SizeExpr::FloorDiv(..) => 2,
            SizeExpr::Add(..) | SizeExpr::Sub(..) => 1,
        }
    }

    /// Parses `"(x + 2*p - 3) // s + 1"`; `×`, `·`, `÷` and `−` are accepted too. At most
    /// 256 tokens and 32 nested parentheses, so that no later recursion over the expression
    /// can exhaust the stack.
    pub fn parse(text: &str) -> Result<SizeExpr, SizeError> {
        let toks = tokenize(text)?;
        if toks.len() > 256 {
            return Err(SizeError::Parse {
                text: text.chars().take(40).chain("…".chars()).collect(),
                why: "more than 256 tokens".into(),
            });
        }
        let mut p = Parser {
            toks: &toks,
            pos: 0,
            text,
            depth: 0,
        };
        let e = p.expr()?;
        if p.pos != toks.len() {
            return Err(p.err("unexpected trailing input"));
        }
        Ok(e)
    }
}

impl fmt::Display for SizeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wrap = |f: &mut fmt::Formatter<'_>, e: &SizeExpr, min: u8| -> fmt::Result {
            if e.prec() < min {
                write!(f, "({e})")
            } else {
                write!(f, "{e}")
            }
        };
        match self {
            SizeExpr::Lit(v) => write!(f, "{v}"),
            SizeExpr::Sym(s) => write!(f, "{s}"),
            SizeExpr::Add(a, b) => {
                wrap(f, a, 1)?;
                write!(f, " + ")?;
                wrap(f, b, 2)
            }
            SizeExpr::Sub(a, b) => {
                wrap(f, a, 1)?;
                write!(f, " - ")?;
                wrap(f, b, 2)
            }
            SizeExpr::Mul(a, b) | SizeExpr::ExactDiv(a, b) | SizeExpr::FloorDiv(a, b) => {
                let op = match self {
                    SizeExpr::Mul(..) => "*",
                    SizeExpr::ExactDiv(..) => "/",
                    _ => "//",
                };
                wrap(f, a, 2)?;
                write!(f, "{op}")?;
                wrap(f, b, 3)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(i64),
    Id(String),
    Op(&'static str),
}

fn tokenize(text: &str) -> Result<Vec<Tok>, SizeError> {
    let mut out = Vec::new();
    let cs: Vec<char> = text.chars().collect();
    let mut i = 0;
    let err = |why: &str| SizeError::Parse {
        text: text.to_string(),
        why: why.to_string(),
    };
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let s = i;
            while i < cs.len() && cs[i].is_ascii_digit() {
                i += 1;
            }
            let t: String = cs[s..i].iter().collect();
            out.push(Tok::Num(t.parse().map_err(|_| err("number too large"))?));
        } else if c.is_alphabetic() || c == '_' {
            let s = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || cs[i] == '_') {
                i += 1;
            }
            out.push(Tok::Id(cs[s..i].iter().collect()));
        } else {
            let op = match c {
                '+' => "+",
                '-' | '−' => "-",
                '*' | '×' | '·' => "*",
                '÷' => "/",
                '(' => "(",
                ')' => ")",
                '/' if cs.get(i + 1) == Some(&'/') => {
                    i += 1;
                    "//"
                }
                '/' => "/",
                _ => return Err(err(&format!("unexpected character `{c}`"))),
            };
            out.push(Tok::Op(op));
            i += 1;
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: &'a [Tok],
    pos: usize,
    text: &'a str,
    /// Parentheses open at the cursor.
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, why: &str) -> SizeError {
        SizeError::Parse {
            text: self.text.to_string(),
            why: why.to_string(),
        }
    }
    fn peek_op(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }
    fn expr(&mut self) -> Result<SizeExpr, SizeError> {
        let mut l = self.term()?;
        while let Some(o @ ("+" | "-")) = self.peek_op() {
            self.pos += 1;
            let r = self.term()?;
            l = if o == "+" {
                SizeExpr::Add(l.into(), r.into())
            } else {
                SizeExpr::Sub(l.into(), r.into())
            };
        }
        Ok(l)
    }
    fn term(&mut self) -> Result<SizeExpr, SizeError> {
        let mut l = self.atom()?;
        while let Some(o @ ("*" | "/" | "//")) = self.peek_op() {
            self.pos += 1;
            let r = self.atom()?;
            l = match o {
                "*" => SizeExpr::Mul(l.into(), r.into()),
                "/" => SizeExpr::ExactDiv(l.into(), r.into()),
                _ => SizeExpr::FloorDiv(l.into(), r.into()),
            };
        }
        Ok(l)
    }
    fn atom(&mut self) -> Result<SizeExpr, SizeError> {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| self.err("unexpected end"))?;
        self.pos += 1;
        match t {
            Tok::Num(v) => Ok(SizeExpr::Lit(v)),
            Tok::Id(s) => Ok(SizeExpr::Sym(s)),
            Tok::Op("(") => {
                if self.depth >= 32 {
                    return Err(self.err("more than 32 nested parentheses"));
                }
                self.depth += 1;
                let e = self.expr()?;
                self.depth -= 1;
                if self.peek_op() != Some(")") {
                    return Err(self.err("missing `)`"));
                }
                self.pos += 1;
                Ok(e)
            }
            Tok::Op(o) => Err(self.err(&format!("unexpected `{o}`"))),
        }
    }
}

/// A relation the sizes must satisfy once bound.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Constraint {
    /// `a == b`.
    Eq(SizeExpr, SizeExpr),
    /// `a >= b`.
    Ge(SizeExpr, SizeExpr),
    /// `d` divides `n`.
    Divides(SizeExpr, SizeExpr),
}

impl Constraint {
    /// Whether the constraint holds under `b`.
    pub fn holds(&self, b: &Bindings) -> Result<bool, SizeError> {
        Ok(match self {
            Constraint::Eq(x, y) => x.eval(b)? == y.eval(b)?,
            Constraint::Ge(x, y) => x.eval(b)? >= y.eval(b)?,
            Constraint::Divides(d, n) => {
                let d = d.eval(b)?;
                n.eval(b)?.checked_rem_euclid(d) == Some(0)
            }
        })
    }
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Constraint::Eq(a, b) => write!(f, "{a} == {b}"),
            Constraint::Ge(a, b) => write!(f, "{a} >= {b}"),
            Constraint::Divides(d, n) => write!(f, "{d} | {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(pairs: &[(&str, i64)]) -> Bindings {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn parse_print_eval() {
        let e = SizeExpr::parse("(x + 2*p - 3) // s + 1").unwrap();
        assert_eq!(e.to_string(), "(x + 2*p - 3)//s + 1");
        assert_eq!(e.eval(&b(&[("x", 16), ("p", 0), ("s", 3)])).unwrap(), 5);
        assert_eq!(SizeExpr::parse(&e.to_string()).unwrap(), e);
        assert_eq!(
            SizeExpr::parse("a − b·c")
                .unwrap()
                .eval(&b(&[("a", 10), ("b", 2), ("c", 3)]))
                .unwrap(),
            4
        );
    }

    #[test]
    fn floor_division_is_traced() {
        let e = SizeExpr::parse("(x - 3)//3 + 1").unwrap();
        let mut lossy = Vec::new();
        assert_eq!(e.eval_traced(&b(&[("x", 16)]), &mut lossy).unwrap(), 5);
        assert_eq!(
            lossy,
            vec![LossyDiv {
                expr: "(x - 3)//3".into(),
                num: 13,
                den: 3
            }]
        );
        lossy.clear();
        e.eval_traced(&b(&[("x", 15)]), &mut lossy).unwrap();
        assert!(lossy.is_empty());
    }

    #[test]
    fn exact_division_errors() {
        let e = SizeExpr::parse("m / h").unwrap();
        assert_eq!(e.eval(&b(&[("m", 128), ("h", 4)])).unwrap(), 32);
        let err = e.eval(&b(&[("m", 130), ("h", 4)])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`m/h` is not exact: 130 is not divisible by 4"
        );
        assert_eq!(
            e.eval(&b(&[("m", 1)])).unwrap_err(),
            SizeError::Unbound("h".into())
        );
    }

    #[test]
    fn poly_normal_form() {
        let e = SizeExpr::parse("2*y*m*k*h + 2*x*m*k*h*2 + k*h*y*m*2").unwrap();
        let p = Poly::from_expr(&e);
        assert_eq!(p.to_string(), "4·h·k·m·x + 4·h·k·m·y");
        assert_eq!(
            p.eval(&b(&[("y", 1), ("x", 2), ("m", 3), ("k", 4), ("h", 5)]))
                .unwrap(),
            4 * 60 * 3
        );
        let q = Poly::from_expr(&SizeExpr::parse("(a+b)*(a-b)").unwrap());
        assert_eq!(q.to_string(), "a^2 - b^2");
    }

    #[test]
    fn constraints() {
        let c = Constraint::Divides(SizeExpr::sym("h"), SizeExpr::sym("m"));
        assert!(c.holds(&b(&[("h", 4), ("m", 128)])).unwrap());
        assert!(!c.holds(&b(&[("h", 3), ("m", 128)])).unwrap());
    }
}
