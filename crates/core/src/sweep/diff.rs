//! Which fields of two JSON documents differ: the facts behind a refused resume or merge.

use serde_json::Value;
use std::fmt;

/// One field whose value differs between a stored document and a new one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldDiff {
    /// Dotted path of the field (`base.iters`, `seeds[2]`); empty for the whole document.
    pub path: String,
    /// The stored value, as compact JSON (`(absent)` when the field is missing).
    pub stored: String,
    /// The new value, as compact JSON (`(absent)` when the field is missing).
    pub now: String,
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "(the whole value)"
        } else {
            &self.path
        };
        write!(f, "{path}: {} stored, {} now", self.stored, self.now)
    }
}

/// The fields in which `stored` and `now` differ, in key order.
///
/// Objects are compared key by key and arrays of equal length element by element; anything
/// else that differs is one entry.
///
/// ```
/// use nc_core::sweep::diff_json;
/// let a = serde_json::json!({"iters": 1500, "seeds": [0, 1], "lr": 0.01});
/// let b = serde_json::json!({"iters": 300, "seeds": [0, 1], "lr": 0.01});
/// let d = diff_json(&a, &b);
/// assert_eq!(d.len(), 1);
/// assert_eq!(d[0].to_string(), "iters: 1500 stored, 300 now");
/// ```
pub fn diff_json(stored: &Value, now: &Value) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    walk("", Some(stored), Some(now), &mut out);
    out
}

fn walk(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<FieldDiff>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&p, x.get(k), y.get(k), out);
            }
        }
        (Some(Value::Array(x)), Some(Value::Array(y))) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                walk(&format!("{path}[{i}]"), Some(u), Some(v), out);
            }
        }
        (a, b) if a != b => out.push(FieldDiff {
            path: path.to_string(),
            stored: show(a),
            now: show(b),
        }),
        _ => {}
    }
}

// compact JSON, cut so that one message stays readable
fn show(v: Option<&Value>) -> String {
    const MAX: usize = 80;
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > MAX {
                let cut: String = s.chars().take(MAX).collect();
                format!("{cut}…")
            } else {
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_arrays_and_absent_keys_are_named() {
        let a = json!({"base": {"iters": 1500, "gain": 1.25}, "ranks": [1, 4], "tasks": ["2AF"]});
        let b = json!({"base": {"iters": 1500, "gain": -1.0, "n": 64}, "ranks": [1, 5], "tasks": ["2AF", "DMS"]});
        let d: Vec<String> = diff_json(&a, &b).iter().map(ToString::to_string).collect();
        assert_eq!(
            d,
            vec![
                "base.gain: 1.25 stored, -1.0 now",
                "base.n: (absent) stored, 64 now",
                "ranks[1]: 4 stored, 5 now",
                "tasks: [\"2AF\"] stored, [\"2AF\",\"DMS\"] now",
            ]
        );
    }

    #[test]
    fn equal_documents_have_no_differences_and_scalars_compare_whole() {
        let a = json!({"x": [1, {"y": null}]});
        assert!(diff_json(&a, &a.clone()).is_empty());
        let d = diff_json(&json!(1), &json!("1"));
        assert_eq!(d[0].to_string(), "(the whole value): 1 stored, \"1\" now");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(500);
        let d = diff_json(&json!({ "s": long }), &json!({ "s": 1 }));
        assert!(d[0].stored.chars().count() <= 81 && d[0].stored.ends_with('…'));
    }
}
