//! The quick rank sweep end to end: outputs, resume, shards and merge, and the paper's claim.

use nc_core::shard::Shard;
use nc_richlazy::sweep::{SweepConfig, SweepEvent, load_units, merge, run_sweep, summarise};
use std::sync::Mutex;

#[test]
fn quick_sweep_shards_merge_and_show_the_rank_effect() {
    let cfg = SweepConfig::quick();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let events = Mutex::new(Vec::new());
    let log = |e: SweepEvent| events.lock().unwrap().push(e);
    assert!(!run_sweep(&cfg, &a, Shard { index: 0, count: 2 }, &log).unwrap());
    assert!(!run_sweep(&cfg, &b, Shard { index: 1, count: 2 }, &log).unwrap());
    let merged = dir.path().join("all");
    merge(&[a.clone(), b], &merged).unwrap();
    for f in [
        "config.json",
        "results.csv",
        "results.jsonl",
        "tracking.csv",
        "summary.csv",
        "plots/ka_vs_rank.svg",
    ] {
        assert!(merged.join(f).exists(), "{f}");
    }
    let rows = std::fs::read_to_string(merged.join("results.csv"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(rows, 1 + cfg.units().len());
    // resume: a second call on a finished shard runs nothing
    events.lock().unwrap().clear();
    run_sweep(&cfg, &a, Shard { index: 0, count: 2 }, &log).unwrap();
    assert!(matches!(
        events.lock().unwrap()[0],
        SweepEvent::Start { pending: 0, .. }
    ));

    // the paper's claim at quick size, averaged over seeds: lowest rank vs full rank
    let recs = load_units(&cfg, &merged).unwrap();
    let s = summarise(&cfg, &recs);
    let get = |task, rank, m: &str| {
        s.iter()
            .find(|r| r.task == task && r.rank == rank && r.measure == m)
            .unwrap()
            .mean
    };
    let (lo, hi) = (cfg.ranks[0], *cfg.ranks.last().unwrap());
    for task in cfg.tasks.clone() {
        for m in ["ka", "ra", "weight_change"] {
            eprintln!(
                "{task} {m}: {:?}",
                cfg.ranks
                    .iter()
                    .map(|&r| get(task, r, m))
                    .collect::<Vec<_>>()
            );
        }
        assert!(
            get(task, lo, "ka") < get(task, hi, "ka"),
            "{task}: KA must rise with rank"
        );
        assert!(
            get(task, lo, "ra") < get(task, hi, "ra"),
            "{task}: RA must rise with rank"
        );
        assert!(
            get(task, lo, "weight_change") > get(task, hi, "weight_change"),
            "{task}: |dW_h| must fall with rank"
        );
    }
}
