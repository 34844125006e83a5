//! `neurocircuits report`: the main job — every part on built-in defaults, one HTML report.

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use nc_report::{Part, PartProgress, Preset, ReportOptions, build};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

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
        parts: parts.clone(),
        seed: args.seed,
    };
    let multi = MultiProgress::new();
    let style =
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {percent:>3}% {elapsed:>4} {msg}")
            .context("progress bar template")?
            .progress_chars("=> ");
    let bars: HashMap<&'static str, ProgressBar> = parts
        .iter()
        .map(|p| {
            let bar = multi.add(ProgressBar::new(1000));
            bar.set_style(style.clone());
            bar.set_prefix(p.name());
            (p.name(), bar)
        })
        .collect();
    let summary = build(&opts, &mut |p: &PartProgress| {
        if let Some(bar) = bars.get(p.part.name()) {
            bar.set_position((p.fraction.clamp(0.0, 1.0) * 1000.0) as u64);
            bar.set_message(p.message.clone());
            if p.fraction >= 1.0 {
                bar.finish();
            }
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
