//! Motor forces (`mj_fwdActuation`): `gear · clamp(ctrl, -1, 1)` on each body hinge.

use crate::data::Data;
use crate::model::Model;

/// Fills `d.qfrc_actuator` from `d.ctrl`.
pub fn actuation(m: &Model, d: &mut Data) {
    d.qfrc_actuator.fill(0.0);
    for (k, (&u, &gear)) in d.ctrl.iter().zip(&m.actuator_gear).enumerate() {
        d.qfrc_actuator[m.hinge_dof(k + 1)] = gear * u.clamp(-1.0, 1.0);
    }
}
