//! Rendering: an animated GIF of an NCAP swimmer with its neuron activity beside the body (a
//! per-frame bar readout of the oscillator and every joint's B-neurons and muscles), a filmstrip
//! SVG and the activity raster.

use super::raster::{load_ncap, record, staged_files, weights};
use crate::ncap::{Ncap, NcapTrace};
use crate::train::TrainError;
use nc_plot::{FilmLayout, FilmstripSpec, Frame, Segment, animation_gif, filmstrip_svg, save_svg};
use nc_swimmer::{BodyPose, SwimConfig, SwimEnv};
use std::path::PathBuf;

/// What to render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// A saved NCAP policy.json; `None` renders the untrained default NCAP.
    pub policy: Option<PathBuf>,
    /// Bodies of the swimmer.
    pub n_bodies: usize,
    /// Reset seed.
    pub seed: u64,
    /// Control steps to render.
    pub steps: usize,
    /// Render every k-th control step.
    pub stride: usize,
    /// Output folder.
    pub out: PathBuf,
}

/// Pixel size of the GIF. Square, so that the view (1.3 body lengths across, centred on the
/// body) also holds a body pointing up or down above the neuron readout.
pub const GIF_SIZE: (u32, u32) = (640, 640);

// body pose to a drawable segment: bodies span ±0.05 m along local y, the head points to −y
fn segment(p: &BodyPose) -> Segment {
    Segment {
        x: p.x,
        y: p.y,
        heading: p.angle - std::f64::consts::FRAC_PI_2,
        length: 0.1,
        width: 0.02,
    }
}

/// Renders `swimmer.gif`, `filmstrip.svg` and the raster figures into `opts.out`; returns the
/// episode's return. Nothing is written unless everything succeeds.
pub fn run(opts: &RenderOptions) -> Result<f64, TrainError> {
    let ncap = match &opts.policy {
        Some(p) => load_ncap(p)?,
        None => Ncap::default_for(5)?,
    };
    let swim = SwimConfig {
        n_bodies: opts.n_bodies,
        ..SwimConfig::default()
    };
    swim.validate()?;
    let n = opts.n_bodies - 1;
    let ncap = ncap.with_joints(n)?;
    let mut env = SwimEnv::new(swim)?;
    env.reset(opts.seed);
    let mut frames = Vec::new();
    let (mut tr, mut a, mut ret) = (NcapTrace::default(), vec![0.0; n], 0.0);
    for step in 0..opts.steps.min(env.config().episode_len) {
        let t = env.episode_step();
        ncap.forward(env.joint_angles(), t, &mut a, &mut tr);
        if step % opts.stride.max(1) == 0 {
            // neuron readout under the body: one bar per joint, head first (Bd/Bv: dorsal and
            // ventral B-neurons, Md/Mv: muscles)
            frames.push(Frame {
                segments: env.body_positions().iter().map(segment).collect(),
                text: Some(format!("t = {:.2} s", t as f64 * 0.03)),
                readout: vec![
                    ("osc".into(), vec![tr.osc.0, tr.osc.1]),
                    ("Bd".into(), tr.b_d.clone()),
                    ("Bv".into(), tr.b_v.clone()),
                    ("Md".into(), tr.m_d.clone()),
                    ("Mv".into(), tr.m_v.clone()),
                ],
            });
        }
        ret += env.step(&a)?.reward;
    }
    let rec = record(&ncap, opts.seed, opts.steps)?;
    let fps = 1.0 / (0.03 * opts.stride.max(1) as f64);
    staged_files(&opts.out, |dir| {
        animation_gif(&frames, &dir.join("swimmer.gif"), fps, GIF_SIZE)?;
        let spec = FilmstripSpec {
            title: "NCAP swimmer".into(),
            description:
                "Successive poses of the NCAP swimmer, older ones fainter, with the path of its centre."
                    .into(),
            layout: FilmLayout::Overlay,
            max_frames: 12,
            ..FilmstripSpec::default()
        };
        let quiet: Vec<Frame> = frames
            .iter()
            .map(|f| Frame {
                text: None,
                readout: Vec::new(),
                ..f.clone()
            })
            .collect();
        save_svg(&dir.join("filmstrip.svg"), &filmstrip_svg(&quiet, &spec)?)?;
        crate::figures::raster(dir, &rec, &weights(&ncap))
    })?;
    Ok(ret)
}
