//! The f32-against-f64 sweep: pairs of units that differ only in precision, and a verdict
//! that a CI-sized run cannot earn.

use nc_core::shard::Shard;
use nc_ncap::experiments::precision::{PrecisionRow, units};
use nc_ncap::experiments::{Preset, SweepOptions, precision};
use nc_ncap::precision::Precision;

#[test]
fn precision_sweep_pairs_units_and_a_tiny_run_is_too_small_to_judge() {
    let root = tempfile::tempdir().unwrap();
    let opts = SweepOptions {
        out: root.path().join("p"),
        shard: Shard::ALL,
        preset: Preset::Quick,
        seeds: Some(1),
        steps: Some(4_096),
        mlp_hidden: Some(vec![16, 16]),
        force: false,
    };
    let u = units(&opts);
    assert_eq!(u.len(), 4);
    // each f32 unit has an f64 twin that differs in nothing else, under another name
    for a in u.iter().filter(|s| s.precision == Precision::F32) {
        let twin = u
            .iter()
            .find(|b| b.precision == Precision::F64 && b.algo == a.algo && b.seed == a.seed)
            .unwrap();
        let same = nc_ncap::experiments::unit::TrainSpec {
            precision: Precision::F32,
            ..twin.clone()
        };
        assert_eq!(&same, a);
        assert_ne!(twin.name(), a.name());
    }
    let r = precision::run(&opts, &mut |_| {}).unwrap();
    assert!(r.aggregated);
    let rows: Vec<PrecisionRow> =
        serde_json::from_str(&std::fs::read_to_string(opts.out.join("precision.json")).unwrap())
            .unwrap();
    assert_eq!(rows.len(), 2);
    let claims = std::fs::read_to_string(opts.out.join("claims.json")).unwrap();
    assert!(
        claims.contains("too small") || claims.contains("too_small"),
        "{claims}"
    );
    for algo in ["ppo", "ddpg"] {
        assert!(opts.out.join(format!("precision_{algo}.svg")).exists());
    }
}
