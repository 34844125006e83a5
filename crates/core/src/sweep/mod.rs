//! The one sweep engine: a grid of named units, run into a folder, resumed only where the
//! stored key matches, sharded with [`Shard`] and merged atomically.
//!
//! Layout of a sweep folder:
//! - `sweep.json`: the [`Manifest`] (experiment, configuration, every unit's name and key hash),
//! - `units/<name>.unit.json`: one [`UnitRecord`] per unit (its key, key hash and state:
//!   running, finished or diverged), written atomically before the run starts and after it
//!   ends,
//! - `units/<name>/`: the unit's folder, which belongs to its run (so do a partial folder
//!   `units/.<name>.partial` and temporaries `units/.<name>.<pid>.tmp`),
//! - `diverged.csv`: the units whose run diverged (an outcome of the grid, not a failure),
//!   written once every unit is settled,
//! - the experiment's own tables and figures, written by its caller.
//!
//! A unit is skipped only when its stored key hash equals the new one. A folder whose units
//! were made with other keys is refused with a message naming the differing fields, unless
//! [`RunOptions::force`] is set, which removes those units and recomputes them. Since a unit
//! either finishes (and its record says so) or is rerun from its start or its own checkpoint,
//! a killed sweep resumes to the same bytes as an uninterrupted one.
//!
//! ```
//! use nc_core::sweep::{Outcome, RunOptions, Sweep, Unit};
//! struct Square(u64);
//! impl Unit for Square {
//!     type Key = u64;
//!     fn name(&self) -> String { format!("sq{}", self.0) }
//!     fn key(&self) -> &u64 { &self.0 }
//! }
//! let dir = tempfile::tempdir().unwrap();
//! let units = [Square(2), Square(3)];
//! let sweep = Sweep::new("squares", &"v1", &units).unwrap();
//! let opts = RunOptions::new(dir.path());
//! let status = sweep
//!     .run(&opts, &|_| {}, |_, u: &Square, d: &std::path::Path| {
//!         std::fs::write(d.join("out.txt"), (u.0 * u.0).to_string())?;
//!         Ok::<_, std::io::Error>(Outcome::Finished)
//!     })
//!     .unwrap();
//! assert!(status.complete());
//! assert_eq!(std::fs::read_to_string(dir.path().join("units/sq3/out.txt")).unwrap(), "9");
//! ```

mod diff;
mod merge;
mod record;

pub use diff::{FieldDiff, diff_json};
pub use merge::{Merge, merge};
pub use record::{Manifest, ManifestUnit, UnitRecord, UnitState, read_manifest};

use crate::output::config_hash;
use crate::shard::Shard;
use rayon::prelude::*;
use record::{read_record, write_record};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use thiserror::Error;

/// The manifest's file name in a sweep folder.
pub const MANIFEST: &str = "sweep.json";
/// The ending of a unit record's file name, `units/<name>.unit.json`.
pub const RECORD: &str = ".unit.json";
/// The list of diverged units in a sweep folder.
pub const DIVERGED: &str = "diverged.csv";

/// One unit of a sweep: a name that is unique within the grid and safe as a folder name, and
/// a key that holds everything that decides its result.
pub trait Unit: Sync {
    /// The key's type.
    type Key: Serialize;
    /// The unit's folder name.
    fn name(&self) -> String;
    /// Everything that decides the unit's result.
    fn key(&self) -> &Self::Key;
}

/// How a unit's run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The run finished and wrote its results into its folder.
    Finished,
    /// The run diverged (an outcome of the grid, e.g. at a large gain): recorded, not fatal.
    Diverged {
        /// What diverged, e.g. the error message.
        reason: String,
    },
}

