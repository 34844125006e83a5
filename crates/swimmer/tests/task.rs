//! The swim task: observations and reward against dm_control, reset statistics, errors.

use crate::reference::{data, max_abs_diff, usize_of, vec};
use nc_swimmer::{ConfigError, SimError, SwimConfig, SwimEnv, VecEnv, run_episode};

fn env(n: usize) -> SwimEnv {
    SwimEnv::new(SwimConfig {
        n_bodies: n,
        ..SwimConfig::default()
    })
    .unwrap()
}

#[test]
fn observations_and_reward_match_dm_control() {
    let mut checked_reward = 0;
    for rec in data()["observations"].as_array().unwrap() {
        let n = usize_of(rec, "n_bodies");
        let mut e = env(n);
        for st in rec["steps"].as_array().unwrap() {
            e.set_state(&vec(st, "qpos"), &vec(st, "qvel")).unwrap();
            let mut obs = vec![0.0; e.obs_dim()];
            e.observe(&mut obs);
            let joints = vec(st, "joints");
            let vels = vec(st, "body_velocities");
            assert_eq!(obs.len(), joints.len() + vels.len());
            assert!(max_abs_diff(&obs[..n - 1], &joints) < 1e-15);
            assert!(
                max_abs_diff(&obs[n - 1..], &vels) < 1e-12,
                "n={n}: {obs:?} vs {vels:?}"
            );
            let r = st["swim_reward"].as_f64().unwrap();
            assert!(
                (e.reward() - r).abs() < 1e-10,
                "reward {} vs {r}",
                e.reward()
            );
            checked_reward += usize::from(r > 0.0 && r < 1.0);
        }
    }
    assert!(
        checked_reward > 0,
        "some reference rewards lie strictly inside (0, 1)"
    );
}

#[test]
fn reset_draws_dm_control_distribution() {
    let mut e = env(6);
    let n = 4000;
    let (mut mh, mut vh, mut mj, mut vj) = (0.0, 0.0, 0.0, 0.0);
    let lim = std::f64::consts::PI / 3.0;
    for seed in 0..n {
        e.reset(seed);
        let q = e.qpos();
        assert_eq!(&q[..2], &[0.0, 0.0]);
        assert!(e.qvel().iter().all(|&v| v == 0.0));
        assert!(q[2].abs() <= std::f64::consts::PI);
        assert!(q[3..].iter().all(|x| x.abs() <= lim));
        mh += q[2];
        vh += q[2] * q[2];
        mj += q[3..].iter().sum::<f64>();
        vj += q[3..].iter().map(|x| x * x).sum::<f64>();
    }
    let nf = n as f64;
    // U(-a, a): mean 0, variance a²/3; bounds are about 4 standard errors
    assert!((mh / nf).abs() < 0.12);
    assert!((vh / nf - std::f64::consts::PI.powi(2) / 3.0).abs() < 0.19);
    assert!((mj / (5.0 * nf)).abs() < 0.02);
    assert!((vj / (5.0 * nf) - lim * lim / 3.0).abs() < 0.02);

    // seeded: the same seed gives the same state, another seed another
    e.reset(11);
    let a = e.qpos().to_vec();
    e.reset(11);
    assert_eq!(a, e.qpos());
    e.reset(12);
    assert_ne!(a, e.qpos());
}

#[test]
fn time_feature_and_done_flag() {
    let cfg = SwimConfig {
        episode_len: 4,
        time_feature: true,
        ..SwimConfig::default()
    };
    let mut e = SwimEnv::new(cfg).unwrap();
    assert_eq!(e.obs_dim(), 5 + 18 + 1);
    e.reset(3);
    let mut obs = vec![0.0; e.obs_dim()];
    e.observe(&mut obs);
    assert_eq!(obs[23], -1.0);
    for k in 1..=4 {
        let out = e.step(&[0.5; 5]).unwrap();
        assert_eq!(out.done, k == 4);
        e.observe(&mut obs);
        assert!((obs[23] - (-1.0 + 2.0 * k as f64 / 4.0)).abs() < 1e-15);
        assert!((0.0..=1.0).contains(&out.reward));
    }
    let ret = run_episode(&mut e, 5, |_, _, a| a.fill(0.0)).unwrap();
    assert!(ret.is_finite());
    assert_eq!(e.episode_step(), 4);
}

