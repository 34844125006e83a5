//! The target task: steering works before any training, the sweep shards and merges under ES
//! and PPO, the policies are the sizes the reference gives, and a trajectory replays what the
//! test measured.

use nc_core::shard::Shard;
use nc_ncap::es::EsPolicy;
use nc_ncap::es::navigate::Navigating;
use nc_ncap::experiments::navigate::{MODELS, NavigateRow, trajectory, units};
use nc_ncap::experiments::unit::{Algo, ModelKind, Task, TrainSpec};
use nc_ncap::experiments::{Preset, SweepOptions, merge, navigate};
use nc_ncap::ncap::{Ncap, NcapConfig};
use nc_ncap::ppo::{self, PpoConfig};
use nc_ncap::precision::Precision;
use nc_ncap::train::test_seed;
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
    assert!(!a.aggregated && a.done == 4);
    navigate::run(&opts("s1", Shard { index: 1, count: 2 }), &mut |_| {}).unwrap();
    let m = root.path().join("m");
    let merged = merge(&m, &[root.path().join("s0"), root.path().join("s1")]).unwrap();
    assert!(merged.aggregated && merged.done == 8);
    let rows: Vec<NavigateRow> =
        serde_json::from_str(&std::fs::read_to_string(m.join("navigate.json")).unwrap()).unwrap();
    // 4 shared weights, +2 for speed and turn, +9 for Linear(2, 3); ES's MLP reads 25 inputs,
    // PPO's 26 (Tonic's time feature)
    let mlp = |n_in: usize| (n_in * 64 + 64) + (64 * 64 + 64) + (64 * 5 + 5) + 5;
    let sizes: Vec<(Algo, &str, usize)> = rows
        .iter()
        .map(|r| (r.algo, r.model.as_str(), r.n_params))
        .collect();
    let mut expected = Vec::new();
    for (algo, n_in) in [(Algo::Es, 25), (Algo::Ppo, 26)] {
        expected.extend([
            (algo, "ncap-steer", 6),
            (algo, "ncap-steerlearn", 15),
            (algo, "ncap-nosteer", 4),
            (algo, "mlp", mlp(n_in)),
        ]);
    }
    assert_eq!(sizes, expected);
    for r in &rows {
        assert_eq!(r.final_per_seed.len(), 1);
        assert!(r.initial_mean.is_finite() && r.final_mean >= 0.0);
    }
    let csv = std::fs::read_to_string(m.join("navigate.csv")).unwrap();
    assert!(
        csv.starts_with("algo,model,") && csv.contains("\nppo,mlp,"),
        "{csv}"
    );
    for algo in ["es", "ppo"] {
        for (name, ..) in MODELS {
            let f = m.join(format!("trajectories_{algo}_{name}.svg"));
            let svg = std::fs::read_to_string(&f).unwrap();
            assert!(svg.contains("paths to 4 targets"), "{f:?}");
        }
        assert!(m.join(format!("navigate_{algo}.svg")).exists());
    }
}

#[test]
fn a_ppo_policys_path_earns_the_return_its_test_measured() {
    // a tiny PPO run on the target task, tested at the mean action with one episode: the
    // trajectory of the saved policy (normaliser and time feature for the MLP, steering for
    // NCAP) from the same reset must earn that test's return
    let cfg = PpoConfig {
        task: Task::Navigate,
        max_steps: 1024,
        segment: 512,
        n_envs: 2,
        iterations: 5,
        epoch_steps: 512,
        test_episodes: 1,
        test_sample: false,
        episode_len: 300,
        precision: Precision::F64,
        ..PpoConfig::default()
    };
    let swim = SwimConfig {
        n_bodies: cfg.n_bodies,
        episode_len: cfg.episode_len,
        ..SwimConfig::default()
    };
    let ncap = untrained("111-steerlearn").0;
    for actor in [ppo::mlp_actor(&cfg).unwrap(), ppo::ncap_actor(&cfg, ncap)] {
        let out = ppo::train(&cfg, actor, None, &mut |_| {}).unwrap();
        let saved = out.actor.saved(&out.normalizer);
        let path = trajectory(&saved, swim, test_seed(cfg.seed, 0)).unwrap();
        let tested = out.rows.last().unwrap().test_mean;
        assert!(
            (path.ret - tested).abs() <= 1e-9 * tested.abs().max(1.0),
            "{}: path {} vs test {tested}",
            saved.kind(),
            path.ret
        );
        assert_eq!(path.nose.len(), cfg.episode_len + 1);
    }
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
    assert_eq!(u.len(), 2 * 4 * Preset::Quick.seeds());
    assert!(
        u.iter()
            .all(|s| s.task == Task::Navigate && s.name().starts_with("nav-"))
    );
    // PPO at the preset's PPO budget and MLP size, on the same seeds as ES
    for s in &u {
        let steps = match s.algo {
            Algo::Es => Preset::Quick.ncap_steps(),
            _ => Preset::Quick.curve_steps(s.algo),
        };
        assert_eq!(s.steps, steps, "{}", s.name());
        assert_eq!(s.mlp_hidden, Preset::Quick.mlp_hidden(s.algo));
        s.check().unwrap();
    }
    assert_eq!(
        u.iter().filter(|s| s.algo == Algo::Ppo).count(),
        u.len() / 2
    );
    // a swim spec serialises without the task, so folders of earlier runs still match
    let swim = TrainSpec::new(Algo::Es, ModelKind::Ncap, 0, 8_000);
    assert!(serde_json::to_value(&swim).unwrap().get("task").is_none());
    // ES and PPO drive the target task, DDPG does not
    let on_target = |algo| TrainSpec {
        task: Task::Navigate,
        ..TrainSpec::new(algo, ModelKind::Ncap, 0, 8_192)
    };
    on_target(Algo::Ppo).check().unwrap();
    // a steered NCAP under PPO on swim would read body velocities as the target
    let steered_swim = TrainSpec {
        ablation: "111-steer".into(),
        ..TrainSpec::new(Algo::Ppo, ModelKind::Ncap, 0, 8_192)
    };
    let e = steered_swim.check().unwrap_err().to_string();
    assert!(e.contains("only the target task observes"), "{e}");
    let e = on_target(Algo::Ddpg).check().unwrap_err().to_string();
    assert!(e.contains("ES and PPO only; DDPG trains on swim"), "{e}");
    // the PPO configuration of a swim unit does not name the task, so its checkpoints stay
    // as they were; the target task's does
    let swim_ppo = TrainSpec::new(Algo::Ppo, ModelKind::Mlp, 0, 8_192).ppo_config();
    assert!(
        serde_json::to_value(&swim_ppo)
            .unwrap()
            .get("task")
            .is_none()
    );
    assert_eq!(
        serde_json::to_value(on_target(Algo::Ppo).ppo_config()).unwrap()["task"],
        "navigate"
    );
}
