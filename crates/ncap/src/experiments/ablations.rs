//! Ablations: weight sharing × sign constraints × initialisation, and the component
//! ablations (head oscillator, proprioception, muscle cross-inhibition off), initial and final
//! return of ES training on 6 links at the same budget.

use super::claims::{judge_ablations, judge_components};
use super::unit::TrainSpec;
use super::{Experiment, SweepOptions, SweepProgress, SweepReport, mean_sd, read_log, run_sweep};
use crate::train::{TrainError, write_json, write_text};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The eight codes `[sharing, signs, constant init]`.
pub const CODES: [&str; 8] = ["111", "110", "101", "100", "011", "010", "001", "000"];
/// The component ablations of the default circuit (see [`crate::ncap::COMPONENTS`]).
pub const COMPONENT_CODES: [&str; 3] = ["111-noosc", "111-noprop", "111-nocross"];

fn all_codes() -> impl Iterator<Item = &'static str> {
    CODES.into_iter().chain(COMPONENT_CODES)
}

/// The training units: ES on each ablation, one per seed, with the settings suited to NCAP's
/// few weights (all variants alike; no MLP is compared here).
pub fn units(opts: &SweepOptions) -> Vec<TrainSpec> {
    let seeds = opts.seeds.unwrap_or(opts.preset.seeds());
    let steps = opts.steps.unwrap_or(opts.preset.ablation_steps());
    let mut v = Vec::new();
    for code in all_codes() {
        for seed in 0..seeds as u64 {
            v.push(TrainSpec {
                ablation: code.into(),
                steps,
                test_episodes: opts.preset.test_episodes(),
                ..super::raster::training_spec(opts.preset, seed)
            });
        }
    }
    v
}

/// One row of `ablations.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AblationRow {
    /// The code.
    pub code: String,
    /// Weight sharing.
    pub sharing: bool,
    /// Sign constraints.
    pub signs: bool,
    /// Constant (true) or uniform init.
    pub constant_init: bool,
    /// Components switched off (`noosc`, `noprop`, `nocross`, joined by `-`; empty for none).
    #[serde(default)]
    pub components_off: String,
    /// Parameters.
    pub n_params: usize,
    /// Mean over seeds of the initial test return.
    pub initial_mean: f64,
    /// Standard deviation over seeds.
    pub initial_sd: f64,
    /// Mean over seeds of the final test return.
    pub final_mean: f64,
    /// Standard deviation over seeds.
    pub final_sd: f64,
    /// Final test return of each seed, in seed order.
    #[serde(default)]
    pub final_per_seed: Vec<f64>,
    /// Initial test return of each seed, in seed order.
    #[serde(default)]
    pub initial_per_seed: Vec<f64>,
}

#[cfg(test)]
impl AblationRow {
    /// A row for `code` with `components_off`, every seed at `initial` and `fin` (tests).
    pub(crate) fn for_test(code: &str, components_off: &str, initial: f64, fin: f64) -> Self {
        let b = code.as_bytes();
        Self {
            code: code.into(),
            sharing: b[0] == b'1',
            signs: b[1] == b'1',
            constant_init: b[2] == b'1',
            components_off: components_off.into(),
            n_params: 4,
            initial_mean: initial,
            initial_sd: 0.0,
            final_mean: fin,
            final_sd: 0.0,
            final_per_seed: vec![fin],
            initial_per_seed: vec![initial],
        }
    }
}

/// Runs the sweep (this shard's units) and aggregates when complete.
pub fn run(
    opts: &SweepOptions,
    progress: &mut dyn FnMut(&SweepProgress),
) -> Result<SweepReport, TrainError> {
    run_sweep(
        Experiment::Ablations,
        units(opts),
        opts,
        progress,
        &|o, u| aggregate(o, u, opts),
    )
}

/// Writes `ablations.csv`/`.json`, `claims.json` and the bar chart.
pub fn aggregate(out: &Path, units: &[TrainSpec], opts: &SweepOptions) -> Result<(), TrainError> {
    let mut rows = Vec::new();
    for code in all_codes() {
        let (mut init, mut fin) = (Vec::new(), Vec::new());
        let mut n_params = 0;
        for u in units.iter().filter(|u| u.ablation == code) {
            let log = read_log(out, u)?;
            init.push(log.first().map_or(0.0, |r| r.test_mean));
            fin.push(log.last().map_or(0.0, |r| r.test_mean));
            n_params = u.initial_ncap()?.n_params();
        }
        if init.is_empty() {
            continue;
        }
        let b = code.as_bytes();
        let (im, is) = mean_sd(&init);
        let (fm, fs) = mean_sd(&fin);
        rows.push(AblationRow {
            code: code.into(),
            sharing: b[0] == b'1',
            signs: b[1] == b'1',
            constant_init: b[2] == b'1',
            components_off: code.get(4..).unwrap_or("").into(),
            n_params,
            initial_mean: im,
            initial_sd: is,
            final_mean: fm,
            final_sd: fs,
            final_per_seed: fin,
            initial_per_seed: init,
        });
    }
    let mut csv = String::from(
        "code,sharing,signs,constant_init,components_off,n_params,initial_mean,initial_sd,final_mean,final_sd\n",
    );
    for r in &rows {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{:.3},{:.3},{:.3},{:.3}\n",
            r.code,
            r.sharing,
            r.signs,
            r.constant_init,
            r.components_off,
            r.n_params,
            r.initial_mean,
            r.initial_sd,
            r.final_mean,
            r.final_sd
        ));
    }
    write_text(out, "ablations.csv", &csv)?;
    write_json(out, "ablations.json", &rows)?;
    let seeds = units.iter().filter(|u| u.ablation == CODES[0]).count();
    write_json(
        out,
        "claims.json",
        &std::iter::once(judge_ablations(&rows, seeds, opts.preset))
            .chain(judge_components(&rows, seeds, opts.preset))
            .collect::<Vec<_>>(),
    )?;
    crate::figures::ablations(out, &rows)
}
