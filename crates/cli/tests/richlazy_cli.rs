//! `neurocircuits richlazy` end to end: a sweep killed midway (SIGINT, SIGKILL) resumes to
//! the same bytes as an uninterrupted one; stale folders are refused; bad input is a clear
//! error, never a panic.
#![allow(
    clippy::print_stderr,
    reason = "the kill test prints how far the sweep got before the signal"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// a CI-sized rank sweep: 2AF, 2 seeds, ranks 1/4/16/30/64 at N = 64, 200 iterations
const GRID: [&str; 9] = [
    "richlazy", "sweep", "--quick", "--tasks", "2AF", "--seeds", "2", "--iters", "200",
];

fn sweep(out: &Path, threads: Option<&str>) -> Command {
    let mut c = bin();
    c.args(GRID).arg("--out").arg(out);
    if let Some(t) = threads {
        c.env("RAYON_NUM_THREADS", t);
    }
    c.stdout(Stdio::null()).stderr(Stdio::null());
    support::with_default_sigint(&mut c);
    c
}

fn finished_units(out: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(out.join("units")) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".unit.json"))
        .filter(|e| {
            std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("\"state\": \"finished\""))
        })
        .count()
}

// every file under `dir`, relative, sorted
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut v = Vec::new();
    walk(dir, dir, &mut v);
    v.sort();
    v
}

#[test]
fn a_sweep_killed_midway_resumes_bit_identical_to_an_uninterrupted_one() {
    let root = tempfile::tempdir().unwrap();
    let whole = root.path().join("whole");
    assert!(sweep(&whole, None).status().unwrap().success());
    let reference = files(&whole);
    assert!(reference.iter().any(|p| p.ends_with("summary.csv")));
    for signal in ["INT", "KILL"] {
        let out = root.path().join(format!("killed-{signal}"));
        // one thread, so the units finish one by one and the kill lands mid-grid
        let mut child = sweep(&out, Some("1")).spawn().unwrap();
        let start = Instant::now();
        while finished_units(&out) < 2 {
            assert!(
                start.elapsed() < Duration::from_secs(300),
                "no unit finished"
            );
            assert!(child.try_wait().unwrap().is_none(), "the sweep ended first");
            std::thread::sleep(Duration::from_millis(10));
        }
        let ok = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        let status = child.wait().unwrap();
        assert!(!status.success(), "{signal}: {status:?}");
        assert!(
            !out.join("summary.csv").exists(),
            "{signal}: killed after the grid was done"
        );
        let done = finished_units(&out);
        // resume, with however many threads the machine has
        assert!(sweep(&out, None).status().unwrap().success());
        assert_eq!(files(&out), reference, "{signal}: same files");
        for f in &reference {
            let (a, b) = (std::fs::read(whole.join(f)), std::fs::read(out.join(f)));
            assert!(
                a.unwrap() == b.unwrap(),
                "{signal}: {} differs",
                f.display()
            );
        }
        eprintln!("{signal}: killed with {done} of 10 units finished; resumed bit-identical");
    }
}

#[test]
fn a_rerun_with_other_iterations_is_refused_naming_them_and_forced_recomputes() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("s");
    let o = out.to_str().unwrap();
    let base = [
        "richlazy", "sweep", "--quick", "--tasks", "2AF", "--seeds", "1", "--ranks", "1,64",
        "--out", o,
    ];
    let first = run(&[&base[..], &["--iters", "50"]].concat());
    assert!(first.status.success(), "{}", stderr(&first));
    let before = std::fs::read(out.join("results.csv")).unwrap();
    let again = run(&[&base[..], &["--iters", "60"]].concat());
    let e = stderr(&again);
    assert_eq!(again.status.code(), Some(2), "{e}");
    assert!(
        e.contains("2 unit(s) made with other settings")
            && e.contains("cfg.iters: 50 stored, 60 now")
            && e.contains("--force"),
        "{e}"
    );
    assert_eq!(std::fs::read(out.join("results.csv")).unwrap(), before);
    let forced = run(&[&base[..], &["--iters", "60", "--force"]].concat());
    assert!(forced.status.success(), "{}", stderr(&forced));
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.split(',').nth(9) == Some("60")),
        "{csv}"
    );
}

#[test]
fn bad_input_is_a_clear_error_never_a_panic_or_an_empty_result() {
    let root = tempfile::tempdir().unwrap();
    // no seeds: an empty grid is an error, and nothing is written
    let out = root.path().join("empty");
    let o = run(&[
        "richlazy",
        "sweep",
        "--quick",
        "--seeds",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("grid is empty"), "{}", stderr(&o));
    assert!(!out.exists());
    // zero timing repetitions
    let o = run(&["richlazy", "bench", "--reps", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("reps = 0"), "{}", stderr(&o));
    // a negative gain reaches the library, which names the field
    let o = run(&[
        "richlazy", "train", "--n", "8", "--iters", "5", "--gain", "-1",
    ]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(
        e.contains("gain = -1") && !e.contains("unexpected argument"),
        "{e}"
    );
    // the PyTorch peer flag has the name `diagram bench` uses
    let help = String::from_utf8_lossy(&run(&["richlazy", "bench", "--help"]).stdout).into_owned();
    assert!(help.contains("--torch-python"), "{help}");
    // a missing shard folder is named as such
    let missing = root.path().join("shard-3");
    let o = run(&[
        "richlazy",
        "merge",
        "--out",
        root.path().join("m").to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert!(
        stderr(&o).contains(&format!(
            "shard folder {} does not exist",
            missing.display()
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn train_saves_its_run_with_out() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("run");
    let args = [
        "richlazy",
        "train",
        "--n",
        "8",
        "--iters",
        "20",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["config.json", "result.json", "tracking.csv", "loss.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // a second run refuses to replace it before training, and --force replaces it
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(run(&[&args[..], &["--force"]].concat()).status.success());
}
