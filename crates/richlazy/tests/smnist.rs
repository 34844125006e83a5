//! The sequential-MNIST rank sweep: a CI-sized grid on the committed 500-image subset
//! (`tools/reference/richlazy/make_mnist_subset.py`), in two shards then merged, and the
//! paper-sized grid's settings.

use nc_core::shard::Shard;
use nc_core::sweep::{RunOptions, Unit};
use nc_richlazy::mnist;
use nc_richlazy::smnist::{EXPERIMENT, SmnistConfig, merge_smnist, run_smnist};
use nc_richlazy::train::start;
use std::path::PathBuf;

fn subset() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/mnist-subset")
}

#[test]
fn committed_subset_is_500_balanced_digits() {
    let m = mnist::load(&subset()).unwrap();
    assert_eq!(m.len(), 500);
    for d in 0..10u8 {
        assert_eq!(
            m.labels.iter().filter(|&&l| l == d).count(),
            50,
            "digit {d}"
        );
    }
    // MNIST digits: dark background, a few hundred lit pixels per image
    let lit = m.images.iter().filter(|&&p| p > 0.5).count() as f64 / 500.0;
    assert!((60.0..250.0).contains(&lit), "{lit} lit pixels per image");
    assert!(m.images[..28].iter().all(|&p| p == 0.0), "top row is blank");
}

#[test]
fn paper_grid_has_the_original_settings() {
    let cfg = SmnistConfig::paper(subset());
    let cells = cfg.cells();
    assert_eq!(cells.len(), 15);
    let ranks: Vec<usize> = cells[..3].iter().map(nc_richlazy::sweep::rank_of).collect();
    assert_eq!(ranks, [5, 30, 300]);
    for c in &cells {
        let b = &c.cfg;
        assert_eq!(
            (b.n, b.batch, b.kernel_trials, b.probe_batches),
            (300, 200, 200, 1)
        );
        assert_eq!(b.iters, 10_000);
        assert!(c.name().starts_with("sMNIST_seed"));
    }
}

#[test]
fn probe_and_kernel_come_from_the_first_training_batch() {
    let cfg = SmnistConfig::quick(subset()).cells()[0].cfg.clone();
    let m = mnist::load(&subset()).unwrap();
    // the original's split: a seeded shuffle, the last tenth held out (unused)
    let (train_idx, held) = m.split(50, &mut nc_core::rng::stream(cfg.seed, "mnist-split", 0));
    assert_eq!((train_idx.len(), held.len()), (450, 50));
    let mut s = start(&cfg).unwrap();
    let first = m.batch(&train_idx[..cfg.batch]);
    assert_eq!(s.probe.x, first.x);
    assert_eq!(s.probe.labels, first.labels);
    assert_eq!((s.probe.steps, s.probe.n_in, s.probe.n_out), (28, 28, 10));
    // training goes on with the second batch
    let second = s.source.next_batch(cfg.batch);
    assert_eq!(second.x, m.batch(&train_idx[cfg.batch..2 * cfg.batch]).x);
}

#[test]
fn ci_sized_grid_runs_in_shards_on_the_committed_subset_and_merges() {
    let cfg = SmnistConfig::quick(subset());
    let dir = tempfile::tempdir().unwrap();
    let shards: Vec<PathBuf> = (0..2).map(|i| dir.path().join(format!("s{i}"))).collect();
    for (i, out) in shards.iter().enumerate() {
        let opts = RunOptions {
            shard: format!("{i}/2").parse::<Shard>().unwrap(),
            ..RunOptions::new(out)
        };
        let status = run_smnist(&cfg, &opts, &|_| {}).unwrap();
        assert!(!status.complete(), "one shard does not settle the grid");
    }
    let merged = dir.path().join("merged");
    let back = merge_smnist(&shards, &merged).unwrap();
    assert_eq!(back, cfg);
    let manifest = std::fs::read_to_string(merged.join("sweep.json")).unwrap();
    assert!(manifest.contains(EXPERIMENT));
    let csv = std::fs::read_to_string(merged.join("results.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 6, "{csv}");
    assert!(rows.iter().all(|r| r.starts_with("sMNIST,")), "{csv}");
    // every run learned something and moved its kernel; the measures are in range
    let summary = std::fs::read_to_string(merged.join("summary.csv")).unwrap();
    assert!(summary.lines().skip(1).all(|l| l.starts_with("sMNIST,")));
    for line in std::fs::read_to_string(merged.join("results.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let (ka, ra, sign) = (
            v["ka"].as_f64().unwrap(),
            v["ra"].as_f64().unwrap(),
            v["sign_similarity"].as_f64().unwrap(),
        );
        assert!(ka > 0.0 && ka < 1.0, "{v}");
        assert!(ra > 0.0 && ra <= 1.0 + 1e-9, "{v}");
        assert!(sign > 0.0 && sign < 1.0, "{v}");
        assert!(v["final_loss"].as_f64().unwrap() < 2.2, "{v}");
    }
    // a unit's result holds its config, with the protocol recorded
    let unit = merged.join("units").join("sMNIST_seed0_frobenius_rank5");
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(unit.join("result.json")).unwrap()).unwrap();
    assert_eq!(r["config"]["protocol"], "paired");
    assert_eq!(r["config"]["kernel_trials"], 20);
}

#[test]
fn a_grid_without_a_folder_or_with_a_bad_rank_is_refused() {
    let mut cfg = SmnistConfig::quick(subset());
    cfg.base.mnist_dir = None;
    let dir = tempfile::tempdir().unwrap();
    let e = run_smnist(&cfg, &RunOptions::new(dir.path()), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("mnist_dir"), "{e}");
    let mut cfg = SmnistConfig::quick(subset());
    cfg.ranks = vec![5, 49];
    let e = run_smnist(&cfg, &RunOptions::new(dir.path()), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("rank 49"), "{e}");
}
