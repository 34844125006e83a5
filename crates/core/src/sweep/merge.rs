//! Joining shard folders into one sweep folder, atomically.

use super::record::read_record;
use super::{
    Manifest, SweepError, diff_json, io, read_manifest, record_path, status_of, unit_dir,
    write_diverged,
};
use crate::output::StagedDir;
use std::path::{Path, PathBuf};

/// A merge being built in a staging folder beside its target. The caller writes the
/// experiment's tables into [`Merge::path`] and then calls [`Merge::commit`]; dropped without
/// a commit (say, because aggregation failed), it leaves nothing behind.
#[derive(Debug)]
pub struct Merge {
    manifest: Manifest,
    status: super::Status,
    staged: StagedDir,
}

impl Merge {
    /// The sweep the shards belong to.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where every unit stands in the merged folder.
    pub fn status(&self) -> &super::Status {
        &self.status
    }

    /// The staging folder: write the aggregate outputs here.
    pub fn path(&self) -> &Path {
        self.staged.path()
    }

    /// Puts the merged folder in place of the target.
    pub fn commit(self) -> Result<PathBuf, SweepError> {
        let target = self.staged.path().to_path_buf();
        self.staged.commit().map_err(io(&target))
    }
}

/// Joins the shard folders `inputs` (and `out` itself, if it is already a folder of the same
/// sweep) into `out`: every unit that finished or diverged with the manifest's key is copied.
///
/// Refuses folders whose manifests differ (naming the differing fields), a missing shard
/// folder, and an `out` that holds something other than this sweep.
pub fn merge(inputs: &[PathBuf], out: &Path) -> Result<Merge, SweepError> {
    let first = inputs.first().ok_or(SweepError::NoInputs)?;
    let manifest = read_shard(first)?;
    for other in &inputs[1..] {
        let m = read_shard(other)?;
        same_sweep(first, &manifest, other, &m)?;
    }
    // the target: absent, empty, or a folder of the same sweep whose units count too
    let out = if out.exists() {
        out.canonicalize().map_err(io(out))?
    } else {
        out.to_path_buf()
    };
    let mut sources: Vec<PathBuf> = Vec::new();
    if out.exists() {
        match read_manifest(&out)? {
            Some(m) => {
                same_sweep(first, &manifest, &out, &m)?;
                sources.push(out.clone());
            }
            None => {
                let empty = std::fs::read_dir(&out).map_err(io(&out))?.next().is_none();
                if !empty {
                    return Err(SweepError::OutNotSweep { path: out });
                }
            }
        }
    }
    sources.extend(inputs.iter().cloned());
    let staged = StagedDir::new(&out).map_err(io(&out))?;
    for m in &manifest.units {
        for src in &sources {
            let settled = matches!(
                read_record(src, &m.name)?,
                Some(r) if r.key_hash == m.key_hash && r.state.is_settled()
            );
            if settled {
                let from = unit_dir(src, &m.name);
                if from.exists() {
                    copy_dir(&from, &unit_dir(staged.path(), &m.name))?;
                }
                let to = record_path(staged.path(), &m.name);
                std::fs::copy(record_path(src, &m.name), &to).map_err(io(&to))?;
                break;
            }
        }
    }
    manifest.write(staged.path())?;
    let status = status_of(&manifest, staged.path())?;
    if status.complete() {
        write_diverged(staged.path(), &manifest, &status)?;
    }
    Ok(Merge {
        manifest,
        status,
        staged,
    })
}

fn read_shard(dir: &Path) -> Result<Manifest, SweepError> {
    if !dir.is_dir() {
        return Err(SweepError::MissingShard {
            path: dir.to_path_buf(),
        });
    }
    read_manifest(dir)?.ok_or_else(|| SweepError::NotASweep {
        path: dir.to_path_buf(),
    })
}

fn same_sweep(first: &Path, a: &Manifest, other: &Path, b: &Manifest) -> Result<(), SweepError> {
    if a == b {
        return Ok(());
    }
    let as_value = |m: &Manifest| serde_json::to_value(m).unwrap_or(serde_json::Value::Null);
    Err(SweepError::ManifestMismatch {
        first: first.to_path_buf(),
        other: other.to_path_buf(),
        diffs: diff_json(&as_value(a), &as_value(b)),
    })
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), SweepError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(io(from))?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(io(&target))?;
        }
    }
    Ok(())
}
