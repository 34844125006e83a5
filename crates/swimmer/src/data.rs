//! The mutable simulation state and per-step scratch (MuJoCo's `mjData`, planar).
//!
//! All buffers are sized once from the [`Model`]; stepping never allocates.

use crate::model::Model;
use crate::real::Real;

/// State, derived quantities and scratch of one simulation.
///
/// `T` is `f64`; inside the batched stepper of [`crate::VecEnv`] it holds several
/// environments at once, one per SIMD lane, and the `efc_*` rows are kept per lane elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Data<T = f64> {
    /// Simulation time in seconds.
    pub time: T,
    /// Physics steps since the last reset.
    pub nstep: usize,
    /// Positions: (x, y, heading, hinge angles).
    pub qpos: Vec<T>,
    /// Velocities, same layout as `qpos`.
    pub qvel: Vec<T>,
    /// Accelerations from the last step.
    pub qacc: Vec<T>,
    /// Motor controls (clamped to [-1, 1] when applied).
    pub ctrl: Vec<T>,

    /// Body world angle (the planar `xquat`).
    pub xangle: Vec<T>,
    /// Body `(cos, sin)` of `xangle` (the planar `xmat`).
    pub xrot: Vec<[T; 2]>,
    /// Body origin in the world.
    pub xpos: Vec<[T; 2]>,
    /// Body centre of mass in the world.
    pub xipos: Vec<[T; 2]>,
    /// Body hinge anchor in the world (MuJoCo's `xanchor`).
    pub xanchor: Vec<[T; 2]>,
    /// Body angular velocity about z.
    pub xomega: Vec<T>,
    /// World velocity of each body's hinge anchor.
    pub xanchor_vel: Vec<[T; 2]>,
    /// World velocity of each body's centre of mass.
    pub xivel: Vec<[T; 2]>,

    /// Joint-space inertia, dense row-major `nv × nv` (armature included). Filled by
    /// [`crate::forward`] for inspection; [`crate::step`] solves with the O(n) articulated
    /// factor instead and leaves it as it was.
    pub qm: Vec<T>,
    /// Cholesky factor of `qm` (lower triangle), filled only by [`crate::inertia::factor_m`].
    pub qld: Vec<T>,
    /// Coriolis and centrifugal forces.
    pub qfrc_bias: Vec<T>,
    /// Passive (fluid) forces.
    pub qfrc_passive: Vec<T>,
    /// Actuator forces.
    pub qfrc_actuator: Vec<T>,
    /// `qfrc_passive + qfrc_actuator - qfrc_bias`.
    pub qfrc_smooth: Vec<T>,
    /// Unconstrained acceleration `M⁻¹ qfrc_smooth`.
    pub qacc_smooth: Vec<T>,
    /// Constraint forces in joint space.
    pub qfrc_constraint: Vec<T>,

    /// Number of active joint-limit rows.
    pub nefc: usize,
    /// Dof of each row.
    pub efc_dof: Vec<usize>,
    /// Jacobian entry of each row (+1 lower limit, -1 upper limit).
    pub efc_j: Vec<f64>,
    /// Signed distance of each row (negative: violated).
    pub efc_pos: Vec<f64>,
    /// Constraint velocity `J qvel`.
    pub efc_vel: Vec<f64>,
    /// Reference acceleration.
    pub efc_aref: Vec<f64>,
    /// Regulariser `R`.
    pub efc_r: Vec<f64>,
    /// Constraint force (>= 0).
    pub efc_force: Vec<f64>,
    /// Times the limit solver hit its iteration cap (a warning counter, like MuJoCo's).
    pub warn_solver: usize,

    // the articulated factor of the inertia (see `articulated`)
    pub(crate) aba_s: Vec<[T; 2]>,
    pub(crate) aba_v: Vec<[T; 3]>,
    pub(crate) aba_invd: Vec<T>,
    pub(crate) aba_root: [T; 6],

    // per-body world force and torque at the centre of mass (fluid, then bias)
    pub(crate) body_ft: Vec<[T; 3]>,

    // scratch for the constraint solve
    pub(crate) minv_cols: Vec<f64>,
    pub(crate) efc_a: Vec<f64>,
    pub(crate) efc_l: Vec<f64>,
    pub(crate) efc_b: Vec<f64>,
    pub(crate) efc_w: Vec<f64>,
    pub(crate) efc_active: Vec<bool>,
    pub(crate) efc_idx: Vec<usize>,
    pub(crate) efc_rhs: Vec<f64>,
}

/// Allocates every buffer for `m`, zeroed; `rows` is the capacity of the `efc_*` rows.
pub(crate) fn zeroed<T: Real>(m: &Model, rows: usize) -> Data<T> {
    let (nv, nb, nu) = (m.nv, m.nbody, m.nu);
    let z = T::splat(0.0);
    let (o, nc) = (T::splat(1.0), rows);
    Data {
        time: z,
        nstep: 0,
        qpos: vec![z; m.nq],
        qvel: vec![z; nv],
        qacc: vec![z; nv],
        ctrl: vec![z; nu],
        xangle: vec![z; nb],
        xrot: vec![[o, z]; nb],
        xpos: vec![[z; 2]; nb],
        xipos: vec![[z; 2]; nb],
        xanchor: vec![[z; 2]; nb],
        xomega: vec![z; nb],
        xanchor_vel: vec![[z; 2]; nb],
        xivel: vec![[z; 2]; nb],
        qm: vec![z; nv * nv],
        qld: vec![z; nv * nv],
        qfrc_bias: vec![z; nv],
        qfrc_passive: vec![z; nv],
        qfrc_actuator: vec![z; nv],
        qfrc_smooth: vec![z; nv],
        qacc_smooth: vec![z; nv],
        qfrc_constraint: vec![z; nv],
        nefc: 0,
        efc_dof: vec![0; nc],
        efc_j: vec![0.0; nc],
        efc_pos: vec![0.0; nc],
        efc_vel: vec![0.0; nc],
        efc_aref: vec![0.0; nc],
        efc_r: vec![0.0; nc],
        efc_force: vec![0.0; nc],
        warn_solver: 0,
        aba_s: vec![[z; 2]; nb],
        aba_v: vec![[z; 3]; nb],
        aba_invd: vec![z; nb],
        aba_root: [z; 6],
        body_ft: vec![[z; 3]; nb],
        minv_cols: vec![0.0; nc * nv],
        efc_a: vec![0.0; nc * nc],
        efc_l: vec![0.0; nc * nc],
        efc_b: vec![0.0; nc],
        efc_w: vec![0.0; nc],
        efc_active: vec![false; nc],
        efc_idx: vec![0; nc],
        efc_rhs: vec![0.0; nc],
    }
}

impl Data {
    /// Allocates data for `m` at `qpos0` (all zeros).
    pub fn new(m: &Model) -> Data {
        let mut d = zeroed(m, 2 * m.nu);
        d.reset(m);
        d
    }

    /// Resets to `qpos0`, zero velocity and control, time 0 (MuJoCo's `mj_resetData`), and
    /// recomputes the kinematics.
    pub fn reset(&mut self, m: &Model) {
        self.time = 0.0;
        self.nstep = 0;
        self.qpos.fill(0.0);
        self.qvel.fill(0.0);
        self.qacc.fill(0.0);
        self.ctrl.fill(0.0);
        self.nefc = 0;
        self.warn_solver = 0;
        crate::kinematics::kinematics(m, self);
        crate::kinematics::com_vel(m, self);
    }
}
