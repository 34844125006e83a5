//! The experiments' figures as SVG, drawn with nc-plot.

use crate::experiments::ablations::AblationRow;
use crate::experiments::curves::CurvePoint;
use crate::experiments::raster::Recording;
use crate::experiments::transfer::TransferRow;
use crate::experiments::unit::{Algo, ModelKind};
use crate::train::TrainError;
use nc_plot::{
    Axis, BarSeries, BarSpec, ColourScale, HeatmapSpec, LineSpec, Series, bar_chart, heatmap,
    line_chart, save_svg,
};
use std::path::Path;

fn save(out: &Path, name: &str, svg: Result<String, nc_plot::PlotError>) -> Result<(), TrainError> {
    Ok(save_svg(&out.join(name), &svg?)?)
}

/// Returns of the untrained default NCAP in MuJoCo 3.17 + dm_control 1.0.50 (mean over 5
/// reset seeds, measured with the reference code), for comparison.
pub const MUJOCO_TRANSFER: [(usize, f64); 6] = [
    (4, 342.0),
    (6, 799.0),
    (8, 903.0),
    (10, 908.0),
    (12, 905.0),
    (14, 916.0),
];

/// Transfer figure: return against body length, untrained and trained, with MuJoCo's numbers.
pub fn transfer(out: &Path, rows: &[TransferRow]) -> Result<(), TrainError> {
    let xs: Vec<f64> = rows.iter().map(|r| r.n_bodies as f64).collect();
    let untrained = Series::from_xy(
        "untrained NCAP (ours)",
        &xs,
        &rows.iter().map(|r| r.untrained_mean).collect::<Vec<_>>(),
    )
    .with_spread(&rows.iter().map(|r| r.untrained_sd).collect::<Vec<_>>())
    .with_markers();
    let trained = Series::from_xy(
        "NCAP after ES on 6 links",
        &xs,
        &rows.iter().map(|r| r.trained_mean).collect::<Vec<_>>(),
    )
    .with_spread(&rows.iter().map(|r| r.trained_sd).collect::<Vec<_>>())
    .with_markers();
    let mut gradient = Vec::new();
    for (name, get) in [
        (
            "NCAP after PPO on 6 links",
            (|r: &TransferRow| r.ppo_mean.zip(r.ppo_sd)) as fn(&TransferRow) -> Option<(f64, f64)>,
        ),
        ("NCAP after DDPG on 6 links", |r| r.ddpg_mean.zip(r.ddpg_sd)),
        ("MLP trained by PPO on each body", |r| {
            r.mlp_mean.zip(r.mlp_sd)
        }),
    ] {
        let pts: Vec<(f64, (f64, f64))> = rows
            .iter()
            .filter_map(|r| get(r).map(|v| (r.n_bodies as f64, v)))
            .collect();
        if pts.is_empty() {
            continue;
        }
        let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
        let ys: Vec<f64> = pts.iter().map(|p| p.1.0).collect();
        let sd: Vec<f64> = pts.iter().map(|p| p.1.1).collect();
        gradient.push(
            Series::from_xy(name, &xs, &ys)
                .with_spread(&sd)
                .with_markers(),
        );
    }
    let mujoco = Series::new(
        "untrained NCAP (MuJoCo)",
        MUJOCO_TRANSFER
            .iter()
            .map(|&(n, r)| (n as f64, r))
            .collect(),
    )
    .with_markers();
    let spec = LineSpec {
        title: "NCAP on bodies of 4 to 14 links".into(),
        description: "Mean return of the same shared NCAP weights on swimmers of 4 to 14 links, untrained and after training on 6 links by ES, PPO and DDPG, against MuJoCo's untrained returns; beside them an MLP trained by PPO on each body length, which cannot transfer (its input size changes). Bands are ±1 sd over seeds.".into(),
        x: Axis::linear("links (bodies)"),
        y: Axis::linear("return").with_range(0.0, 1000.0),
        series: [untrained, trained]
            .into_iter()
            .chain(gradient)
            .chain([mujoco])
            .collect(),
        ..LineSpec::default()
    };
    save(out, "transfer.svg", line_chart(&spec))
}

