//! The immutable swimmer model, built as dm_control's `swimmer._make_model(n_bodies)` compiles.
//!
//! Bodies are numbered 0 (head) to `nbody - 1` (tail); the world body is implicit. Degrees of
//! freedom: 0 = root slide x, 1 = root slide y, 2 = root hinge z (head), and `2 + b` = the hinge
//! of body `b >= 1`. Every body carries one hinge, so the dof of body `b`'s hinge is `2 + b`.

use crate::error::ConfigError;

/// Fewest bodies a swimmer may have.
pub const MIN_BODIES: usize = 3;
/// Most bodies a swimmer may have.
pub const MAX_BODIES: usize = 20;
/// MuJoCo's `mjMINVAL`.
pub(crate) const MJ_MINVAL: f64 = 1e-15;
/// MuJoCo's `mjMINIMP` / `mjMAXIMP`.
pub(crate) const MJ_MINIMP: f64 = 0.0001;
pub(crate) const MJ_MAXIMP: f64 = 0.9999;

/// Physics options (MuJoCo's `mjOption` fields that matter here).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Integration step in seconds (`opt.timestep`, 0.002).
    pub timestep: f64,
    /// Fluid density (`opt.density`, 3000).
    pub density: f64,
    /// Fluid viscosity (`opt.viscosity`, 0).
    pub viscosity: f64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timestep: 0.002,
            density: 3000.0,
            viscosity: 0.0,
        }
    }
}

impl Options {
    /// Checks that every option is finite and in range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |field: &'static str, value: f64, positive: bool| {
            if !value.is_finite() {
                Err(ConfigError::NonFinite { field, value })
            } else if positive && value <= 0.0 {
                Err(ConfigError::NotPositive { field, value })
            } else if value < 0.0 {
                Err(ConfigError::Negative { field, value })
            } else {
                Ok(())
            }
        };
        check("timestep", self.timestep, true)?;
        check("density", self.density, false)?;
        check("viscosity", self.viscosity, false)
    }
}

/// The compiled swimmer: constant during simulation (MuJoCo's `mjModel`, planar).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Number of swimmer bodies (the world body excluded).
    pub nbody: usize,
    /// Number of position coordinates (`nbody + 2`).
    pub nq: usize,
    /// Number of degrees of freedom (`nbody + 2`).
    pub nv: usize,
    /// Number of motors (`nbody - 1`).
    pub nu: usize,
    /// Physics options.
    pub opt: Options,
    /// Body masses (0.01 kg each).
    pub body_mass: Vec<f64>,
    /// Principal inertias (Ixx, Iyy, Izz) in the body's inertial frame (axis-aligned here).
    pub body_inertia: Vec<[f64; 3]>,
    /// Body origin in the parent's frame (the head's is in the world frame).
    pub body_pos: Vec<[f64; 2]>,
    /// Centre of mass in the body frame.
    pub body_ipos: Vec<[f64; 2]>,
    /// Hinge anchor in the body frame (the head's is the root joints' anchor).
    pub jnt_pos: Vec<[f64; 2]>,
    /// Joint range (lower, upper) in radians, per body hinge `b >= 1` (index `b - 1`).
    pub jnt_range: Vec<[f64; 2]>,
    /// Joint-limit solref (timeconst, dampratio).
    pub jnt_solref: [f64; 2],
    /// Joint-limit solimp (dmin, dmax, width, midpoint, power).
    pub jnt_solimp: [f64; 5],
    /// Armature per dof.
    pub dof_armature: Vec<f64>,
    /// Inverse joint inertia at `qpos0`, `diag(M⁻¹)`, as MuJoCo's `mj_setConst` computes it.
    pub dof_invweight0: Vec<f64>,
    /// Motor gear per actuator (motor `k` drives the hinge of body `k + 1`).
    pub actuator_gear: Vec<f64>,
    /// Equivalent inertia box (full side lengths) per body, for the fluid model.
    pub body_fluid_box: Vec<[f64; 3]>,
}