/// What a sweep reports while it runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Work is known: `pending` of this shard's `mine` units still have to run.
    Start {
        /// Units in the whole grid.
        total: usize,
        /// Units of this shard.
        mine: usize,
        /// Of those, units without results yet.
        pending: usize,
    },
    /// One unit finished or diverged.
    UnitDone {
        /// Units settled so far in this call.
        done: usize,
        /// Units this call runs.
        pending: usize,
        /// The unit's name.
        unit: String,
        /// Whether it diverged.
        diverged: bool,
    },
}

/// Where and how a sweep runs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The sweep folder.
    pub out: PathBuf,
    /// Which units this process runs.
    pub shard: Shard,
    /// Recompute units whose stored key differs instead of refusing.
    pub force: bool,
    /// Run this shard's units in parallel (rayon) rather than one after another.
    pub parallel: bool,
}

impl RunOptions {
    /// All units into `out`, one after another, refusing stale units.
    pub fn new(out: &Path) -> Self {
        Self {
            out: out.to_path_buf(),
            shard: Shard::ALL,
            force: false,
            parallel: false,
        }
    }
}

/// Why a unit found in a folder cannot be reused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Staleness {
    /// It was made with another key: the differing fields.
    Key(Vec<FieldDiff>),
    /// Its folder has no readable record (made by hand or by an older version).
    NoRecord(String),
}

/// A unit of the folder that does not belong to this sweep's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaleUnit {
    /// The unit's name.
    pub name: String,
    /// Why it cannot be reused.
    pub why: Staleness,
}

impl fmt::Display for StaleUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.why {
            Staleness::Key(d) => {
                let shown: Vec<String> = d.iter().take(6).map(ToString::to_string).collect();
                let more = d.len().saturating_sub(6);
                write!(f, "{}: {}", self.name, shown.join("; "))?;
                if more > 0 {
                    write!(f, "; and {more} more")?;
                }
                Ok(())
            }
            Staleness::NoRecord(why) => write!(f, "{}: {why}", self.name),
        }
    }
}

/// Why a sweep or merge failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SweepError {
    /// The grid has no units.
    #[error(
        "{experiment}: the grid is empty, there is nothing to run (every list of the grid needs at least one entry, e.g. --seeds >= 1)"
    )]
    Empty {
        /// The experiment.
        experiment: String,
    },
    /// Two units share a name.
    #[error(
        "{experiment}: two units are both named {name:?}; every unit of a grid must differ (a repeated seed, rank or task?)"
    )]
    DuplicateUnit {
        /// The experiment.
        experiment: String,
        /// The shared name.
        name: String,
    },
    /// A unit name that cannot be a folder name.
    #[error("{experiment}: unit name {name:?} is not a safe folder name")]
    BadName {
        /// The experiment.
        experiment: String,
        /// The name.
        name: String,
    },
    /// A key or configuration that does not serialise to JSON.
    #[error("{what} cannot be written as JSON: {message}")]
    Serialise {
        /// What failed.
        what: String,
        /// Why.
        message: String,
    },
    /// The folder holds another experiment.
    #[error("{path} holds a {found} sweep, not {expected}: choose another output folder")]
    OtherExperiment {
        /// The folder.
        path: PathBuf,
        /// What it holds.
        found: String,
        /// What was asked for.
        expected: String,
    },
    /// Units of the folder were made with other keys.
    #[error(
        "{out} holds {n} unit(s) made with other settings, which are never reused: {list}. Rerun with --force to recompute them, or choose another output folder",
        n = units.len(),
        list = list_stale(units)
    )]
    Stale {
        /// The folder.
        out: PathBuf,
        /// The units and their differences.
        units: Vec<StaleUnit>,
    },
    /// Reading or writing failed.
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// A sweep file could not be parsed.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A unit's run failed.
    #[error("unit {unit}: {cause}")]
    Run {
        /// The unit.
        unit: String,
        /// The run's error.
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Merge was given no folders.
    #[error("merge needs at least one shard folder")]
    NoInputs,
    /// A shard folder to merge does not exist.
    #[error("shard folder {path} does not exist")]
    MissingShard {
        /// The folder.
        path: PathBuf,
    },
    /// A folder to merge is not a sweep folder.
    #[error("{path} has no {MANIFEST}: it is not the output folder of a sweep")]
    NotASweep {
        /// The folder.
        path: PathBuf,
    },
    /// Two folders to merge belong to different sweeps.
    #[error(
        "{other} belongs to another sweep than {first}: {list}",
        list = list_diffs(diffs)
    )]
    ManifestMismatch {
        /// The first folder.
        first: PathBuf,
        /// The folder that differs.
        other: PathBuf,
        /// The differing fields of their manifests (`first` stored, `other` now).
        diffs: Vec<FieldDiff>,
    },
    /// The merge target holds files that are not a sweep.
    #[error(
        "{path} is not empty and holds no {MANIFEST}: merge refuses to replace it; choose another --out"
    )]
    OutNotSweep {
        /// The folder.
        path: PathBuf,
    },
}