fn code_label(r: &AblationRow) -> String {
    if !r.components_off.is_empty() {
        let off: Vec<&str> = r
            .components_off
            .split('-')
            .map(|c| match c {
                "noosc" => "no osc",
                "noprop" => "no prop",
                "nocross" => "no cross",
                other => other,
            })
            .collect();
        return off.join(", ");
    }
    format!(
        "{} {} {}",
        if r.sharing { "shared" } else { "unshared" },
        if r.signs { "signed" } else { "unsigned" },
        if r.constant_init {
            "constant"
        } else {
            "uniform"
        }
    )
}

/// Ablation bars: initial and final return per code, error bars over seeds.
pub fn ablations(out: &Path, rows: &[AblationRow]) -> Result<(), TrainError> {
    let spec = BarSpec {
        title: "NCAP ablations: initial and final return".into(),
        description: "Initial and final test return of NCAP trained by ES, for each combination of weight sharing, sign constraints and initialisation, and for the default circuit with one component removed (no osc: head oscillator; no prop: proprioception; no cross: muscle cross-inhibition), all at the same ES budget; bars are means, error bars standard deviations over seeds, and each dot is one seed.".into(),
        categories: rows.iter().map(code_label).collect(),
        series: initial_final_bars(
            rows.iter()
                .map(|r| (r.initial_mean, r.initial_sd, r.initial_per_seed.clone())),
            rows.iter()
                .map(|r| (r.final_mean, r.final_sd, r.final_per_seed.clone())),
        ),
        x_label: "ablation (sharing, signs, init; or component removed)".into(),
        y: Axis::linear("return"),
        // 80 px per category keeps "unsigned" and "constant" whole on a line of the label
        size: (
            nc_plot::DEFAULT_SIZE.0.max(180 + 80 * rows.len() as u32),
            nc_plot::DEFAULT_SIZE.1,
        ),
    };
    save(out, "ablations.svg", bar_chart(&spec))
}

/// The "initial" and "final" bar series of a chart, each bar from (mean, sd, per-seed values):
/// error bars of one sd and a dot per seed.
pub(crate) fn initial_final_bars(
    initial: impl Iterator<Item = (f64, f64, Vec<f64>)>,
    fin: impl Iterator<Item = (f64, f64, Vec<f64>)>,
) -> Vec<BarSeries> {
    [
        ("initial", initial.collect::<Vec<_>>()),
        ("final", fin.collect()),
    ]
    .into_iter()
    .map(|(name, bars)| {
        BarSeries::new(name, bars.iter().map(|b| b.0).collect())
            .with_errors(bars.iter().map(|b| b.1).collect())
            .with_points(bars.into_iter().map(|b| b.2).collect())
    })
    .collect()
}

/// Learning curves per algorithm: NCAP against MLP, band = ±1 sd over seeds, markers at the
/// tests, and each seed's curve as a thin line of dots in its model's colour. The step axis is linear so that step 0 (the untrained policies, the paper's initial
/// performance) is on the figure.
pub fn curves(out: &Path, points: &[CurvePoint]) -> Result<(), TrainError> {
    let mut algos: Vec<Algo> = points.iter().map(|p| p.algo).collect();
    algos.sort();
    algos.dedup();
    for algo in algos {
        let mut series = Vec::new();
        let mut seeds = Vec::new();
        // NCAP, then each MLP size
        let mut models: Vec<(ModelKind, Vec<usize>)> = points
            .iter()
            .filter(|p| p.algo == algo)
            .map(|p| (p.model, p.mlp_hidden.clone()))
            .collect();
        models.sort();
        models.dedup();
        models.sort_by_key(|m| m.0 != ModelKind::Ncap);
        let n_models = models.len();
        for (k, (model, hidden)) in models.into_iter().enumerate() {
            let pts: Vec<&CurvePoint> = points
                .iter()
                .filter(|p| p.algo == algo && p.model == model && p.mlp_hidden == hidden)
                .collect();
            let label = match model {
                ModelKind::Ncap => "NCAP".to_string(),
                _ if hidden.is_empty() => "MLP".to_string(),
                _ => format!(
                    "MLP {}",
                    crate::experiments::curves::hidden_name(&hidden).replace('x', "×")
                ),
            };
            let xs: Vec<f64> = pts.iter().map(|p| p.steps as f64).collect();
            let ys: Vec<f64> = pts.iter().map(|p| p.mean).collect();
            let sd: Vec<f64> = pts.iter().map(|p| p.sd).collect();
            let colour = nc_plot::series_colour(k, None);
            series.push(
                Series::from_xy(label, &xs, &ys)
                    .with_spread(&sd)
                    .with_markers()
                    .with_colour(colour),
            );
            let n_seeds = pts.iter().map(|p| p.per_seed.len()).min().unwrap_or(0);
            for seed in 0..n_seeds {
                let ys: Vec<f64> = pts.iter().map(|p| p.per_seed[seed]).collect();
                // unnamed, so left out of the legend
                seeds.push(
                    Series::from_xy("", &xs, &ys)
                        .with_markers()
                        .with_colour(colour.lighter()),
                );
            }
        }
        // the seeds first, so that the means are drawn over them
        seeds.append(&mut series);
        let series = seeds;
        if series.is_empty() {
            continue;
        }
        let mlps = if n_models > 2 { "MLPs" } else { "MLP" };
        let spec = LineSpec {
            title: format!(
                "{}: test return of NCAP and the {mlps}",
                algo.name().to_uppercase()
            ),
            description: format!(
                "Test return against environment steps for NCAP and the {mlps} trained by {} with the same settings, budget and tests; the bold line is the mean over seeds with a ±1 sd band, and the pale lines are the individual seeds, a marker at each test.",
                algo.name()
            ),
            x: Axis::linear("environment steps"),
            y: Axis::linear("test return"),
            series,
            ..LineSpec::default()
        };
        save(
            out,
            &format!("curves_{}.svg", algo.name()),
            line_chart(&spec),
        )?;
    }
    Ok(())
}

