//! The files of one training run (`richlazy train --out DIR`): built in a staging folder and
//! renamed into place only when complete, so a failed save leaves nothing half-written.
//!
//! `config.json` (the run's configuration and its hash), `result.json` (the whole
//! [`RunResult`]), `tracking.csv` (the measures at every checkpoint) and `loss.csv` (the
//! running-mean loss).

use crate::measures::Measure;
use crate::train::RunResult;
use nc_core::output::{StagedDir, config_hash, write_atomic, write_json_atomic};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why a run could not be saved.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SaveError {
    /// The folder exists and holds files.
    #[error(
        "{path} already exists and is not empty: choose another --out, or pass --force to replace it"
    )]
    Exists {
        /// The folder.
        path: PathBuf,
    },
    /// Writing failed.
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SaveError + '_ {
    move |cause| SaveError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// Writes run `r` into folder `out`; an existing non-empty `out` is replaced only with
/// `force`.
pub fn write_run(r: &RunResult, out: &Path, force: bool) -> Result<(), SaveError> {
    let busy = out.is_dir() && std::fs::read_dir(out).map_err(io(out))?.next().is_some();
    if (busy || out.is_file()) && !force {
        return Err(SaveError::Exists {
            path: out.to_path_buf(),
        });
    }
    let staged = StagedDir::new(out).map_err(io(out))?;
    let dir = staged.path();
    let json = |name: &str, v: &serde_json::Value| {
        let p = dir.join(name);
        write_json_atomic(&p, v).map_err(io(&p))
    };
    json(
        "config.json",
        &serde_json::json!({ "config_hash": config_hash(&r.config), "config": r.config }),
    )?;
    json(
        "result.json",
        &serde_json::to_value(r).unwrap_or(serde_json::Value::Null),
    )?;
    let names: Vec<&str> = Measure::ALL.iter().map(|m| m.name()).collect();
    let mut track = format!("iter,{}\n", names.join(","));
    for t in &r.track {
        let vals: Vec<String> = Measure::ALL.iter().map(|m| m.of(t).to_string()).collect();
        track.push_str(&format!("{},{}\n", t.iter, vals.join(",")));
    }
    let mut loss = String::from("iter,loss\n");
    for (i, l) in &r.loss {
        loss.push_str(&format!("{i},{l}\n"));
    }
    for (name, text) in [("tracking.csv", track), ("loss.csv", loss)] {
        let p = dir.join(name);
        write_atomic(&p, text.as_bytes()).map_err(io(&p))?;
    }
    if out.is_file() {
        std::fs::remove_file(out).map_err(io(out))?;
    }
    staged.commit().map_err(io(out))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{TrainConfig, train};

    #[test]
    fn a_run_is_saved_whole_and_an_existing_folder_is_kept_unless_forced() {
        let cfg = TrainConfig {
            n: 8,
            iters: 20,
            track_every: 10,
            log_every: 10,
            probe_batches: 1,
            kernel_trials: 2,
            init: crate::init::InitSpec::Gaussian,
            ..TrainConfig::default()
        };
        let r = train(&cfg, &mut |_, _| {}).unwrap();
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("run");
        write_run(&r, &out, false).unwrap();
        let back: RunResult =
            serde_json::from_str(&std::fs::read_to_string(out.join("result.json")).unwrap())
                .unwrap();
        assert_eq!(back.final_measures, r.final_measures);
        let track = std::fs::read_to_string(out.join("tracking.csv")).unwrap();
        assert_eq!(track.lines().count(), 1 + r.track.len());
        assert!(out.join("config.json").exists() && out.join("loss.csv").exists());
        let e = write_run(&r, &out, false).unwrap_err().to_string();
        assert!(e.contains("already exists") && e.contains("--force"), "{e}");
        write_run(&r, &out, true).unwrap();
        // nothing but the folder itself is left beside it
        let names: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
