//! Coriolis and centrifugal forces (`mj_rne` with zero acceleration).
//!
//! In the plane, gyroscopic terms vanish and gravity (along -z) does no work, so the bias is
//! `Σ_b J_bᵀ m_b a_b`, with `a_b` the velocity-product acceleration of body `b`'s centre of
//! mass: each link turning at `ω` adds `-ω² r` for its lever `r`.

use crate::data::Data;
use crate::kinematics::{apply_com_forces, sub};
use crate::model::{MAX_BODIES, Model};

/// Fills `d.qfrc_bias`.
pub fn rne(m: &Model, d: &mut Data) {
    let mut ft = [[0.0; 3]; MAX_BODIES];
    // velocity-product acceleration of the current anchor (the root anchor only translates)
    let mut acc = [0.0, 0.0];
    for (b, ftb) in ft.iter_mut().enumerate().take(m.nbody) {
        let w2 = d.xomega[b] * d.xomega[b];
        if b > 0 {
            let s = sub(d.xanchor[b], d.xanchor[b - 1]);
            let w2p = d.xomega[b - 1] * d.xomega[b - 1];
            acc = [acc[0] - w2p * s[0], acc[1] - w2p * s[1]];
        }
        let r = sub(d.xipos[b], d.xanchor[b]);
        let mass = m.body_mass[b];
        *ftb = [
            mass * (acc[0] - w2 * r[0]),
            mass * (acc[1] - w2 * r[1]),
            0.0,
        ];
    }
    d.qfrc_bias.fill(0.0);
    apply_com_forces(m, &d.xipos, &d.xanchor, &ft[..m.nbody], &mut d.qfrc_bias);
}
