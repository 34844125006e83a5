//! The quick rank sweep end to end: outputs, resume, stale keys, shards and merge, the
//! statistics and verdicts, and the paper's claim.

use nc_core::shard::Shard;
use nc_core::sweep::RunOptions;
use nc_richlazy::claims::Claim;
use nc_richlazy::grid::SweepEvent;
use nc_richlazy::sweep::{SweepConfig, load_units, merge, original_ranks, run_sweep};
use nc_richlazy::tables::summarise;
use std::path::Path;
use std::sync::Mutex;

fn opts(out: &Path, shard: Shard) -> RunOptions {
    RunOptions {
        shard,
        ..RunOptions::new(out)
    }
}

#[test]
fn quick_sweep_shards_merge_and_show_the_rank_effect() {
    let cfg = SweepConfig::quick();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let events = Mutex::new(Vec::new());
    let log = |e: SweepEvent| events.lock().unwrap().push(e);
    let half = |i| Shard { index: i, count: 2 };
    assert!(
        !run_sweep(&cfg, &opts(&a, half(0)), &log)
            .unwrap()
            .complete()
    );
    assert!(
        !run_sweep(&cfg, &opts(&b, half(1)), &log)
            .unwrap()
            .complete()
    );
    let merged = dir.path().join("all");
    merge(&[a.clone(), b], &merged).unwrap();
    for f in [
        "sweep.json",
        "results.csv",
        "results.jsonl",
        "tracking.csv",
        "summary.csv",
        "paired.csv",
        "original_ranks.csv",
        "claims.json",
        "diverged.csv",
        "plots/ka_vs_rank.svg",
        "plots/weight_change_vs_rank.svg",
        "plots/weight_change_split_vs_rank.svg",
        "effective_ranks.csv",
        "extensions.json",
        "plots/cka_vs_rank.svg",
        "plots/capacity_vs_rank.svg",
        "plots/ka_over_training_2af.svg",
        "plots/ka_over_training_dms.svg",
        "plots/ka_over_training_cxt.svg",
    ] {
        assert!(merged.join(f).exists(), "{f}");
    }
    let rows = std::fs::read_to_string(merged.join("results.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + cfg.cells().len());
    // a group with no values (a measure no seed has) gets empty cells, never NaN text
    let summary = std::fs::read_to_string(merged.join("summary.csv")).unwrap();
    assert!(!summary.to_lowercase().contains("nan"), "{summary}");
    for line in summary.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f.len(), 11, "{line}");
        assert_eq!(f[5] == "0", f[6].is_empty(), "{line}");
    }
    // resume: a second call on a finished shard runs nothing
    events.lock().unwrap().clear();
    run_sweep(&cfg, &opts(&a, half(0)), &log).unwrap();
    assert!(matches!(
        events.lock().unwrap()[0],
        SweepEvent::Start { pending: 0, .. }
    ));

    // the figures: no literal markup, and the interval of ‖ΔW_h‖ never goes below 0
    let svg = std::fs::read_to_string(merged.join("plots/weight_change_vs_rank.svg")).unwrap();
    assert!(!svg.contains("_F") && svg.contains("‖ΔWₕ‖ (Frobenius)"));
    let recs = load_units(&cfg, &merged).unwrap();
    let s = summarise(&recs);
    for r in s.iter().filter(|r| r.measure == "weight_change") {
        assert!(
            r.ci_lo >= 0.0 && r.ci_lo <= r.median && r.median <= r.ci_hi,
            "{r:?}"
        );
    }
    // the original's ranks for N = 64 are in the grid and in their table
    let orig = std::fs::read_to_string(merged.join("original_ranks.csv")).unwrap();
    for r in original_ranks(cfg.base.n) {
        assert!(cfg.ranks.contains(&r));
        assert!(orig.contains(&format!("2AF,{r},ka,3,")), "{orig}");
    }
    // 3 seeds cannot decide an ordering: every verdict says so, with the budget needed
    let claims: Vec<Claim> =
        serde_json::from_str(&std::fs::read_to_string(merged.join("claims.json")).unwrap())
            .unwrap();
    assert_eq!(claims.len(), 3);
    for c in &claims {
        eprintln!("{}", c.sentence());
        assert_eq!(c.verdict.word(), "too small to judge");
        assert!(c.sentence().contains("at least 5 seeds"));
    }
    // the extensions: statements without a verdict, and a capacity for every run
    let ext: Vec<nc_richlazy::claims::Extension> =
        serde_json::from_str(&std::fs::read_to_string(merged.join("extensions.json")).unwrap())
            .unwrap();
    assert_eq!(ext.len(), 2);
    for e in &ext {
        assert_eq!(e.tasks.len(), cfg.tasks.len());
        eprintln!("{}: {}", e.quantity, e.tasks.join("; "));
    }
    let full = *cfg.ranks.iter().max().unwrap();
    for u in &recs {
        // a low-rank start may leave the classes inseparable even in N dimensions (no
        // capacity); at full rank they separate before and after training
        if nc_richlazy::sweep::rank_of(&u.cell) == full {
            assert!(u.result.capacity_0.is_some() && u.result.capacity_t.is_some());
        }
        for c in [&u.result.capacity_0, &u.result.capacity_t]
            .into_iter()
            .flatten()
        {
            assert!(c.alpha.is_finite() && c.alpha > 0.0 && c.n_c <= cfg.base.n as f64);
            assert!((c.alpha - c.manifolds as f64 / c.n_c).abs() < 1e-12);
        }
        let m = u.result.final_measures;
        assert!((-1e-9..=1.0 + 1e-9).contains(&m.cka));
    }
    let er = std::fs::read_to_string(merged.join("effective_ranks.csv")).unwrap();
    assert!(
        er.starts_with("task,condition,variant,x,matrix,n,nuclear,entropy,participation,stable\n")
    );
    assert_eq!(
        er.lines().count(),
        1 + 3 * cfg.tasks.len() * cfg.ranks.len()
    );
    // the ΔW split: every quick run learns its task, and its parts are non-negative
    for u in &recs {
        let l = u.result.learned.expect("every quick run learns");
        assert!(l.change_to_learned > 0.0 && l.drift_after >= 0.0);
    }

    // the paper's claim at quick size, medians over seeds: lowest rank vs full rank
    let get = |task: &str, rank: usize, m: &str| {
        s.iter()
            .find(|r| r.task == task && r.x as usize == rank && r.measure == m)
            .unwrap()
            .median
    };
    let (lo, hi) = (cfg.ranks[0], *cfg.ranks.last().unwrap());
    for task in cfg.tasks.iter().map(ToString::to_string) {
        for m in [
            "ka",
            "ra",
            "cka",
            "weight_change",
            "capacity_0",
            "capacity_t",
        ] {
            eprintln!(
                "{task} {m}: {:?}",
                cfg.ranks
                    .iter()
                    .map(|&r| get(&task, r, m))
                    .collect::<Vec<_>>()
            );
        }
        assert!(
            get(&task, lo, "ka") < get(&task, hi, "ka"),
            "{task}: KA must rise with rank"
        );
        assert!(
            get(&task, lo, "ra") < get(&task, hi, "ra"),
            "{task}: RA must rise with rank"
        );
    }
}

