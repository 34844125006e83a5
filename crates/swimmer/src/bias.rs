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
    let n = m.nbody;
    let (mass, xomega) = (&m.body_mass[..n], &d.xomega[..n]);
    let (xanchor, xipos) = (&d.xanchor[..n], &d.xipos[..n]);
    let mut ft = [[0.0; 3]; MAX_BODIES];
    // velocity-product acceleration of the current anchor (the root anchor only translates)
    let mut acc = [0.0, 0.0];
    for (b, ftb) in ft[..n].iter_mut().enumerate() {
        let w2 = xomega[b] * xomega[b];
        if b > 0 {
            let s = sub(xanchor[b], xanchor[b - 1]);
            let w2p = xomega[b - 1] * xomega[b - 1];
            acc = [acc[0] - w2p * s[0], acc[1] - w2p * s[1]];
        }
        let r = sub(xipos[b], xanchor[b]);
        *ftb = [
            mass[b] * (acc[0] - w2 * r[0]),
            mass[b] * (acc[1] - w2 * r[1]),
            0.0,
        ];
    }
    apply_com_forces(m, &d.xipos, &d.xanchor, &ft[..n], &mut d.qfrc_bias);
}