fn list_stale(units: &[StaleUnit]) -> String {
    let shown: Vec<String> = units.iter().take(4).map(ToString::to_string).collect();
    let more = units.len().saturating_sub(4);
    let mut s = shown.join(" | ");
    if more > 0 {
        s.push_str(&format!(" | and {more} more unit(s)"));
    }
    s
}

fn list_diffs(diffs: &[FieldDiff]) -> String {
    let shown: Vec<String> = diffs.iter().take(8).map(ToString::to_string).collect();
    let more = diffs.len().saturating_sub(8);
    let mut s = shown.join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more"));
    }
    s
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SweepError + '_ {
    move |cause| SweepError::Io {
        path: path.to_path_buf(),
        cause,
    }
}

/// Where each unit of a sweep folder stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Per unit, in grid order: `None` while it has no result with the right key.
    pub units: Vec<Option<UnitState>>,
}

impl Status {
    /// Units in the grid.
    pub fn total(&self) -> usize {
        self.units.len()
    }

    /// Units that finished or diverged.
    pub fn settled(&self) -> usize {
        self.units
            .iter()
            .filter(|u| matches!(u, Some(s) if s.is_settled()))
            .count()
    }

    /// Whether every unit finished or diverged.
    pub fn complete(&self) -> bool {
        self.settled() == self.total()
    }

