//! The physics step, in the order of `mj_step`: check the state, run the forward dynamics,
//! check the acceleration, integrate.

use crate::actuation::actuation;
use crate::articulated;
use crate::bias::rne;
use crate::constraint::{make_constraint, solve};
use crate::data::Data;
use crate::error::SimError;
use crate::inertia::crb;
use crate::integrate::euler;
use crate::kinematics::{com_vel, kinematics};
use crate::model::Model;
use crate::passive::passive;
use crate::real::Real;

/// MuJoCo's `mjMAXVAL`: larger state entries count as divergence.
const MJ_MAXVAL: f64 = 1e10;

/// True if every entry (every lane) is finite and at most `mjMAXVAL` in size.
#[inline(always)]
pub(crate) fn within_bounds<T: Real>(values: &[T]) -> bool {
    values
        .iter()
        .fold(true, |ok, v| ok & v.abs().all_le(MJ_MAXVAL))
}

fn check(values: &[f64], field: &'static str, step: usize) -> Result<(), SimError> {
    if within_bounds(values) {
        Ok(())
    } else {
        Err(SimError::Diverged { step, field })
    }
}

/// Position and velocity stages (`mj_step1` without sensors): kinematics, the articulated
/// factor of the inertia, limit rows, fluid and bias forces. The dense `qM` is not formed
/// (see [`forward`]).
#[inline(always)]
pub fn forward_position_velocity(m: &Model, d: &mut Data) -> Result<(), SimError> {
    kinematics(m, d);
    if !articulated::factor(m, d) {
        return Err(SimError::Diverged {
            step: d.nstep,
            field: "qM",
        });
    }
    make_constraint(m, d);
    com_vel(m, d);
    passive(m, d);
    rne(m, d);
    Ok(())
}

/// Actuation and acceleration stages (`mj_step2` before integration).
#[inline(always)]
pub fn forward_acceleration(m: &Model, d: &mut Data) {
    actuation(m, d);
    for i in 0..m.nv {
        d.qfrc_smooth[i] = d.qfrc_passive[i] + d.qfrc_actuator[i] - d.qfrc_bias[i];
    }
    let mut acc = std::mem::take(&mut d.qacc_smooth);
    acc.copy_from_slice(&d.qfrc_smooth);
    articulated::solve(m, d, &mut acc);
    d.qacc_smooth = acc;
    solve(m, d);
}

/// Full forward dynamics at the current state (`mj_forward`): fills `qacc`, and also the
/// dense inertia `qm` for inspection ([`step`] never needs it).
pub fn forward(m: &Model, d: &mut Data) -> Result<(), SimError> {
    forward_dynamics(m, d)?;
    crb(m, d);
    Ok(())
}

/// Forward dynamics as [`step`] runs them: everything [`forward`] fills but `qm`.
#[inline(always)]
fn forward_dynamics(m: &Model, d: &mut Data) -> Result<(), SimError> {
    forward_position_velocity(m, d)?;
    forward_acceleration(m, d);
    Ok(())
}

/// Advances the simulation by one timestep (`mj_step` with the Euler integrator).
///
/// ```
/// use nc_swimmer::{Data, Model};
/// let m = Model::swimmer(6, Default::default()).unwrap();
/// let mut d = Data::new(&m);
/// d.ctrl.fill(1.0);
/// nc_swimmer::step(&m, &mut d).unwrap();
/// assert!(d.qvel[3] > 0.0);
/// ```
pub fn step(m: &Model, d: &mut Data) -> Result<(), SimError> {
    pulp::Arch::new().dispatch(StepOp { m, d })
}

/// [`step`] as a [`pulp::WithSimd`] operation: the stages are inlined into a function
/// compiled for the CPU's instruction set (the arithmetic and its results are unchanged).
struct StepOp<'a> {
    m: &'a Model,
    d: &'a mut Data,
}

impl pulp::WithSimd for StepOp<'_> {
    type Output = Result<(), SimError>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        step_inline(self.m, self.d)
    }
}

#[inline(always)]
fn step_inline(m: &Model, d: &mut Data) -> Result<(), SimError> {
    check(&d.qpos, "qpos", d.nstep)?;
    check(&d.qvel, "qvel", d.nstep)?;
    forward_dynamics(m, d)?;
    check(&d.qacc, "qacc", d.nstep)?;
    euler(m, d);
    Ok(())
}
