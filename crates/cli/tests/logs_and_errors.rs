//! What a user sees when things go wrong or run long, through the binary: progress in logs,
//! errors said once, flags named, interrupted runs cleaned up.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
        .args(args)
        .env_remove("NEUROCIRCUITS_PROGRESS_SECS")
        .output()
        .expect("binary starts")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// stderr is a pipe here, as in a Slurm or nohup log: progress comes as plain lines.
#[test]
fn progress_reaches_a_log_as_plain_lines() {
    let out = run(&["richlazy", "train", "--iters", "300", "--n", "50"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    let progress: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("/300 iters ("))
        .collect();
    assert!(progress.len() >= 2, "{err}");
    // done/total, rate, elapsed and ETA on one line
    assert!(
        progress
            .iter()
            .any(|l| l.contains(" iters/s, elapsed ") && l.contains(", ETA ")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("done, 300/300 iters in")),
        "{err}"
    );
    // a modest number: a line per 5% at most, not one per iteration
    assert!(lines.len() <= 25, "{} lines:\n{err}", lines.len());
    assert!(
        !err.contains('\r') && !err.contains('\u{1b}'),
        "no terminal codes in a log"
    );
}

#[test]
fn the_report_logs_each_part_with_an_eta() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("r");
    let out = run(&[
        "report",
        "--only",
        "diagrams",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.lines().any(|l| l.starts_with("diagrams: ")
            && l.contains("%, elapsed ")
            && l.contains(", ETA ")),
        "{err}"
    );
    assert!(
        err.lines().any(|l| l.starts_with("diagrams: done in")),
        "{err}"
    );
}

/// An interrupted report leaves its staging folder `.r.<pid>.tmp` (older builds) or
/// `.r.<host>-<pid>.tmp`; the next run removes it once that process is gone.
#[test]
#[cfg(unix)]
fn the_next_report_removes_an_interrupted_ones_folder() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let left = dir.path().join(format!(".r.{dead}.tmp"));
    std::fs::create_dir_all(left.join("ncap")).unwrap();
    let out = run(&[
        "report",
        "--only",
        "diagrams",
        "--out",
        dir.path().join("r").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["r"]);
}

/// An OS error used to be printed two or three times, once per layer that quoted it.
#[test]
fn an_os_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = run(&[
        "swimmer",
        "render",
        "--steps",
        "2",
        "--out",
        file.join("x").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error: "), "{err}");
    assert_eq!(err.matches("(os error").count(), 1, "{err}");
}

#[test]
fn a_bad_number_is_reported_against_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("swim");
    for (flag, value) in [
        ("--freq", "NaN"),
        ("--freq", "inf"),
        ("--n-bodies", "2"),
        ("--steps", "0"),
    ] {
        let out = run(&[
            "swimmer",
            "render",
            flag,
            value,
            "--out",
            target.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("'{value}' for '{flag}")) && !err.contains("action["),
            "{flag} {value}: {err}"
        );
        assert!(!target.exists(), "nothing is written for a refused flag");
    }
    // a negative frequency is a wave running tail to head, not a flag
    let out = run(&[
        "swimmer",
        "render",
        "--freq",
        "-0.5",
        "--steps",
        "2",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}
