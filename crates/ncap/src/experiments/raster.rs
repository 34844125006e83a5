//! Interpretability: B-neuron and muscle activity over one episode of a (trained) NCAP, with
//! its learned weights.

use super::preset::Preset;
use super::unit::{Algo, ModelKind, TrainSpec, run_unit};
use crate::es::EsSettings;
use crate::ncap::{Ncap, NcapTrace};
use crate::policy::SavedPolicy;
use crate::train::{Progress, TrainError, write_json, write_text};
use nc_swimmer::{SwimConfig, SwimEnv};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How the raster is made.
#[derive(Clone, Debug)]
pub struct RasterOptions {
    /// Output folder.
    pub out: PathBuf,
    /// A saved NCAP policy; without one, NCAP is trained by ES first (into `out/train`).
    pub policy: Option<PathBuf>,
    /// Training budget of that ES run.
    pub preset: Preset,
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

/// Loads an NCAP policy file; any other kind of policy is refused.
pub fn load_ncap(path: &Path) -> Result<Ncap, TrainError> {
    match SavedPolicy::load(path)? {
        SavedPolicy::Ncap { ncap } => Ok(ncap),
        other => Err(TrainError::NotNcap {
            path: path.to_path_buf(),
            kind: other.kind(),
        }),
    }
}

/// The ES run behind a raster without `--policy`: the default NCAP with the settings suited to
/// its 4 weights.
pub fn training_spec(preset: Preset, seed: u64) -> TrainSpec {
    TrainSpec {
        es: Some(EsSettings::NCAP_FAST),
        ..TrainSpec::new(Algo::Es, ModelKind::Ncap, seed, preset.ncap_steps())
    }
}

/// Builds files in a temporary folder beside `out` and moves them into `out` only when `build`
/// succeeded, so a failure leaves `out` as it was (and creates no empty folder). Temporaries
/// left by killed runs are removed first.
pub(crate) fn staged_files<T>(
    out: &Path,
    build: impl FnOnce(&Path) -> Result<T, TrainError>,
) -> Result<T, TrainError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TrainError::Io { path, source }
    };
    remove_stale_temporaries(out);
    let staged = nc_core::output::StagedDir::new(out).map_err(io(out))?;
    let value = build(staged.path())?;
    std::fs::create_dir_all(out).map_err(io(out))?;
    for entry in std::fs::read_dir(staged.path()).map_err(io(staged.path()))? {
        let entry = entry.map_err(io(staged.path()))?;
        let to = out.join(entry.file_name());
        std::fs::rename(entry.path(), &to).map_err(io(&to))?;
    }
    Ok(value)
}

fn remove_stale_temporaries(out: &Path) {
    let (Some(parent), Some(name)) = (out.parent(), out.file_name()) else {
        return;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    crate::train::remove_stale_temporaries(parent, Some(&name.to_string_lossy()));
}

/// Trains (or loads) an NCAP, records an episode, writes `raster.csv`, `weights.json` and
/// the raster figures. Returns the recording.
pub fn run(
    opts: &RasterOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Recording, TrainError> {
    let ncap = match &opts.policy {
        Some(p) => load_ncap(p)?,
        None => {
            let dir = opts.out.join("train");
            run_unit(&training_spec(opts.preset, opts.seed), &dir, progress)?;
            load_ncap(&crate::policy_file::policy_path(&dir))?
        }
    };
    let rec = record(&ncap, opts.seed, opts.steps)?;
    let weights = weights(&ncap);
    staged_files(&opts.out, |dir| {
        write_text(dir, "raster.csv", &raster_csv(&rec, ncap.n_joints()))?;
        write_json(dir, "weights.json", &weights)?;
        crate::figures::raster(dir, &rec, &weights)
    })?;
    Ok(rec)
}

/// The controller's named weights.
pub fn weights(ncap: &Ncap) -> Vec<(String, f64)> {
    ncap.param_names()
        .iter()
        .map(|(n, _)| n.clone())
        .zip(ncap.params().iter().copied())
        .collect()
}

fn raster_csv(rec: &Recording, n_joints: usize) -> String {
    let mut csv = String::from("t");
    for name in &rec.names {
        csv.push(',');
        csv.push_str(name);
    }
    for i in 0..n_joints {
        csv.push_str(&format!(",q_{i},torque_{i}"));
    }
    csv.push('\n');
    for (t, row) in rec.activity.iter().enumerate() {
        csv.push_str(&t.to_string());
        for v in row {
            csv.push_str(&format!(",{v:.5}"));
        }
        for i in 0..n_joints {
            csv.push_str(&format!(
                ",{:.5},{:.5}",
                rec.joints[t][i], rec.torques[t][i]
            ));
        }
        csv.push('\n');
    }
    csv
}
