//! `neurocircuits richlazy smnist` and the protocol/optimiser options end to end: a tiny
//! sMNIST grid on the committed subset, the original protocol with a learning-rate search,
//! and bad input as clear errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_neurocircuits"))
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn subset() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../richlazy/tests/data/mnist-subset")
}

fn result(out: &Path, unit: &str) -> serde_json::Value {
    let p = out.join("units").join(unit).join("result.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn smnist_quick_grid_runs_on_the_committed_subset() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("smnist");
    let o = run(&[
        "richlazy",
        "smnist",
        "--quick",
        "--mnist",
        subset().to_str().unwrap(),
        "--seeds",
        "1",
        "--iters",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("3 runs in the grid"), "{}", text(&o));
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().filter(|l| l.starts_with("sMNIST,")).count(), 3);
    let r = result(&out, "sMNIST_seed0_frobenius_rank30");
    assert_eq!(r["config"]["protocol"], "paired");
    assert_eq!(r["config"]["batch"], 20);
}

#[test]
fn original_protocol_with_adam_and_a_learning_rate_search_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("orig");
    let o = run(&[
        "richlazy",
        "sweep",
        "--quick",
        "--tasks",
        "DMS",
        "--seeds",
        "1",
        "--ranks",
        "1,64",
        "--iters",
        "30",
        "--protocol",
        "original",
        "--optimizer",
        "adam",
        "--lr",
        "0.0001,0.001",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let r = result(&out, "DMS_seed0_frobenius_rank64");
    assert_eq!(r["config"]["protocol"], "original");
    assert_eq!(r["config"]["optimizer"]["kind"], "adam");
    // rank index 1 with two rates: runs 2 and 3 of the original's sequence
    let lr = r["config"]["optimizer"]["lr"].as_f64().unwrap();
    let run_index = r["config"]["run_index"].as_u64().unwrap();
    assert!(run_index == 2 || run_index == 3, "{run_index}");
    let tried = r["lr_search"].as_array().unwrap();
    assert_eq!(tried.len(), 2);
    let best = tried
        .iter()
        .min_by(|a, b| {
            a["score"]
                .as_f64()
                .unwrap()
                .total_cmp(&b["score"].as_f64().unwrap())
        })
        .unwrap();
    assert_eq!(best["lr"].as_f64().unwrap(), lr);
}

#[test]
fn bad_mnist_folder_and_learning_rates_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "richlazy",
        "smnist",
        "--mnist",
        dir.path().to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(
        e.contains("train-images-idx3-ubyte") && e.contains("missing") && !e.contains("panicked"),
        "{e}"
    );
    let o = run(&[
        "richlazy", "train", "--n", "8", "--iters", "5", "--lr", "0.01,-2",
    ]);
    assert!(!o.status.success());
    let e = text(&o);
    assert!(e.contains("--lr -2") && !e.contains("panicked"), "{e}");
}
