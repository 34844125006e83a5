//! Interpretability: B-neuron and muscle activity over one episode of a (trained) NCAP, with
//! its learned weights.

use super::unit::{Algo, ModelKind, TrainSpec, run_unit};
use crate::ncap::{Ncap, NcapTrace};
use crate::policy::SavedPolicy;
use crate::train::{Progress, TrainError, write_json, write_text};
use nc_swimmer::{SwimConfig, SwimEnv};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How the raster is made.
#[derive(Clone, Debug)]
pub struct RasterOptions {
    /// Output folder.
    pub out: PathBuf,
    /// A saved NCAP policy; without one, NCAP is trained by ES first (into `out/train`).
    pub policy: Option<PathBuf>,
    /// Small training budget.
    pub quick: bool,
    /// Seed of the training run and of the recorded episode's reset.
    pub seed: u64,
    /// Control steps to record.
    pub steps: usize,
}

/// Neuron activity of one recorded episode: `activity[t][k]` for neuron `names[k]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// Neuron names: `osc_d`, `osc_v`, then per joint `b_d_i`, `b_v_i`, `m_d_i`, `m_v_i`.
    pub names: Vec<String>,
    /// Activity per control step.
    pub activity: Vec<Vec<f64>>,
    /// Joint angles per control step (rad).
    pub joints: Vec<Vec<f64>>,
    /// Torques per control step.
    pub torques: Vec<Vec<f64>>,
    /// Return over the recorded steps.
    pub reward: f64,
}

/// Records `steps` control steps of `ncap` on its body from `reset(seed)`.
pub fn record(ncap: &Ncap, seed: u64, steps: usize) -> Result<Recording, TrainError> {
    let n = ncap.n_joints();
    let mut env = SwimEnv::new(SwimConfig {
        n_bodies: n + 1,
        ..SwimConfig::default()
    })?;
    env.reset(seed);
    let mut names = vec!["osc_d".to_string(), "osc_v".to_string()];
    for i in 0..n {
        names.extend([
            format!("b_d_{i}"),
            format!("b_v_{i}"),
            format!("m_d_{i}"),
            format!("m_v_{i}"),
        ]);
    }
    let mut rec = Recording {
        names,
        activity: Vec::new(),
        joints: Vec::new(),
        torques: Vec::new(),
        reward: 0.0,
    };
    let mut tr = NcapTrace::default();
    let mut a = vec![0.0; n];
    for _ in 0..steps.min(env.config().episode_len) {
        let q = env.joint_angles().to_vec();
        ncap.forward(&q, env.episode_step(), &mut a, &mut tr);
        let mut row = vec![tr.osc.0, tr.osc.1];
        for i in 0..n {
            row.extend([tr.b_d[i], tr.b_v[i], tr.m_d[i], tr.m_v[i]]);
        }
        rec.activity.push(row);
        rec.joints.push(q);
        rec.torques.push(a.clone());
        rec.reward += env.step(&a)?.reward;
    }
    Ok(rec)
}

/// Trains (or loads) an NCAP, records an episode, writes `raster.csv`, `weights.json` and
/// the raster figure. Returns the recording.
pub fn run(
    opts: &RasterOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Recording, TrainError> {
    std::fs::create_dir_all(&opts.out).map_err(|source| TrainError::Io {
        path: opts.out.clone(),
        source,
    })?;
    let path = match &opts.policy {
        Some(p) => p.clone(),
        None => {
            let spec = TrainSpec {
                algo: Algo::Es,
                model: ModelKind::Ncap,
                ablation: "111".into(),
                seed: opts.seed,
                steps: if opts.quick { 48_000 } else { 300_000 },
                n_bodies: 6,
                episode_len: 1000,
                test_episodes: 5,
            };
            let dir = opts.out.join("train");
            run_unit(&spec, &dir, progress)?;
            dir.join("policy.json")
        }
    };
    let SavedPolicy::Ncap { ncap } = SavedPolicy::load(&path)? else {
        return Err(TrainError::Config(format!(
            "{} is not an NCAP policy",
            path.display()
        )));
    };
    let rec = record(&ncap, opts.seed, opts.steps)?;
    let mut csv = String::from("t");
    for name in &rec.names {
        csv.push(',');
        csv.push_str(name);
    }
    for i in 0..ncap.n_joints() {
        csv.push_str(&format!(",q_{i},torque_{i}"));
    }
    csv.push('\n');
    for (t, row) in rec.activity.iter().enumerate() {
        csv.push_str(&t.to_string());
        for v in row {
            csv.push_str(&format!(",{v:.5}"));
        }
        for i in 0..ncap.n_joints() {
            csv.push_str(&format!(
                ",{:.5},{:.5}",
                rec.joints[t][i], rec.torques[t][i]
            ));
        }
        csv.push('\n');
    }
    write_text(&opts.out, "raster.csv", &csv)?;
    let weights: Vec<(String, f64)> = ncap
        .param_names()
        .iter()
        .map(|(n, _)| n.clone())
        .zip(ncap.params().iter().copied())
        .collect();
    write_json(&opts.out, "weights.json", &weights)?;
    crate::figures::raster(&opts.out, &rec, &weights)?;
    Ok(rec)
}
