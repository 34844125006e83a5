//! Rendering: an animated GIF of a swimmer with its controller's activity beside the body, and
//! a filmstrip SVG. For NCAP the readout shows the oscillator and every joint's B-neurons and
//! muscles, and the activity raster is drawn too; for an MLP policy (ES, PPO or DDPG) the
//! readout shows each joint's torque, split into its positive and negative parts.

use super::raster::{record, staged_files, weights};
use crate::actor::{DeterministicActor, GaussianActor};
use crate::mlp::{Mlp, MlpCache};
use crate::ncap::{Ncap, NcapTrace};
use crate::normalizer::MeanStd;
use crate::policy::{PolicyError, SavedPolicy};
use crate::train::TrainError;
use nc_plot::{FilmLayout, FilmstripSpec, Frame, Segment, animation_gif, filmstrip_svg, save_svg};
use nc_swimmer::{BodyPose, SwimConfig, SwimEnv};
use std::path::PathBuf;

/// What to render.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// A saved policy file (NCAP or MLP); `None` renders the untrained default NCAP.
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

// an MLP actor with what it reads
struct MlpDriver {
    mlp: Mlp,
    norm: Option<MeanStd>,
    time_feature: bool,
}

/// Renders `swimmer.gif`, `filmstrip.svg` (and for NCAP the raster figures) into `opts.out`;
/// returns the episode's return. Nothing is written unless everything succeeds.
pub fn run(opts: &RenderOptions) -> Result<f64, TrainError> {
    let saved = match &opts.policy {
        Some(p) => SavedPolicy::load(p)?,
        None => SavedPolicy::Ncap {
            ncap: Ncap::default_for(5)?,
        },
    };
    let swim = SwimConfig {
        n_bodies: opts.n_bodies,
        ..SwimConfig::default()
    };
    swim.validate()?;
    let driver = match saved {
        SavedPolicy::Ncap { ncap } => return run_ncap(opts, ncap, swim),
        SavedPolicy::Gaussian {
            actor: GaussianActor { mlp, .. },
            normalizer,
            time_feature,
        }
        | SavedPolicy::Deterministic {
            actor: DeterministicActor { mlp },
            normalizer,
            time_feature,
        } => MlpDriver {
            mlp,
            norm: normalizer,
            time_feature,
        },
    };
    run_mlp(opts, &driver, swim)
}

fn run_mlp(opts: &RenderOptions, d: &MlpDriver, swim: SwimConfig) -> Result<f64, TrainError> {
    let swim = SwimConfig {
        time_feature: d.time_feature,
        ..swim
    };
    let mut env = SwimEnv::new(swim)?;
    if env.obs_dim() != d.mlp.n_in() {
        return Err(PolicyError::ObsDim {
            expected: d.mlp.n_in(),
            got: env.obs_dim(),
            n_bodies: swim.n_bodies,
        }
        .into());
    }
    if env.n_joints() != d.mlp.n_out() {
        return Err(PolicyError::ActDim {
            expected: d.mlp.n_out(),
            got: env.n_joints(),
            n_bodies: swim.n_bodies,
        }
        .into());
    }
    env.reset(opts.seed);
    let (mut obs, mut x) = (vec![0.0; env.obs_dim()], vec![0.0; env.obs_dim()]);
    let mut cache = MlpCache::default();
    let (mut frames, mut ret) = (Vec::new(), 0.0);
    for step in 0..opts.steps.min(env.config().episode_len) {
        env.observe(&mut obs);
        match &d.norm {
            Some(n) => n.normalize(&obs, &mut x),
            None => x.copy_from_slice(&obs),
        }
        d.mlp.forward(&x, 1, &mut cache)?;
        let a = cache.output().to_vec();
        if step % opts.stride.max(1) == 0 {
            // torque per joint, head first: positive part (a+) and negative part (a−)
            frames.push(Frame {
                segments: env.body_positions().iter().map(segment).collect(),
                text: Some(format!("t = {:.2} s", env.episode_step() as f64 * 0.03)),
                readout: vec![
                    ("a+".into(), a.iter().map(|v| v.max(0.0)).collect()),
                    ("a-".into(), a.iter().map(|v| (-v).max(0.0)).collect()),
                ],
            });
        }
        ret += env.step(&a)?.reward;
    }
    let fps = 1.0 / (0.03 * opts.stride.max(1) as f64);
    staged_files(&opts.out, |dir| {
        animation_gif(&frames, &dir.join("swimmer.gif"), fps, GIF_SIZE)?;
        save_filmstrip(dir, &frames, "MLP swimmer")
    })?;
    Ok(ret)
}

fn save_filmstrip(dir: &std::path::Path, frames: &[Frame], title: &str) -> Result<(), TrainError> {
    let spec = FilmstripSpec {
        title: title.into(),
        description: format!(
            "Successive poses of the {title}, older ones fainter, with the path of its centre."
        ),
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
    Ok(())
}

fn run_ncap(opts: &RenderOptions, ncap: Ncap, swim: SwimConfig) -> Result<f64, TrainError> {
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
        save_filmstrip(dir, &frames, "NCAP swimmer")?;
        crate::figures::raster(dir, &rec, &weights(&ncap))
    })?;
    Ok(ret)
}
