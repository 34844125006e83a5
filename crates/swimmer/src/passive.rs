//! Passive forces: MuJoCo's inertia-box fluid model (`mj_inertiaBoxFluidModel`), with its
//! viscous (Stokes) and quadratic drag terms. There are no springs or dampers.
//!
//! The velocity is taken at the body's centre of mass in its inertial frame; the local force
//! and torque are rotated to the world and applied at the centre of mass. In the plane only
//! the local x/y force and the z torque are non-zero.

use crate::data::Data;
use crate::kinematics::{apply_com_forces_any, rot, rot_t};
use crate::model::Model;
use crate::real::Real;

/// Fills `d.qfrc_passive`.
#[inline(always)]
pub fn passive(m: &Model, d: &mut Data) {
    passive_any(m, d);
}

/// [`passive`] for any number type.
#[inline(always)]
pub(crate) fn passive_any<T: Real>(m: &Model, d: &mut Data<T>) {
    let (rho, beta) = (m.opt.density, m.opt.viscosity);
    let zero = T::splat(0.0);
    if rho == 0.0 && beta == 0.0 {
        d.qfrc_passive.fill(zero);
        return;
    }
    let n = m.nbody;
    let (fluid_box, xrot) = (&m.body_fluid_box[..n], &d.xrot[..n]);
    let (xivel, xomega) = (&d.xivel[..n], &d.xomega[..n]);
    let mut ft = std::mem::take(&mut d.body_ft);
    for (b, ftb) in ft[..n].iter_mut().enumerate() {
        let bx = fluid_box[b];
        let v = rot_t(xrot[b], xivel[b]);
        let w = xomega[b];
        let mut f = [zero, zero];
        let mut t = zero;

        // viscous force and torque of the equivalent sphere
        if beta > 0.0 {
            let diam = (bx[0] + bx[1] + bx[2]) / 3.0;
            t = w * (-std::f64::consts::PI * diam * diam * diam * beta);
            let c = -3.0 * std::f64::consts::PI * diam * beta;
            f = [v[0] * c, v[1] * c];
        }

        // quadratic drag on each face, and on rotation about z
        if rho > 0.0 {
            f[0] -= v[0].abs() * (0.5 * rho * bx[1] * bx[2]) * v[0];
            f[1] -= v[1].abs() * (0.5 * rho * bx[0] * bx[2]) * v[1];
            let (b0, b1) = (bx[0] * bx[0], bx[1] * bx[1]);
            t -= w.abs() * (rho * bx[2] * (b0 * b0 + b1 * b1)) * w / T::splat(64.0);
        }
        let fw = rot(xrot[b], f);
        *ftb = [fw[0], fw[1], t];
    }
    apply_com_forces_any(m, &d.xipos, &d.xanchor, &ft[..n], &mut d.qfrc_passive);
    d.body_ft = ft;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinematics::{com_vel, kinematics};
    use crate::model::Options;

    /// Each body of a translating chain feels MuJoCo's quadratic drag: 3.0·v² moving
    /// sideways, 0.06·v² lengthwise (dm_control's swimmer, density 3000).
    #[test]
    fn drag_coefficients_of_a_translating_chain() {
        let m = Model::swimmer(3, Options::default()).unwrap();
        let mut d = Data::new(&m);
        d.qvel[0] = 0.2;
        kinematics(&m, &mut d);
        com_vel(&m, &mut d);
        passive(&m, &mut d);
        assert!((d.qfrc_passive[0] + 3.0 * 3.0 * 0.04).abs() < 1e-12);
        let mut d = Data::new(&m);
        d.qvel[1] = -0.2;
        kinematics(&m, &mut d);
        com_vel(&m, &mut d);
        passive(&m, &mut d);
        assert!((d.qfrc_passive[1] - 3.0 * 0.06 * 0.04).abs() < 1e-12);
    }
}