/// Neuron raster (heatmap of activity over time) with the learned weights in the title.
pub fn raster(out: &Path, rec: &Recording, weights: &[(String, f64)]) -> Result<(), TrainError> {
    let n = rec.names.len();
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|k| rec.activity.iter().map(|r| r[k]).collect())
        .collect();
    let w: Vec<String> = weights
        .iter()
        .map(|(k, v)| format!("{k} = {v:.2}"))
        .collect();
    let spec = HeatmapSpec {
        title: "NCAP neuron activity".into(),
        description: format!(
            "Activity of the head oscillator, B-neurons and muscles of each joint over one episode of the NCAP swimmer (weights {}): a bend travels from head to tail.",
            w.join(", ")
        ),
        rows,
        row_labels: rec.names.clone(),
        x_label: "time (s)".into(),
        y_label: "neuron".into(),
        x_extent: Some((0.0, rec.activity.len() as f64 * 0.03)),
        value_label: "activity".into(),
        colour: ColourScale::Sequential,
        value_range: Some((0.0, 1.0)),
        // 18 px per row, so that every row keeps its label
        size: (720, 140 + 18 * n as u32),
    };
    save(out, "raster.svg", heatmap(&spec))?;
    let spec = BarSpec {
        title: "Learned NCAP weights".into(),
        description: "The controller's weights after training (raw values; the circuit clamps them to their signs).".into(),
        categories: weights.iter().map(|(k, _)| k.clone()).collect(),
        series: vec![BarSeries::new("", weights.iter().map(|(_, v)| *v).collect())],
        x_label: "weight".into(),
        y: Axis::linear("value"),
        ..BarSpec::default()
    };
    save(out, "weights.svg", bar_chart(&spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ablation_label_is_drawn_whole() {
        let row = |code: &str, off: &str| AblationRow::for_test(code, off, 100.0, 500.0);
        // the 8 codes and the 3 component ablations, as the sweep writes them
        let mut rows: Vec<AblationRow> = ["111", "110", "101", "100", "011", "010", "001", "000"]
            .into_iter()
            .map(|c| row(c, ""))
            .collect();
        rows.extend(["noosc", "noprop", "nocross"].map(|o| row("111", o)));
        let dir = std::env::temp_dir().join(format!("nc-abl-fig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        ablations(&dir, &rows).unwrap();
        let svg = std::fs::read_to_string(dir.join("ablations.svg")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(!svg.contains('…'), "a category label was cut short");
        for word in ["unshared", "unsigned", "constant", "uniform", "no cross"] {
            assert!(svg.contains(word), "{word} is missing");
        }
    }
}
