//! The target task against dm_control's swimmer (`make_navigate.py`): `to_target` and the
//! reward at recorded states, and whole stretches of random actions stepped by our physics.

use nc_swimmer::SwimConfig;
use nc_swimmer::navigate::{NavigateEnv, TARGET_SIZE};
use serde::Deserialize;

#[derive(Deserialize)]
struct Frame {
    qpos: Vec<f64>,
    qvel: Vec<f64>,
    target: [f64; 2],
    to_target: [f64; 2],
    reward: f64,
    ncon: usize,
}

#[derive(Deserialize)]
struct Episode {
    frames: Vec<Frame>,
    actions: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Reference {
    target_size: f64,
    episodes: Vec<Episode>,
}

fn reference() -> Reference {
    serde_json::from_str(include_str!("data/navigate.json")).expect("navigate.json parses")
}

#[test]
fn to_target_and_reward_match_dm_control_at_recorded_states() {
    let r = reference();
    assert_eq!(r.target_size, TARGET_SIZE);
    let mut env = NavigateEnv::new(SwimConfig::default()).unwrap();
    let mut seen_near = false;
    for ep in &r.episodes {
        for f in &ep.frames {
            // the target is a marker: it never touches the body
            assert_eq!(f.ncon, 0);
            env.set_state(&f.qpos, &f.qvel).unwrap();
            env.set_target(f.target).unwrap();
            let got = env.to_target();
            for k in 0..2 {
                assert!(
                    (got[k] - f.to_target[k]).abs() < 1e-12,
                    "{got:?} {:?}",
                    f.to_target
                );
            }
            assert!(
                (env.reward() - f.reward).abs() < 1e-12,
                "{} {}",
                env.reward(),
                f.reward
            );
            seen_near |= f.reward > 0.05;
        }
    }
    // the data reach the reward's informative range, not only its flat tail
    assert!(seen_near);
}

#[test]
fn stepping_with_a_target_follows_dm_control() {
    let r = reference();
    let mut env = NavigateEnv::new(SwimConfig::default()).unwrap();
    let mut obs = vec![0.0; env.obs_dim()];
    for ep in &r.episodes {
        let f0 = &ep.frames[0];
        env.set_state(&f0.qpos, &f0.qvel).unwrap();
        env.set_target(f0.target).unwrap();
        for (a, f) in ep.actions.iter().zip(&ep.frames[1..]) {
            let out = env.step(a).unwrap();
            env.observe(&mut obs);
            let nj = env.n_joints();
            for k in 0..2 {
                assert!((obs[nj + k] - f.to_target[k]).abs() < 1e-6, "{obs:?}");
            }
            assert!((out.reward - f.reward).abs() < 1e-6);
        }
    }
}

#[test]
fn a_non_finite_target_is_refused() {
    let mut env = NavigateEnv::new(SwimConfig::default()).unwrap();
    let e = env.set_target([f64::NAN, 0.0]).unwrap_err();
    assert!(e.to_string().contains("target"), "{e}");
}
