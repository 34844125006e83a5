//! The scripting interface behind `neurocircuits swimmer simulate`: JSON cases in, states
//! after each control step out.
//!
//! Input: `{"cases": [{"n_bodies": N, "qpos": [...], "qvel": [...], "ctrl": [[...], ...],
//! "density"?: ρ, "viscosity"?: β, "timestep"?: h, "substeps"?: k}]}`. Output:
//! `{"cases": [{"qpos_after": [[...], ...], "qvel_after": [[...], ...]}]}`, one row per
//! control step. Every field is validated before anything runs; errors name the case and field.

use crate::data::Data;
use crate::error::SimError;
use crate::model::{MAX_BODIES, MIN_BODIES, Model, Options};
use serde_json::{Map, Value};
use thiserror::Error;

/// Why the input could not be run.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The text is not valid JSON.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The top level is not `{"cases": [...]}`.
    #[error("top level: {0}")]
    TopLevel(String),
    /// A field of a case is missing or invalid.
    #[error("case {index}, field `{field}`: {reason}")]
    Field {
        /// Case index (0-based).
        index: usize,
        /// Field name.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// The simulation of a case diverged.
    #[error("case {index}: {source}")]
    Sim {
        /// Case index (0-based).
        index: usize,
        /// The failure.
        source: SimError,
    },
}

/// One validated case.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Number of bodies.
    pub n_bodies: usize,
    /// Initial positions (`n_bodies + 2`).
    pub qpos: Vec<f64>,
    /// Initial velocities (`n_bodies + 2`).
    pub qvel: Vec<f64>,
    /// Controls, one row of `n_bodies - 1` per control step (clamped to [-1, 1] when applied).
    pub ctrl: Vec<Vec<f64>>,
    /// Physics options (defaults overridden by the case).
    pub options: Options,
    /// Physics steps per control step.
    pub substeps: usize,
}

/// States after each control step of one case.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CaseResult {
    /// `qpos` after each control step.
    pub qpos_after: Vec<Vec<f64>>,
    /// `qvel` after each control step.
    pub qvel_after: Vec<Vec<f64>>,
}

/// The fields a case may have; the first four are required.
pub const FIELDS: [&str; 8] = [
    "n_bodies",
    "qpos",
    "qvel",
    "ctrl",
    "density",
    "viscosity",
    "timestep",
    "substeps",
];

/// Parses and validates the whole input.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, ScriptError> {
    let root: Value = serde_json::from_str(text).map_err(|e| ScriptError::Json(e.to_string()))?;
    let cases = root
        .as_object()
        .and_then(|o| o.get("cases"))
        .ok_or_else(|| ScriptError::TopLevel("expected an object with a \"cases\" array".into()))?
        .as_array()
        .ok_or_else(|| ScriptError::TopLevel("\"cases\" must be an array".into()))?;
    cases
        .iter()
        .enumerate()
        .map(|(i, c)| parse_case(i, c))
        .collect()
}

