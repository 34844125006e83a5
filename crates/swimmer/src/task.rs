//! The NCAP swim task on dm_control's swimmer: reset, observation, reward, episodes.
//!
//! Stepping follows dm_control's legacy stepping: one control step is `substeps` physics steps
//! with the action held, and the observation and reward come from the state after the last
//! substep, with positions and velocities recomputed (`mj_step1`).

use crate::data::Data;
use crate::error::{ConfigError, SimError};
use crate::kinematics::{com_vel, kinematics};
use crate::model::{MAX_BODIES, MIN_BODIES, Model, Options};
use crate::sensor::{body_velocities, head_forward_speed};
use rand::RngExt;

/// Task and physics settings of one swimmer environment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwimConfig {
    /// Number of bodies, 3..=20 (6 is dm_control's `swimmer6` and NCAP's standard body).
    pub n_bodies: usize,
    /// Fluid density (3000).
    pub density: f64,
    /// Fluid viscosity (0).
    pub viscosity: f64,
    /// Physics timestep in seconds (0.002).
    pub timestep: f64,
    /// Physics steps per control step (15).
    pub substeps: usize,
    /// Control steps per episode (1000).
    pub episode_len: usize,
    /// Append Tonic's time feature to the observation.
    pub time_feature: bool,
}

impl Default for SwimConfig {
    fn default() -> Self {
        SwimConfig {
            n_bodies: 6,
            density: 3000.0,
            viscosity: 0.0,
            timestep: 0.002,
            substeps: 15,
            episode_len: 1000,
            time_feature: false,
        }
    }
}

impl SwimConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(MIN_BODIES..=MAX_BODIES).contains(&self.n_bodies) {
            return Err(ConfigError::NBodies {
                got: self.n_bodies,
                min: MIN_BODIES,
                max: MAX_BODIES,
            });
        }
        self.options().validate()?;
        if self.substeps == 0 {
            return Err(ConfigError::ZeroCount {
                field: "substeps",
                got: 0,
            });
        }
        if self.episode_len == 0 {
            return Err(ConfigError::ZeroCount {
                field: "episode_len",
                got: 0,
            });
        }
        Ok(())
    }

    /// Observation length: joints, 3 velocities per body, and the optional time feature.
    pub fn obs_dim(&self) -> usize {
        self.n_bodies.saturating_sub(1) + 3 * self.n_bodies + usize::from(self.time_feature)
    }

    /// The physics options of this configuration.
    pub fn options(&self) -> Options {
        Options {
            timestep: self.timestep,
            density: self.density,
            viscosity: self.viscosity,
        }
    }
}

/// Result of one control step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepOutcome {
    /// `clip(forward head speed / 0.1, 0, 1)`.
    pub reward: f64,
    /// True once `episode_step == episode_len`.
    pub done: bool,
}

/// World pose of one body, for drawing. The body's segment is the box centred on `(x, y)`,
/// 0.1 long along the body's local y axis, `(-sin, cos)·angle` in the world; the head's nose
/// is at local `(0, -0.06)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyPose {
    /// World x of the body origin (segment centre).
    pub x: f64,
    /// World y of the body origin.
    pub y: f64,
    /// World angle of the body frame about z.
    pub angle: f64,
}

/// One swimmer environment: model, data and task state.
#[derive(Debug, Clone)]
pub struct SwimEnv {
    cfg: SwimConfig,
    model: Model,
    data: Data,
    episode_step: usize,
}

