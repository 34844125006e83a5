//! The target task: steering works before any training, the sweep shards and merges, and
//! the policies are the sizes the reference gives.

use nc_core::shard::Shard;
use nc_ncap::es::EsPolicy;
use nc_ncap::es::navigate::Navigating;
use nc_ncap::experiments::navigate::{MODELS, NavigateRow, units};
use nc_ncap::experiments::unit::{Algo, ModelKind, Task, TrainSpec};
use nc_ncap::experiments::{Preset, SweepOptions, merge, navigate};
use nc_ncap::ncap::{Ncap, NcapConfig};
use nc_swimmer::SwimConfig;

fn untrained(code: &str) -> Navigating<Ncap> {
    let cfg = NcapConfig::from_code(code).unwrap();
    let mut rng = nc_core::rng::stream(0, "ncap-init", 0);
    Navigating(Ncap::new(cfg, 5, &mut rng).unwrap())
}

#[test]
fn the_fixed_steering_rule_reaches_targets_that_the_plain_circuit_swims_past() {
    // the default weights with the reference's rule, no training: the turn and brake inputs
    // alone must bring the nose near the targets, where the same circuit without them swims
    // wherever its random heading points
    let swim = SwimConfig::default();
    let mean = |p: &Navigating<Ncap>| {
        (0..8)
            .map(|s| p.episode(swim, 500 + s).unwrap())
            .sum::<f64>()
            / 8.0
    };
    let (steered, plain) = (mean(&untrained("111-steer")), mean(&untrained("111")));
    eprintln!("mean return over 8 targets: steered {steered:.0}, plain {plain:.0}");
    assert!(
        steered > 300.0 && steered > 2.0 * plain,
        "{steered} vs {plain}"
    );
}

#[test]
fn navigate_sweep_shards_merges_and_draws_every_model() {
    let root = tempfile::tempdir().unwrap();
    let opts = |out: &str, shard: Shard| SweepOptions {
        out: root.path().join(out),
        shard,
        preset: Preset::Quick,
        seeds: Some(1),
        steps: Some(8_000),
        mlp_hidden: None,
        force: false,
    };
    let a = navigate::run(&opts("s0", Shard { index: 0, count: 2 }), &mut |_| {}).unwrap();
    assert!(!a.aggregated && a.done == 2);
    navigate::run(&opts("s1", Shard { index: 1, count: 2 }), &mut |_| {}).unwrap();
    let m = root.path().join("m");
    let merged = merge(&m, &[root.path().join("s0"), root.path().join("s1")]).unwrap();
    assert!(merged.aggregated && merged.done == 4);
    let rows: Vec<NavigateRow> =
        serde_json::from_str(&std::fs::read_to_string(m.join("navigate.json")).unwrap()).unwrap();
    // 4 shared weights, +2 for speed and turn, +9 for Linear(2, 3); the MLP reads 25 inputs
    let mlp = (25 * 64 + 64) + (64 * 64 + 64) + (64 * 5 + 5) + 5;
    let sizes: Vec<(&str, usize)> = rows
        .iter()
        .map(|r| (r.model.as_str(), r.n_params))
        .collect();
    assert_eq!(
        sizes,
        [
            ("ncap-steer", 6),
            ("ncap-steerlearn", 15),
            ("ncap-nosteer", 4),
            ("mlp", mlp)
        ]
    );
    for r in &rows {
        assert_eq!(r.final_per_seed.len(), 1);
        assert!(r.initial_mean.is_finite() && r.final_mean >= 0.0);
    }
    for (name, ..) in MODELS {
        let svg = std::fs::read_to_string(m.join(format!("trajectories_{name}.svg"))).unwrap();
        assert!(svg.contains("paths to 4 targets"), "{name}");
    }
    assert!(m.join("navigate.svg").exists() && m.join("navigate.csv").exists());
}

#[test]
fn navigate_units_say_so_and_swim_specs_stay_as_they_were() {
    let opts = SweepOptions {
        out: "unused".into(),
        shard: Shard::ALL,
        preset: Preset::Quick,
        seeds: None,
        steps: None,
        mlp_hidden: None,
        force: false,
    };
    let u = units(&opts);
    assert_eq!(u.len(), 4 * Preset::Quick.seeds());
    assert!(
        u.iter()
            .all(|s| s.task == Task::Navigate && s.name().starts_with("nav-"))
    );
    // a swim spec serialises without the task, so folders of earlier runs still match
    let swim = TrainSpec::new(Algo::Es, ModelKind::Ncap, 0, 8_000);
    assert!(serde_json::to_value(&swim).unwrap().get("task").is_none());
    // only ES drives the target task
    let ppo = TrainSpec {
        task: Task::Navigate,
        ..TrainSpec::new(Algo::Ppo, ModelKind::Ncap, 0, 8_192)
    };
    let e = ppo.check().unwrap_err().to_string();
    assert!(e.contains("ES only"), "{e}");
}
