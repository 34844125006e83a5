//! Integration tests: every figure parses as XML, carries its text alternative and draws the
//! expected marks; bad input is a typed error.

use nc_plot::{
    Axis, BarSeries, BarSpec, FilmLayout, FilmstripSpec, Frame, HeatmapSpec, LineSpec, PALETTE,
    PlotError, Rgb, Segment, Series, SpectrumSpec, animation_gif, animation_gif_bytes, bar_chart,
    filmstrip_svg, frame_png, heatmap, line_chart, save_svg, spectrum,
};

fn hex(c: Rgb) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Parses the SVG and checks the text alternative; returns the document's text for counting.
fn check_svg(svg: &str, title: &str, desc: &str) {
    let doc = roxmltree::Document::parse(svg).expect("SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let mut kids = root.children().filter(roxmltree::Node::is_element);
    let t = kids.next().expect("a first child");
    assert_eq!(t.tag_name().name(), "title");
    assert_eq!(t.text(), Some(title));
    let d = kids.next().expect("a second child");
    assert_eq!(d.tag_name().name(), "desc");
    assert_eq!(d.text(), Some(desc));
    // every text names a generic family, so viewers without DejaVu still show it
    for n in doc.descendants().filter(|n| n.has_tag_name("text")) {
        assert_eq!(n.attribute("font-family"), Some("sans-serif"));
    }
}

fn count(svg: &str, tag: &str, attr: &str, value: &str) -> usize {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name(tag) && n.attribute(attr) == Some(value))
        .count()
}

fn learning_spec() -> LineSpec {
    let steps = [1e3, 1e4, 1e5, 1e6];
    LineSpec {
        title: "Return <&> steps".into(),
        description: "Two curves \"with\" bands.".into(),
        x: Axis::log("environment steps"),
        y: Axis::linear("return"),
        series: vec![
            Series::from_xy("a", &steps, &[1.0, 5.0, 20.0, 30.0]).with_spread(&[1.0; 4]),
            Series::from_xy("b", &steps, &[0.5, 2.0, 8.0, 25.0]),
            Series::from_xy("c", &steps, &[0.1, 1.0, 3.0, 9.0]).with_markers(),
        ],
        ..LineSpec::default()
    }
}

mod line {
    use super::*;

    #[test]
    fn parses_and_draws_each_series_once() {
        let spec = learning_spec();
        let svg = line_chart(&spec).unwrap();
        check_svg(&svg, "Return <&> steps", "Two curves \"with\" bands.");
        for (i, _) in spec.series.iter().enumerate() {
            // the series' line plus its legend swatch
            assert_eq!(
                count(&svg, "polyline", "stroke", &hex(PALETTE[i])),
                2,
                "series {i}"
            );
        }
        assert_eq!(
            count(&svg, "polygon", "fill", &hex(PALETTE[0])),
            1,
            "one band"
        );
        assert_eq!(
            count(&svg, "circle", "fill", &hex(PALETTE[2])),
            4 + 1,
            "markers + legend"
        );
    }

    #[test]
    fn is_deterministic() {
        assert_eq!(
            line_chart(&learning_spec()).unwrap(),
            line_chart(&learning_spec()).unwrap()
        );
    }

    #[test]
    fn fixed_range_clips_instead_of_spilling() {
        let mut spec = learning_spec();
        spec.y = Axis::linear("return").with_range(0.0, 10.0);
        let svg = line_chart(&spec).unwrap();
        check_svg(&svg, &spec.title, &spec.description);
    }

    #[test]
    fn log_y_band_may_dip_below_zero() {
        let mut spec = learning_spec();
        spec.x = Axis::linear("steps");
        spec.y = Axis::log("loss");
        spec.series[0] = spec.series[0].clone().with_spread(&[5.0; 4]);
        line_chart(&spec).unwrap();
    }

