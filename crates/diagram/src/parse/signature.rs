//! Einsum signatures in an einops-like syntax: `"y k h, x k h -> y x h"`.
//!
//! A group `(k h)` views one axis of the operand as `k` then `h`, row-major; `m:(k h)` names
//! that axis explicitly. Output groups must name their axis (`y m:(k h)`).

use thiserror::Error;

/// One term of a signature, before axes are resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawTerm {
    /// A single axis name.
    Name(String),
    /// A group of axis names, optionally naming the merged axis.
    Group {
        /// Name of the merged axis on the wire, if given.
        merged: Option<String>,
        /// Parts, row-major.
        parts: Vec<String>,
    },
}

/// A parsed signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSignature {
    /// Terms of each operand.
    pub operands: Vec<Vec<RawTerm>>,
    /// Terms of the output.
    pub output: Vec<RawTerm>,
}

/// Why a signature does not parse.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("einsum signature `{signature}`: {why}")]
pub struct SignatureError {
    /// The signature.
    pub signature: String,
    /// What is wrong.
    pub why: String,
}

/// Parses a signature.
pub fn parse_signature(sig: &str) -> Result<RawSignature, SignatureError> {
    let err = |why: String| SignatureError {
        signature: sig.to_string(),
        why,
    };
    let (lhs, rhs) = sig
        .split_once("->")
        .ok_or_else(|| err("missing `->`".into()))?;
    let operands = lhs
        .split(',')
        .map(|s| terms(s, &err))
        .collect::<Result<Vec<_>, _>>()?;
    if operands.iter().any(|o| o.is_empty()) {
        return Err(err("an operand has no axes".into()));
    }
    let output = terms(rhs, &err)?;
    for o in operands.iter().chain(std::iter::once(&output)) {
        let mut names: Vec<&String> = o
            .iter()
            .flat_map(|t| match t {
                RawTerm::Name(n) => vec![n],
                RawTerm::Group { parts, .. } => parts.iter().collect(),
            })
            .collect();
        names.sort();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(err(format!(
                "axis `{}` appears twice in one term list",
                w[0]
            )));
        }
    }
    Ok(RawSignature { operands, output })
}

fn terms(s: &str, err: &dyn Fn(String) -> SignatureError) -> Result<Vec<RawTerm>, SignatureError> {
    let mut out = Vec::new();
    let spaced = s.replace('(', " ( ").replace(')', " ) ");
    let mut toks = spaced.split_whitespace().peekable();
    while let Some(t) = toks.next() {
        if t == "(" || t.ends_with(":") {
            let merged = if t == "(" {
                None
            } else {
                if toks.next() != Some("(") {
                    return Err(err(format!("`{t}` must be followed by a group")));
                }
                Some(t.trim_end_matches(':').to_string())
            };
            let mut parts = Vec::new();
            loop {
                match toks.next() {
                    Some(")") => break,
                    Some("(") | None => return Err(err("unbalanced parentheses".into())),
                    Some(p) => parts.push(check_name(p, err)?),
                }
            }
            if parts.is_empty() {
                return Err(err("empty group".into()));
            }
            out.push(RawTerm::Group { merged, parts });
        } else if t == ")" {
            return Err(err("unbalanced parentheses".into()));
        } else {
            out.push(RawTerm::Name(check_name(t, err)?));
        }
    }
    Ok(out)
}

fn check_name(t: &str, err: &dyn Fn(String) -> SignatureError) -> Result<String, SignatureError> {
    if t.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '\'' || c == '#')
    {
        Ok(t.to_string())
    } else {
        Err(err(format!("bad axis name `{t}`")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_signature() {
        let s = parse_signature("y k h, x k h -> y x h").unwrap();
        assert_eq!(s.operands.len(), 2);
        assert_eq!(
            s.output,
            vec![
                RawTerm::Name("y".into()),
                RawTerm::Name("x".into()),
                RawTerm::Name("h".into())
            ]
        );
    }

    #[test]
    fn groups() {
        let s = parse_signature("x (k h), k h -> x m:(k h)").unwrap();
        assert_eq!(
            s.operands[0][1],
            RawTerm::Group {
                merged: None,
                parts: vec!["k".into(), "h".into()]
            }
        );
        assert_eq!(
            s.output[1],
            RawTerm::Group {
                merged: Some("m".into()),
                parts: vec!["k".into(), "h".into()]
            }
        );
    }

    #[test]
    fn errors() {
        assert!(parse_signature("a b").unwrap_err().why.contains("->"));
        assert!(
            parse_signature("a (b -> a")
                .unwrap_err()
                .why
                .contains("unbalanced")
        );
        assert!(
            parse_signature("a a -> a")
                .unwrap_err()
                .why
                .contains("twice")
        );
    }
}