    /// Grid positions of the units that finished.
    pub fn finished(&self) -> Vec<usize> {
        self.units
            .iter()
            .enumerate()
            .filter(|(_, u)| matches!(u, Some(UnitState::Finished)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Grid positions and reasons of the units that diverged.
    pub fn diverged(&self) -> Vec<(usize, &str)> {
        self.units
            .iter()
            .enumerate()
            .filter_map(|(i, u)| match u {
                Some(UnitState::Diverged { reason }) => Some((i, reason.as_str())),
                _ => None,
            })
            .collect()
    }
}

/// A grid of units for one experiment and configuration, checked: not empty, names unique.
pub struct Sweep<'a, U: Unit> {
    manifest: Manifest,
    units: &'a [U],
    keys: Vec<serde_json::Value>,
}

impl<'a, U: Unit> Sweep<'a, U> {
    /// Checks the grid of `experiment` with configuration `config`.
    pub fn new<C: Serialize + ?Sized>(
        experiment: &str,
        config: &C,
        units: &'a [U],
    ) -> Result<Self, SweepError> {
        if units.is_empty() {
            return Err(SweepError::Empty {
                experiment: experiment.into(),
            });
        }
        let ser = |what: String| {
            move |e: serde_json::Error| SweepError::Serialise {
                what,
                message: e.to_string(),
            }
        };
        let config = serde_json::to_value(config).map_err(ser(format!("{experiment} config")))?;
        let mut names = std::collections::HashSet::new();
        let mut listed = Vec::with_capacity(units.len());
        let mut keys = Vec::with_capacity(units.len());
        for u in units {
            let name = u.name();
            if !safe_name(&name) {
                return Err(SweepError::BadName {
                    experiment: experiment.into(),
                    name,
                });
            }
            if !names.insert(name.clone()) {
                return Err(SweepError::DuplicateUnit {
                    experiment: experiment.into(),
                    name,
                });
            }
            let key = serde_json::to_value(u.key()).map_err(ser(format!("key of unit {name}")))?;
            listed.push(ManifestUnit {
                key_hash: config_hash(&key),
                name,
            });
            keys.push(key);
        }
        Ok(Self {
            manifest: Manifest {
                experiment: experiment.into(),
                config_hash: config_hash(&config),
                config,
                units: listed,
            },
            units,
            keys,
        })
    }

    /// The manifest this sweep writes.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Runs this shard's pending units with `run` (given the grid position, the unit and its
    /// folder, which exists), in parallel when `opts.parallel`, then returns where every unit
    /// of the grid stands.
    ///
    /// Units already finished or diverged with the same key are skipped; units made with
    /// another key are refused ([`SweepError::Stale`]) unless `opts.force`.
    pub fn run<E, F>(
        &self,
        opts: &RunOptions,
        progress: &(dyn Fn(Event) + Sync),
        run: F,
    ) -> Result<Status, SweepError>
    where
        E: std::error::Error + Send + Sync + 'static,
        F: Fn(usize, &U, &Path) -> Result<Outcome, E> + Sync,
    {
        let pending = self.prepare(opts, progress)?;
        let done = AtomicUsize::new(0);
        let one = |i: usize| -> Result<(), SweepError> {
            let outcome = self.run_unit(&opts.out, i, |dir| run(i, &self.units[i], dir))?;
            let d = done.fetch_add(1, Ordering::SeqCst) + 1;
            progress(self.done_event(i, d, pending.len(), &outcome));
            Ok(())
        };
        if opts.parallel {
            pending.par_iter().try_for_each(|&i| one(i))?;
        } else {
            pending.iter().try_for_each(|&i| one(i))?;
        }
        self.settle(&opts.out)
    }

    /// [`Sweep::run`] one unit after another with a `run` that may keep state between units
    /// (e.g. a progress bar); `opts.parallel` is ignored.
    pub fn run_each<E, F>(
        &self,
        opts: &RunOptions,
        progress: &mut dyn FnMut(Event),
        mut run: F,
    ) -> Result<Status, SweepError>
    where
        E: std::error::Error + Send + Sync + 'static,
        F: FnMut(usize, &U, &Path) -> Result<Outcome, E>,
    {
        let events = std::sync::Mutex::new(Vec::new());
        let pending = self.prepare(opts, &|e| {
            events.lock().unwrap_or_else(|p| p.into_inner()).push(e)
        })?;
        for e in events.into_inner().unwrap_or_else(|p| p.into_inner()) {
            progress(e);
        }
        for (d, &i) in pending.iter().enumerate() {
            let outcome = self.run_unit(&opts.out, i, |dir| run(i, &self.units[i], dir))?;
            progress(self.done_event(i, d + 1, pending.len(), &outcome));
        }
        self.settle(&opts.out)
    }

    // checks the folder, removes stale units when forced, writes the manifest and returns
    // this shard's pending units
    fn prepare(
        &self,
        opts: &RunOptions,
        progress: &(dyn Fn(Event) + Sync),
    ) -> Result<Vec<usize>, SweepError> {
        let out = &opts.out;
        std::fs::create_dir_all(out).map_err(io(out))?;
        if let Some(old) = read_manifest(out)?
            && old.experiment != self.manifest.experiment
        {
            return Err(SweepError::OtherExperiment {
                path: out.clone(),
                found: old.experiment,
                expected: self.manifest.experiment.clone(),
            });
        }
        let stale = self.stale_units(out)?;
        if !stale.is_empty() {
            if !opts.force {
                return Err(SweepError::Stale {
                    out: out.clone(),
                    units: stale,
                });
            }
            for s in &stale {
                remove_unit(out, &s.name)?;
            }
        }
        self.manifest.write(out)?;
        let before = self.status(out)?;
        let mine: Vec<usize> = (0..self.units.len())
            .filter(|&i| opts.shard.owns(i))
            .collect();
        let pending: Vec<usize> = mine
            .iter()
            .copied()
            .filter(|&i| !matches!(&before.units[i], Some(s) if s.is_settled()))
            .collect();
        progress(Event::Start {
            total: self.units.len(),
            mine: mine.len(),
            pending: pending.len(),
        });
        Ok(pending)
    }

    fn done_event(&self, i: usize, done: usize, pending: usize, outcome: &Outcome) -> Event {
        Event::UnitDone {
            done,
            pending,
            unit: self.manifest.units[i].name.clone(),
            diverged: matches!(outcome, Outcome::Diverged { .. }),
        }
    }

    // where the units stand after a run; `diverged.csv` once all are settled
    fn settle(&self, out: &Path) -> Result<Status, SweepError> {
        let status = self.status(out)?;
        if status.complete() {
            write_diverged(out, &self.manifest, &status)?;
        }
        Ok(status)
    }

    fn run_unit<E>(
        &self,
        out: &Path,
        i: usize,
        run: impl FnOnce(&Path) -> Result<Outcome, E>,
    ) -> Result<Outcome, SweepError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let m = &self.manifest.units[i];
        let dir = unit_dir(out, &m.name);
        remove_temporaries(out, &m.name)?;
        let mut rec = UnitRecord {
            name: m.name.clone(),
            key_hash: m.key_hash.clone(),
            key: self.keys[i].clone(),
            state: UnitState::Running,
        };
        // the record first: a unit folder without one is never ours
        write_record(out, &rec)?;
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let outcome = run(&dir).map_err(|e| SweepError::Run {
            unit: m.name.clone(),
            cause: Box::new(e),
        })?;
        rec.state = match &outcome {
            Outcome::Finished => UnitState::Finished,
            Outcome::Diverged { reason } => UnitState::Diverged {
                reason: reason.clone(),
            },
        };
        write_record(out, &rec)?;
        Ok(outcome)
    }

    /// The units of the whole grid found in `out` with another key or without a record.
    pub fn stale_units(&self, out: &Path) -> Result<Vec<StaleUnit>, SweepError> {
        let mut stale = Vec::new();
        for (m, key) in self.manifest.units.iter().zip(&self.keys) {
            let dir = unit_dir(out, &m.name);
            let why = match read_record(out, &m.name) {
                Ok(Some(r)) if r.key_hash == m.key_hash => continue,
                Ok(Some(r)) => Staleness::Key(diff_json(&r.key, key)),
                // no record and no folder (or only temporaries in it): never started
                Ok(None) if !dir.exists() || only_temporaries(&dir)? => continue,
                Ok(None) => Staleness::NoRecord(format!(
                    "its folder {} has no record {} (made by another version or by hand)",
                    dir.display(),
                    record_path(out, &m.name).display()
                )),
                Err(e) => Staleness::NoRecord(e.to_string()),
            };
            stale.push(StaleUnit {
                name: m.name.clone(),
                why,
            });
        }
        Ok(stale)
    }

    /// Where every unit of the grid stands in `out`.
    pub fn status(&self, out: &Path) -> Result<Status, SweepError> {
        status_of(&self.manifest, out)
    }
}

fn is_temporary(name: &str) -> bool {
    name.starts_with('.') && name.ends_with(".tmp")
}

// whether a folder holds nothing but temporaries of atomic writes (or nothing at all)
fn only_temporaries(dir: &Path) -> Result<bool, SweepError> {
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        if !is_temporary(&entry.file_name().to_string_lossy()) {
            return Ok(false);
        }
    }
    Ok(true)
}