    /// A series with one point (a run with one evaluation) shows as a large dot with a
    /// white ring, its band as an error bar, and a dot in its legend swatch.
    #[test]
    fn a_lone_point_is_a_visible_marker() {
        let spec = LineSpec {
            series: vec![Series::new("one", vec![(1e3, 60.0)]).with_band(vec![(30.0, 90.0)])],
            x: Axis::log("steps"),
            ..LineSpec::default()
        };
        let svg = line_chart(&spec).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let dots: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some(&hex(PALETTE[0])))
            .map(|n| n.attribute("r").unwrap().parse().unwrap())
            .collect();
        // the point and the legend's swatch
        assert_eq!(dots.len(), 2, "{dots:?}");
        assert!(dots.iter().any(|&r| r >= 5.0), "{dots:?}");
        assert_eq!(count(&svg, "circle", "fill", "#FFFFFF"), 1, "a white ring");
        // the error bar: a vertical line in the series' colour besides the legend's
        assert_eq!(count(&svg, "polyline", "stroke", &hex(PALETTE[0])), 2);
    }

    /// A learning curve from step 0 on a log axis: 0 sits before a break, labelled "0"; a
    /// plain log axis still refuses it.
    #[test]
    fn step_zero_on_a_log_axis_that_shows_zero() {
        let steps = [0.0, 8e3, 16e3, 24e3, 32e3, 40e3, 48e3];
        let mut spec = LineSpec {
            x: Axis::log("environment steps").with_zero(),
            series: vec![Series::from_xy(
                "es",
                &steps,
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            )],
            size: (420, 300),
            ..LineSpec::default()
        };
        let svg = line_chart(&spec).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert!(
            doc.descendants()
                .any(|n| n.has_tag_name("text") && n.text().map(str::trim) == Some("0")),
            "a 0 tick label"
        );
        spec.x = Axis::log("environment steps");
        assert!(matches!(
            line_chart(&spec),
            Err(PlotError::NonPositive { .. })
        ));
        spec.x = Axis::log("environment steps").with_zero();
        spec.series[0].points[0].0 = -1.0;
        assert!(matches!(
            line_chart(&spec),
            Err(PlotError::NonPositive { .. })
        ));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let base = learning_spec();
        let mut s = base.clone();
        s.series.clear();
        assert!(matches!(line_chart(&s), Err(PlotError::Empty { .. })));
        let mut s = base.clone();
        s.series[1].points.clear();
        assert!(matches!(line_chart(&s), Err(PlotError::Empty { .. })));
        let mut s = base.clone();
        s.series[1].points[2].1 = f64::NAN;
        assert!(matches!(
            line_chart(&s),
            Err(PlotError::NonFinite { index: 2, .. })
        ));
        let mut s = base.clone();
        s.series[0].band = Some(vec![(0.0, 1.0)]);
        assert!(matches!(
            line_chart(&s),
            Err(PlotError::LengthMismatch {
                expected: 4,
                got: 1,
                ..
            })
        ));
        let mut s = base.clone();
        s.series[0].band = Some(vec![(2.0, 1.0); 4]);
        assert!(matches!(line_chart(&s), Err(PlotError::Invalid { .. })));
        let mut s = base.clone();
        s.series[2].points[0].0 = 0.0;
        assert!(matches!(line_chart(&s), Err(PlotError::NonPositive { .. })));
        let mut s = base.clone();
        s.x = Axis::log("x").with_range(10.0, 1.0);
        assert!(matches!(line_chart(&s), Err(PlotError::Invalid { .. })));
        let mut s = base;
        s.size = (0, 0);
        assert!(matches!(line_chart(&s), Err(PlotError::Invalid { .. })));
    }

    #[test]
    fn spectrum_sorts_and_rejects_zero() {
        let spec = SpectrumSpec {
            title: "s".into(),
            description: "d".into(),
            spectra: vec![("w".into(), vec![0.1, 3.0, 1.0])],
            ..SpectrumSpec::default()
        };
        let svg = spectrum(&spec).unwrap();
        check_svg(&svg, "s", "d");
        let mut bad = spec;
        bad.spectra[0].1.push(0.0);
        assert!(matches!(spectrum(&bad), Err(PlotError::NonPositive { .. })));
    }

    #[test]
    fn save_svg_writes_the_string() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/fig.svg");
        let svg = line_chart(&learning_spec()).unwrap();
        save_svg(&path, &svg).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), svg);
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1,
            "no temp left"
        );
    }
}

mod bar {
    use super::*;

    fn spec() -> BarSpec {
        BarSpec {
            title: "Ablations".into(),
            description: "Speed per variant.".into(),
            categories: vec![
                "full".into(),
                "no oscillator".into(),
                "a much longer label here".into(),
            ],
            series: vec![
                BarSeries::new("6", vec![0.4, 0.1, -0.05]).with_errors(vec![0.05, 0.02, 0.01]),
                BarSeries::new("10", vec![0.5, 0.2, 0.0]),
            ],
            x_label: "variant".into(),
            y: Axis::linear("speed"),
            ..BarSpec::default()
        }
    }

