//! Writes one of each figure into a folder (default `target/plot-gallery`), to look at.
//!
//! `cargo run -p nc-plot --example gallery -- OUT_DIR`

use std::path::PathBuf;

use nc_plot::{
    Axis, BarSeries, BarSpec, FilmLayout, FilmstripSpec, Frame, HeatmapSpec, LineSpec, Segment,
    Series, SpectrumSpec, animation_gif, bar_chart, filmstrip_svg, heatmap, line_chart, save_svg,
    spectrum,
};

/// A 6-segment swimmer with a travelling wave, moving towards +x.
fn swimmer_frames(n: usize) -> Vec<Frame> {
    (0..n)
        .map(|k| {
            let t = k as f64 * 0.05;
            let mut segs = Vec::new();
            let (len, width) = (0.1, 0.035);
            let mut c = (0.35 * t, 0.02 * (3.0 * t).sin());
            for i in 0..6 {
                let heading = 0.5 * (2.0 * std::f64::consts::PI * t - 0.9 * i as f64).sin();
                if i > 0 {
                    let prev: &Segment = &segs[i - 1];
                    c = (
                        prev.x - 0.5 * len * prev.heading.cos() - 0.5 * len * heading.cos(),
                        prev.y - 0.5 * len * prev.heading.sin() - 0.5 * len * heading.sin(),
                    );
                }
                segs.push(Segment {
                    x: c.0,
                    y: c.1,
                    heading,
                    length: len,
                    width,
                });
            }
            Frame {
                segments: segs,
                text: Some(format!("t = {t:.2} s")),
                readout: Vec::new(),
            }
        })
        .collect()
}

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

    // a short budget on a log axis that starts at step 0, in a narrow figure: the labels of
    // 8000, 9000, 10000 must not run together; and a run with a single evaluation
    let es_steps = [0.0, 8e3, 16e3, 24e3, 32e3, 40e3, 48e3];
    let spec = LineSpec {
        title: "ES: NCAP starts far higher than MLP".into(),
        description: "Test return against environment steps from step 0, log axis after a break."
            .into(),
        x: Axis::log("environment steps").with_zero(),
        y: Axis::linear("test return"),
        series: vec![
            Series::from_xy(
                "NCAP",
                &es_steps,
                &[794.0, 826.0, 842.0, 856.0, 864.0, 873.0, 885.0],
            )
            .with_spread(&[2.0, 3.0, 3.0, 6.0, 8.0, 12.0, 22.0]),
            Series::from_xy("MLP", &es_steps, &[4.0, 5.0, 5.0, 4.0, 18.0, 31.0, 45.0])
                .with_spread(&[4.0, 4.0, 2.0, 1.0, 12.0, 24.0, 36.0]),
            Series::new("DDPG MLP (one evaluation)", vec![(1e3, 61.0)])
                .with_band(vec![(31.0, 91.0)]),
        ],
        size: (480, 320),
    };
    save_svg(&out.join("learning_curve_short.svg"), &line_chart(&spec)?)?;

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

    // stress: many series, long names, wide value range, a single point, decreasing loss
    let xs: Vec<f64> = (0..200).map(|i| f64::from(i) * 5e3).collect();
    let series = (0..7)
        .map(|k| {
            let ys: Vec<f64> = xs
                .iter()
                .map(|x| 1e6 * (-x / (2e5 * f64::from(k + 1))).exp() + 1e-3)
                .collect();
            Series::from_xy(
                format!("learning rate 10^-{k}, a long name that must be cut"),
                &xs,
                &ys,
            )
        })
        .chain(std::iter::once(Series::new("single", vec![(5e5, 10.0)])))
        .collect();
    let spec = LineSpec {
        title: "A very long title that goes on and on to check that nothing is cut off at the edges of the figure".into(),
        description: "Stress test of the layout.".into(),
        x: Axis::linear("step"),
        y: Axis::log("loss"),
        series,
        ..LineSpec::default()
    };
    save_svg(&out.join("stress.svg"), &line_chart(&spec)?)?;
    let sv: Vec<f64> = (0..64)
        .map(|i| 10f64.powf(2.0 - 0.25 * f64::from(i)))
        .collect();
    let spec = SpectrumSpec {
        title: "Near-singular spectrum".into(),
        description: "Singular values over 16 decades.".into(),
        spectra: vec![("W".into(), sv)],
        log_rank: true,
        ..SpectrumSpec::default()
    };
    save_svg(&out.join("spectrum_wide.svg"), &spectrum(&spec)?)?;

    // ablations: grouped bars with error bars
    let spec = BarSpec {
        title: "Ablations: swimming speed".into(),
        description: "Mean forward speed (± sd over 10 seeds) of NCAP with parts removed,                       for two body lengths."
            .into(),
        categories: ["full NCAP", "no B-neuron oscillator", "no proprioception", "no sign constraints", "random init"]
            .map(String::from)
            .to_vec(),
        series: vec![
            BarSeries::new("6 segments", vec![0.42, 0.05, 0.21, 0.35, -0.02])
                .with_errors(vec![0.03, 0.02, 0.04, 0.05, 0.01]),
            BarSeries::new("10 segments", vec![0.47, 0.04, 0.18, 0.31, 0.01])
                .with_errors(vec![0.04, 0.02, 0.05, 0.06, 0.02]),
        ],
        x_label: "variant".into(),
        y: Axis::linear("speed (body lengths / s)"),
        ..BarSpec::default()
    };
    save_svg(&out.join("ablations.svg"), &bar_chart(&spec)?)?;

    // B-neuron / muscle raster
    let names: Vec<String> = (0..6)
        .flat_map(|i| {
            [
                format!("DB{}", i + 1),
                format!("VB{}", i + 1),
                format!("muscle D{}", i + 1),
            ]
        })
        .collect();
    let rows: Vec<Vec<f64>> = (0..names.len())
        .map(|r| {
            (0..1000)
                .map(|c| {
                    let phase = 0.9 * (r / 3) as f64
                        + if r % 3 == 1 {
                            std::f64::consts::PI
                        } else {
                            0.0
                        };
                    (2.0 * std::f64::consts::PI * c as f64 / 250.0 - phase)
                        .sin()
                        .max(-0.3)
                })
                .collect()
        })
        .collect();
    let spec = HeatmapSpec {
        title: "NCAP activity".into(),
        description: "Activity of B-neurons and muscles over 10 s: a wave travels head to tail."
            .into(),
        rows,
        row_labels: names,
        x_label: "time (s)".into(),
        y_label: String::new(),
        x_extent: Some((0.0, 10.0)),
        value_label: "activity".into(),
        ..HeatmapSpec::default()
    };
    save_svg(&out.join("raster.svg"), &heatmap(&spec)?)?;

    // many rows, non-negative values: sequential colours, thinned labels
    let spec = HeatmapSpec {
        title: "RNN unit activity".into(),
        description: "Rates of 60 units over 200 time steps.".into(),
        rows: (0..60)
            .map(|r| {
                (0..200)
                    .map(|c| ((f64::from(r) * 0.3 + f64::from(c) * 0.05).sin() + 1.0) * 20.0)
                    .collect()
            })
            .collect(),
        row_labels: (0..60).map(|r| format!("unit {r}")).collect(),
        x_label: "time step".into(),
        y_label: "unit".into(),
        value_label: "rate (Hz)".into(),
        ..HeatmapSpec::default()
    };
    save_svg(&out.join("heatmap_rates.svg"), &heatmap(&spec)?)?;

    // swimmer pictures
    let frames = swimmer_frames(80);
    let spec = FilmstripSpec {
        title: "Swimmer, 6 frames".into(),
        description:
            "Six snapshots of the swimmer over 4 s; it moves right with a travelling wave.".into(),
        ..FilmstripSpec::default()
    };
    save_svg(&out.join("filmstrip.svg"), &filmstrip_svg(&frames, &spec)?)?;
    let spec = FilmstripSpec {
        title: "Swimmer path".into(),
        description: "Ten snapshots overlaid, older ones fainter, with the path of the centre."
            .into(),
        layout: FilmLayout::Overlay,
        max_frames: 10,
        panel_size: (640, 200),
    };
    save_svg(&out.join("overlay.svg"), &filmstrip_svg(&frames, &spec)?)?;
    animation_gif(&frames, &out.join("swim.gif"), 20.0, (320, 240))?;
    nc_plot::save_frame_png(&frames[0], &out.join("frame0.png"), (320, 240))?;
    dump_gif_frame(&out.join("swim.gif"), 60, &out.join("swim_frame60.png"));
    Ok(())
}

/// Decodes the GIF we wrote and saves frame `k` as PNG, to look at it.
fn dump_gif_frame(gif_path: &std::path::Path, k: usize, png_path: &std::path::Path) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let file = std::fs::File::open(gif_path).expect("gif written above");
    let mut dec = opts.read_info(file).expect("valid gif");
    let (w, h) = (u32::from(dec.width()), u32::from(dec.height()));
    let mut i = 0;
    while let Some(frame) = dec.read_next_frame().expect("valid frame") {
        if i == k {
            let f = std::fs::File::create(png_path).expect("writable folder");
            let mut enc = png::Encoder::new(std::io::BufWriter::new(f), w, h);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut wr = enc.write_header().expect("png header");
            wr.write_image_data(&frame.buffer).expect("png data");
            return;
        }
        i += 1;
    }
}
