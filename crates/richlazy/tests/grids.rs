//! Experiments 2 (connectivity structure) and 4 (reviewer controls) at quick size: outputs with
//! the config hash, resume, shards and merge, and directions that can fail.

use nc_core::shard::Shard;
use nc_core::sweep::{RunOptions, Status, Sweep};
use nc_richlazy::controls::{ControlsConfig, EXPERIMENT as CONTROLS, merge_controls, run_controls};
use nc_richlazy::grid::{SweepEvent, UnitRecord, load_finished};
use nc_richlazy::structure::{
    EXPERIMENT as STRUCTURE, StructureConfig, initial_spectrum, run_structure,
};
use nc_richlazy::tables::{GroupRow, summarise};
use std::path::Path;
use std::sync::Mutex;

fn hash_of(dir: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    v["config_hash"].as_str().unwrap().to_string()
}

fn opts(out: &Path, shard: Shard) -> RunOptions {
    RunOptions {
        shard,
        ..RunOptions::new(out)
    }
}

fn get(s: &[GroupRow], task: &str, condition: &str, variant: &str, m: &str) -> Option<f64> {
    nc_richlazy::tables::get(s, task, condition, variant, m).map(|r| r.mean)
}

fn records<C: serde::Serialize>(
    experiment: &str,
    cfg: &C,
    cells: &[nc_richlazy::grid::Cell],
    out: &Path,
) -> (Status, Vec<UnitRecord>) {
    let status = Sweep::new(experiment, cfg, cells)
        .unwrap()
        .status(out)
        .unwrap();
    let recs = load_finished(cells, &status, out).unwrap();
    (status, recs)
}

#[test]
fn structure_quick_outputs_and_structured_matrices_have_lower_effective_rank() {
    let cfg = StructureConfig::quick();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("structure");
    let events = Mutex::new(Vec::new());
    let log = |e: SweepEvent| events.lock().unwrap().push(e);
    assert!(
        run_structure(&cfg, &opts(&out, Shard::ALL), &log)
            .unwrap()
            .complete()
    );
    for f in [
        "sweep.json",
        "results.csv",
        "results.jsonl",
        "tracking.csv",
        "summary.csv",
        "spectra.csv",
        "effective_rank.csv",
        "plots/spectra.svg",
        "plots/effective_rank.svg",
        "plots/ka_structure.svg",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    let h = hash_of(&out);
    assert_eq!(h.len(), 16);
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + cfg.cells().len());
    // resume runs nothing
    events.lock().unwrap().clear();
    run_structure(&cfg, &opts(&out, Shard::ALL), &log).unwrap();
    assert!(matches!(
        events.lock().unwrap()[0],
        SweepEvent::Start { pending: 0, .. }
    ));
    let cells = cfg.cells();
    let s = summarise(&records(STRUCTURE, &cfg, &cells, &out).1);
    for m in &cfg.matrices {
        let l = m.label();
        let (a, b) = (
            get(&s, "2AF", &l, "structured", "rank_w0_entropy").unwrap(),
            get(&s, "2AF", &l, "shuffled", "rank_w0_entropy").unwrap(),
        );
        let w = |v, m| get(&s, "2AF", &l, v, m).unwrap();
        eprintln!(
            "{l}: erank {a:.1} vs {b:.1}; stable rank {:.2} vs {:.2}; acc {:.2} vs {:.2}; |dW| {:.3} vs {:.3}; KA {:.3} vs {:.3}; RA {:.3} vs {:.3}",
            w("structured", "rank_w0_stable"),
            w("shuffled", "rank_w0_stable"),
            w("structured", "accuracy"),
            w("shuffled", "accuracy"),
            w("structured", "weight_change"),
            w("shuffled", "weight_change"),
            w("structured", "ka"),
            w("shuffled", "ka"),
            w("structured", "ra"),
            w("shuffled", "ra")
        );
        // low-rank structure: lower stable rank than the shuffle (small world excepted: a
        // sparse ring is not low rank)
        if !l.starts_with("smallworld") {
            assert!(
                w("structured", "rank_w0_stable") < 0.8 * w("shuffled", "rank_w0_stable"),
                "{l}: stable rank"
            );
        }
        if l.starts_with("celltypes") {
            assert!(a < 0.9 * b, "{l}: structured erank {a} vs shuffled {b}");
            assert!(
                w("structured", "accuracy") > 0.6,
                "{l}: balanced cell types train"
            );
        }
        // Dale E/I and explicit low rank: lower entropy rank and richer learning (lower KA)
        if l.starts_with("dale") || l.starts_with("rank") {
            assert!(a < 0.8 * b, "{l}: structured erank {a} vs shuffled {b}");
            assert!(
                w("structured", "ka") < w("shuffled", "ka"),
                "{l}: KA must be lower for the structured matrix"
            );
        }
    }
    // shuffle keeps the weight distribution: same Frobenius norm of W_h(0)
    let c = &cells[0].cfg;
    let sh = nc_richlazy::train::TrainConfig {
        shuffle: true,
        ..c.clone()
    };
    let f = |s: Vec<f64>| s.iter().map(|v| v * v).sum::<f64>().sqrt();
    let (f0, f1) = (
        f(initial_spectrum(c).unwrap()),
        f(initial_spectrum(&sh).unwrap()),
    );
    assert!((f0 - f1).abs() < 1e-4 * f0, "{f0} vs {f1}");
}