impl Model {
    /// Builds dm_control's swimmer with `n_bodies` links and the given options.
    ///
    /// ```
    /// let m = nc_swimmer::Model::swimmer(6, Default::default()).unwrap();
    /// assert_eq!((m.nq, m.nv, m.nu), (8, 8, 5));
    /// ```
    pub fn swimmer(n_bodies: usize, opt: Options) -> Result<Model, ConfigError> {
        if !(MIN_BODIES..=MAX_BODIES).contains(&n_bodies) {
            return Err(ConfigError::NBodies {
                got: n_bodies,
                min: MIN_BODIES,
                max: MAX_BODIES,
            });
        }
        opt.validate()?;
        let nv = n_bodies + 2;

        // every body: one inertial box of mass 0.01 and half-sizes (.001, .05, .01)
        let mass = 0.01;
        let half = [0.001_f64, 0.05, 0.01];
        let box_inertia = [
            mass / 3.0 * (half[1] * half[1] + half[2] * half[2]),
            mass / 3.0 * (half[0] * half[0] + half[2] * half[2]),
            mass / 3.0 * (half[0] * half[0] + half[1] * half[1]),
        ];

        // head at the world origin (its z offset is irrelevant), segments 0.1 further along +y
        let mut body_pos = vec![[0.0, 0.1]; n_bodies];
        body_pos[0] = [0.0, 0.0];

        // joint ranges: ±360°/n_bodies, converted to radians as the MJCF compiler does
        let deg = 360.0 / n_bodies as f64;
        let range = [
            -deg * std::f64::consts::PI / 180.0,
            deg * std::f64::consts::PI / 180.0,
        ];

        let mut dof_armature = vec![1e-6; nv];
        dof_armature[..3].fill(0.0);

        let body_fluid_box = vec![fluid_box(mass, box_inertia); n_bodies];
        let mut m = Model {
            nbody: n_bodies,
            nq: nv,
            nv,
            nu: n_bodies - 1,
            opt,
            body_mass: vec![mass; n_bodies],
            body_inertia: vec![box_inertia; n_bodies],
            body_pos,
            body_ipos: vec![[0.0, 0.0]; n_bodies],
            jnt_pos: vec![[0.0, -0.05]; n_bodies],
            jnt_range: vec![range; n_bodies - 1],
            jnt_solref: [0.05, 1.0],
            jnt_solimp: [0.0, 0.8, 0.1, 0.5, 2.0],
            dof_armature,
            dof_invweight0: vec![0.0; nv],
            actuator_gear: vec![5e-4; n_bodies - 1],
            body_fluid_box,
        };
        m.dof_invweight0 = crate::inertia::invweight0(&m);
        Ok(m)
    }

    /// The dof index of body `b`'s hinge (`b = 0`: the root hinge).
    #[inline]
    pub fn hinge_dof(&self, b: usize) -> usize {
        2 + b
    }
}

/// Side lengths of the box with the same mass and principal inertia (MuJoCo's inertia-box
/// fluid model); (0.002, 0.1, 0.02) for the swimmer's segments.
pub fn fluid_box(mass: f64, inertia: [f64; 3]) -> [f64; 3] {
    let side = |a: f64, b: f64, c: f64| ((b + c - a).max(MJ_MINVAL) / mass * 6.0).sqrt();
    [
        side(inertia[0], inertia[1], inertia[2]),
        side(inertia[1], inertia[0], inertia[2]),
        side(inertia[2], inertia[0], inertia[1]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_dims_match_the_geom() {
        let m = Model::swimmer(6, Options::default()).unwrap();
        let b = m.body_fluid_box[0];
        for (got, want) in b.iter().zip([0.002, 0.1, 0.02]) {
            assert!((got - want).abs() < 1e-12, "{b:?}");
        }
    }

    #[test]
    fn rejects_bad_sizes_and_options() {
        assert!(matches!(
            Model::swimmer(2, Options::default()),
            Err(ConfigError::NBodies { got: 2, .. })
        ));
        assert!(Model::swimmer(21, Options::default()).is_err());
        let opt = Options {
            density: f64::NAN,
            ..Options::default()
        };
        assert!(matches!(
            Model::swimmer(6, opt),
            Err(ConfigError::NonFinite {
                field: "density",
                ..
            })
        ));
        let opt = Options {
            timestep: 0.0,
            ..Options::default()
        };
        assert!(matches!(
            Model::swimmer(6, opt),
            Err(ConfigError::NotPositive {
                field: "timestep",
                ..
            })
        ));
    }
}