// what an entry of `units/` is to unit `name`: its folder, its record or its partial folder
// (`.<name>.partial`); `None` for anything else (another unit's, or a temporary)
#[derive(PartialEq)]
enum Sibling {
    Folder,
    Record,
    Partial,
}

fn sibling(name: &str, entry: &str) -> Option<Sibling> {
    if entry == name {
        Some(Sibling::Folder)
    } else if entry.strip_prefix(name) == Some(RECORD) {
        Some(Sibling::Record)
    } else if entry.strip_prefix('.')?.strip_prefix(name) == Some(".partial") {
        Some(Sibling::Partial)
    } else {
        None
    }
}

// a killed run can leave temporaries of atomic writes beside its record and folder (removed
// when their writer is gone, by the rule of `output`) and inside its folder (all of them:
// the folder is the unit's, and the unit is about to run again)
fn remove_temporaries(out: &Path, name: &str) -> Result<(), SweepError> {
    let dir = unit_dir(out, name);
    for p in [record_path(out, name), dir.clone(), partial_path(out, name)] {
        crate::output::remove_stale_temporaries(&p);
    }
    for p in entries(&dir)? {
        let n = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if n.is_some_and(|n| is_temporary(&n)) {
            remove_path(&p)?;
        }
    }
    Ok(())
}