#[test]
fn controls_quick_shards_merge_and_hash() {
    let cfg = ControlsConfig::quick();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let log = |_: SweepEvent| {};
    let half = |i| Shard { index: i, count: 2 };
    assert!(
        !run_controls(&cfg, &opts(&a, half(0)), &log)
            .unwrap()
            .complete()
    );
    assert!(
        !run_controls(&cfg, &opts(&b, half(1)), &log)
            .unwrap()
            .complete()
    );
    let merged = dir.path().join("all");
    // merge reads the experiment from the shards' manifest
    let name = nc_richlazy::grid::merge_any(&[a.clone(), b.clone()], &merged).unwrap();
    assert_eq!(name, CONTROLS);
    // a shard of another experiment is refused, naming the differing field
    let e = merge_controls(&[a.clone(), dir.path().join("nope")], &dir.path().join("x"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not exist"), "{e}");
    let mut other = cfg.clone();
    other.base.iters += 1;
    let c = dir.path().join("c");
    run_controls(&other, &opts(&c, half(1)), &log).unwrap();
    let e = merge_controls(&[a.clone(), c], &dir.path().join("y"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("config.base.iters: 400 stored, 401 now"), "{e}");
    assert!(!dir.path().join("y").exists());
    assert_eq!(hash_of(&a), hash_of(&merged));
    for f in [
        "results.csv",
        "results.jsonl",
        "summary.csv",
        "plots/ka_vs_rank_norm.svg",
        "plots/weight_change_vs_gain.svg",
    ] {
        assert!(merged.join(f).exists(), "{f}");
    }
    let cells = cfg.cells();
    let (_, recs) = records(CONTROLS, &cfg, &cells, &merged);
    let s = summarise(&recs);
    for cond in ["norm-frobenius", "norm-spectral"] {
        let v: Vec<String> = cfg
            .ranks
            .iter()
            .map(|r| {
                format!(
                    "r{r}: |dW| {:.3} KA {:.3} RA {:.3}",
                    get(&s, "2AF", cond, &format!("rank{r}"), "weight_change").unwrap(),
                    get(&s, "2AF", cond, &format!("rank{r}"), "ka").unwrap(),
                    get(&s, "2AF", cond, &format!("rank{r}"), "ra").unwrap()
                )
            })
            .collect();
        eprintln!("{cond}: {}", v.join("; "));
    }
    for r in &cfg.gain_ranks {
        let v: Vec<String> = cfg
            .gains
            .iter()
            .map(|g| {
                let c = format!("gain-rank{r}");
                let vv = format!("g{g}");
                format!(
                    "g{g}: |dW| {:.3} KA {:.3} RA {:.3}",
                    get(&s, "2AF", &c, &vv, "weight_change").unwrap(),
                    get(&s, "2AF", &c, &vv, "ka").unwrap(),
                    get(&s, "2AF", &c, &vv, "ra").unwrap()
                )
            })
            .collect();
        eprintln!("gain rank {r}: {}", v.join("; "));
    }
    // the spectral control keeps the top singular value, so rank-1 W_h(0) is much quieter in
    // Frobenius norm than the full-rank one; the Frobenius control keeps the norm equal
    let fro = |c: &str, r: usize| {
        recs.iter()
            .find(|u| u.cell.condition == c && u.cell.variant == format!("rank{r}"))
            .map(|u| u.result.rank_w0.stable)
            .unwrap()
    };
    assert!((fro("norm-spectral", 1) - 1.0).abs() < 1e-6);
    // KA of full rank above rank 1 under Frobenius matching (the paper's claim); at quick size
    // the spectral control reverses it (printed above, reported, not pinned)
    let (lo, hi) = (cfg.ranks[0], *cfg.ranks.last().unwrap());
    {
        let cond = "norm-frobenius";
        let ka = |r: usize| get(&s, "2AF", cond, &format!("rank{r}"), "ka").unwrap();
        assert!(
            ka(lo) < ka(hi),
            "{cond}: KA rank {lo} {} vs rank {hi} {}",
            ka(lo),
            ka(hi)
        );
    }
    // a diverging unit (huge gain) is recorded, not fatal: the grid completes without it
    let wild = ControlsConfig {
        seeds: vec![0],
        ranks: vec![48],
        gains: vec![1.0, 50.0],
        gain_ranks: vec![48],
        base: nc_richlazy::train::TrainConfig {
            iters: 60,
            track_every: 0,
            optimizer: nc_richlazy::optim::OptimizerConfig::Sgd {
                lr: 1.0,
                momentum: 0.9,
            },
            ..cfg.base.clone()
        },
        ..cfg.clone()
    };
    let wd = dir.path().join("wild");
    let st = run_controls(&wild, &opts(&wd, Shard::ALL), &log).unwrap();
    assert!(st.complete() && !st.diverged().is_empty(), "{st:?}");
    let div = std::fs::read_to_string(wd.join("diverged.csv")).unwrap();
    assert!(div.contains("gain-rank48_g50"), "{div}");
    let rec =
        std::fs::read_to_string(wd.join("units/2AF_seed0_gain-rank48_g50.unit.json")).unwrap();
    assert!(rec.contains("\"state\": \"diverged\""), "{rec}");
    assert!(wd.join("results.csv").exists());
    // bad input: a rank above N is a typed error
    let bad = ControlsConfig {
        ranks: vec![1, 1000],
        ..cfg.clone()
    };
    let e = run_controls(&bad, &opts(&dir.path().join("bad"), Shard::ALL), &log).unwrap_err();
    assert!(e.to_string().contains("1000"), "{e}");
}