fn parse_case(index: usize, value: &Value) -> Result<Case, ScriptError> {
    let err = |field: &str, reason: String| ScriptError::Field {
        index,
        field: field.into(),
        reason,
    };
    let obj: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| err("(case)", "expected an object".into()))?;
    if let Some(k) = obj.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(err(
            k,
            format!("unknown field (expected one of {})", FIELDS.join(", ")),
        ));
    }

    let n_bodies = match obj.get("n_bodies") {
        None => return Err(err("n_bodies", "missing".into())),
        Some(v) => v
            .as_u64()
            .ok_or_else(|| err("n_bodies", format!("expected a whole number, got {v}")))?,
    };
    if !(MIN_BODIES as u64..=MAX_BODIES as u64).contains(&n_bodies) {
        return Err(err(
            "n_bodies",
            format!("must be in {MIN_BODIES}..={MAX_BODIES}, got {n_bodies}"),
        ));
    }
    let n = n_bodies as usize;

    let numbers =
        |field: &str, v: &Value, len: usize, what: &str| -> Result<Vec<f64>, ScriptError> {
            let arr = v
                .as_array()
                .ok_or_else(|| err(field, format!("expected an array of {len} numbers")))?;
            if arr.len() != len {
                return Err(err(
                    field,
                    format!("expected {len} values ({what}), got {}", arr.len()),
                ));
            }
            arr.iter()
                .enumerate()
                .map(|(k, x)| match x.as_f64() {
                    Some(f) if f.is_finite() => Ok(f),
                    _ => Err(err(
                        field,
                        format!("element {k} is not a finite number: {x}"),
                    )),
                })
                .collect()
        };
    let required = |field: &str| obj.get(field).ok_or_else(|| err(field, "missing".into()));
    let nq_what = format!("n_bodies + 2 = {}", n + 2);
    let qpos = numbers("qpos", required("qpos")?, n + 2, &nq_what)?;
    let qvel = numbers("qvel", required("qvel")?, n + 2, &nq_what)?;
    let rows = required("ctrl")?
        .as_array()
        .ok_or_else(|| err("ctrl", "expected an array of control rows".into()))?;
    if rows.is_empty() {
        return Err(err("ctrl", "expected at least one control row".into()));
    }
    let nu_what = format!("n_bodies - 1 = {}", n - 1);
    let ctrl = rows
        .iter()
        .enumerate()
        .map(|(k, r)| numbers(&format!("ctrl[{k}]"), r, n - 1, &nu_what))
        .collect::<Result<Vec<_>, _>>()?;

    let mut options = Options::default();
    for (field, slot) in [
        ("density", &mut options.density),
        ("viscosity", &mut options.viscosity),
        ("timestep", &mut options.timestep),
    ] {
        if let Some(v) = obj.get(field) {
            *slot = v
                .as_f64()
                .ok_or_else(|| err(field, format!("expected a number, got {v}")))?;
        }
    }
    options.validate().map_err(|e| match e {
        crate::error::ConfigError::NonFinite { field, .. }
        | crate::error::ConfigError::NotPositive { field, .. }
        | crate::error::ConfigError::Negative { field, .. } => err(field, e.to_string()),
        other => err("(options)", other.to_string()),
    })?;
    let substeps = match obj.get("substeps") {
        None => 15,
        Some(v) => match v.as_u64() {
            Some(k) if (1..=1_000_000).contains(&k) => k as usize,
            _ => {
                return Err(err(
                    "substeps",
                    format!("expected a whole number in 1..=1000000, got {v}"),
                ));
            }
        },
    };
    Ok(Case {
        n_bodies: n,
        qpos,
        qvel,
        ctrl,
        options,
        substeps,
    })
}

/// Simulates one case. A state that leaves MuJoCo's bounds (non-finite or above 1e10) is an
/// error, never a NaN in the output.
pub fn simulate_case(case: &Case) -> Result<CaseResult, SimError> {
    let m = Model::swimmer(case.n_bodies, case.options).map_err(|_| SimError::Diverged {
        step: 0,
        field: "model",
    })?;
    let mut d = Data::new(&m);
    d.qpos.copy_from_slice(&case.qpos);
    d.qvel.copy_from_slice(&case.qvel);
    let mut out = CaseResult {
        qpos_after: Vec::new(),
        qvel_after: Vec::new(),
    };
    for row in &case.ctrl {
        d.ctrl.copy_from_slice(row);
        for _ in 0..case.substeps {
            crate::step::step(&m, &mut d)?;
        }
        for (field, v) in [("qpos", &d.qpos), ("qvel", &d.qvel)] {
            if v.iter().any(|x| !x.is_finite() || x.abs() > 1e10) {
                return Err(SimError::Diverged {
                    step: d.nstep,
                    field,
                });
            }
        }
        out.qpos_after.push(d.qpos.clone());
        out.qvel_after.push(d.qvel.clone());
    }
    Ok(out)
}

/// Runs every case; each entry is that case's result or its divergence error.
pub fn simulate(cases: &[Case]) -> Vec<Result<CaseResult, ScriptError>> {
    cases
        .iter()
        .enumerate()
        .map(|(index, c)| simulate_case(c).map_err(|source| ScriptError::Sim { index, source }))
        .collect()
}

