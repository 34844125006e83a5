//! `neurocircuits swimmer simulate`: end-to-end through the binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn simulate(input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
        .args(["swimmer", "simulate", "--input", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

const GOOD: &str = r#"{"cases": [
  {"n_bodies": 6, "qpos": [0,0,0,0,0,0,0,0], "qvel": [0,0,0,0,0,0,0,0], "ctrl": [[1,1,1,1,1],[-1,0,1,0,-1]]},
  {"n_bodies": 3, "qpos": [0.1,0.2,0.3,0.4,-0.5], "qvel": [0,0,1,0,0], "ctrl": [[0.5,-0.5]], "density": 1000, "viscosity": 0.1, "timestep": 0.001, "substeps": 30}
]}"#;

#[test]
fn simulate_prints_one_row_per_control_step() {
    let out = simulate(GOOD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = v["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[0]["qpos_after"].as_array().unwrap().len(), 2);
    assert_eq!(cases[0]["qvel_after"][1].as_array().unwrap().len(), 8);
    assert_eq!(cases[1]["qpos_after"][0].as_array().unwrap().len(), 5);
    // MuJoCo 3.17 gives joint 1 (qpos[3]) = 2.0260397e-2 rad after one control step of six
    // bodies from rest with every ctrl = +1
    let q0 = cases[0]["qpos_after"][0][3].as_f64().unwrap();
    assert!((q0 - 2.0260397e-2).abs() < 1e-9, "{q0}");
}

/// The example input the README points to runs as documented.
#[test]
fn the_example_cases_run() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cases.json");
    let out = Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
        .args(["swimmer", "simulate", "--input", path])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let input: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let (cases, given) = (
        v["cases"].as_array().unwrap(),
        input["cases"].as_array().unwrap(),
    );
    assert_eq!(cases.len(), given.len());
    for (c, g) in cases.iter().zip(given) {
        let rows = g["ctrl"].as_array().unwrap().len();
        let nq = g["qpos"].as_array().unwrap().len();
        for key in ["qpos_after", "qvel_after"] {
            let r = c[key].as_array().unwrap();
            assert_eq!(r.len(), rows, "{key}: one row per control step");
            assert!(r.iter().all(|row| row.as_array().unwrap().len() == nq));
        }
    }
    // the first case starts as MuJoCo's check above: six bodies at rest, every ctrl = +1
    let q0 = cases[0]["qpos_after"][0][3].as_f64().unwrap();
    assert!((q0 - 2.0260397e-2).abs() < 1e-9, "{q0}");
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(readme.contains("--input examples/cases.json"));
    for field in nc_swimmer::script::FIELDS {
        assert!(
            readme.contains(&format!("| `{field}` |")),
            "the README's schema lacks {field}"
        );
    }
}

#[test]
fn bad_input_names_case_and_field() {
    let cases = [
        (
            GOOD.replace("\"n_bodies\": 3", "\"n_bodies\": 30"),
            "case 1, field `n_bodies`",
        ),
        (
            GOOD.replace("[0.1,0.2,0.3,0.4,-0.5]", "[0.1,0.2,0.3,0.4]"),
            "case 1, field `qpos`",
        ),
        (
            GOOD.replace("[-1,0,1,0,-1]", "[-1,0,1,0]"),
            "case 0, field `ctrl[1]`",
        ),
        (
            GOOD.replace("\"density\": 1000", "\"density\": -5"),
            "case 1, field `density`",
        ),
        (
            GOOD.replace("[0,0,1,0,0]", "[0,0,1,0,1e999]"),
            "malformed JSON",
        ),
        ("{\"cases\": [".to_string(), "malformed JSON"),
    ];
    for (input, want) in cases {
        let out = simulate(&input);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "expected {want:?} in {err:?}");
    }
}

#[test]
fn divergence_is_an_error_and_never_nan() {
    let input = r#"{"cases": [
      {"n_bodies": 3, "qpos": [0,0,0,0,0], "qvel": [0,0,0,0,0], "ctrl": [[0,0]]},
      {"n_bodies": 3, "qpos": [0,0,0,0,0], "qvel": [0,0,0,1e9,-1e9], "ctrl": [[0,0],[0,0]], "timestep": 0.5}
    ]}"#;
    let out = simulate(input);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("NaN") && !stdout.contains("null"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("case 1"));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["cases"][0]["qpos_after"].is_array());
    assert!(
        v["cases"][1]["error"]
            .as_str()
            .unwrap()
            .contains("diverged")
    );
}
