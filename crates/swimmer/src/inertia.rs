//! Joint-space inertia by the composite-rigid-body algorithm (`mj_crb`, `mj_makeM`), its
//! dense Cholesky factor (`mj_factorM`), and `dof_invweight0` (`mj_setConst`).
//!
//! The step does not use the dense path: it solves with [`crate::articulated`] in O(n).
//! The dense matrix stays for inspection ([`crate::forward`] fills it, and the stage tests
//! compare it with MuJoCo's `qM`) and as the reference the articulated solve is tested on.
//!
//! Planar composite inertias are kept about each body's hinge anchor: subtree mass, first
//! moment `G` and polar moment `J`, shifted tail to head with the parallel-axis rule.

use crate::data::Data;
use crate::kinematics::{add, sub};
use crate::model::{MAX_BODIES, Model};

/// Fills `d.qm` (dense, symmetric, armature on the diagonal) from the current kinematics.
pub fn crb(m: &Model, d: &mut Data) {
    let nv = m.nv;
    // composite (mass, G about own anchor, J about own anchor) per body, tail to head
    let mut msub = [0.0; MAX_BODIES];
    let mut gsub = [[0.0; 2]; MAX_BODIES];
    let mut jsub = [0.0; MAX_BODIES];
    for b in (0..m.nbody).rev() {
        let mass = m.body_mass[b];
        let r = sub(d.xipos[b], d.xanchor[b]);
        let mut mm = mass;
        let mut g = [mass * r[0], mass * r[1]];
        let mut j = m.body_inertia[b][2] + mass * (r[0] * r[0] + r[1] * r[1]);
        if b + 1 < m.nbody {
            let s = sub(d.xanchor[b + 1], d.xanchor[b]);
            let gc = gsub[b + 1];
            j += jsub[b + 1]
                + 2.0 * (s[0] * gc[0] + s[1] * gc[1])
                + msub[b + 1] * (s[0] * s[0] + s[1] * s[1]);
            g = add(add(g, gc), [msub[b + 1] * s[0], msub[b + 1] * s[1]]);
            mm += msub[b + 1];
        }
        msub[b] = mm;
        gsub[b] = g;
        jsub[b] = j;
    }

    // root slides: total mass, no coupling between x and y
    let qm = &mut d.qm;
    qm[0] = msub[0];
    qm[1] = 0.0;
    qm[nv] = 0.0;
    qm[nv + 1] = msub[0];
    for j in 0..m.nbody {
        let dj = m.hinge_dof(j);
        let g = gsub[j];
        // slide-hinge coupling: the subtree's first moment, turned by 90°
        qm[dj] = -g[1];
        qm[nv + dj] = g[0];
        qm[dj * nv] = -g[1];
        qm[dj * nv + 1] = g[0];
        // hinge-hinge: the subtree of the deeper hinge, about both anchors
        for i in 0..=j {
            let di = m.hinge_dof(i);
            let s = sub(d.xanchor[j], d.xanchor[i]);
            let v = jsub[j] + s[0] * g[0] + s[1] * g[1];
            qm[di * nv + dj] = v;
            qm[dj * nv + di] = v;
        }
    }
    for (i, a) in m.dof_armature.iter().enumerate() {
        qm[i * nv + i] += a;
    }
}

/// Factors `d.qm` into `d.qld`; false if it is not positive definite (a non-finite state).
pub fn factor_m(m: &Model, d: &mut Data) -> bool {
    d.qld.copy_from_slice(&d.qm);
    nc_core::small::cholesky_in_place(&mut d.qld, m.nv).is_ok()
}

/// Solves `M x = b` in place with the factor from [`factor_m`].
#[inline]
pub fn solve_m(m: &Model, d: &Data, b: &mut [f64]) {
    nc_core::small::cholesky_solve_in_place(&d.qld, m.nv, b);
}

/// `dof_invweight0`: the diagonal of `M⁻¹` at `qpos0`, as `mj_setConst` computes it for
/// hinge and slide joints.
pub(crate) fn invweight0(m: &Model) -> Vec<f64> {
    let mut d = Data::new(m);
    crb(m, &mut d);
    let ok = factor_m(m, &mut d);
    debug_assert!(ok, "qpos0 inertia is positive definite");
    let mut col = vec![0.0; m.nv];
    (0..m.nv)
        .map(|i| {
            col.fill(0.0);
            col[i] = 1.0;
            solve_m(m, &d, &mut col);
            col[i]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinematics::{com_vel, kinematics};
    use crate::model::Options;

    /// Kinetic energy summed body by body must equal ½ qvelᵀ M qvel.
    #[test]
    fn mass_matrix_reproduces_kinetic_energy() {
        let m = Model::swimmer(7, Options::default()).unwrap();
        let mut d = Data::new(&m);
        let q = [0.4, 1.3, -2.0, 0.3, -0.5, 0.9, 0.1, -1.0, 0.6];
        let v = [0.2, -0.7, 1.5, -0.3, 2.0, 0.4, -1.1, 0.8, -0.6];
        d.qpos.copy_from_slice(&q);
        d.qvel.copy_from_slice(&v);
        kinematics(&m, &mut d);
        com_vel(&m, &mut d);
        crb(&m, &mut d);
        let mut ke = 0.0;
        for b in 0..m.nbody {
            let u = d.xivel[b];
            ke += 0.5 * m.body_mass[b] * (u[0] * u[0] + u[1] * u[1])
                + 0.5 * m.body_inertia[b][2] * d.xomega[b] * d.xomega[b];
        }
        let mut quad = 0.0;
        for i in 0..m.nv {
            quad += 0.5 * m.dof_armature[i] * v[i] * v[i];
            for j in 0..m.nv {
                quad -= 0.0;
                let mij = d.qm[i * m.nv + j] - if i == j { m.dof_armature[i] } else { 0.0 };
                ke -= 0.5 * v[i] * mij * v[j];
            }
        }
        assert!(ke.abs() < 1e-15, "kinetic energy mismatch {ke}");
        assert!(quad > 0.0);
    }

    #[test]
    fn invweight0_for_six_bodies_matches_mujoco() {
        // MuJoCo 3.17's dof_invweight0 of the five joints of a six-body swimmer, five digits
        let m = Model::swimmer(6, Options::default()).unwrap();
        let want = [1.4870e5, 1.1066e5, 1.0889e5, 1.1066e5, 1.4870e5];
        for (k, w) in want.iter().enumerate() {
            let got = m.dof_invweight0[3 + k];
            assert!((got - w).abs() / w < 1e-4, "dof {}: {got} vs {w}", 3 + k);
        }
    }
}
