//! Size formulas as a legend shows them: simplified, so a chain of valid convolutions reads
//! `⌊S/4⌋ - 3` rather than `((S - 2 - 2 - 2)//2 + 1 - 2 - 2 - 2)//2 + 1`.
//!
//! A formula is brought to a normal form: a sum of integer multiples of products of atoms,
//! where an atom is a size symbol or a division whose numerator is itself in normal form.
//! Divisions by a constant lose every part of their numerator the constant divides (for a
//! floor, `⌊(d·q + r)/d⌋ = q + ⌊r/d⌋` with `q` integer), common factors cancel, and a floor of
//! a division becomes one division (`⌊⌊a/b⌋/c⌋ = ⌊a/(b·c)⌋`). Every step is exact over the
//! integers, and the value of the simplified formula is what [`eval`] returns.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use nc_diagram::size::{Bindings, SizeExpr};

/// One factor of a product.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Atom {
    Sym(String),
    /// `num / den` (exact) or `⌊num / den⌋` (floor).
    Div {
        num: Lin,
        den: Lin,
        floor: bool,
    },
}

/// A product of atoms, sorted.
type Mono = Vec<Atom>;

/// A sum of integer multiples of products: the normal form.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lin(BTreeMap<Mono, i64>);

impl Lin {
    fn constant(c: i64) -> Lin {
        let mut l = Lin::default();
        if c != 0 {
            l.0.insert(Vec::new(), c);
        }
        l
    }

    fn atom(a: Atom) -> Lin {
        let mut l = Lin::default();
        l.0.insert(vec![a], 1);
        l
    }

    fn as_const(&self) -> Option<i64> {
        match self.0.len() {
            0 => Some(0),
            1 => self.0.get(&Vec::new()).copied(),
            _ => None,
        }
    }

    fn plus(&self, o: &Lin) -> Lin {
        let mut r = self.clone();
        for (m, c) in &o.0 {
            *r.0.entry(m.clone()).or_insert(0) += c;
        }
        r.0.retain(|_, c| *c != 0);
        r
    }

    fn scale(&self, k: i64) -> Lin {
        let mut r = Lin::default();
        for (m, c) in &self.0 {
            if c * k != 0 {
                r.0.insert(m.clone(), c * k);
            }
        }
        r
    }

    fn times(&self, o: &Lin) -> Lin {
        let mut r = Lin::default();
        for (ma, ca) in &self.0 {
            for (mb, cb) in &o.0 {
                let mut m: Mono = ma.iter().chain(mb).cloned().collect();
                m.sort();
                *r.0.entry(m).or_insert(0) += ca * cb;
            }
        }
        r.0.retain(|_, c| *c != 0);
        r
    }

