//! Size bindings as people type them: `h=8,k=64` (the `--bind` flag of the CLI).
//!
//! Every name must be one of the circuit's size symbols: a misspelt or wrongly cased name
//! would otherwise leave the default in place without a word.

use crate::ir::Circuit;
use crate::names::{escape_control, nearest};
use crate::size::Bindings;
use thiserror::Error;

/// Why a binding list was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindError {
    /// An item is not `NAME=VALUE`.
    #[error("binding `{}` is not NAME=VALUE (e.g. `h=8,k=64`)", escape_control(.0))]
    Syntax(String),
    /// The name is not a size of the circuit.
    #[error(
        "unknown size `{}`{}; circuit `{}` has {}",
        escape_control(.name),
        .suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(),
        escape_control(.circuit),
        if .sizes.is_empty() { "no size symbols".to_string() } else { format!("sizes {}", .sizes.join(", ")) }
    )]
    Unknown {
        /// The name as given.
        name: String,
        /// The size it was most likely meant as.
        suggestion: Option<String>,
        /// The circuit's name.
        circuit: String,
        /// The circuit's size symbols, sorted.
        sizes: Vec<String>,
    },
    /// The same name is bound twice.
    #[error("size `{0}` is bound twice")]
    Duplicate(String),
    /// The value is not a positive integer.
    #[error("size `{name}`: `{}` is not a positive integer ({why})", escape_control(.text))]
    Value {
        /// The size.
        name: String,
        /// The value as given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// The circuit's default bindings overridden by `spec` (`NAME=VALUE` items separated by
/// commas; values are positive integers, `1e6` allowed).
///
/// ```
/// let c = nc_diagram::zoo::mha();
/// let b = nc_diagram::bind::parse(&c, "h=8, k=32").unwrap();
/// assert_eq!((b["h"], b["k"], b["m"]), (8, 32, 128));
/// let e = nc_diagram::bind::parse(&c, "K=16").unwrap_err();
/// assert_eq!(
///     e.to_string(),
///     "unknown size `K` (did you mean `k`?); circuit `mha` has sizes h, k, m, x, y"
/// );
/// ```
pub fn parse(c: &Circuit, spec: &str) -> Result<Bindings, BindError> {
    let mut b = c.default_bindings();
    let mut seen: Vec<&str> = Vec::new();
    for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| BindError::Syntax(item.to_string()))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(BindError::Syntax(item.to_string()));
        }
        if !c.sizes.contains_key(k) {
            return Err(BindError::Unknown {
                name: k.to_string(),
                suggestion: nearest(k, c.sizes.keys().map(String::as_str)).map(str::to_string),
                circuit: c.name.clone(),
                sizes: c.sizes.keys().cloned().collect(),
            });
        }
        if seen.contains(&k) {
            return Err(BindError::Duplicate(k.to_string()));
        }
        seen.push(k);
        let value = positive_int(v).map_err(|why| BindError::Value {
            name: k.to_string(),
            text: v.to_string(),
            why,
        })?;
        b.insert(k.to_string(), value);
    }
    Ok(b)
}

/// A positive `i64` written as digits, optionally with a decimal exponent (`3e5`).
fn positive_int(text: &str) -> Result<i64, &'static str> {
    let (mant, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (text, None),
    };
    if mant.is_empty() || !mant.bytes().all(|b| b.is_ascii_digit()) {
        return Err("digits expected");
    }
    let too_big = "larger than 9223372036854775807";
    let mut v: i64 = mant.parse().map_err(|_| too_big)?;
    if let Some(e) = exp {
        if e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the exponent must be digits");
        }
        let e: u32 = e.parse().map_err(|_| too_big)?;
        v = 10i64
            .checked_pow(e)
            .and_then(|p| v.checked_mul(p))
            .ok_or(too_big)?;
    }
    if v == 0 {
        return Err("sizes must be at least 1");
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_in_every_accepted_form() {
        assert_eq!(positive_int("42"), Ok(42));
        assert_eq!(positive_int("1e18"), Ok(1_000_000_000_000_000_000));
        assert_eq!(positive_int("3E2"), Ok(300));
        assert!(positive_int("1e19").is_err());
        assert!(positive_int("0").is_err());
        assert!(positive_int("-3").is_err());
        assert!(positive_int("1.5").is_err());
        assert!(positive_int("e5").is_err());
        assert!(positive_int("99999999999999999999").is_err());
    }
}
