//! Polynomials in size atoms: the normal form of cost formulas.

use super::{Bindings, SizeError, SizeExpr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A polynomial in size atoms with integer coefficients: the normal form of cost formulas.
///
/// Atoms are symbols, or whole divisions (which are not polynomial) kept as opaque factors.
/// Coefficients are exact: a sum or product whose coefficients leave `i128` marks the
/// polynomial as overflowed, and evaluating it is then an error (never a wrapped number).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poly {
    /// Monomial (sorted atom names) ↦ coefficient.
    terms: BTreeMap<Vec<String>, i128>,
    /// Atom name ↦ its expression.
    atoms: BTreeMap<String, SizeExpr>,
    /// Whether a coefficient overflowed while the polynomial was built.
    overflowed: bool,
}

impl Poly {
    /// The constant `c`.
    pub fn constant(c: i64) -> Poly {
        let mut p = Poly::default();
        if c != 0 {
            p.terms.insert(Vec::new(), i128::from(c));
        }
        p
    }
    /// The polynomial of a size expression.
    pub fn from_expr(e: &SizeExpr) -> Poly {
        match e {
            SizeExpr::Lit(v) => Poly::constant(*v),
            SizeExpr::Sym(s) => {
                let mut p = Poly::default();
                p.terms.insert(vec![s.clone()], 1);
                p.atoms.insert(s.clone(), e.clone());
                p
            }
            SizeExpr::Add(a, b) => Poly::from_expr(a).plus(&Poly::from_expr(b)),
            SizeExpr::Sub(a, b) => Poly::from_expr(a).plus(&Poly::from_expr(b).scale(-1)),
            SizeExpr::Mul(a, b) => Poly::from_expr(a).times(&Poly::from_expr(b)),
            SizeExpr::ExactDiv(..) | SizeExpr::FloorDiv(..) => {
                let name = format!("({e})");
                let mut p = Poly::default();
                p.terms.insert(vec![name.clone()], 1);
                p.atoms.insert(name, e.clone());
                p
            }
        }
    }
    /// The product of several expressions.
    pub fn product_of<'a>(items: impl IntoIterator<Item = &'a SizeExpr>) -> Poly {
        items
            .into_iter()
            .fold(Poly::constant(1), |acc, e| acc.times(&Poly::from_expr(e)))
    }
    /// Sum.
    pub fn plus(&self, o: &Poly) -> Poly {
        let mut r = self.clone();
        r.overflowed |= o.overflowed;
        for (m, c) in &o.terms {
            let slot = r.terms.entry(m.clone()).or_insert(0);
            match slot.checked_add(*c) {
                Some(v) => *slot = v,
                None => r.overflowed = true,
            }
        }
        r.terms.retain(|_, c| *c != 0);
        r.atoms
            .extend(o.atoms.iter().map(|(k, v)| (k.clone(), v.clone())));
        r
    }
    /// Most terms a product may expand to; past it, multi-term factors are kept whole as
    /// opaque atoms (`(p + q)·(r + s)`), so a product of many sums stays small.
    pub const MAX_TERMS: usize = 1024;

    /// Product.
    pub fn times(&self, o: &Poly) -> Poly {
        if self.terms.len().saturating_mul(o.terms.len()) > Self::MAX_TERMS {
            return self.as_atom().times_expanded(&o.as_atom());
        }
        self.times_expanded(o)
    }

    /// A polynomial of more than one term as a single opaque atom (marked overflowed when a
    /// coefficient does not fit a size literal).
    fn as_atom(&self) -> Poly {
        if self.terms.len() <= 1 || self.overflowed {
            return self.clone();
        }
        let Some(e) = self.to_expr() else {
            return Poly {
                overflowed: true,
                ..Poly::default()
            };
        };
        let name = format!("({e})");
        let mut p = Poly::default();
        p.terms.insert(vec![name.clone()], 1);
        p.atoms.insert(name, e);
        p
    }

    /// The polynomial as a size expression; `None` when a coefficient is past `i64`.
    fn to_expr(&self) -> Option<SizeExpr> {
        let mut sum: Option<SizeExpr> = None;
        for (m, c) in &self.terms {
            let mut t = SizeExpr::Lit(i64::try_from(*c).ok()?);
            for a in m {
                let f = self
                    .atoms
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| SizeExpr::Sym(a.clone()));
                t = SizeExpr::Mul(Box::new(t), Box::new(f));
            }
            sum = Some(match sum {
                None => t,
                Some(s) => SizeExpr::Add(Box::new(s), Box::new(t)),
            });
        }
        Some(sum.unwrap_or(SizeExpr::Lit(0)))
    }

    /// Product, every term expanded.
    fn times_expanded(&self, o: &Poly) -> Poly {
        let mut r = Poly {
            overflowed: self.overflowed || o.overflowed,
            ..Poly::default()
        };
        for (ma, ca) in &self.terms {
            for (mb, cb) in &o.terms {
                let mut m: Vec<String> = ma.iter().chain(mb).cloned().collect();
                m.sort();
                let slot = r.terms.entry(m).or_insert(0);
                match ca.checked_mul(*cb).and_then(|p| slot.checked_add(p)) {
                    Some(v) => *slot = v,
                    None => r.overflowed = true,
                }
            }
        }
        r.terms.retain(|_, c| *c != 0);
        r.atoms = self.atoms.clone();
        r.atoms
            .extend(o.atoms.iter().map(|(k, v)| (k.clone(), v.clone())));
        r
    }
    /// Multiplies by a constant.
    pub fn scale(&self, c: i64) -> Poly {
        self.times(&Poly::constant(c))
    }
    /// Value under `b`, in `i128` with every step checked: a value past `i128` is
    /// [`SizeError::Overflow`] naming the term and the sizes bound in it.
    pub fn eval(&self, b: &Bindings) -> Result<i128, SizeError> {
        if self.overflowed {
            return Err(SizeError::Overflow(
                "a product of literal sizes in a cost formula".into(),
            ));
        }
        let mut total: i128 = 0;
        for (m, c) in &self.terms {
            let mut v = *c;
            for a in m {
                let e = self
                    .atoms
                    .get(a)
                    .cloned()
                    .unwrap_or_else(|| SizeExpr::Sym(a.clone()));
                v = v
                    .checked_mul(i128::from(e.eval(b)?))
                    .ok_or_else(|| self.overflow_in(m, *c, b))?;
            }
            total = total
                .checked_add(v)
                .ok_or_else(|| self.overflow_in(m, *c, b))?;
        }
        Ok(total)
    }
    /// The overflow error of monomial `m`, naming the sizes in it.
    fn overflow_in(&self, m: &[String], c: i128, b: &Bindings) -> SizeError {
        let mono = Poly {
            terms: BTreeMap::from([(m.to_vec(), c)]),
            ..Poly::default()
        };
        let mut syms: Vec<String> = m
            .iter()
            .flat_map(|a| {
                self.atoms
                    .get(a)
                    .map_or_else(|| vec![a.clone()], SizeExpr::symbols)
            })
            .collect();
        syms.sort();
        syms.dedup();
        let at: Vec<String> = syms
            .iter()
            .filter_map(|s| b.get(s).map(|v| format!("{s} = {v}")))
            .collect();
        SizeError::Overflow(format!("`{mono}` (in `{self}`) with {}", at.join(", ")))
    }
    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty() && !self.overflowed
    }
}

impl fmt::Display for Poly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return write!(f, "0");
        }
        // highest degree first reads like a hand-written formula
        let mut terms: Vec<_> = self.terms.iter().collect();
        terms.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
        for (i, (m, c)) in terms.into_iter().enumerate() {
            let neg = *c < 0;
            if i > 0 {
                write!(f, "{}", if neg { " - " } else { " + " })?;
            } else if neg {
                write!(f, "-")?;
            }
            let c = c.unsigned_abs();
            let mut parts: Vec<String> = Vec::new();
            if c != 1 || m.is_empty() {
                parts.push(c.to_string());
            }
            // group repeated atoms as powers
            let mut j = 0;
            while j < m.len() {
                let mut k = j;
                while k < m.len() && m[k] == m[j] {
                    k += 1;
                }
                parts.push(if k - j > 1 {
                    format!("{}^{}", m[j], k - j)
                } else {
                    m[j].clone()
                });
                j = k;
            }
            write!(f, "{}", parts.join("·"))?;
        }
        Ok(())
    }
}