    /// The greatest common divisor of the coefficients (0 for the zero formula).
    fn content(&self) -> i64 {
        self.0.values().fold(0, |g, c| gcd(g, c.abs()))
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The normal form of a size expression.
#[must_use]
pub fn normal(e: &SizeExpr) -> Lin {
    match e {
        SizeExpr::Lit(v) => Lin::constant(*v),
        SizeExpr::Sym(s) => Lin::atom(Atom::Sym(s.clone())),
        SizeExpr::Add(a, b) => normal(a).plus(&normal(b)),
        SizeExpr::Sub(a, b) => normal(a).plus(&normal(b).scale(-1)),
        SizeExpr::Mul(a, b) => normal(a).times(&normal(b)),
        SizeExpr::ExactDiv(a, b) => divide(normal(a), normal(b), false),
        SizeExpr::FloorDiv(a, b) => divide(normal(a), normal(b), true),
    }
}

/// `num / den` or `⌊num / den⌋`, simplified when `den` is a positive constant.
fn divide(num: Lin, den: Lin, floor: bool) -> Lin {
    let Some(d) = den.as_const().filter(|d| *d > 0) else {
        return Lin::atom(Atom::Div { num, den, floor });
    };
    if d == 1 {
        return num;
    }
    // a numerator that is one floor plus an integer part: ⌊(⌊a/b⌋ + p)/d⌋ = ⌊(a + b·p)/(b·d)⌋
    if floor {
        let inner = num.0.iter().find_map(|(m, c)| match (m.as_slice(), c) {
            (
                [
                    Atom::Div {
                        num: a,
                        den: b,
                        floor: true,
                    },
                ],
                1,
            ) => b
                .as_const()
                .filter(|b| *b > 0)
                .map(|b| (m.clone(), a.clone(), b)),
            _ => None,
        });
        if let Some((m, a, b)) = inner {
            let mut rest = num.clone();
            rest.0.remove(&m);
            // the rest must be integer-valued: no further divisions in it
            if rest.0.keys().flatten().all(|x| matches!(x, Atom::Sym(_))) {
                return divide(a.plus(&rest.scale(b)), Lin::constant(b * d), true);
            }
        }
    }
    // common factors cancel
    let g = gcd(num.content(), d);
    let (num, d) = if g > 1 {
        (
            Lin(num.0.iter().map(|(m, c)| (m.clone(), c / g)).collect()),
            d / g,
        )
    } else {
        (num, d)
    };
    if d == 1 {
        return num;
    }
    if !floor {
        return Lin::atom(Atom::Div {
            num,
            den: Lin::constant(d),
            floor,
        });
    }
    // ⌊(d·q + r)/d⌋ = q + ⌊r/d⌋: every term d divides comes out, with the constant's quotient
    let mut q = Lin::default();
    let mut r = Lin::default();
    for (m, c) in &num.0 {
        if m.is_empty() {
            q = q.plus(&Lin::constant(c.div_euclid(d)));
            r = r.plus(&Lin::constant(c.rem_euclid(d)));
        } else if c % d == 0 {
            q.0.insert(m.clone(), c / d);
        } else {
            r.0.insert(m.clone(), *c);
        }
    }
    if r.0.is_empty() {
        return q;
    }
    q.plus(&Lin::atom(Atom::Div {
        num: r,
        den: Lin::constant(d),
        floor: true,
    }))
}

/// The value of a normal form under `b`; `None` when a symbol is unbound, a division is not
/// exact or by zero, or the arithmetic overflows.
#[must_use]
pub fn eval(l: &Lin, b: &Bindings) -> Option<i64> {
    let mut total: i64 = 0;
    for (m, c) in &l.0 {
        let mut v = *c;
        for a in m {
            v = v.checked_mul(eval_atom(a, b)?)?;
        }
        total = total.checked_add(v)?;
    }
    Some(total)
}

fn eval_atom(a: &Atom, b: &Bindings) -> Option<i64> {
    match a {
        Atom::Sym(s) => b.get(s).copied(),
        Atom::Div { num, den, floor } => {
            let (n, d) = (eval(num, b)?, eval(den, b)?);
            if d == 0 || (!floor && n.rem_euclid(d) != 0) {
                return None;
            }
            Some(n.div_euclid(d))
        }
    }
}

impl Atom {
    /// Whether the atom needs parentheses as a factor of a product or a power.
    fn is_bare(&self) -> bool {
        matches!(self, Atom::Sym(_) | Atom::Div { floor: true, .. })
    }

    fn write(&self, s: &mut String) {
        match self {
            Atom::Sym(n) => s.push_str(n),
            Atom::Div { num, den, floor } => {
                if *floor {
                    s.push('⌊');
                }
                operand(num, s);
                s.push('/');
                operand(den, s);
                if *floor {
                    s.push('⌋');
                }
            }
        }
    }
}

/// A numerator or denominator: bare when a single symbol or constant, else parenthesised.
fn operand(l: &Lin, s: &mut String) {
    let simple = l.0.len() == 1
        && l.0
            .iter()
            .all(|(m, c)| (m.is_empty() && *c >= 0) || (*c == 1 && m.len() == 1 && m[0].is_bare()));
    if simple {
        s.push_str(&l.to_string());
    } else {
        let _ = write!(s, "({l})");
    }
}

impl std::fmt::Display for Lin {
    /// Highest degree first, the constant last: `2·c`, `⌊H/3⌋²`, `⌊S/4⌋ - 3`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_empty() {
            return write!(f, "0");
        }
        let mut terms: Vec<(&Mono, &i64)> = self.0.iter().collect();
        terms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        let mut s = String::new();
        for (i, (m, c)) in terms.into_iter().enumerate() {
            let neg = *c < 0;
            if i > 0 {
                s.push_str(if neg { " - " } else { " + " });
            } else if neg {
                s.push('-');
            }
            let c = c.abs();
            let mut parts: Vec<String> = Vec::new();
            if c != 1 || m.is_empty() {
                parts.push(c.to_string());
            }
            // repeated factors as powers
            let mut j = 0;
            while j < m.len() {
                let mut k = j;
                while k < m.len() && m[k] == m[j] {
                    k += 1;
                }
                let mut a = String::new();
                m[j].write(&mut a);
                let lone = m.len() == 1 && c == 1;
                if !m[j].is_bare() && (k - j > 1 || !lone) {
                    a = format!("({a})");
                }
                if k - j > 1 {
                    a.push_str(&crate::labels::superscript(k - j));
                }
                parts.push(a);
                j = k;
            }
            s.push_str(&parts.join("·"));
        }
        f.write_str(&s)
    }
}

