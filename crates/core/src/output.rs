//! Atomic outputs: a result file or folder appears whole or not at all.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` through a temporary sibling file and a rename.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("x.json");
/// nc_core::output::write_atomic(&p, b"{}").unwrap();
/// assert_eq!(std::fs::read(&p).unwrap(), b"{}");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    let tmp = tmp_sibling(path);
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Serialises `value` as pretty JSON and writes it atomically.
pub fn write_json_atomic<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(std::io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

fn tmp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
}

/// A folder built under a temporary name and renamed into place by [`StagedDir::commit`].
/// Dropped without commit, it removes itself, so a failed run leaves no half-written results.
#[derive(Debug)]
pub struct StagedDir {
    staging: PathBuf,
    target: PathBuf,
    committed: bool,
}

impl StagedDir {
    /// Starts staging the folder that will become `target`.
    pub fn new(target: &Path) -> std::io::Result<Self> {
        let staging = tmp_sibling(target);
        if staging.exists() {
            fs::remove_dir_all(&staging)?;
        }
        fs::create_dir_all(&staging)?;
        Ok(Self {
            staging,
            target: target.to_path_buf(),
            committed: false,
        })
    }

    /// Where to write files now.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Replaces `target` with the staged folder.
    pub fn commit(mut self) -> std::io::Result<PathBuf> {
        if self.target.exists() {
            fs::remove_dir_all(&self.target)?;
        }
        fs::rename(&self.staging, &self.target)?;
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for StagedDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// A short stable hash of a configuration's canonical JSON, written next to results.
pub fn config_hash<T: serde::Serialize>(config: &T) -> String {
    let v = serde_json::to_value(config).unwrap_or(serde_json::Value::Null);
    format!("{:016x}", crate::rng::fnv1a64(v.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_dir_appears_only_on_commit() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("run");
        {
            let s = StagedDir::new(&target).unwrap();
            fs::write(s.path().join("a.txt"), "x").unwrap();
        }
        assert!(!target.exists());
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 0);
        let s = StagedDir::new(&target).unwrap();
        fs::write(s.path().join("a.txt"), "y").unwrap();
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(target.join("a.txt")).unwrap(), "y");
    }

    #[test]
    fn config_hash_is_stable_and_sensitive() {
        let a = config_hash(&serde_json::json!({"seed": 1, "n": 6}));
        assert_eq!(a, config_hash(&serde_json::json!({"n": 6, "seed": 1})));
        assert_ne!(a, config_hash(&serde_json::json!({"seed": 2, "n": 6})));
    }
}
