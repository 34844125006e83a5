//! Motor forces (`mj_fwdActuation`): `gear · clamp(ctrl, -1, 1)` on each body hinge.

use crate::data::Data;
use crate::model::Model;
use crate::real::Real;

/// Fills `d.qfrc_actuator` from `d.ctrl`.
#[inline(always)]
pub fn actuation(m: &Model, d: &mut Data) {
    actuation_any(m, d);
}

/// [`actuation`] for any number type. The control is clamped where it is set (the scalar
/// path clamps again here, which changes nothing for a clamped value).
#[inline(always)]
pub(crate) fn actuation_any<T: Real>(m: &Model, d: &mut Data<T>) {
    let nu = m.nu;
    let (ctrl, gear) = (&d.ctrl[..nu], &m.actuator_gear[..nu]);
    let out = &mut d.qfrc_actuator[..nu + 3];
    out[..3].fill(T::splat(0.0));
    for k in 0..nu {
        out[k + 3] = ctrl[k].clamp_unit() * gear[k];
    }
}
