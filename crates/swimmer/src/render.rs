//! Pictures of a rollout: an animated GIF, an SVG filmstrip and the trajectory as CSV.
//!
//! The drawing itself lives in `nc-plot`, which knows nothing of physics; this module turns
//! body poses into its segments.

use crate::error::SimError;
use crate::task::{BodyPose, SwimConfig, SwimEnv};
use crate::trajectory::{Trajectory, TravellingWave, rollout};
use nc_plot::{FilmLayout, FilmstripSpec, Frame, Segment};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Segment length of every body (dm_control's swimmer).
const SEGMENT_LENGTH: f64 = 0.1;
/// Drawn width of a segment.
const SEGMENT_WIDTH: f64 = 0.02;

/// Why a picture could not be made.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RenderError {
    /// The simulation failed.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The environment could not be built.
    #[error(transparent)]
    Config(#[from] crate::error::ConfigError),
    /// Drawing or writing a picture failed.
    #[error("drawing {path}: {source}")]
    Plot {
        /// The output file.
        path: PathBuf,
        /// The cause.
        source: nc_plot::PlotError,
    },
    /// Writing the CSV failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The output file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// Bodies as drawable segments, head first. A body's local −y axis points forward (the
/// head's nose is at local (0, −0.06)).
fn segments(bodies: &[BodyPose]) -> Vec<Segment> {
    bodies
        .iter()
        .map(|b| Segment {
            x: b.x,
            y: b.y,
            heading: (-b.angle.cos()).atan2(b.angle.sin()),
            length: SEGMENT_LENGTH,
            width: SEGMENT_WIDTH,
        })
        .collect()
}

/// The trajectory's frames as drawable segments, head first.
pub fn plot_frames(traj: &Trajectory) -> Vec<Frame> {
    traj.frames
        .iter()
        .map(|f| Frame {
            segments: segments(&f.bodies),
            text: Some(format!("t = {:.2} s", f.time)),
            readout: Vec::new(),
        })
        .collect()
}

/// The environment's current state as one drawable frame.
pub fn env_frame(env: &SwimEnv) -> Frame {
    Frame {
        segments: segments(&env.body_positions()),
        text: Some(format!("t = {:.2} s", env.data().time)),
        readout: Vec::new(),
    }
}

/// The environment's current state drawn as raw RGB bytes, row-major `height × width × 3`,
/// the camera on the body's centre.
pub fn frame_rgb(env: &SwimEnv, size: (u32, u32)) -> Result<Vec<u8>, nc_plot::PlotError> {
    nc_plot::frame_rgb(&env_frame(env), size)
}

/// Writes an animated GIF of the trajectory at `fps` frames per second.
pub fn write_gif(traj: &Trajectory, path: &Path, fps: f64) -> Result<(), RenderError> {
    let frames = plot_frames(traj);
    nc_plot::animation_gif(&frames, path, fps, (360, 270)).map_err(|source| RenderError::Plot {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes an SVG filmstrip of `panels` evenly spaced frames.
pub fn write_filmstrip(
    traj: &Trajectory,
    path: &Path,
    title: &str,
    panels: usize,
) -> Result<(), RenderError> {
    let frames = plot_frames(traj);
    let spec = FilmstripSpec {
        title: title.to_string(),
        description: format!(
            "{panels} snapshots of a {}-link swimmer over {:.1} s, head in orange, camera following the body's centre.",
            traj.frames.first().map_or(0, |f| f.bodies.len()),
            traj.frames.last().map_or(0.0, |f| f.time)
        ),
        layout: FilmLayout::Strip,
        max_frames: panels,
        ..FilmstripSpec::default()
    };
    let svg = nc_plot::filmstrip_svg(&frames, &spec).map_err(|source| RenderError::Plot {
        path: path.to_path_buf(),
        source,
    })?;
    nc_plot::save_svg(path, &svg).map_err(|source| RenderError::Plot {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes the trajectory as CSV, atomically.
pub fn write_csv(traj: &Trajectory, path: &Path) -> Result<(), RenderError> {
    let mut buf = Vec::new();
    traj.write_csv(&mut buf).map_err(|source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    nc_core::output::write_atomic(path, &buf).map_err(|source| RenderError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// What [`render_gait`] wrote.
#[derive(Debug, Clone)]
pub struct RenderSummary {
    /// The animation.
    pub gif: PathBuf,
    /// The filmstrip.
    pub filmstrip: PathBuf,
    /// The trajectory.
    pub csv: PathBuf,
    /// Sum of rewards over the rollout.
    pub total_reward: f64,
    /// Distance the body's centre travelled, in metres.
    pub distance: f64,
}

/// Rolls out an open-loop `gait` from `reset(seed)` for `steps` control steps and writes
/// `swimmer.gif`, `filmstrip.svg` and `trajectory.csv` into `dir`.
///
/// ```no_run
/// use nc_swimmer::{SwimConfig, render::render_gait, trajectory::TravellingWave};
/// let s = render_gait(std::path::Path::new("out/swimmer"), SwimConfig::default(), 0, 200, &TravellingWave::default()).unwrap();
/// assert!(s.gif.exists());
/// ```
pub fn render_gait(
    dir: &Path,
    cfg: SwimConfig,
    seed: u64,
    steps: usize,
    gait: &TravellingWave,
) -> Result<RenderSummary, RenderError> {
    let mut env = SwimEnv::new(cfg)?;
    let traj = rollout(&mut env, seed, steps, |_, k, a| gait.action(k, a))?;
    let summary = RenderSummary {
        gif: dir.join("swimmer.gif"),
        filmstrip: dir.join("filmstrip.svg"),
        csv: dir.join("trajectory.csv"),
        total_reward: traj.frames.iter().map(|f| f.reward).sum(),
        distance: centre_distance(&traj),
    };
    write_gif(
        &traj,
        &summary.gif,
        1.0 / (cfg.timestep * cfg.substeps as f64),
    )?;
    write_filmstrip(&traj, &summary.filmstrip, "Swimmer rollout", 6)?;
    write_csv(&traj, &summary.csv)?;
    Ok(summary)
}

fn centre_distance(traj: &Trajectory) -> f64 {
    let centre = |i: usize| {
        let b = &traj.frames[i].bodies;
        let n = b.len().max(1) as f64;
        (
            b.iter().map(|p| p.x).sum::<f64>() / n,
            b.iter().map(|p| p.y).sum::<f64>() / n,
        )
    };
    if traj.frames.is_empty() {
        return 0.0;
    }
    let (a, b) = (centre(0), centre(traj.frames.len() - 1));
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_segment_points_along_the_nose() {
        let mut env = SwimEnv::new(SwimConfig::default()).unwrap();
        let traj = rollout(&mut env, 3, 2, |_, _, a| a.fill(0.0)).unwrap();
        let f = &traj.frames[0];
        let seg = &plot_frames(&traj)[0].segments[0];
        // the head's front is its local −y axis; the next body lies behind it
        let behind = (f.bodies[1].x - f.bodies[0].x, f.bodies[1].y - f.bodies[0].y);
        let forward = (seg.heading.cos(), seg.heading.sin());
        let dot = forward.0 * behind.0 + forward.1 * behind.1;
        assert!(
            dot < -0.09,
            "the body behind the head must lie opposite its heading: {dot}"
        );
    }

    #[test]
    fn rgb_frame_has_the_size_asked_and_draws_the_body() {
        let mut env = SwimEnv::new(SwimConfig::default()).unwrap();
        env.reset(0);
        let (w, h) = (64u32, 48u32);
        let rgb = frame_rgb(&env, (w, h)).unwrap();
        assert_eq!(rgb.len(), (w * h * 3) as usize);
        // the camera is on the body: many pixels differ from the background's corner
        let corner = [rgb[0], rgb[1], rgb[2]];
        let distinct = rgb.chunks(3).filter(|p| **p != corner).count();
        assert!(
            distinct > 20,
            "only {distinct} pixels differ from the corner"
        );
        assert!(
            frame_rgb(&env, (4, 4)).is_err(),
            "too small a frame is refused"
        );
    }

    #[test]
    fn render_writes_all_three_files() {
        let dir = tempfile::tempdir().unwrap();
        let s = render_gait(
            dir.path(),
            SwimConfig::default(),
            0,
            30,
            &TravellingWave::default(),
        )
        .unwrap();
        for p in [&s.gif, &s.filmstrip, &s.csv] {
            assert!(std::fs::metadata(p).unwrap().len() > 100, "{}", p.display());
        }
    }
}
