//! # nc-report: the toolkit's main job
//!
//! Brief overview: [`build`] runs the quick (or full) preset of each part of the toolkit —
//! the NCAP experiments, the neural-circuit-diagram zoo and the rich/lazy rank sweep — and
//! writes one self-contained static page, `index.html`, with its SVG/GIF assets beside it.
//! The page needs no network. A part that fails is shown as failed, with its error, and the
//! other parts still run. The report folder is built under a temporary name and renamed
//! into place when complete, so it is never left half-written.
//!
//! ```no_run
//! use nc_report::{build, Part, Preset, ReportOptions};
//! let opts = ReportOptions { out: "out/report".into(), preset: Preset::Quick, parts: Part::ALL.to_vec(), seed: 0 };
//! let summary = build(&opts, &|_p| {}).unwrap();
//! assert!(summary.index.ends_with("index.html"));
//! ```
#![deny(missing_docs)]

pub mod html;
mod parts;

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;
use thiserror::Error;

/// One part of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// NCAP: the swimmer, learning curves, transfer, ablations, raster.
    Ncap,
    /// Neural circuit diagrams: the zoo drawn, with costs.
    Diagrams,
    /// Rich and lazy learning: measures against initial rank.
    Richlazy,
}

impl Part {
    /// Every part, in report order.
    pub const ALL: [Part; 3] = [Part::Ncap, Part::Diagrams, Part::Richlazy];

    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Part::Ncap => "ncap",
            Part::Diagrams => "diagrams",
            Part::Richlazy => "richlazy",
        }
    }

    /// Heading in the report.
    pub fn title(self) -> &'static str {
        match self {
            Part::Ncap => "NCAP: a C. elegans circuit swims",
            Part::Diagrams => "Neural circuit diagrams",
            Part::Richlazy => "Rich and lazy learning",
        }
    }
}

impl std::str::FromStr for Part {
    type Err = ReportError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Part::ALL
            .into_iter()
            .find(|p| p.name() == s.trim())
            .ok_or_else(|| ReportError::UnknownPart {
                name: s.to_string(),
            })
    }
}

/// Size of the runs behind the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Minutes on 2 cores: CI and a first look.
    Quick,
    /// About an hour on 2 cores, meant for the NCAP MLP baselines to learn under ES and PPO
    /// (3 seeds, about 3·10⁵ steps; DDPG 10⁵). Rich/lazy runs its full sweep.
    Medium,
    /// The papers' budgets (hours; meant for a cluster).
    Full,
}

/// What to build.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReportOptions {
    /// The report folder (replaced atomically).
    pub out: PathBuf,
    /// Quick or full budgets.
    pub preset: Preset,
    /// Parts to run, in order.
    pub parts: Vec<Part>,
    /// Run seed; every part derives its streams from it.
    pub seed: u64,
}

/// Progress of one part, for the caller's progress bars.
#[derive(Clone, Debug)]
pub struct PartProgress {
    /// Which part.
    pub part: Part,
    /// Fraction done in [0, 1].
    pub fraction: f64,
    /// What it is doing.
    pub message: String,
}

/// How one part ended.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartOutcome {
    /// Which part.
    pub part: Part,
    /// Seconds it took.
    pub seconds: f64,
    /// The error, if it failed.
    pub error: Option<String>,
}

/// What [`build`] wrote.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReportSummary {
    /// The page.
    pub index: PathBuf,
    /// Each part's outcome.
    pub parts: Vec<PartOutcome>,
}

/// Why the report could not be written (a failing part is not one of these).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Writing the report folder failed.
    #[error("writing {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A part name that does not exist.
    #[error("unknown report part {name:?}: expected one of ncap, diagrams, richlazy")]
    UnknownPart {
        /// What was asked for.
        name: String,
    },
}

/// A part's section of the page, written by the part into its own subfolder.
#[derive(Debug, Default)]
pub(crate) struct Section {
    /// HTML body of the section (figures, tables, statements).
    pub html: String,
}

/// The error a part returns: any message, shown in the report.
pub(crate) type PartError = Box<dyn std::error::Error + Send + Sync>;

/// Everything a part needs to run.
pub(crate) struct PartContext<'a> {
    /// The part's own folder inside the staged report.
    pub dir: PathBuf,
    pub preset: Preset,
    pub seed: u64,
    /// Reports the fraction done in [0, 1] and what the part is doing. It may be called from
    /// worker threads, so a part can report finely (the report's ETA is only as good as this).
    pub progress: &'a (dyn Fn(f64, &str) + Sync),
}

/// Runs the parts and writes the report. See the crate docs. `progress` hears from every
/// part, possibly from several threads at once.
pub fn build(
    opts: &ReportOptions,
    progress: &(dyn Fn(&PartProgress) + Sync),
) -> Result<ReportSummary, ReportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ReportError::Io { path, source }
    };
    let staged = nc_core::output::StagedDir::new(&opts.out).map_err(io(&opts.out))?;
    let root = staged.path().to_path_buf();
    let mut outcomes = Vec::new();
    let mut sections = Vec::new();
    for &part in &opts.parts {
        let dir = root.join(part.name());
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let start = Instant::now();
        let report = |fraction: f64, message: &str| {
            progress(&PartProgress {
                part,
                fraction,
                message: message.to_string(),
            });
        };
        let mut ctx = PartContext {
            dir,
            preset: opts.preset,
            seed: opts.seed,
            progress: &report,
        };
        // a panicking part must not take the others down with it
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parts::run(part, &mut ctx)))
                .unwrap_or_else(|panic| Err(panic_message(panic).into()));
        let seconds = start.elapsed().as_secs_f64();
        let error = result.as_ref().err().map(|e| e.to_string());
        sections.push((part, result.unwrap_or_default()));
        outcomes.push(PartOutcome {
            part,
            seconds,
            error,
        });
        progress(&PartProgress {
            part,
            fraction: 1.0,
            message: "done".into(),
        });
    }
    let body = parts::assemble(opts, &outcomes, &sections);
    let index = root.join("index.html");
    let page = html::page("neurocircuits report", &body);
    nc_core::output::write_atomic(&index, page.as_bytes()).map_err(io(&index))?;
    let summary_path = root.join("summary.json");
    let summary = serde_json::json!({ "options": opts, "parts": outcomes });
    nc_core::output::write_json_atomic(&summary_path, &summary).map_err(io(&summary_path))?;
    let target = staged.commit().map_err(io(&opts.out))?;
    Ok(ReportSummary {
        index: target.join("index.html"),
        parts: outcomes,
    })
}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        format!("panicked: {s}")
    } else if let Some(s) = panic.downcast_ref::<String>() {
        format!("panicked: {s}")
    } else {
        "panicked".to_string()
    }
}
