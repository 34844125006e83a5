//! Stage-by-stage checks against MuJoCo's force terms at recorded states.

use crate::reference::{data, max_abs_diff, usize_of, vec};
use nc_swimmer::{Data, Model, Options, forward};

fn options(case: &serde_json::Value) -> Options {
    let mut o = Options::default();
    if let Some(x) = case["density"].as_f64() {
        o.density = x;
    }
    if let Some(x) = case["viscosity"].as_f64() {
        o.viscosity = x;
    }
    o
}

#[test]
fn model_constants_match_mujoco() {
    for facts in data()["models"].as_array().unwrap() {
        let n = usize_of(facts, "n_bodies");
        let m = Model::swimmer(n, Options::default()).unwrap();
        let mass = vec(facts, "body_mass");
        let inertia = vec(facts, "body_inertia");
        for b in 0..n {
            assert!((m.body_mass[b] - mass[b]).abs() < 1e-15);
            for k in 0..3 {
                let rel = (m.body_inertia[b][k] - inertia[3 * b + k]).abs() / inertia[3 * b + k];
                assert!(rel < 1e-12, "n={n} body {b} inertia {k}");
            }
        }
        let range = vec(facts, "jnt_range");
        for k in 0..n - 1 {
            assert!((m.jnt_range[k][0] - range[2 * k]).abs() < 1e-15, "n={n}");
            assert!(
                (m.jnt_range[k][1] - range[2 * k + 1]).abs() < 1e-15,
                "n={n}"
            );
        }
        assert!(max_abs_diff(&m.dof_armature, &vec(facts, "dof_armature")) == 0.0);
        assert!(max_abs_diff(&m.actuator_gear, &vec(facts, "actuator_gear")) == 0.0);
        assert_eq!(&m.jnt_solref[..], &vec(facts, "jnt_solref")[..]);
        assert_eq!(&m.jnt_solimp[..], &vec(facts, "jnt_solimp")[..]);
        let iw = vec(facts, "dof_invweight0");
        for (k, (a, b)) in m.dof_invweight0.iter().zip(&iw).enumerate() {
            assert!(
                (a - b).abs() / b < 1e-10,
                "n={n} dof_invweight0[{k}]: {a} vs {b}"
            );
        }
    }
}

#[test]
fn force_terms_match_mujoco() {
    for (c, case) in data()["force_terms"].as_array().unwrap().iter().enumerate() {
        let n = usize_of(case, "n_bodies");
        let m = Model::swimmer(n, options(case)).unwrap();
        let mut d = Data::new(&m);
        d.qpos.copy_from_slice(&vec(case, "qpos"));
        d.qvel.copy_from_slice(&vec(case, "qvel"));
        d.ctrl.copy_from_slice(&vec(case, "ctrl"));
        forward(&m, &mut d).unwrap();

        let xy: Vec<f64> = d.xpos.iter().flatten().copied().collect();
        assert!(
            max_abs_diff(&xy, &vec(case, "xpos")) < 1e-13,
            "case {c}: xpos"
        );
        let xy: Vec<f64> = d.xipos.iter().flatten().copied().collect();
        assert!(
            max_abs_diff(&xy, &vec(case, "xipos")) < 1e-13,
            "case {c}: xipos"
        );
        let close = |ours: &[f64], key: &str, tol: f64| {
            let theirs = vec(case, key);
            let scale = theirs
                .iter()
                .fold(0.0_f64, |a, x| a.max(x.abs()))
                .max(1e-300);
            let err = max_abs_diff(ours, &theirs);
            assert!(
                err <= tol * scale,
                "case {c} (n={n}): {key} rel err {}\nours {ours:?}\ntheirs {theirs:?}",
                err / scale
            );
        };
        close(&d.qm, "qM", 1e-12);
        close(&d.qfrc_bias, "qfrc_bias", 1e-10);
        close(&d.qfrc_passive, "qfrc_passive", 1e-10);
        close(&d.qfrc_actuator, "qfrc_actuator", 1e-15);
        let nefc = d.nefc;
        assert_eq!(
            nefc,
            vec(case, "efc_pos").len(),
            "case {c}: number of limit rows"
        );
        close(&d.efc_pos[..nefc], "efc_pos", 1e-13);
        close(&d.efc_r[..nefc], "efc_R", 1e-10);
        close(&d.efc_aref[..nefc], "efc_aref", 1e-10);
        close(&d.efc_force[..nefc], "efc_force", 1e-7);
        close(&d.qfrc_constraint, "qfrc_constraint", 1e-7);
        close(&d.qacc, "qacc", 1e-8);

        // sensors: per body velocimeter (3) and gyro (3) after 12 frame sensors
        let sd = vec(case, "sensordata");
        for b in 0..n {
            let ours = nc_swimmer::sensor::site_velocity(&d, b);
            let theirs = [sd[12 + 6 * b], sd[12 + 6 * b + 1], sd[12 + 6 * b + 5]];
            assert!(
                max_abs_diff(&ours, &theirs) < 1e-12,
                "case {c}: body {b} sensors"
            );
        }
    }
}
