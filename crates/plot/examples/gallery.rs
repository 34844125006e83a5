//! Writes one of each figure into a folder (default `target/plot-gallery`), to look at.
//!
//! `cargo run -p nc-plot --example gallery -- OUT_DIR`

use std::path::PathBuf;

use nc_plot::{Axis, LineSpec, Series, SpectrumSpec, line_chart, save_svg, spectrum};

fn main() -> Result<(), nc_plot::PlotError> {
    let out: PathBuf = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/plot-gallery"), PathBuf::from);

    // learning curves: return vs environment steps, mean ± sd over seeds, log x
    let steps: Vec<f64> = (0..=30)
        .map(|i| 1e3 * 10f64.powf(f64::from(i) / 10.0))
        .collect();
    let curve = |scale: f64, rate: f64| -> (Vec<f64>, Vec<f64>) {
        let m = steps
            .iter()
            .map(|s| scale * (1.0 - (-s * rate).exp()))
            .collect();
        let sd = steps
            .iter()
            .map(|s| 0.1 * scale * (1.0 - (-s * rate).exp()) + 5.0)
            .collect();
        (m, sd)
    };
    let (m1, s1) = curve(320.0, 3e-5);
    let (m2, s2) = curve(250.0, 4e-6);
    let spec = LineSpec {
        title: "Swimmer: return during training".into(),
        description: "Mean episode return (shaded: ± 1 sd over 5 seeds) against environment \
                      steps on a log axis; NCAP learns about ten times faster than the MLP."
            .into(),
        x: Axis::log("environment steps"),
        y: Axis::linear("episode return"),
        series: vec![
            Series::from_xy("NCAP (ES)", &steps, &m1).with_spread(&s1),
            Series::from_xy("MLP (PPO)", &steps, &m2).with_spread(&s2),
        ],
        ..LineSpec::default()
    };
    save_svg(&out.join("learning_curve.svg"), &line_chart(&spec)?)?;

    // measures vs rank, log x and log y
    let ranks = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];
    let spec = LineSpec {
        title: "Kernel alignment vs initial rank".into(),
        description: "Weight change norm against the rank of the initial connectivity.".into(),
        x: Axis::log("initial rank"),
        y: Axis::log("‖ΔW‖ / ‖W₀‖"),
        series: vec![
            Series::from_xy("g = 0.5", &ranks, &ranks.map(|r: f64| 0.8 / r.sqrt())).with_markers(),
            Series::from_xy("g = 1.5", &ranks, &ranks.map(|r: f64| 0.05 / r.powf(0.3)))
                .with_markers(),
        ],
        ..LineSpec::default()
    };
    save_svg(&out.join("measure_vs_rank.svg"), &line_chart(&spec)?)?;

    // singular value spectra
    let sv = |decay: f64| {
        (0..50)
            .map(|i| (-decay * f64::from(i)).exp() * 3.0)
            .collect()
    };
    let spec = SpectrumSpec {
        title: "Spectrum of ΔW".into(),
        description: "Sorted singular values of the weight change, before and after training."
            .into(),
        spectra: vec![("lazy".into(), sv(0.05)), ("rich".into(), sv(0.4))],
        ..SpectrumSpec::default()
    };
    save_svg(&out.join("spectrum.svg"), &spectrum(&spec)?)?;
    Ok(())
}