#[test]
fn full_grid_holds_the_original_ranks() {
    let full = SweepConfig::full();
    for r in original_ranks(full.base.n) {
        assert!(full.ranks.contains(&r), "rank {r}");
    }
}

#[test]
fn a_rerun_with_other_iterations_is_refused_then_forced_and_an_empty_grid_is_an_error() {
    let mut cfg = SweepConfig::quick();
    cfg.tasks.truncate(1);
    cfg.seeds.truncate(1);
    cfg.ranks = vec![1, 64];
    cfg.base.iters = 40;
    cfg.base.track_every = 20;
    let dir = tempfile::tempdir().unwrap();
    let o = opts(dir.path(), Shard::ALL);
    assert!(run_sweep(&cfg, &o, &|_| {}).unwrap().complete());
    let before = std::fs::read(dir.path().join("results.csv")).unwrap();
    let mut other = cfg.clone();
    other.base.iters = 60;
    let e = run_sweep(&other, &o, &|_| {}).unwrap_err().to_string();
    assert!(
        e.contains("2 unit(s) made with other settings")
            && e.contains("cfg.iters: 40 stored, 60 now")
            && e.contains("--force"),
        "{e}"
    );
    // refused means untouched
    assert_eq!(
        std::fs::read(dir.path().join("results.csv")).unwrap(),
        before
    );
    let forced = RunOptions {
        force: true,
        ..o.clone()
    };
    assert!(run_sweep(&other, &forced, &|_| {}).unwrap().complete());
    let recs = load_units(&other, dir.path()).unwrap();
    assert!(recs.iter().all(|u| u.result.config.iters == 60));
    // no seeds: nothing to run is an error, not an empty result
    let empty = SweepConfig {
        seeds: Vec::new(),
        ..cfg
    };
    let e = run_sweep(&empty, &opts(&dir.path().join("e"), Shard::ALL), &|_| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("grid is empty"), "{e}");
}
