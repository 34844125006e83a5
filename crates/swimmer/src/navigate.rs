//! dm_control's target-reaching swimmer task, which the NCAP code's `navigate` task inherits:
//! a ball is placed at random in the plane and the reward grows as the nose nears it.
//!
//! The physics is the swim task's ([`SwimEnv`]); the target is a marker with no contacts.
//! Reset draws the target as dm_control does: with probability 0.2 in the box ±0.3, else in
//! ±2, from its own seeded stream. The observation adds `to_target`, the vector from the nose
//! to the target in the head's frame, after the joint angles (dm_control's order).

use crate::error::{ConfigError, SimError};
use crate::task::{Episodic, StepOutcome, SwimConfig, SwimEnv};
use rand::RngExt;

/// Radius of dm_control's target ball; the reward is 1 inside it.
pub const TARGET_SIZE: f64 = 0.1;
/// The nose, in the head's frame.
const NOSE: [f64; 2] = [0.0, -0.06];

/// dm_control's `tolerance(d, bounds=(0, size), margin=5·size, sigmoid='long_tail')` with its
/// default value 0.1 at the margin: 1 inside the ball, then `1 / (1 + (3·(d − size)/margin)²)`.
pub fn target_reward(distance: f64) -> f64 {
    if distance <= TARGET_SIZE {
        return 1.0;
    }
    let margin = 5.0 * TARGET_SIZE;
    // scale so that the value at one margin out is 0.1
    let scale = (1.0f64 / 0.1 - 1.0).sqrt();
    let x = (distance - TARGET_SIZE) / margin * scale;
    1.0 / (x * x + 1.0)
}

/// The swimmer with a target to reach.
#[derive(Debug, Clone)]
pub struct NavigateEnv {
    swim: SwimEnv,
    target: [f64; 2],
}

