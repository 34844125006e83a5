//! The mutable simulation state and per-step scratch (MuJoCo's `mjData`, planar).
//!
//! All buffers are sized once from the [`Model`]; stepping never allocates.

use crate::model::Model;

/// State, derived quantities and scratch of one simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// Simulation time in seconds.
    pub time: f64,
    /// Physics steps since the last reset.
    pub nstep: usize,
    /// Positions: (x, y, heading, hinge angles).
    pub qpos: Vec<f64>,
    /// Velocities, same layout as `qpos`.
    pub qvel: Vec<f64>,
    /// Accelerations from the last step.
    pub qacc: Vec<f64>,
    /// Motor controls (clamped to [-1, 1] when applied).
    pub ctrl: Vec<f64>,

    /// Body world angle (the planar `xquat`).
    pub xangle: Vec<f64>,
    /// Body `(cos, sin)` of `xangle` (the planar `xmat`).
    pub xrot: Vec<[f64; 2]>,
    /// Body origin in the world.
    pub xpos: Vec<[f64; 2]>,
    /// Body centre of mass in the world.
    pub xipos: Vec<[f64; 2]>,
    /// Body hinge anchor in the world (MuJoCo's `xanchor`).
    pub xanchor: Vec<[f64; 2]>,
    /// Body angular velocity about z.
    pub xomega: Vec<f64>,
    /// World velocity of each body's hinge anchor.
    pub xanchor_vel: Vec<[f64; 2]>,
    /// World velocity of each body's centre of mass.
    pub xivel: Vec<[f64; 2]>,

    /// Joint-space inertia, dense row-major `nv × nv` (armature included). Filled by
    /// [`crate::forward`] for inspection; [`crate::step`] solves with the O(n) articulated
    /// factor instead and leaves it as it was.
    pub qm: Vec<f64>,
    /// Cholesky factor of `qm` (lower triangle), filled only by [`crate::inertia::factor_m`].
    pub qld: Vec<f64>,
    /// Coriolis and centrifugal forces.
    pub qfrc_bias: Vec<f64>,
    /// Passive (fluid) forces.
    pub qfrc_passive: Vec<f64>,
    /// Actuator forces.
    pub qfrc_actuator: Vec<f64>,
    /// `qfrc_passive + qfrc_actuator - qfrc_bias`.
    pub qfrc_smooth: Vec<f64>,
    /// Unconstrained acceleration `M⁻¹ qfrc_smooth`.
    pub qacc_smooth: Vec<f64>,
    /// Constraint forces in joint space.
    pub qfrc_constraint: Vec<f64>,

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
    pub(crate) aba_s: Vec<[f64; 2]>,
    pub(crate) aba_v: Vec<[f64; 3]>,
    pub(crate) aba_invd: Vec<f64>,
    pub(crate) aba_root: [f64; 6],

    // scratch for the constraint solve
    pub(crate) minv_cols: Vec<f64>,
    pub(crate) efc_a: Vec<f64>,
    pub(crate) efc_l: Vec<f64>,
    pub(crate) efc_b: Vec<f64>,
    pub(crate) efc_w: Vec<f64>,
    pub(crate) efc_active: Vec<bool>,
    pub(crate) efc_idx: Vec<usize>,
    pub(crate) efc_rhs: Vec<f64>,
    pub(crate) body_scratch: Vec<[f64; 3]>,
}

impl Data {
    /// Allocates data for `m` at `qpos0` (all zeros).
    pub fn new(m: &Model) -> Data {
        let (nv, nb, nu) = (m.nv, m.nbody, m.nu);
        let nc = 2 * nu;
        let mut d = Data {
            time: 0.0,
            nstep: 0,
            qpos: vec![0.0; m.nq],
            qvel: vec![0.0; nv],
            qacc: vec![0.0; nv],
            ctrl: vec![0.0; nu],
            xangle: vec![0.0; nb],
            xrot: vec![[1.0, 0.0]; nb],
            xpos: vec![[0.0; 2]; nb],
            xipos: vec![[0.0; 2]; nb],
            xanchor: vec![[0.0; 2]; nb],
            xomega: vec![0.0; nb],
            xanchor_vel: vec![[0.0; 2]; nb],
            xivel: vec![[0.0; 2]; nb],
            qm: vec![0.0; nv * nv],
            qld: vec![0.0; nv * nv],
            qfrc_bias: vec![0.0; nv],
            qfrc_passive: vec![0.0; nv],
            qfrc_actuator: vec![0.0; nv],
            qfrc_smooth: vec![0.0; nv],
            qacc_smooth: vec![0.0; nv],
            qfrc_constraint: vec![0.0; nv],
            nefc: 0,
            efc_dof: vec![0; nc],
            efc_j: vec![0.0; nc],
            efc_pos: vec![0.0; nc],
            efc_vel: vec![0.0; nc],
            efc_aref: vec![0.0; nc],
            efc_r: vec![0.0; nc],
            efc_force: vec![0.0; nc],
            warn_solver: 0,
            aba_s: vec![[0.0; 2]; nb],
            aba_v: vec![[0.0; 3]; nb],
            aba_invd: vec![0.0; nb],
            aba_root: [0.0; 6],
            minv_cols: vec![0.0; nc * nv],
            efc_a: vec![0.0; nc * nc],
            efc_l: vec![0.0; nc * nc],
            efc_b: vec![0.0; nc],
            efc_w: vec![0.0; nc],
            efc_active: vec![false; nc],
            efc_idx: vec![0; nc],
            efc_rhs: vec![0.0; nc],
            body_scratch: vec![[0.0; 3]; nb + 1],
        };
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