/// The simplified formula of a size expression, as text.
///
/// ```
/// use nc_diagram::size::SizeExpr;
/// use nc_diagram_draw::formula::pretty;
/// let e = SizeExpr::parse("((S - 2 - 2 - 2)//2 + 1 - 2 - 2 - 2)//2 + 1").unwrap();
/// assert_eq!(pretty(&e), "⌊S/4⌋ - 3");
/// assert_eq!(pretty(&SizeExpr::parse("16*n/4").unwrap()), "4·n");
/// ```
#[must_use]
pub fn pretty(e: &SizeExpr) -> String {
    normal(e).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        pretty(&SizeExpr::parse(s).unwrap())
    }

    #[test]
    fn simplifies_the_shapes_the_zoo_writes() {
        assert_eq!(p("(H - 3)//3 + 1"), "⌊H/3⌋");
        assert_eq!(p("((H - 3)//3 + 1)*((H - 3)//3 + 1)"), "⌊H/3⌋²");
        assert_eq!(p("(H - 1)//2 + 1"), "⌊(H + 1)/2⌋");
        assert_eq!(p("S - 2 - 2"), "S - 4");
        assert_eq!(p("(S - 2 - 2 - 2)//2 + 1"), "⌊S/2⌋ - 2");
        assert_eq!(p("2*c/16"), "c/8");
        assert_eq!(p("2*c*4"), "8·c");
        assert_eq!(p("4*n/4"), "n");
        assert_eq!(p("m / h"), "m/h");
        assert_eq!(p("H/8*(H/8)"), "(H/8)²");
        assert_eq!(p("3*((H - 3)//3 + 1)"), "3·⌊H/3⌋");
        assert_eq!(p("2 + n"), "n + 2");
        assert_eq!(p("7"), "7");
        assert_eq!(p("b"), "b");
        assert_eq!(p("(x - y)/2"), "(x - y)/2");
    }

    /// Simplification keeps the value: checked against the original expression's own
    /// evaluation at many bindings.
    #[test]
    fn keeps_the_value() {
        let exprs = [
            "((S - 2 - 2 - 2)//2 + 1 - 2 - 2 - 2)//2 + 1",
            "2*(((S - 6)//2 + 1 - 4) - 2) - 2",
            "(H - 1)//2 + 1",
            "((H - 1)//2 + 1 - 1)//2 + 1",
            "(((H - 1)//2 + 1 - 1)//2 + 1 - 8)//8 + 1",
            "((H - 3)//3 + 1)*((H - 3)//3 + 1)",
            "(2*H + 3)//4 - (H + 1)//2",
            "(H/4 + 5)//3",
            "3*H//6",
        ];
        for s in exprs {
            let e = SizeExpr::parse(s).unwrap();
            let l = normal(&e);
            for h in [8, 9, 16, 17, 31, 32, 64, 100, 572, 573] {
                let b: Bindings = [("S".to_owned(), h), ("H".to_owned(), h)].into();
                let want = e.eval(&b).ok();
                assert_eq!(eval(&l, &b), want, "{s} at {h}: {l}");
            }
        }
    }
}
