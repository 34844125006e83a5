//! Forward kinematics (`mj_kinematics`), body velocities (`mj_comVel`) and the transpose
//! Jacobian map from body wrenches to joint forces (`mj_applyFT`).
//!
//! Planar chain: body `b`'s world angle is `qpos[2] + Σ_{k=1..b} qpos[2+k]`; its hinge anchor
//! is fixed in its parent, and its origin is the anchor minus the rotated joint offset.

use crate::data::Data;
use crate::model::Model;
use crate::real::Real;

/// Rotates a body-frame vector by `(cos, sin)`.
#[inline(always)]
pub(crate) fn rot<T: Real>(r: [T; 2], v: [T; 2]) -> [T; 2] {
    [r[0] * v[0] - r[1] * v[1], r[1] * v[0] + r[0] * v[1]]
}

/// Rotates a world vector into the body frame given by `(cos, sin)`.
#[inline(always)]
pub(crate) fn rot_t<T: Real>(r: [T; 2], v: [T; 2]) -> [T; 2] {
    [r[0] * v[0] + r[1] * v[1], -r[1] * v[0] + r[0] * v[1]]
}

/// z-component of the planar cross product.
#[inline(always)]
pub(crate) fn cross<T: Real>(a: [T; 2], b: [T; 2]) -> T {
    a[0] * b[1] - a[1] * b[0]
}

#[inline(always)]
pub(crate) fn sub<T: Real>(a: [T; 2], b: [T; 2]) -> [T; 2] {
    [a[0] - b[0], a[1] - b[1]]
}

#[inline(always)]
pub(crate) fn add<T: Real>(a: [T; 2], b: [T; 2]) -> [T; 2] {
    [a[0] + b[0], a[1] + b[1]]
}

/// A model vector in every lane.
#[inline(always)]
pub(crate) fn splat2<T: Real>(v: [f64; 2]) -> [T; 2] {
    [T::splat(v[0]), T::splat(v[1])]
}

/// Computes `xangle`, `xrot`, `xanchor`, `xpos` and `xipos` from `qpos`.
#[inline(always)]
pub fn kinematics(m: &Model, d: &mut Data) {
    kinematics_any(m, d);
}

/// [`kinematics`] for any number type.
#[inline(always)]
pub(crate) fn kinematics_any<T: Real>(m: &Model, d: &mut Data<T>) {
    let n = m.nbody;
    // slices of the exact length let the optimiser drop the bounds checks in the loop
    let (body_pos, jnt_pos, ipos) = (&m.body_pos[..n], &m.jnt_pos[..n], &m.body_ipos[..n]);
    let q = &d.qpos[..n + 2];
    let (xangle, xrot) = (&mut d.xangle[..n], &mut d.xrot[..n]);
    let (xanchor, xpos, xipos) = (&mut d.xanchor[..n], &mut d.xpos[..n], &mut d.xipos[..n]);
    // root: slides translate the head, then the root hinge turns it about its anchor
    let mut angle = q[2];
    let mut anchor = add(add(splat2(body_pos[0]), [q[0], q[1]]), splat2(jnt_pos[0]));
    let (zero, one) = (T::splat(0.0), T::splat(1.0));
    let (mut parent_pos, mut parent_rot) = ([zero; 2], [one, zero]);
    for b in 0..n {
        if b > 0 {
            // the child's anchor is fixed in the parent frame
            let offset = splat2(add(body_pos[b], jnt_pos[b]));
            anchor = add(parent_pos, rot(parent_rot, offset));
            angle += q[b + 2];
        }
        let (sin, cos) = angle.sin_cos();
        let r = [cos, sin];
        let pos = sub(anchor, rot(r, splat2(jnt_pos[b])));
        xangle[b] = angle;
        xrot[b] = r;
        xanchor[b] = anchor;
        xpos[b] = pos;
        xipos[b] = add(pos, rot(r, splat2(ipos[b])));
        (parent_pos, parent_rot) = (pos, r);
    }
}

/// Velocity of the world point `p` fixed to body `b` (after [`com_vel`]).
#[inline]
pub fn point_vel(d: &Data, b: usize, p: [f64; 2]) -> [f64; 2] {
    vel_at(d.xanchor_vel[b], d.xomega[b], d.xanchor[b], p)
}

/// Velocity of the world point `p` on a body turning at `w` whose anchor `anchor` moves at
/// `anchor_vel`.
#[inline(always)]
fn vel_at<T: Real>(anchor_vel: [T; 2], w: T, anchor: [T; 2], p: [T; 2]) -> [T; 2] {
    let r = sub(p, anchor);
    [anchor_vel[0] - w * r[1], anchor_vel[1] + w * r[0]]
}

