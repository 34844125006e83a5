//! Recording a rollout for drawing and analysis: per control step, the state, the reward and
//! every body's world pose, written as CSV. Also the simple open-loop gaits used by `render`.

use crate::error::SimError;
use crate::task::{BodyPose, SwimEnv};
use std::io::{self, Write};

/// One recorded control step.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// Control steps since reset.
    pub step: usize,
    /// Simulation time in seconds.
    pub time: f64,
    /// Reward of the step that led here (0 for the reset frame).
    pub reward: f64,
    /// Positions.
    pub qpos: Vec<f64>,
    /// Velocities.
    pub qvel: Vec<f64>,
    /// World pose of each body, head first.
    pub bodies: Vec<BodyPose>,
}

/// A recorded rollout.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Trajectory {
    /// Frames, the reset state first.
    pub frames: Vec<Frame>,
}

impl Trajectory {
    /// Appends the environment's current state.
    pub fn push(&mut self, env: &SwimEnv, reward: f64) {
        self.frames.push(Frame {
            step: env.episode_step(),
            time: env.data().time,
            reward,
            qpos: env.qpos().to_vec(),
            qvel: env.qvel().to_vec(),
            bodies: env.body_positions(),
        });
    }

    /// Writes CSV: `step,time,reward,qpos_0..,qvel_0..,body{b}_x,body{b}_y,body{b}_angle..`.
    pub fn write_csv(&self, mut w: impl Write) -> io::Result<()> {
        let Some(first) = self.frames.first() else {
            return Ok(());
        };
        let (nq, nb) = (first.qpos.len(), first.bodies.len());
        let mut head = vec!["step".to_string(), "time".into(), "reward".into()];
        head.extend((0..nq).map(|i| format!("qpos_{i}")));
        head.extend((0..nq).map(|i| format!("qvel_{i}")));
        for b in 0..nb {
            head.extend([
                format!("body{b}_x"),
                format!("body{b}_y"),
                format!("body{b}_angle"),
            ]);
        }
        writeln!(w, "{}", head.join(","))?;
        for f in &self.frames {
            write!(w, "{},{},{}", f.step, f.time, f.reward)?;
            for v in f.qpos.iter().chain(&f.qvel) {
                write!(w, ",{v}")?;
            }
            for p in &f.bodies {
                write!(w, ",{},{},{}", p.x, p.y, p.angle)?;
            }
            writeln!(w)?;
        }
        Ok(())
    }
}

/// Resets with `seed`, runs `steps` control steps of `policy` `(obs, step, action_out)`, and
/// records every state (the reset state first).
pub fn rollout(
    env: &mut SwimEnv,
    seed: u64,
    steps: usize,
    mut policy: impl FnMut(&[f64], usize, &mut [f64]),
) -> Result<Trajectory, SimError> {
    env.reset(seed);
    let mut traj = Trajectory::default();
    traj.push(env, 0.0);
    let mut obs = vec![0.0; env.obs_dim()];
    let mut action = vec![0.0; env.n_joints()];
    for _ in 0..steps {
        env.observe(&mut obs);
        policy(&obs, env.episode_step(), &mut action);
        let out = env.step(&action)?;
        traj.push(env, out.reward);
    }
    Ok(traj)
}

/// An open-loop travelling wave: joint `j` at control step `k` gets
/// `amplitude · wave(2π (freq · k · control_dt − j / wavelength_joints))`, with `wave` a sine
/// or its sign (square wave). Head-to-tail travel gives forward swimming.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TravellingWave {
    /// Cycles per second.
    pub freq: f64,
    /// Joints per wavelength.
    pub wavelength_joints: f64,
    /// Control amplitude (clamped to [-1, 1] by the environment).
    pub amplitude: f64,
    /// Square wave instead of sine.
    pub square: bool,
    /// Seconds per control step (0.03 by default).
    pub control_dt: f64,
}

impl Default for TravellingWave {
    fn default() -> Self {
        TravellingWave {
            freq: 1.2,
            wavelength_joints: 5.0,
            amplitude: 1.0,
            square: false,
            control_dt: 0.03,
        }
    }
}

impl TravellingWave {
    /// Writes the action for control step `k`.
    pub fn action(&self, k: usize, out: &mut [f64]) {
        for (j, a) in out.iter_mut().enumerate() {
            let phase = 2.0
                * std::f64::consts::PI
                * (self.freq * k as f64 * self.control_dt - j as f64 / self.wavelength_joints);
            let s = phase.sin();
            *a = self.amplitude * if self.square { s.signum() } else { s };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::SwimConfig;

    #[test]
    fn travelling_wave_swims_forward_and_csv_has_all_columns() {
        let mut env = SwimEnv::new(SwimConfig::default()).unwrap();
        let gait = TravellingWave::default();
        let traj = rollout(&mut env, 1, 200, |_, k, a| gait.action(k, a)).unwrap();
        assert_eq!(traj.frames.len(), 201);
        // the gait earns reward: the head moves forward on average
        let mean: f64 = traj.frames.iter().map(|f| f.reward).sum::<f64>() / 200.0;
        assert!(mean > 0.05, "mean reward {mean}");
        let mut buf = Vec::new();
        traj.write_csv(&mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 202);
        let cols = 3 + 8 + 8 + 18;
        assert!(lines.iter().all(|l| l.split(',').count() == cols));
        // body poses agree with qpos: body 0's angle is the heading
        let f = &traj.frames[50];
        assert!((f.bodies[0].angle - f.qpos[2]).abs() < 1e-12);
        assert!((f.bodies[2].angle - (f.qpos[2] + f.qpos[3] + f.qpos[4])).abs() < 1e-12);
    }
}
