//! The files a sweep keeps: its manifest and one record per unit.

use super::{MANIFEST, SweepError, io, record_path};
use crate::output::write_json_atomic;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What a sweep folder holds: `sweep.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The experiment (`richlazy-rank-sweep`, `ncap-curves`, ...).
    pub experiment: String,
    /// Hash of `config`.
    pub config_hash: String,
    /// The experiment's full configuration.
    pub config: serde_json::Value,
    /// Every unit of the grid, in order.
    pub units: Vec<ManifestUnit>,
}

/// A unit as listed in the manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestUnit {
    /// Its folder name.
    pub name: String,
    /// Hash of its key.
    pub key_hash: String,
}

/// Where a unit's run stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UnitState {
    /// Started and not finished (killed, failed, or running now).
    Running,
    /// Finished: its results are in its folder.
    Finished,
    /// Diverged: recorded as an outcome of the grid.
    Diverged {
        /// What diverged.
        reason: String,
    },
}

impl UnitState {
    /// Finished or diverged: nothing is left to run.
    pub fn is_settled(&self) -> bool {
        !matches!(self, UnitState::Running)
    }
}

/// `units/<name>.unit.json`: the unit's key and where its run stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitRecord {
    /// The unit's name.
    pub name: String,
    /// Hash of `key`; a unit is reused only when this matches.
    pub key_hash: String,
    /// Everything that decided the unit's result.
    pub key: serde_json::Value,
    /// Its state.
    #[serde(flatten)]
    pub state: UnitState,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, SweepError> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| SweepError::Parse {
                path: path.to_path_buf(),
                message: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e)),
    }
}

/// The manifest of sweep folder `dir`, if it has one.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, SweepError> {
    read_json(&dir.join(MANIFEST))
}

impl Manifest {
    /// Writes `dir/sweep.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), SweepError> {
        let p = dir.join(MANIFEST);
        write_json_atomic(&p, self).map_err(io(&p))
    }
}

pub(crate) fn read_record(out: &Path, name: &str) -> Result<Option<UnitRecord>, SweepError> {
    read_json(&record_path(out, name))
}

pub(crate) fn write_record(out: &Path, rec: &UnitRecord) -> Result<(), SweepError> {
    let p = record_path(out, &rec.name);
    write_json_atomic(&p, rec).map_err(io(&p))
}