impl NavigateEnv {
    /// Builds the environment; the target starts at dm_control's XML position (1, 1).
    pub fn new(cfg: SwimConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            swim: SwimEnv::new(cfg)?,
            target: [1.0, 1.0],
        })
    }

    /// The swim environment underneath (physics, poses, joint angles).
    pub fn swim(&self) -> &SwimEnv {
        &self.swim
    }

    /// Observation length: joints, `to_target` (2), 3 velocities per body, optional time.
    pub fn obs_dim(&self) -> usize {
        self.swim.obs_dim() + 2
    }

    /// Number of joints, the action dimension.
    pub fn n_joints(&self) -> usize {
        self.swim.n_joints()
    }

    /// The swim task's reset, then a target drawn from
    /// `nc_core::rng::stream(seed, "swimmer-target", 0)`.
    pub fn reset(&mut self, seed: u64) {
        self.swim.reset(seed);
        let mut rng = nc_core::rng::stream(seed, "swimmer-target", 0);
        let close = rng.random::<f64>() < 0.2;
        let half = if close { 0.3 } else { 2.0 };
        self.target = [rng.random_range(-half..half), rng.random_range(-half..half)];
    }

    /// The target's world position.
    pub fn target(&self) -> [f64; 2] {
        self.target
    }

    /// Moves the target (a finite position).
    pub fn set_target(&mut self, target: [f64; 2]) -> Result<(), ConfigError> {
        if let Some(&value) = target.iter().find(|x| !x.is_finite()) {
            return Err(ConfigError::NonFinite {
                field: "target",
                value,
            });
        }
        self.target = target;
        Ok(())
    }

    /// Sets the swimmer's state (see [`SwimEnv::set_state`]).
    pub fn set_state(&mut self, qpos: &[f64], qvel: &[f64]) -> Result<(), SimError> {
        self.swim.set_state(qpos, qvel)
    }

    /// Continues an episode: the swimmer's state and episode step (see [`SwimEnv::restore`]);
    /// the target is kept (see [`NavigateEnv::set_target`]).
    pub fn restore(
        &mut self,
        qpos: &[f64],
        qvel: &[f64],
        episode_step: usize,
    ) -> Result<(), SimError> {
        self.swim.restore(qpos, qvel, episode_step)
    }

    /// The nose's world position.
    pub fn nose(&self) -> [f64; 2] {
        let d = self.swim.data();
        let (c, s) = (d.xangle[0].cos(), d.xangle[0].sin());
        [
            d.xpos[0][0] + c * NOSE[0] - s * NOSE[1],
            d.xpos[0][1] + s * NOSE[0] + c * NOSE[1],
        ]
    }

    /// The vector from the nose to the target in the head's frame (dm_control's `to_target`).
    pub fn to_target(&self) -> [f64; 2] {
        let [nx, ny] = self.nose();
        let (dx, dy) = (self.target[0] - nx, self.target[1] - ny);
        let a = self.swim.data().xangle[0];
        let (c, s) = (a.cos(), a.sin());
        [c * dx + s * dy, -s * dx + c * dy]
    }

    /// Distance from the nose to the target's centre.
    pub fn distance(&self) -> f64 {
        let [x, y] = self.to_target();
        x.hypot(y)
    }

    /// The current reward, [`target_reward`] of the distance.
    pub fn reward(&self) -> f64 {
        target_reward(self.distance())
    }

    /// Writes the observation: joint angles, `to_target`, body velocities, optional time.
    ///
    /// # Panics
    /// If `out.len() != self.obs_dim()`.
    pub fn observe(&self, out: &mut [f64]) {
        assert_eq!(out.len(), self.obs_dim(), "observation buffer length");
        let nj = self.n_joints();
        // the swim observation two places along, then the joints moved back to make room
        self.swim.observe(&mut out[2..]);
        out.copy_within(2..2 + nj, 0);
        out[nj..nj + 2].copy_from_slice(&self.to_target());
    }

    /// One control step of the swimmer; the reward is the target reward.
    pub fn step(&mut self, action: &[f64]) -> Result<StepOutcome, SimError> {
        let out = self.swim.step(action)?;
        Ok(StepOutcome {
            reward: self.reward(),
            done: out.done,
        })
    }

    /// Control steps since the last reset.
    pub fn episode_step(&self) -> usize {
        self.swim.episode_step()
    }
}

impl Episodic for NavigateEnv {
    fn reset(&mut self, seed: u64) {
        NavigateEnv::reset(self, seed);
    }
    fn obs_dim(&self) -> usize {
        NavigateEnv::obs_dim(self)
    }
    fn n_joints(&self) -> usize {
        NavigateEnv::n_joints(self)
    }
    fn observe(&self, out: &mut [f64]) {
        NavigateEnv::observe(self, out);
    }
    fn step(&mut self, action: &[f64]) -> Result<StepOutcome, SimError> {
        NavigateEnv::step(self, action)
    }
    fn episode_step(&self) -> usize {
        NavigateEnv::episode_step(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_is_one_inside_and_a_tenth_one_margin_out() {
        assert_eq!(target_reward(0.0), 1.0);
        assert_eq!(target_reward(TARGET_SIZE), 1.0);
        assert!((target_reward(TARGET_SIZE + 0.5) - 0.1).abs() < 1e-12);
        assert!(target_reward(1.0) < target_reward(0.5));
    }

    #[test]
    fn targets_fall_in_dm_controls_boxes_with_about_a_fifth_close() {
        let mut env = NavigateEnv::new(SwimConfig::default()).unwrap();
        let mut close = 0;
        for seed in 0..400 {
            env.reset(seed);
            let [x, y] = env.target();
            assert!(x.abs() < 2.0 && y.abs() < 2.0);
            if x.abs() < 0.3 && y.abs() < 0.3 {
                close += 1;
            }
        }
        // 0.2 close plus far targets that land in the small box by chance (0.8 · 0.15²)
        let expected = 400.0 * (0.2 + 0.8 * 0.0225);
        assert!((f64::from(close) - expected).abs() < 30.0, "{close}");
    }
}