    #[test]
    fn draws_one_rect_per_bar() {
        let svg = bar_chart(&spec()).unwrap();
        check_svg(&svg, "Ablations", "Speed per variant.");
        // three bars plus one legend swatch per series
        assert_eq!(count(&svg, "rect", "fill", &hex(PALETTE[0])), 4);
        assert_eq!(count(&svg, "rect", "fill", &hex(PALETTE[1])), 4);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let mut s = spec();
        s.series[1].values.pop();
        assert!(matches!(
            bar_chart(&s),
            Err(PlotError::LengthMismatch { .. })
        ));
        let mut s = spec();
        s.series[0].errors = Some(vec![0.1, -0.1, 0.0]);
        assert!(matches!(bar_chart(&s), Err(PlotError::Invalid { .. })));
        let mut s = spec();
        s.series[0].values[0] = f64::INFINITY;
        assert!(matches!(bar_chart(&s), Err(PlotError::NonFinite { .. })));
        let mut s = spec();
        s.y = Axis::log("speed");
        assert!(matches!(bar_chart(&s), Err(PlotError::Invalid { .. })));
        let mut s = spec();
        s.categories.clear();
        assert!(matches!(bar_chart(&s), Err(PlotError::Empty { .. })));
    }
}

mod heat {
    use super::*;

    fn spec() -> HeatmapSpec {
        HeatmapSpec {
            title: "Raster".into(),
            description: "Activity.".into(),
            rows: (0..5)
                .map(|r| (0..300).map(|c| f64::from(r * c) / 1500.0 - 0.2).collect())
                .collect(),
            row_labels: (0..5).map(|r| format!("DB{r}")).collect(),
            x_label: "time (s)".into(),
            x_extent: Some((0.0, 3.0)),
            value_label: "activity".into(),
            ..HeatmapSpec::default()
        }
    }

    #[test]
    fn embeds_one_png_image() {
        let svg = heatmap(&spec()).unwrap();
        check_svg(&svg, "Raster", "Activity.");
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let images: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("image"))
            .collect();
        assert_eq!(images.len(), 1);
        assert!(
            images[0]
                .attribute("href")
                .unwrap()
                .starts_with("data:image/png;base64,iVBOR")
        );
        for r in 0..5 {
            assert!(svg.contains(&format!("DB{r}")));
        }
    }

    /// The NCAP raster: 22 rows and a title listing the learned weights. Every row used to
    /// get only every other label, and the title was cut ("mu…").
    #[test]
    fn every_row_is_labelled_and_a_long_title_is_whole() {
        let names: Vec<String> = (0..22).map(|r| format!("n_{r}")).collect();
        let title = "NCAP activity (bneuron_prop=1.00, bneuron_osc=1.00, muscle_ipsi=1.00, muscle_contra=-1.00)";
        let s = HeatmapSpec {
            title: title.into(),
            rows: vec![vec![0.5; 200]; 22],
            row_labels: names.clone(),
            ..spec()
        };
        let svg = heatmap(&s).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for name in &names {
            assert!(texts.contains(&name.as_str()), "row {name} is labelled");
        }
        assert!(!texts.iter().any(|t| t.contains('…')), "{texts:?}");
        // the title's words all appear, over two lines
        let shown: String = texts
            .iter()
            .filter(|t| t.contains("NCAP") || t.contains("muscle"))
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(shown, title);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        let mut s = spec();
        s.rows[2].pop();
        assert!(matches!(heatmap(&s), Err(PlotError::LengthMismatch { .. })));
        let mut s = spec();
        s.rows[1][7] = f64::NAN;
        assert!(matches!(
            heatmap(&s),
            Err(PlotError::NonFinite { index: 7, .. })
        ));
        let mut s = spec();
        s.row_labels.pop();
        assert!(matches!(heatmap(&s), Err(PlotError::LengthMismatch { .. })));
        let mut s = spec();
        s.rows = vec![vec![]];
        assert!(matches!(heatmap(&s), Err(PlotError::Empty { .. })));
        let mut s = spec();
        s.value_range = Some((1.0, 1.0));
        assert!(matches!(heatmap(&s), Err(PlotError::Invalid { .. })));
    }
}

mod swim {
    use super::*;