impl SwimEnv {
    /// Builds the environment at `qpos0` (call [`SwimEnv::reset`] to start an episode).
    pub fn new(cfg: SwimConfig) -> Result<SwimEnv, ConfigError> {
        cfg.validate()?;
        let model = Model::swimmer(cfg.n_bodies, cfg.options())?;
        let data = Data::new(&model);
        Ok(SwimEnv {
            cfg,
            model,
            data,
            episode_step: 0,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &SwimConfig {
        &self.cfg
    }

    /// The physics model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The physics data (state and derived quantities).
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// Number of body joints, which is the action dimension.
    pub fn n_joints(&self) -> usize {
        self.cfg.n_bodies - 1
    }

    /// Observation length: joints, 3 velocities per body, and the optional time feature.
    pub fn obs_dim(&self) -> usize {
        self.cfg.obs_dim()
    }

    /// dm_control's reset: heading ~ U(-π, π), joints ~ U(range), zero position and velocity,
    /// drawn from `nc_core::rng::stream(seed, "swimmer-reset", 0)`.
    pub fn reset(&mut self, seed: u64) {
        let mut rng = nc_core::rng::stream(seed, "swimmer-reset", 0);
        let (m, d) = (&self.model, &mut self.data);
        d.reset(m);
        d.qpos[2] = rng.random_range(-std::f64::consts::PI..std::f64::consts::PI);
        for (k, r) in m.jnt_range.iter().enumerate() {
            d.qpos[m.hinge_dof(k + 1)] = rng.random_range(r[0]..r[1]);
        }
        kinematics(m, d);
        com_vel(m, d);
        self.episode_step = 0;
    }

    /// Sets the state directly (e.g. from a recorded trajectory) and recomputes the derived
    /// quantities; the episode counter is left as it is.
    pub fn set_state(&mut self, qpos: &[f64], qvel: &[f64]) -> Result<(), SimError> {
        let nq = self.model.nq;
        for (what, v) in [("qpos", qpos), ("qvel", qvel)] {
            if v.len() != nq {
                return Err(SimError::Length {
                    what,
                    expected: nq,
                    got: v.len(),
                });
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(SimError::Diverged {
                    step: self.data.nstep,
                    field: what,
                });
            }
        }
        self.data.qpos.copy_from_slice(qpos);
        self.data.qvel.copy_from_slice(qvel);
        kinematics(&self.model, &mut self.data);
        com_vel(&self.model, &mut self.data);
        Ok(())
    }

    /// Restores a state saved from [`SwimEnv::qpos`], [`SwimEnv::qvel`] and
    /// [`SwimEnv::episode_step`] mid-episode. A step depends only on these and the action, so
    /// the episode continues exactly as it would have (a training checkpoint needs this).
    pub fn restore(
        &mut self,
        qpos: &[f64],
        qvel: &[f64],
        episode_step: usize,
    ) -> Result<(), SimError> {
        self.set_state(qpos, qvel)?;
        self.episode_step = episode_step;
        Ok(())
    }

    /// Writes the observation: joint angles, then `(vx, vy, ωz)` per body in its own frame
    /// (head first, dm_control's order), then the time feature `-1 + 2k/episode_len`.
    ///
    /// # Panics
    /// If `out.len() != self.obs_dim()`.
    pub fn observe(&self, out: &mut [f64]) {
        assert_eq!(out.len(), self.obs_dim(), "observation buffer length");
        let nj = self.n_joints();
        out[..nj].copy_from_slice(self.joint_angles());
        body_velocities(
            &self.model,
            &self.data,
            &mut out[nj..nj + 3 * self.cfg.n_bodies],
        );
        if self.cfg.time_feature {
            out[nj + 3 * self.cfg.n_bodies] =
                -1.0 + 2.0 * self.episode_step as f64 / self.cfg.episode_len as f64;
        }
    }

    /// The current reward: `clip(forward head speed / 0.1, 0, 1)`.
    pub fn reward(&self) -> f64 {
        (head_forward_speed(&self.data) / 0.1).clamp(0.0, 1.0)
    }

    /// One control step: `substeps` physics steps with the action (clamped to [-1, 1]) held.
    pub fn step(&mut self, action: &[f64]) -> Result<StepOutcome, SimError> {
        self.set_action(action)?;
        for _ in 0..self.cfg.substeps {
            crate::step::step(&self.model, &mut self.data)?;
        }
        self.finish_step()
    }

    /// Checks the action and holds it, clamped, in `ctrl` (nothing changes on an error).
    pub(crate) fn set_action(&mut self, action: &[f64]) -> Result<(), SimError> {
        let nu = self.n_joints();
        if action.len() != nu {
            return Err(SimError::Length {
                what: "action",
                expected: nu,
                got: action.len(),
            });
        }
        if let Some((index, &value)) = action.iter().enumerate().find(|(_, a)| !a.is_finite()) {
            return Err(SimError::BadAction { index, value });
        }
        for (c, a) in self.data.ctrl.iter_mut().zip(action) {
            *c = a.clamp(-1.0, 1.0);
        }
        Ok(())
    }

    /// Ends a control step after its physics steps: observations and reward see the final
    /// state (dm_control's trailing `mj_step1`).
    pub(crate) fn finish_step(&mut self) -> Result<StepOutcome, SimError> {
        let (m, d) = (&self.model, &mut self.data);
        if let Some(field) = [("qpos", &d.qpos), ("qvel", &d.qvel)]
            .into_iter()
            .find(|(_, v)| v.iter().any(|x| !x.is_finite()))
            .map(|(f, _)| f)
        {
            return Err(SimError::Diverged {
                step: d.nstep,
                field,
            });
        }
        kinematics(m, d);
        com_vel(m, d);
        self.episode_step += 1;
        Ok(StepOutcome {
            reward: self.reward(),
            done: self.episode_step >= self.cfg.episode_len,
        })
    }

    /// The physics data, mutably (for the batched stepper).
    pub(crate) fn data_mut(&mut self) -> &mut Data {
        &mut self.data
    }

    /// Joint angles, `qpos[3..]`.
    pub fn joint_angles(&self) -> &[f64] {
        &self.data.qpos[3..]
    }

    /// Control steps since the last reset.
    pub fn episode_step(&self) -> usize {
        self.episode_step
    }

    /// Positions `(x, y, heading, joints)`.
    pub fn qpos(&self) -> &[f64] {
        &self.data.qpos
    }

    /// Velocities, same layout as [`SwimEnv::qpos`].
    pub fn qvel(&self) -> &[f64] {
        &self.data.qvel
    }

    /// World pose of every body, head first.
    pub fn body_positions(&self) -> Vec<BodyPose> {
        let d = &self.data;
        (0..self.cfg.n_bodies)
            .map(|b| BodyPose {
                x: d.xpos[b][0],
                y: d.xpos[b][1],
                angle: d.xangle[b],
            })
            .collect()
    }
}

/// An environment an episode can run on: the swim task, or the target task
/// ([`crate::navigate::NavigateEnv`]).
pub trait Episodic {
    /// Starts an episode from `seed`.
    fn reset(&mut self, seed: u64);
    /// Observation length.
    fn obs_dim(&self) -> usize;
    /// Action length.
    fn n_joints(&self) -> usize;
    /// Writes the observation (`out.len() == obs_dim()`).
    fn observe(&self, out: &mut [f64]);
    /// One control step.
    fn step(&mut self, action: &[f64]) -> Result<StepOutcome, SimError>;
    /// Control steps since the last reset.
    fn episode_step(&self) -> usize;
}

impl Episodic for SwimEnv {
    fn reset(&mut self, seed: u64) {
        SwimEnv::reset(self, seed);
    }
    fn obs_dim(&self) -> usize {
        SwimEnv::obs_dim(self)
    }
    fn n_joints(&self) -> usize {
        SwimEnv::n_joints(self)
    }
    fn observe(&self, out: &mut [f64]) {
        SwimEnv::observe(self, out);
    }
    fn step(&mut self, action: &[f64]) -> Result<StepOutcome, SimError> {
        SwimEnv::step(self, action)
    }
    fn episode_step(&self) -> usize {
        SwimEnv::episode_step(self)
    }
}

/// Runs one whole episode from `reset(seed)` with a policy `(obs, episode_step, action_out)`
/// and returns the sum of rewards.
pub fn run_episode<E: Episodic>(
    env: &mut E,
    seed: u64,
    policy: impl FnMut(&[f64], usize, &mut [f64]),
) -> Result<f64, SimError> {
    run_episode_visiting(env, seed, policy, |_| {})
}

/// [`run_episode`], calling `visit` with the environment after the reset and after every step
/// (to record a path, say).
pub fn run_episode_visiting<E: Episodic>(
    env: &mut E,
    seed: u64,
    mut policy: impl FnMut(&[f64], usize, &mut [f64]),
    mut visit: impl FnMut(&E),
) -> Result<f64, SimError> {
    env.reset(seed);
    visit(env);
    let mut obs = vec![0.0; env.obs_dim()];
    let mut action = vec![0.0; env.n_joints()];
    let mut total = 0.0;
    loop {
        env.observe(&mut obs);
        policy(&obs, env.episode_step(), &mut action);
        let out = env.step(&action)?;
        visit(env);
        total += out.reward;
        if out.done {
            return Ok(total);
        }
    }
}
