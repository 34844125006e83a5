//! Coriolis and centrifugal forces (`mj_rne` with zero acceleration).
//!
//! In the plane, gyroscopic terms vanish and gravity (along -z) does no work, so the bias is
//! `Σ_b J_bᵀ m_b a_b`, with `a_b` the velocity-product acceleration of body `b`'s centre of
//! mass: each link turning at `ω` adds `-ω² r` for its lever `r`.

use crate::data::Data;
use crate::kinematics::{apply_com_forces_any, sub};
use crate::model::Model;
use crate::real::Real;

/// Fills `d.qfrc_bias`.
#[inline(always)]
pub fn rne(m: &Model, d: &mut Data) {
    rne_any(m, d);
}

/// [`rne`] for any number type.
#[inline(always)]
pub(crate) fn rne_any<T: Real>(m: &Model, d: &mut Data<T>) {
    let n = m.nbody;
    let (mass, xomega) = (&m.body_mass[..n], &d.xomega[..n]);
    let (xanchor, xipos) = (&d.xanchor[..n], &d.xipos[..n]);
    let zero = T::splat(0.0);
    let mut ft = std::mem::take(&mut d.body_ft);
    // velocity-product acceleration of the current anchor (the root anchor only translates)
    let mut acc = [zero, zero];
    for (b, ftb) in ft[..n].iter_mut().enumerate() {
        let w2 = xomega[b] * xomega[b];
        if b > 0 {
            let s = sub(xanchor[b], xanchor[b - 1]);
            let w2p = xomega[b - 1] * xomega[b - 1];
            acc = [acc[0] - w2p * s[0], acc[1] - w2p * s[1]];
        }
        let r = sub(xipos[b], xanchor[b]);
        *ftb = [
            (acc[0] - w2 * r[0]) * mass[b],
            (acc[1] - w2 * r[1]) * mass[b],
            zero,
        ];
    }
    apply_com_forces_any(m, &d.xipos, &d.xanchor, &ft[..n], &mut d.qfrc_bias);
    d.body_ft = ft;
}
