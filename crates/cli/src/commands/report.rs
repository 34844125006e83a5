//! `neurocircuits report`: the main job — every part on built-in defaults, one HTML report.

use crate::progress::{Group, Progress, Unit};
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use nc_report::{Part, PartProgress, Preset, ReportOptions, build};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

/// Arguments of `neurocircuits report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Output folder (replaced atomically when the report is complete).
    #[arg(long, default_value = "out/report")]
    out: PathBuf,
    /// Budgets: quick (minutes on 2 cores), medium (about an hour on 2 cores: 3 seeds and about
    /// 3e5 steps for NCAP's ES and PPO runs) or full (the papers').
    #[arg(long, value_enum, default_value_t = PresetArg::Quick)]
    preset: PresetArg,
    /// Comma-separated parts to run: ncap, diagrams, richlazy (default: all).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Run seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PresetArg {
    Quick,
    Medium,
    Full,
}

/// Runs `neurocircuits report`.
pub fn run(args: ReportArgs) -> Result<()> {
    let parts: Vec<Part> = if args.only.is_empty() {
        Part::ALL.to_vec()
    } else {
        args.only
            .iter()
            .map(|s| s.parse::<Part>())
            .collect::<Result<_, _>>()
            .context("invalid --only")?
    };
    let preset = match args.preset {
        PresetArg::Quick => Preset::Quick,
        PresetArg::Medium => Preset::Medium,
        PresetArg::Full => Preset::Full,
    };
    let opts = ReportOptions {
        out: args.out.clone(),
        preset,
        parts,
        seed: args.seed,
    };
    // one display per part, made when the part starts so its clock starts with it; off a
    // terminal, plain lines with the part's ETA for the logs
    let group = Group::new();
    let bars: Mutex<HashMap<&'static str, Progress>> = Mutex::new(HashMap::new());
    let summary = build(&opts, &|p: &PartProgress| {
        let name = p.part.name();
        let bar = bars
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(name)
            .or_insert_with(|| group.add(1000, Unit::Permille, name))
            .clone();
        // the message first, so a plain line carries what the part is doing now
        bar.set_message(p.message.clone());
        bar.set_position((p.fraction.clamp(0.0, 1.0) * 1000.0) as u64);
        if p.fraction >= 1.0 {
            bar.finish();
        }
    })
    .with_context(|| format!("writing the report into {}", args.out.display()))?;
    let mut out = std::io::stdout().lock();
    for o in &summary.parts {
        match &o.error {
            None => writeln!(out, "{:>9}: ok in {:.1} s", o.part.name(), o.seconds)?,
            Some(e) => writeln!(
                out,
                "{:>9}: FAILED in {:.1} s: {e}",
                o.part.name(),
                o.seconds
            )?,
        }
    }
    writeln!(out, "report: {}", summary.index.display())?;
    Ok(())
}