// a stale unit: its record, its folder, its partial folder and their stale temporaries
fn remove_unit(out: &Path, name: &str) -> Result<(), SweepError> {
    remove_temporaries(out, name)?;
    for p in entries(&out.join("units"))? {
        let n = p.file_name().map(|n| n.to_string_lossy().into_owned());
        if n.is_some_and(|n| sibling(name, &n).is_some()) {
            remove_path(&p)?;
        }
    }
    Ok(())
}

fn partial_path(out: &Path, name: &str) -> PathBuf {
    out.join("units").join(format!(".{name}.partial"))
}

// the paths in `dir` (none when it does not exist)
fn entries(dir: &Path) -> Result<Vec<PathBuf>, SweepError> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.map(|e| e.path()).map_err(io(dir))).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(io(dir)(e)),
    }
}

fn remove_path(p: &Path) -> Result<(), SweepError> {
    let gone = if p.is_dir() {
        std::fs::remove_dir_all(p)
    } else {
        std::fs::remove_file(p)
    };
    gone.map_err(io(p))
}

/// The record file of unit `name` in sweep folder `out`: `units/<name>.unit.json`.
pub fn record_path(out: &Path, name: &str) -> PathBuf {
    out.join("units").join(format!("{name}{RECORD}"))
}

/// The folder of unit `name` in sweep folder `out`.
pub fn unit_dir(out: &Path, name: &str) -> PathBuf {
    out.join("units").join(name)
}

// letters, digits and `-_.+=`, not starting with a dot
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.+=".contains(c))
}

/// Where every unit of `manifest` stands in folder `out` (units with another key: `None`).
pub(crate) fn status_of(manifest: &Manifest, out: &Path) -> Result<Status, SweepError> {
    let mut units = Vec::with_capacity(manifest.units.len());
    for m in &manifest.units {
        let state = match read_record(out, &m.name) {
            Ok(Some(r)) if r.key_hash == m.key_hash => Some(r.state),
            Ok(_) => None,
            Err(e) => return Err(e),
        };
        units.push(state);
    }
    Ok(Status { units })
}

/// Writes `diverged.csv` (`unit,reason`) for a settled folder.
pub(crate) fn write_diverged(
    out: &Path,
    manifest: &Manifest,
    status: &Status,
) -> Result<(), SweepError> {
    let mut text = String::from("unit,reason\n");
    for (i, reason) in status.diverged() {
        let reason: String = reason
            .chars()
            .map(|c| if c == ',' || c.is_control() { ' ' } else { c })
            .collect();
        text.push_str(&format!("{},{reason}\n", manifest.units[i].name));
    }
    let p = out.join(DIVERGED);
    crate::output::write_atomic(&p, text.as_bytes()).map_err(io(&p))
}

#[cfg(test)]
mod tests;
