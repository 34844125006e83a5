//! Semi-implicit Euler (`mj_Euler` without damping): velocity first, then position with the
//! new velocity. All joints are hinges or slides, so positions integrate linearly.

use crate::data::Data;
use crate::model::Model;

/// Advances `qvel`, `qpos` and `time` by one step using `d.qacc`.
pub fn euler(m: &Model, d: &mut Data) {
    let h = m.opt.timestep;
    for ((v, p), a) in d.qvel.iter_mut().zip(d.qpos.iter_mut()).zip(&d.qacc) {
        *v += h * a;
        *p += h * *v;
    }
    d.time += h;
    d.nstep += 1;
}
