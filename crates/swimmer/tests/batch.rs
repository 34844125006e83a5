//! The batched `VecEnv` (environments in SIMD lanes) against environments stepped alone:
//! equal bit for bit, limits and errors included.

use nc_swimmer::{Data, SimError, SwimConfig, SwimEnv, VecEnv};

/// Asserts that every state and per-step quantity of `a` and `b` has the same bits.
fn same_bits(a: &Data, b: &Data, what: &str) {
    let bits = |x: &[f64]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    let bits2 = |x: &[[f64; 2]]| x.iter().flatten().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(a.time.to_bits(), b.time.to_bits(), "{what}: time");
    assert_eq!((a.nstep, a.warn_solver), (b.nstep, b.warn_solver), "{what}");
    for (name, x, y) in [
        ("qpos", &a.qpos, &b.qpos),
        ("qvel", &a.qvel, &b.qvel),
        ("qacc", &a.qacc, &b.qacc),
        ("ctrl", &a.ctrl, &b.ctrl),
        ("xangle", &a.xangle, &b.xangle),
        ("xomega", &a.xomega, &b.xomega),
        ("qfrc_bias", &a.qfrc_bias, &b.qfrc_bias),
        ("qfrc_passive", &a.qfrc_passive, &b.qfrc_passive),
        ("qfrc_actuator", &a.qfrc_actuator, &b.qfrc_actuator),
        ("qfrc_smooth", &a.qfrc_smooth, &b.qfrc_smooth),
        ("qacc_smooth", &a.qacc_smooth, &b.qacc_smooth),
        ("qfrc_constraint", &a.qfrc_constraint, &b.qfrc_constraint),
    ] {
        assert_eq!(bits(x), bits(y), "{what}: {name}");
    }
    for (name, x, y) in [
        ("xrot", &a.xrot, &b.xrot),
        ("xpos", &a.xpos, &b.xpos),
        ("xipos", &a.xipos, &b.xipos),
        ("xanchor", &a.xanchor, &b.xanchor),
        ("xanchor_vel", &a.xanchor_vel, &b.xanchor_vel),
        ("xivel", &a.xivel, &b.xivel),
    ] {
        assert_eq!(bits2(x), bits2(y), "{what}: {name}");
    }
    let nc = a.nefc;
    assert_eq!(nc, b.nefc, "{what}: nefc");
    assert_eq!(a.efc_dof[..nc], b.efc_dof[..nc], "{what}: efc_dof");
    for (name, x, y) in [
        ("efc_j", &a.efc_j, &b.efc_j),
        ("efc_pos", &a.efc_pos, &b.efc_pos),
        ("efc_vel", &a.efc_vel, &b.efc_vel),
        ("efc_aref", &a.efc_aref, &b.efc_aref),
        ("efc_r", &a.efc_r, &b.efc_r),
        ("efc_force", &a.efc_force, &b.efc_force),
    ] {
        assert_eq!(bits(&x[..nc]), bits(&y[..nc]), "{what}: {name}");
    }
}

/// Two full groups of lanes and a remainder, several body counts, actions hard enough to
/// drive the joints into their limits: batched and one-by-one stepping agree bit for bit.
#[test]
fn batched_steps_equal_single_steps_bit_for_bit() {
    let n_envs = 2 * VecEnv::LANES + 3;
    for n_bodies in [3, 6, 12, 20] {
        let cfg = SwimConfig {
            n_bodies,
            time_feature: true,
            episode_len: 25,
            ..SwimConfig::default()
        };
        let seeds: Vec<u64> = (0..n_envs as u64).map(|s| 100 + s).collect();
        let mut batched = VecEnv::new(cfg, n_envs).unwrap();
        batched.reset_all(&seeds);
        let mut alone = batched.clone();
        alone.set_batched(false);
        let mut singles: Vec<SwimEnv> = batched.envs().to_vec();
        let nu = n_bodies - 1;
        let (mut rb, mut ra) = (vec![0.0; n_envs], vec![0.0; n_envs]);
        let mut rows_seen = 0;
        for k in 0..30 {
            // a wave per environment, overdriven past the control range
            let actions: Vec<f64> = (0..n_envs * nu)
                .map(|i| 1.3 * ((k as f64) * 0.4 - (i % nu) as f64 + (i / nu) as f64).sin())
                .collect();
            batched.step_all(&actions, &mut rb).unwrap();
            alone.step_all(&actions, &mut ra).unwrap();
            for (i, e) in singles.iter_mut().enumerate() {
                let r = e.step(&actions[i * nu..(i + 1) * nu]).unwrap().reward;
                let what = format!("n={n_bodies} env {i} step {k}");
                assert_eq!(r.to_bits(), rb[i].to_bits(), "{what}: reward");
                assert_eq!(r.to_bits(), ra[i].to_bits(), "{what}: reward alone");
                same_bits(batched.envs()[i].data(), e.data(), &what);
                same_bits(alone.envs()[i].data(), e.data(), &what);
                assert_eq!(batched.envs()[i].episode_step(), e.episode_step());
                rows_seen += e.data().nefc;
            }
        }
        assert!(
            rows_seen > 0,
            "n={n_bodies}: the joint limits were exercised"
        );
        let dim = singles[0].obs_dim();
        let mut obs = vec![0.0; n_envs * dim];
        batched.observe_all(&mut obs);
        for (i, e) in singles.iter().enumerate() {
            let mut one = vec![0.0; dim];
            e.observe(&mut one);
            assert_eq!(obs[i * dim..(i + 1) * dim], one[..]);
        }
    }
}

/// An environment that diverges inside a batch gets the error it gets alone, and a bad
/// action is refused as it is alone.
#[test]
fn errors_inside_a_batch_are_the_single_errors() {
    let cfg = SwimConfig::default();
    let n = VecEnv::LANES;
    let mut ve = VecEnv::new(cfg, n).unwrap();
    let seeds: Vec<u64> = (0..n as u64).collect();
    ve.reset_all(&seeds);
    let mut qvel = vec![0.0; 8];
    qvel[4] = 1e11;
    ve.envs_mut()[3].set_state(&[0.0; 8], &qvel).unwrap();
    let mut single = ve.envs()[3].clone();
    let want = single.step(&[0.0; 5]).unwrap_err();
    assert!(matches!(want, SimError::Diverged { field: "qvel", .. }));
    let mut rewards = vec![0.0; n];
    assert_eq!(ve.step_all(&vec![0.0; 5 * n], &mut rewards), Err(want));

    let mut ve = VecEnv::new(cfg, n).unwrap();
    ve.reset_all(&seeds);
    let mut actions = vec![0.0; 5 * n];
    actions[12] = f64::INFINITY;
    assert!(matches!(
        ve.step_all(&actions, &mut rewards),
        Err(SimError::BadAction { index: 2, .. })
    ));
}
