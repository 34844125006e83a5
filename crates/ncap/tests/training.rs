//! Training reaches the targets; sweeps shard and merge.

use nc_core::shard::Shard;
use nc_ncap::es::{EsConfig, train};
use nc_ncap::experiments::{SweepOptions, ablations, merge};
use nc_ncap::ncap::Ncap;

#[test]
fn es_on_four_ncap_weights_reaches_860_within_5e4_steps() {
    // 6 generations of 8 episodes = 48,000 environment steps
    let mut finals = Vec::new();
    for seed in 0..3 {
        let cfg = EsConfig {
            seed,
            max_steps: 50_000,
            ..EsConfig::default()
        };
        let out = train(&cfg, Ncap::default_for(5).unwrap(), None, &mut |_| {}).unwrap();
        let last = out.rows.last().unwrap();
        assert!(last.steps <= 50_000);
        eprintln!(
            "seed {seed}: {} -> {}",
            out.rows[0].test_mean, last.test_mean
        );
        finals.push(last.test_mean);
    }
    let mean = finals.iter().sum::<f64>() / 3.0;
    assert!(mean >= 860.0, "mean final test return {mean} ({finals:?})");
}

#[test]
fn sharded_sweep_merges_into_the_unsharded_result() {
    let root = tempfile::tempdir().unwrap();
    let opts = |out: &str, shard: Shard| SweepOptions {
        out: root.path().join(out),
        shard,
        quick: true,
        seeds: Some(1),
        steps: Some(8_000),
    };
    let a = ablations::run(&opts("s0", Shard { index: 0, count: 3 }), &mut |_| {}).unwrap();
    assert!(!a.aggregated && a.done == 3);
    ablations::run(&opts("s1", Shard { index: 1, count: 3 }), &mut |_| {}).unwrap();
    let partial = merge(
        &root.path().join("m"),
        &[root.path().join("s0"), root.path().join("s1")],
    )
    .unwrap();
    assert!(!partial.aggregated);
    ablations::run(&opts("s2", Shard { index: 2, count: 3 }), &mut |_| {}).unwrap();
    let merged = merge(&root.path().join("m"), &[root.path().join("s2")]).unwrap();
    assert!(merged.aggregated && merged.done == 8);
    let whole = ablations::run(&opts("all", Shard::ALL), &mut |_| {}).unwrap();
    assert!(whole.aggregated);
    let read =
        |d: &str| std::fs::read_to_string(root.path().join(d).join("ablations.csv")).unwrap();
    assert_eq!(read("m"), read("all"));
}