/// Computes body angular velocities and the world velocities of anchors and centres of mass.
#[inline(always)]
pub fn com_vel(m: &Model, d: &mut Data) {
    com_vel_any(m, d);
}

/// [`com_vel`] for any number type.
#[inline(always)]
pub(crate) fn com_vel_any<T: Real>(m: &Model, d: &mut Data<T>) {
    let n = m.nbody;
    let qvel = &d.qvel[..n + 2];
    let (xanchor, xipos) = (&d.xanchor[..n], &d.xipos[..n]);
    let (xomega, xanchor_vel, xivel) = (
        &mut d.xomega[..n],
        &mut d.xanchor_vel[..n],
        &mut d.xivel[..n],
    );
    let mut omega = qvel[2];
    let mut vel = [qvel[0], qvel[1]];
    for b in 0..n {
        if b > 0 {
            vel = vel_at(vel, omega, xanchor[b - 1], xanchor[b]);
            omega += qvel[b + 2];
        }
        xomega[b] = omega;
        xanchor_vel[b] = vel;
        xivel[b] = vel_at(vel, omega, xanchor[b], xipos[b]);
    }
}

/// Sets `qfrc = Jᵀ (force, torque)` for world forces applied at each body's centre of mass;
/// `ft[b] = (fx, fy, torque_z)`. Planar `mj_applyFT`, summed over bodies tail to head.
pub fn apply_com_forces(
    m: &Model,
    xipos: &[[f64; 2]],
    xanchor: &[[f64; 2]],
    ft: &[[f64; 3]],
    qfrc: &mut [f64],
) {
    apply_com_forces_any(m, xipos, xanchor, ft, qfrc);
}

/// [`apply_com_forces`] for any number type.
#[inline(always)]
pub(crate) fn apply_com_forces_any<T: Real>(
    m: &Model,
    xipos: &[[T; 2]],
    xanchor: &[[T; 2]],
    ft: &[[T; 3]],
    qfrc: &mut [T],
) {
    let n = m.nbody;
    let (xipos, xanchor, ft) = (&xipos[..n], &xanchor[..n], &ft[..n]);
    let qfrc = &mut qfrc[..n + 2];
    // running totals of the subtree's force and of its moment about the current anchor
    let zero = T::splat(0.0);
    let mut force = [zero, zero];
    let mut moment = zero;
    for b in (0..n).rev() {
        let f = [ft[b][0], ft[b][1]];
        if b + 1 < n {
            // shift the child subtree's moment from its anchor to ours
            moment += cross(sub(xanchor[b + 1], xanchor[b]), force);
        }
        moment += ft[b][2] + cross(sub(xipos[b], xanchor[b]), f);
        force = add(force, f);
        qfrc[b + 2] = moment;
    }
    qfrc[0] = force[0];
    qfrc[1] = force[1];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Options;

    #[test]
    fn rest_pose_is_a_straight_chain_along_y() {
        let m = Model::swimmer(4, Options::default()).unwrap();
        let d = Data::new(&m);
        for b in 0..4 {
            assert!((d.xpos[b][1] - 0.1 * b as f64).abs() < 1e-15);
            assert_eq!(d.xpos[b][0], 0.0);
        }
    }

    #[test]
    fn velocities_match_finite_differences_of_positions() {
        let m = Model::swimmer(5, Options::default()).unwrap();
        let mut d = Data::new(&m);
        let q = [0.3, -0.2, 0.7, 0.4, -0.9, 0.2, 1.1];
        let v = [0.5, -0.1, 0.3, -2.0, 1.0, 0.7, -0.4];
        let eps = 1e-6;
        let pos_at = |s: f64| {
            let mut e = Data::new(&m);
            for i in 0..7 {
                e.qpos[i] = q[i] + s * v[i];
            }
            kinematics(&m, &mut e);
            (e.xipos.clone(), e.xpos.clone())
        };
        let (p1, o1) = pos_at(eps);
        let (p0, o0) = pos_at(-eps);
        d.qpos.copy_from_slice(&q);
        d.qvel.copy_from_slice(&v);
        kinematics(&m, &mut d);
        com_vel(&m, &mut d);
        for b in 0..5 {
            for k in 0..2 {
                let fd = (p1[b][k] - p0[b][k]) / (2.0 * eps);
                assert!((fd - d.xivel[b][k]).abs() < 1e-8, "body {b}");
                let fd = (o1[b][k] - o0[b][k]) / (2.0 * eps);
                assert!((fd - point_vel(&d, b, d.xpos[b])[k]).abs() < 1e-8);
            }
        }
    }
}
