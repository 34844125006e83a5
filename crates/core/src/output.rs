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
    remove_stale_temporaries(path);
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

/// `.NAME.HOST-PID.tmp` beside `path`: the host and process id say whose it is, so a later
/// run can tell a dead writer's leftovers from a live one's (see [`remove_stale_temporaries`]).
fn tmp_sibling(path: &Path) -> PathBuf {
    path.with_file_name(format!(
        ".{}.{}-{}.tmp",
        file_name(path),
        host_name(),
        std::process::id()
    ))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// This machine's name, reduced to characters safe in a file name.
fn host_name() -> String {
    #[cfg(unix)]
    let raw = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    #[cfg(not(unix))]
    let raw = std::env::var("COMPUTERNAME").unwrap_or_default();
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean.is_empty() {
        "localhost".into()
    } else {
        clean
    }
}

/// Whether process `pid` may still be running here. Unknown counts as running, so a
/// temporary is only removed when its writer is known to be gone.
fn may_be_running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return false;
        };
        // signal 0 checks existence; EPERM means it exists but belongs to someone else
        !matches!(
            rustix::process::test_kill_process(pid),
            Err(e) if e == rustix::io::Errno::SRCH
        )
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// Which temporary of `name` an entry of its folder is: `Some(pid)` for `.NAME.HOST-PID.tmp`
/// of this host (or the older `.NAME.PID.tmp`, which had no host), `None` for anything else.
fn temporary_of(entry: &str, name: &str, host: &str) -> Option<u32> {
    let middle = entry
        .strip_prefix('.')?
        .strip_prefix(name)?
        .strip_prefix('.')?
        .strip_suffix(".tmp")?;
    let pid = match middle.rsplit_once('-') {
        Some((h, pid)) if h == host => pid,
        Some(_) => return None,
        None => middle,
    };
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Removes the temporaries that interrupted writers of `path` (killed before their rename)
/// left beside it, and returns how many. Only this machine's, and only those whose process
/// is no longer running: a live writer, or one on another machine sharing the folder, keeps
/// its own. [`write_atomic`] and [`StagedDir::new`] call this first, so the next run of
/// whatever was interrupted cleans up after it. Failures are ignored: cleaning is a courtesy,
/// never a reason to fail a write.
pub fn remove_stale_temporaries(path: &Path) -> usize {
    let name = file_name(path);
    if name.is_empty() {
        return 0;
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let host = host_name();
    let mut removed = 0;
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(pid) = file.to_str().and_then(|f| temporary_of(f, &name, &host)) else {
            continue;
        };
        if may_be_running(pid) {
            continue;
        }
        let p = entry.path();
        // a symlink is removed as itself, never followed
        let gone = match entry.file_type() {
            Ok(t) if t.is_dir() => fs::remove_dir_all(&p),
            _ => fs::remove_file(&p),
        };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
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
    /// Starts staging the folder that will become `target`, first removing what interrupted
    /// earlier runs left (see [`remove_stale_temporaries`]).
    pub fn new(target: &Path) -> std::io::Result<Self> {
        remove_stale_temporaries(target);
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

    /// A process id that is certainly not running: a child that has exited and been reaped.
    #[cfg(unix)]
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    #[cfg(unix)]
    fn stale_temporaries_of_dead_writers_are_removed_on_the_next_run() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("report");
        let dead = dead_pid();
        let host = host_name();
        // what an interrupted run leaves: the older name (the issue's `.OUT.<pid>.tmp`), the
        // current one, and a temporary file of an interrupted write_atomic
        let old = root.path().join(format!(".report.{dead}.tmp"));
        let new = root.path().join(format!(".report.{host}-{dead}.tmp"));
        fs::create_dir_all(old.join("ncap")).unwrap();
        fs::create_dir_all(&new).unwrap();
        let file_tmp = root.path().join(format!(".x.json.{host}-{dead}.tmp"));
        fs::write(&file_tmp, "{").unwrap();
        // what must stay: a live writer's, another machine's, another target's
        let live = root
            .path()
            .join(format!(".report.{host}-{}.tmp", std::process::id()));
        let other_host = root.path().join(format!(".report.{host}x-{dead}.tmp"));
        let other_target = root.path().join(format!(".report2.{host}-{dead}.tmp"));
        for keep in [&live, &other_host, &other_target] {
            fs::create_dir_all(keep).unwrap();
        }
        let s = StagedDir::new(&target).unwrap();
        assert!(!old.exists() && !new.exists());
        // the live one is this process's own staging folder
        assert_eq!(s.path(), live.as_path());
        s.commit().unwrap();
        assert!(other_host.exists() && other_target.exists());
        write_atomic(&root.path().join("x.json"), b"{}").unwrap();
        assert!(!file_tmp.exists());
        let mut left: Vec<String> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want = vec![
            "report".to_string(),
            "x.json".into(),
            other_host
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
            other_target
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        ];
        want.sort();
        assert_eq!(left, want);
    }

    #[test]
    fn only_this_targets_temporaries_are_recognised() {
        assert_eq!(temporary_of(".out.h1-42.tmp", "out", "h1"), Some(42));
        assert_eq!(temporary_of(".out.42.tmp", "out", "h1"), Some(42));
        assert_eq!(temporary_of(".out.h2-42.tmp", "out", "h1"), None);
        assert_eq!(temporary_of(".out.x.h1-42.tmp", "out", "h1"), None);
        assert_eq!(temporary_of(".out.x.42.tmp", "out", "h1"), None);
        assert_eq!(temporary_of(".out.h1-.tmp", "out", "h1"), None);
        assert_eq!(temporary_of("out.h1-42.tmp", "out", "h1"), None);
        assert_eq!(temporary_of(".out2.h1-42.tmp", "out", "h1"), None);
        assert!(may_be_running(std::process::id()));
        #[cfg(unix)]
        assert!(!may_be_running(dead_pid()));
    }

    #[test]
    fn config_hash_is_stable_and_sensitive() {
        let a = config_hash(&serde_json::json!({"seed": 1, "n": 6}));
        assert_eq!(a, config_hash(&serde_json::json!({"n": 6, "seed": 1})));
        assert_ne!(a, config_hash(&serde_json::json!({"seed": 2, "n": 6})));
    }
}