/// The output document: `{"cases": [...]}`, with `{"error": "..."}` in place of a failed case.
pub fn output_json(results: &[Result<CaseResult, ScriptError>]) -> Value {
    let cases: Vec<Value> = results
        .iter()
        .map(|r| match r {
            Ok(res) => serde_json::to_value(res).unwrap_or(Value::Null),
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        })
        .collect();
    serde_json::json!({ "cases": cases })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(extra: &str) -> String {
        format!(
            r#"{{"cases": [{{"n_bodies": 3, "qpos": [0,0,0,0.1,-0.1], "qvel": [0,0,0,0,0], "ctrl": [[1,-1],[0.5,0.5]]{extra}}}]}}"#
        )
    }

    fn field_err(text: &str) -> (usize, String) {
        match parse_cases(text) {
            Err(ScriptError::Field { index, field, .. }) => (index, field),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn parses_defaults_and_overrides() {
        let c = &parse_cases(&case("")).unwrap()[0];
        assert_eq!((c.n_bodies, c.substeps, c.ctrl.len()), (3, 15, 2));
        assert_eq!(c.options, Options::default());
        let c = &parse_cases(&case(
            r#", "density": 1000, "viscosity": 0.5, "timestep": 0.001, "substeps": 30"#,
        ))
        .unwrap()[0];
        assert_eq!(
            c.options,
            Options {
                timestep: 0.001,
                density: 1000.0,
                viscosity: 0.5
            }
        );
        assert_eq!(c.substeps, 30);
    }

    #[test]
    fn errors_name_case_and_field() {
        let two = |second: &str| {
            format!(
                r#"{{"cases": [{{"n_bodies": 3, "qpos": [0,0,0,0,0], "qvel": [0,0,0,0,0], "ctrl": [[0,0]]}}, {second}]}}"#
            )
        };
        assert_eq!(
            field_err(&two(
                r#"{"n_bodies": 2, "qpos": [], "qvel": [], "ctrl": []}"#
            )),
            (1, "n_bodies".into())
        );
        assert_eq!(
            field_err(&two(
                r#"{"n_bodies": 3, "qpos": [0,0,0,0], "qvel": [0,0,0,0,0], "ctrl": [[0,0]]}"#
            )),
            (1, "qpos".into())
        );
        assert_eq!(
            field_err(&two(
                r#"{"n_bodies": 3, "qpos": [0,0,0,0,0], "qvel": [0,0,0,0,"a"], "ctrl": [[0,0]]}"#
            )),
            (1, "qvel".into())
        );
        assert_eq!(
            field_err(&two(
                r#"{"n_bodies": 3, "qpos": [0,0,0,0,0], "qvel": [0,0,0,0,0], "ctrl": [[0,0],[0]]}"#
            )),
            (1, "ctrl[1]".into())
        );
        assert_eq!(
            field_err(&case(r#", "density": -1"#)),
            (0, "density".into())
        );
        assert_eq!(
            field_err(&case(r#", "timestep": 0"#)),
            (0, "timestep".into())
        );
        assert_eq!(
            field_err(&case(r#", "substeps": 0"#)),
            (0, "substeps".into())
        );
        assert_eq!(
            field_err(&case(r#", "visocsity": 1"#)),
            (0, "visocsity".into())
        );
        assert!(matches!(
            parse_cases("{\"cases\": [1e999]}"),
            Err(ScriptError::Json(_))
        ));
        assert!(matches!(
            parse_cases("{\"cases\": "),
            Err(ScriptError::Json(_))
        ));
        assert!(matches!(parse_cases("[]"), Err(ScriptError::TopLevel(_))));
    }

    #[test]
    fn divergence_is_an_error_not_nan() {
        let text = r#"{"cases": [{"n_bodies": 3, "qpos": [0,0,0,0,0], "qvel": [0,0,0,1e9,-1e9], "ctrl": [[0,0],[0,0]], "timestep": 0.5}]}"#;
        let cases = parse_cases(text).unwrap();
        let res = simulate(&cases);
        assert!(
            matches!(res[0], Err(ScriptError::Sim { index: 0, .. })),
            "{res:?}"
        );
        let out = output_json(&res).to_string();
        assert!(!out.contains("NaN") && !out.contains("null"), "{out}");
    }
}