#[test]
fn validate_names_the_bad_field() {
    let bad = |cfg: SwimConfig| SwimEnv::new(cfg).err().unwrap();
    let d = SwimConfig::default();
    assert_eq!(
        bad(SwimConfig { n_bodies: 2, ..d }),
        ConfigError::NBodies {
            got: 2,
            min: 3,
            max: 20
        }
    );
    assert!(matches!(
        bad(SwimConfig { density: -1.0, ..d }),
        ConfigError::Negative {
            field: "density",
            ..
        }
    ));
    assert!(matches!(
        bad(SwimConfig {
            viscosity: f64::INFINITY,
            ..d
        }),
        ConfigError::NonFinite {
            field: "viscosity",
            ..
        }
    ));
    assert!(matches!(
        bad(SwimConfig { timestep: 0.0, ..d }),
        ConfigError::NotPositive {
            field: "timestep",
            ..
        }
    ));
    assert!(matches!(
        bad(SwimConfig { substeps: 0, ..d }),
        ConfigError::ZeroCount {
            field: "substeps",
            ..
        }
    ));
    assert!(matches!(
        bad(SwimConfig {
            episode_len: 0,
            ..d
        }),
        ConfigError::ZeroCount {
            field: "episode_len",
            ..
        }
    ));
    assert!(SwimConfig { n_bodies: 20, ..d }.validate().is_ok());
}

#[test]
fn bad_actions_and_divergence_are_errors() {
    let mut e = env(4);
    e.reset(0);
    assert_eq!(
        e.step(&[0.0; 2]).unwrap_err(),
        SimError::Length {
            what: "action",
            expected: 3,
            got: 2
        }
    );
    assert!(matches!(
        e.step(&[0.0, f64::NAN, 0.0]),
        Err(SimError::BadAction { index: 1, .. })
    ));
    // an absurd velocity: reported, never stepped into NaN
    let mut qvel = vec![0.0; 6];
    qvel[4] = 1e11;
    e.set_state(&[0.0; 6], &qvel).unwrap();
    assert!(matches!(
        e.step(&[0.0; 3]),
        Err(SimError::Diverged { field: "qvel", .. })
    ));
}

#[test]
fn vec_env_matches_single_envs() {
    let cfg = SwimConfig::default();
    let mut ve = VecEnv::new(cfg, 3).unwrap();
    let seeds = [1, 2, 3];
    ve.reset_all(&seeds);
    let mut singles: Vec<SwimEnv> = seeds
        .iter()
        .map(|&s| {
            let mut e = SwimEnv::new(cfg).unwrap();
            e.reset(s);
            e
        })
        .collect();
    let mut rewards = [0.0; 3];
    for k in 0..5 {
        let actions: Vec<f64> = (0..15).map(|i| ((i * 7 + k) as f64).sin()).collect();
        ve.step_all(&actions, &mut rewards).unwrap();
        for (i, e) in singles.iter_mut().enumerate() {
            let r = e.step(&actions[5 * i..5 * i + 5]).unwrap().reward;
            assert_eq!(r, rewards[i]);
            assert_eq!(e.qpos(), ve.envs()[i].qpos());
        }
    }
    let mut obs = vec![0.0; 3 * 23];
    ve.observe_all(&mut obs);
    let mut one = vec![0.0; 23];
    singles[2].observe(&mut one);
    assert_eq!(&obs[46..], &one[..]);
    assert!(ve.step_all(&[0.0; 14], &mut rewards).is_err());
}

#[test]
fn a_restored_state_continues_bit_for_bit() {
    // a training checkpoint saves (qpos, qvel, episode step) mid-episode; a fresh environment
    // restored from them must take exactly the same steps as the one that kept running
    let cfg = SwimConfig {
        time_feature: true,
        ..SwimConfig::default()
    };
    assert_eq!(cfg.obs_dim(), 24);
    let mut a = SwimEnv::new(cfg).unwrap();
    a.reset(5);
    let act = |k: usize| -> Vec<f64> { (0..5).map(|i| ((i * 3 + k) as f64).cos()).collect() };
    for k in 0..40 {
        a.step(&act(k)).unwrap();
    }
    let mut b = SwimEnv::new(cfg).unwrap();
    b.restore(a.qpos(), a.qvel(), a.episode_step()).unwrap();
    let (mut oa, mut ob) = (vec![0.0; 24], vec![0.0; 24]);
    a.observe(&mut oa);
    b.observe(&mut ob);
    assert_eq!(oa, ob);
    for k in 40..80 {
        let (ra, rb) = (a.step(&act(k)).unwrap(), b.step(&act(k)).unwrap());
        assert_eq!(ra, rb);
        a.observe(&mut oa);
        b.observe(&mut ob);
        assert_eq!(oa, ob);
    }
    assert_eq!(a.qpos(), b.qpos());
    assert!(b.restore(&[0.0; 3], a.qvel(), 0).is_err());
}
