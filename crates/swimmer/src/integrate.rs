//! Semi-implicit Euler (`mj_Euler` without damping): velocity first, then position with the
//! new velocity. All joints are hinges or slides, so positions integrate linearly.

use crate::data::Data;
use crate::model::Model;
use crate::real::Real;

/// Advances `qvel`, `qpos` and `time` by one step using `d.qacc`.
#[inline(always)]
pub fn euler(m: &Model, d: &mut Data) {
    euler_any(m, d);
}

/// [`euler`] for any number type.
#[inline(always)]
pub(crate) fn euler_any<T: Real>(m: &Model, d: &mut Data<T>) {
    let h = m.opt.timestep;
    for ((v, p), &a) in d.qvel.iter_mut().zip(d.qpos.iter_mut()).zip(&d.qacc) {
        *v += a * h;
        *p += *v * h;
    }
    d.time += T::splat(h);
    d.nstep += 1;
}