    fn frames(n: usize) -> Vec<Frame> {
        (0..n)
            .map(|k| {
                let t = k as f64 * 0.1;
                let segments = (0..4)
                    .map(|i| Segment {
                        x: t - 0.1 * f64::from(i),
                        y: 0.02 * (t + f64::from(i)).sin(),
                        heading: 0.3 * (t - f64::from(i)).sin(),
                        length: 0.1,
                        width: 0.03,
                    })
                    .collect();
                Frame {
                    segments,
                    text: Some(format!("t = {t:.1}")),
                    readout: Vec::new(),
                }
            })
            .collect()
    }

    const HEAD: &str = "#D55E00";

    #[test]
    fn filmstrip_draws_one_head_per_panel() {
        let spec = FilmstripSpec {
            title: "Swim".into(),
            description: "Frames.".into(),
            max_frames: 5,
            ..FilmstripSpec::default()
        };
        let svg = filmstrip_svg(&frames(23), &spec).unwrap();
        check_svg(&svg, "Swim", "Frames.");
        assert_eq!(count(&svg, "polygon", "fill", HEAD), 5);
        let overlay = FilmstripSpec {
            layout: FilmLayout::Overlay,
            ..spec
        };
        let svg = filmstrip_svg(&frames(23), &overlay).unwrap();
        check_svg(&svg, "Swim", "Frames.");
        assert_eq!(count(&svg, "polygon", "fill", HEAD), 5);
    }

    #[test]
    fn gif_decodes_with_every_frame() {
        let bytes = animation_gif_bytes(&frames(7), 10.0, (96, 64)).unwrap();
        let mut dec = gif::DecodeOptions::new()
            .read_info(bytes.as_slice())
            .unwrap();
        assert_eq!((dec.width(), dec.height()), (96, 64));
        let mut n = 0;
        while let Some(f) = dec.read_next_frame().unwrap() {
            assert_eq!(f.delay, 10);
            n += 1;
        }
        assert_eq!(n, 7);
        let dir = tempfile::tempdir().unwrap();
        animation_gif(&frames(3), &dir.path().join("a.gif"), 25.0, (64, 48)).unwrap();
        assert!(
            std::fs::read(dir.path().join("a.gif"))
                .unwrap()
                .starts_with(b"GIF89a")
        );
    }

    #[test]
    fn png_frame_has_a_signature() {
        let png = frame_png(&frames(1)[0], (80, 60)).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert!(matches!(
            filmstrip_svg(&[], &FilmstripSpec::default()),
            Err(PlotError::Empty { .. })
        ));
        let mut f = frames(3);
        f[1].segments.clear();
        assert!(matches!(
            animation_gif_bytes(&f, 10.0, (64, 64)),
            Err(PlotError::Empty { .. })
        ));
        let mut f = frames(3);
        f[2].segments[1].width = 0.0;
        assert!(matches!(
            filmstrip_svg(&f, &FilmstripSpec::default()),
            Err(PlotError::NonPositive { index: 1, .. })
        ));
        let mut f = frames(3);
        f[0].segments[0].heading = f64::NAN;
        assert!(matches!(
            frame_png(&f[0], (64, 64)),
            Err(PlotError::NonFinite { .. })
        ));
        assert!(matches!(
            animation_gif_bytes(&frames(2), 0.0, (64, 64)),
            Err(PlotError::NonPositive { .. })
        ));
        assert!(matches!(
            animation_gif_bytes(&frames(2), 10.0, (70_000, 64)),
            Err(PlotError::Invalid { .. })
        ));
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Any numbers at all (NaN, infinities, zeros, huge) give a figure or an error.
        #[test]
        fn line_chart_never_panics(
            pts in prop::collection::vec((any::<f64>(), any::<f64>()), 0..20),
            logx in any::<bool>(),
            logy in any::<bool>(),
        ) {
            let spec = LineSpec {
                x: if logx { Axis::log("x") } else { Axis::linear("x") },
                y: if logy { Axis::log("y") } else { Axis::linear("y") },
                series: vec![Series::new("s", pts)],
                ..LineSpec::default()
            };
            if let Ok(svg) = line_chart(&spec) {
                prop_assert!(roxmltree::Document::parse(&svg).is_ok());
            }
        }

        #[test]
        fn bar_chart_never_panics(values in prop::collection::vec(-1e300f64..1e300, 1..6)) {
            let spec = BarSpec {
                categories: (0..values.len()).map(|i| i.to_string()).collect(),
                series: vec![BarSeries::new("", values)],
                ..BarSpec::default()
            };
            let svg = bar_chart(&spec).unwrap();
            prop_assert!(roxmltree::Document::parse(&svg).is_ok());
        }
    }
}
