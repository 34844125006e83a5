//! Transfer: the same shared NCAP weights on bodies of 4 to 14 links, untrained and after ES
//! training on 6 links.

use super::claims::judge_transfer;
use super::unit::TrainSpec;
use super::{Experiment, SweepOptions, SweepProgress, SweepReport, mean_sd, run_sweep};
use crate::ncap::Ncap;
use crate::policy::{EvalPolicy, SavedPolicy, evaluate};
use crate::train::{TrainError, write_json, write_text};
use nc_swimmer::SwimConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Body lengths evaluated (links = bodies).
pub const BODIES: [usize; 11] = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];

/// The training units: ES on the default NCAP, 6 links, one per seed, with the settings
/// suited to NCAP's 4 weights (no MLP is compared here).
pub fn units(opts: &SweepOptions) -> Vec<TrainSpec> {
    let seeds = opts.seeds.unwrap_or(opts.preset.seeds());
    let steps = opts.steps.unwrap_or(opts.preset.ncap_steps());
    (0..seeds as u64)
        .map(|seed| TrainSpec {
            steps,
            test_episodes: opts.preset.test_episodes(),
            ..super::raster::training_spec(opts.preset, seed)
        })
        .collect()
}

/// One row of `transfer.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransferRow {
    /// Bodies (links).
    pub n_bodies: usize,
    /// Mean return of the untrained default NCAP.
    pub untrained_mean: f64,
    /// Its standard deviation over episodes.
    pub untrained_sd: f64,
    /// Mean over seeds of the trained NCAP's mean return.
    pub trained_mean: f64,
    /// Standard deviation over seeds.
    pub trained_sd: f64,
}

/// Runs the sweep (this shard's units) and aggregates when complete.
pub fn run(
    opts: &SweepOptions,
    progress: &mut dyn FnMut(&SweepProgress),
) -> Result<SweepReport, TrainError> {
    run_sweep(
        Experiment::Transfer,
        units(opts),
        opts,
        progress,
        &|o, u| aggregate(o, u, opts),
    )
}

/// Evaluates the untrained and trained controllers on every body length; writes
/// `transfer.csv`/`.json`, `claims.json` and the figure.
pub fn aggregate(out: &Path, units: &[TrainSpec], opts: &SweepOptions) -> Result<(), TrainError> {
    let episodes = if opts.preset == super::Preset::Quick {
        5
    } else {
        10
    };
    let mut trained: Vec<Ncap> = Vec::new();
    for u in units {
        let p = SavedPolicy::load(&crate::policy_file::policy_path(
            &out.join("units").join(u.name()),
        ))?;
        if let SavedPolicy::Ncap { ncap } = p {
            trained.push(ncap);
        }
    }
    let default = Ncap::default_for(5)?;
    let mut rows = Vec::new();
    for &n in &BODIES {
        let swim = SwimConfig {
            n_bodies: n,
            ..SwimConfig::default()
        };
        let u = evaluate(&EvalPolicy::Ncap(default.clone()), swim, episodes, 0)?;
        let mut per_seed = Vec::new();
        for t in &trained {
            per_seed.push(evaluate(&EvalPolicy::Ncap(t.clone()), swim, episodes, 0)?.mean);
        }
        let (tm, ts) = mean_sd(&per_seed);
        rows.push(TransferRow {
            n_bodies: n,
            untrained_mean: u.mean,
            untrained_sd: u.sd,
            trained_mean: tm,
            trained_sd: ts,
        });
    }
    let mut csv =
        String::from("n_bodies,n_joints,untrained_mean,untrained_sd,trained_mean,trained_sd\n");
    for r in &rows {
        csv.push_str(&format!(
            "{},{},{:.3},{:.3},{:.3},{:.3}\n",
            r.n_bodies,
            r.n_bodies - 1,
            r.untrained_mean,
            r.untrained_sd,
            r.trained_mean,
            r.trained_sd
        ));
    }
    write_text(out, "transfer.csv", &csv)?;
    write_json(out, "transfer.json", &rows)?;
    write_json(
        out,
        "claims.json",
        &[judge_transfer(&rows, trained.len(), opts.preset)],
    )?;
    crate::figures::transfer(out, &rows)
}
