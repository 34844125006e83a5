//! The sensors the swim task reads: a velocimeter and a gyro at each body's site (the body
//! origin, site frame = body frame), as `mj_sensorVel` computes them.

use crate::data::Data;
use crate::kinematics::{point_vel, rot_t};
use crate::model::Model;

/// `(vx, vy, ωz)` of body `b`'s site in its own frame: velocimeter x/y and gyro z.
#[inline]
pub fn site_velocity(d: &Data, b: usize) -> [f64; 3] {
    let v = rot_t(d.xrot[b], point_vel(d, b, d.xpos[b]));
    [v[0], v[1], d.xomega[b]]
}

/// dm_control's `body_velocities()`: `(vx, vy, ωz)` per body, head first (3·nbody values).
pub fn body_velocities(m: &Model, d: &Data, out: &mut [f64]) {
    for b in 0..m.nbody {
        out[3 * b..3 * b + 3].copy_from_slice(&site_velocity(d, b));
    }
}

/// Forward speed of the head: minus the head velocimeter's y reading (the head points to -y).
#[inline]
pub fn head_forward_speed(d: &Data) -> f64 {
    -site_velocity(d, 0)[1]
}
