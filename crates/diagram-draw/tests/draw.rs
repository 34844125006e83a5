//! Integration tests: geometric facts of every drawing, and byte-for-byte snapshots.

use std::path::PathBuf;

use nc_diagram_draw::LayoutOptions;

/// Every diagram under test: the hand-built examples and the zoo, by name.
#[path = "ir.rs"]
#[allow(
    dead_code,
    reason = "shared circuit builders; their tests run in ir.rs"
)]
mod ir;

fn all_svgs() -> Vec<(String, String)> {
    let opt = LayoutOptions::default();
    let mut v: Vec<(String, String)> = nc_diagram_draw::examples::all()
        .into_iter()
        .map(|(n, d)| {
            (
                format!("example_{n}"),
                nc_diagram_draw::render_svg(&d, &opt),
            )
        })
        .collect();
    for (n, svg) in nc_diagram_draw::zoo_svgs(&nc_diagram_draw::DrawOptions::default()) {
        v.push((format!("zoo_{n}"), svg));
    }
    for n in nc_diagram::zoo::names() {
        let c = nc_diagram::zoo::get(n).expect("zoo model");
        let opt = nc_diagram_draw::DrawOptions {
            cost: true,
            ..Default::default()
        };
        v.push((
            format!("zoo_{n}_cost"),
            nc_diagram_draw::draw_circuit(&c, &opt),
        ));
    }
    for (n, c) in [("mlp", ir::mlp()), ("rnn", ir::rnn()), ("conv", ir::conv())] {
        for cost in [false, true] {
            let opt = nc_diagram_draw::DrawOptions {
                cost,
                ..Default::default()
            };
            let tag = if cost { "_cost" } else { "" };
            v.push((
                format!("ir_{n}{tag}"),
                nc_diagram_draw::draw_circuit(&c, &opt),
            ));
        }
    }
    v
}

struct Geo {
    width: f64,
    height: f64,
    texts: Vec<(f64, f64, f64, f64, String)>,
    rects: Vec<(f64, f64, f64, f64, String)>,
    dots: Vec<(f64, f64, f64)>,
    wires: Vec<Vec<(char, Vec<f64>)>>,
}

/// One drawing of [`all_svgs`], by name.
fn zoo_svg(name: &str) -> String {
    all_svgs()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no drawing {name}"))
        .1
}

fn attr(n: &roxmltree::Node<'_, '_>, a: &str) -> f64 {
    n.attribute(a).and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

fn parse_path(d: &str) -> Vec<(char, Vec<f64>)> {
    let mut out = Vec::new();
    let mut cmd = None;
    let mut nums = Vec::new();
    for part in d.split_whitespace() {
        let (c, rest) = match part.chars().next() {
            Some(c) if c.is_ascii_uppercase() => (Some(c), &part[1..]),
            _ => (None, part),
        };
        if let Some(c) = c {
            if let Some(pc) = cmd.take() {
                out.push((pc, std::mem::take(&mut nums)));
            }
            cmd = Some(c);
        }
        if !rest.is_empty() {
            nums.push(rest.parse::<f64>().expect("number in path"));
        }
    }
    if let Some(pc) = cmd {
        out.push((pc, nums));
    }
    out
}

fn geo(svg: &str) -> Geo {
    let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
    let root = doc.root_element();
    let mut g = Geo {
        width: attr(&root, "width"),
        height: attr(&root, "height"),
        texts: vec![],
        rects: vec![],
        dots: vec![],
        wires: vec![],
    };
    for n in doc.descendants().filter(roxmltree::Node::is_element) {
        let class = n.attribute("class").unwrap_or("");
        match n.tag_name().name() {
            "text" => {
                let b: Vec<f64> = n
                    .attribute("data-bbox")
                    .expect("bbox")
                    .split(' ')
                    .map(|x| x.parse().unwrap())
                    .collect();
                let s: String = n
                    .descendants()
                    .filter(|d| d.is_text())
                    .filter_map(|d| d.text())
                    .collect();
                g.texts.push((b[0], b[1], b[2], b[3], s));
            }
            "rect" if !class.is_empty() => {
                g.rects.push((
                    attr(&n, "x"),
                    attr(&n, "y"),
                    attr(&n, "width"),
                    attr(&n, "height"),
                    class.to_owned(),
                ));
            }
            "circle" => g.dots.push((attr(&n, "cx"), attr(&n, "cy"), attr(&n, "r"))),
            "path" if class == "w" || class == "w2" => {
                g.wires.push(parse_path(n.attribute("d").unwrap()))
            }
            _ => {}
        }
    }
    g
}

fn endpoints(p: &[(char, Vec<f64>)]) -> ((f64, f64), (f64, f64)) {
    let first = (p[0].1[0], p[0].1[1]);
    let l = &p[p.len() - 1].1;
    (first, (l[l.len() - 2], l[l.len() - 1]))
}

fn is_op_box(class: &str) -> bool {
    class.starts_with("op") || class == "blk" || class == "mk"
}

fn report(bad: &[String]) {
    assert!(
        bad.is_empty(),
        "{} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn text_boxes_never_overlap() {
    let mut bad = Vec::new();
    for (name, svg) in all_svgs() {
        let g = geo(&svg);
        for (i, a) in g.texts.iter().enumerate() {
            for b in &g.texts[i + 1..] {
                let ox = a.2.min(b.2) - a.0.max(b.0);
                let oy = a.3.min(b.3) - a.1.max(b.1);
                if ox > 0.5 && oy > 0.5 {
                    bad.push(format!("{name}: text {:?} overlaps {:?}", a.4, b.4));
                }
            }
        }
    }
    report(&bad);
}

#[test]
fn wires_start_and_end_on_a_box_or_the_edge() {
    let mut bad = Vec::new();
    for (name, svg) in all_svgs() {
        let g = geo(&svg);
        let anchored = |(x, y): (f64, f64)| {
            x <= 10.5
                || x >= g.width - 10.5
                || g.rects.iter().any(|r| {
                    is_op_box(&r.4)
                        && x >= r.0 - 1.0
                        && x <= r.0 + r.2 + 1.0
                        && y >= r.1 - 1.0
                        && y <= r.1 + r.3 + 1.0
                })
                || g.dots.iter().any(|d| (d.0 - x).hypot(d.1 - y) <= d.2 + 1.0)
        };
        for w in &g.wires {
            let (a, b) = endpoints(w);
            if !anchored(a) {
                bad.push(format!("{name}: wire starts loose at {a:?}"));
            }
            if !anchored(b) {
                bad.push(format!("{name}: wire ends loose at {b:?}"));
            }
        }
    }
    report(&bad);
}

#[test]
fn no_wire_runs_through_a_box() {
    let mut bad = Vec::new();
    for (name, svg) in all_svgs() {
        let g = geo(&svg);
        for w in &g.wires {
            let mut at: (f64, f64) = (0.0, 0.0);
            for (c, v) in w {
                let next = (v[v.len() - 2], v[v.len() - 1]);
                if *c == 'L' && (next.1 - at.1).abs() < 0.05 {
                    let (x0, x1) = (at.0.min(next.0), at.0.max(next.0));
                    for r in g.rects.iter().filter(|r| is_op_box(&r.4)) {
                        let inside_y = at.1 > r.1 + 1.0 && at.1 < r.1 + r.3 - 1.0;
                        let inside_x = x0 < r.0 + r.2 - 1.0 && x1 > r.0 + 1.0;
                        if inside_y && inside_x {
                            bad.push(format!(
                                "{name}: wire at y={} crosses box at x={}",
                                at.1, r.0
                            ));
                        }
                    }
                }
                at = next;
            }
        }
    }
    report(&bad);
}

#[test]
fn everything_lies_within_the_canvas() {
    let mut bad = Vec::new();
    for (name, svg) in all_svgs() {
        let g = geo(&svg);
        for r in &g.rects {
            if !(r.0 >= 0.0 && r.1 >= 0.0 && r.0 + r.2 <= g.width && r.1 + r.3 <= g.height) {
                bad.push(format!("{name}: box {r:?} outside"));
            }
        }
        for t in &g.texts {
            if !(t.0 >= 0.0 && t.1 >= 0.0 && t.2 <= g.width && t.3 <= g.height) {
                bad.push(format!("{name}: text {:?} outside", t.4));
            }
        }
        if svg.len() >= 40_000 {
            bad.push(format!("{name}: {} bytes", svg.len()));
        }
    }
    report(&bad);
}

#[test]
fn output_is_deterministic() {
    let a = all_svgs();
    let b = all_svgs();
    assert_eq!(a, b);
}

/// Pins every SVG byte for byte; `UPDATE_SNAPSHOTS=1` rewrites them.
#[test]
fn snapshots() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut missing = Vec::new();
    for (name, svg) in all_svgs() {
        let p = dir.join(format!("{name}.svg"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&p, &svg).unwrap();
            continue;
        }
        match std::fs::read_to_string(&p) {
            Ok(old) => assert!(
                old == svg,
                "{name}: drawing changed; rerun with UPDATE_SNAPSHOTS=1 if intended"
            ),
            Err(_) => missing.push(name),
        }
    }
    assert!(
        missing.is_empty(),
        "no snapshot for {missing:?}; run with UPDATE_SNAPSHOTS=1"
    );
}

#[test]
fn tikz_has_every_primitive() {
    for (_, d) in nc_diagram_draw::examples::all() {
        let t = nc_diagram_draw::render_tikz(&d, &LayoutOptions::default());
        assert!(t.starts_with("\\begin{tikzpicture}") && t.ends_with("\\end{tikzpicture}\n"));
    }
}

fn op_boxes(g: &Geo) -> Vec<&(f64, f64, f64, f64, String)> {
    g.rects.iter().filter(|r| is_op_box(&r.4)).collect()
}

#[test]
fn no_two_boxes_overlap() {
    let mut bad = Vec::new();
    for (name, svg) in all_svgs() {
        let g = geo(&svg);
        let boxes = op_boxes(&g);
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                let ox = (a.0 + a.2).min(b.0 + b.2) - a.0.max(b.0);
                let oy = (a.1 + a.3).min(b.1 + b.3) - a.1.max(b.1);
                if ox > 0.5 && oy > 0.5 {
                    bad.push(format!("{name}: box {a:?} overlaps {b:?}"));
                }
            }
        }
    }
    report(&bad);
}

/// The three linear maps of multi-head attention (for Q, K and V) are stacked in one column,
/// as the paper draws them, and the output map follows on its own.
#[test]
fn mha_parallel_maps_share_a_column() {
    let svg = zoo_svg("zoo_mha");
    let g = geo(&svg);
    let maps: Vec<_> = g.rects.iter().filter(|r| r.4 == "op lrn").collect();
    assert_eq!(maps.len(), 4, "{maps:?}");
    let mut xs: Vec<(f64, f64)> = maps.iter().map(|r| (r.0, r.0 + r.2)).collect();
    xs.sort_by(|a, b| a.0.total_cmp(&b.0));
    for m in &xs[1..3] {
        assert!((m.0 - xs[0].0).abs() < 0.05 && (m.1 - xs[0].1).abs() < 0.05);
    }
    assert!(
        xs[3].0 > xs[0].1 + 100.0,
        "the output map stands apart: {xs:?}"
    );
}

/// Visual attention's three maps (Q, K, V, after one window and a copy) share one column too,
/// though each needs its inputs regrouped first.
#[test]
fn visual_attention_parallel_maps_share_a_column() {
    let svg = zoo_svg("zoo_visual_attention");
    let g = geo(&svg);
    let maps: Vec<_> = g.rects.iter().filter(|r| r.4 == "op lrn").collect();
    // the most maps sharing one column (the output map, a source, may start further left)
    let column = maps
        .iter()
        .map(|a| maps.iter().filter(|r| (r.0 - a.0).abs() < 0.05).count())
        .max()
        .unwrap_or(0);
    assert_eq!(column, 3, "{maps:?}");
}

/// The transformer block's Q, K and V maps share one column: the keys' renamed copy of the
/// normalised input (`t` renamed `s`) is copied again for K and V, and the two copies are
/// drawn as one fork of three (before, the maps stood in a staircase of two columns).
#[test]
fn transformer_qkv_maps_share_a_column() {
    let svg = nc_diagram_draw::zoo_svgs(&nc_diagram_draw::DrawOptions::default())
        .into_iter()
        .find(|(n, _)| n == "transformer_block")
        .expect("zoo transformer_block")
        .1;
    let g = geo(&svg);
    let maps: Vec<_> = g.rects.iter().filter(|r| r.4 == "op lrn").collect();
    let qkv = maps
        .iter()
        .find(|a| maps.iter().filter(|r| (r.0 - a.0).abs() < 0.05).count() == 3)
        .unwrap_or_else(|| panic!("no three maps in one column: {maps:?}"));
    // one fork feeds them: the dots between the residual's copy and the maps stand in one
    // column
    let fork: Vec<_> = (g.dots.iter())
        .filter(|d| d.0 > 100.0 && d.0 < qkv.0 && d.1 < 350.0)
        .collect();
    let xs: std::collections::BTreeSet<i64> =
        fork.iter().map(|d| (d.0 * 10.0).round() as i64).collect();
    assert_eq!(xs.len(), 1, "{fork:?}");
}

/// Independent maps on separate tuple members share a column; a map that reads another's
/// output never does.
#[test]
fn only_independent_operations_share_a_column() {
    use nc_diagram_draw::model::{Builder, OpKind};
    let lin = || OpKind::Linear {
        bias: false,
        name: String::new(),
    };
    let mut b = Builder::new("parallel");
    let x = b.input(&["m"]);
    let y = b.input(&["n"]);
    b.op(lin(), true, &x, &["k", "h"]);
    let z = b.op(lin(), true, &y, &["k"]);
    b.op(OpKind::Elementwise("R".into()), false, &z, &["k"]);
    let g = geo(&nc_diagram_draw::render_svg(
        &b.finish(),
        &LayoutOptions::default(),
    ));
    let boxes = op_boxes(&g);
    assert_eq!(boxes.len(), 3, "{boxes:?}");
    let lrn: Vec<_> = boxes.iter().filter(|r| r.4 == "op lrn").collect();
    let relu = boxes.iter().find(|r| r.4 == "op").expect("relu box");
    let centre = |r: &(f64, f64, f64, f64, String)| r.0 + r.2 / 2.0;
    assert!((centre(lrn[0]) - centre(lrn[1])).abs() < 0.05, "{lrn:?}");
    assert!(relu.0 > lrn[1].0 + lrn[1].2, "R follows the map it reads");
}

/// Gallery drawings stay within a width budget: every one at most 1400 px wide (the page
/// width, issue 14: no exceptions; the NCAP B-neuron block, 1549 px in one row, and
/// `llama_block`, 1386, now wrap onto rows), and the ones that used to be the widest well
/// under their old widths (conv 2255, transformer_block 1754, the Ronneberger U-Net's up
/// block 2801, visual attention 1791, multi-head attention 750).
#[test]
fn gallery_drawings_stay_narrow() {
    let limits = [
        ("conv", 900.0),
        ("transformer_block", 1300.0),
        ("unet_ronneberger", 700.0),
        ("unet_ronneberger.down", 1050.0),
        ("visual_attention", 1000.0),
        ("mha", 520.0),
    ];
    let mut bad = Vec::new();
    for (name, svg) in nc_diagram_draw::zoo_svgs(&nc_diagram_draw::DrawOptions::default()) {
        let w = geo(&svg).width;
        let limit = limits
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(nc_diagram_draw::fit::MAX_WIDTH, |(_, l)| *l);
        if w > limit.min(nc_diagram_draw::fit::MAX_WIDTH) {
            bad.push(format!("{name}: {w} px wide, over {limit}"));
        }
    }
    report(&bad);
}

/// A side branch written after the main branch (a residual shortcut) moves left to run beside
/// the main branch's first operation.
#[test]
fn side_branch_runs_beside_the_main_branch() {
    use nc_diagram_draw::model::{Builder, OpKind};
    let mut b = Builder::new("shortcut");
    let x = b.input(&["m"]);
    let (main, side) = b.copy(&x);
    let h = b.op(OpKind::Elementwise("R".into()), false, &main, &["m"]);
    let h = b.op(OpKind::Norm, false, &h, &["m"]);
    b.op(OpKind::Elementwise("tanh".into()), false, &side, &["m"]);
    b.op(OpKind::Softmax, false, &h, &["m"]);
    let g = geo(&nc_diagram_draw::render_svg(
        &b.finish(),
        &LayoutOptions::default(),
    ));
    let boxes = op_boxes(&g);
    assert_eq!(boxes.len(), 4, "{boxes:?}");
    let mut xs: Vec<f64> = boxes.iter().map(|r| r.0 + r.2 / 2.0).collect();
    xs.sort_by(f64::total_cmp);
    assert!(
        (xs[0] - xs[1]).abs() < 0.5,
        "R and tanh share a column: {xs:?}"
    );
}

/// Contractions are drawn as wiring in a light unshaded frame (class `ctr`), the paper's cups
/// and dots, and an index carried by a double wire stays double through the wiring.
#[test]
fn contractions_are_wiring_in_an_unshaded_frame() {
    let svg = zoo_svg("zoo_sdpa");
    let g = geo(&svg);
    let frames: Vec<_> = g.rects.iter().filter(|r| r.4 == "op ctr").collect();
    assert_eq!(frames.len(), 2, "{:?}", g.rects);
    for f in &frames {
        let inside = |(x, y): (f64, f64)| {
            x >= f.0 - 0.5 && x <= f.0 + f.2 + 0.5 && y >= f.1 && y <= f.1 + f.3
        };
        let doubles = g
            .wires
            .iter()
            .filter(|w| {
                let (a, b) = endpoints(w);
                inside(a) && inside(b)
            })
            .count();
        assert!(doubles > 0, "no wiring inside the frame at x={}", f.0);
    }
    assert!(svg.contains(".ctr{fill:none"));
}

/// Visual attention as Fig. 28 draws it: the scale an arrow `*k^-1/2` on a wire and the
/// softmax a ◁ on the wire into the second contraction (no box of their own), no bar where one
/// wire is only regrouped into another, and the output map carrying its bias (no `+`, no bias
/// box): the only unlearned box left is the window ★.
#[test]
fn visual_attention_draws_as_fig_28() {
    let svg = zoo_svg("zoo_visual_attention");
    let g = geo(&svg);
    let plain: Vec<_> = g.rects.iter().filter(|r| r.4 == "op").collect();
    assert_eq!(plain.len(), 1, "only the window: {plain:?}");
    let bars = g.rects.iter().filter(|r| r.4 == "pf").count();
    assert_eq!(bars, 0, "no regrouping bar");
    assert!(
        g.texts.iter().any(|t| t.4.starts_with("*k")),
        "scale on a wire"
    );
    assert!(
        !g.texts.iter().any(|t| t.4 == "+"),
        "bias inside the output map"
    );
    // the softmax ◁ is a filled path in a contraction frame
    assert!(svg.contains("<path class=\"op\""), "softmax on a wire");
}

/// With the cost overlay every zoo drawing stays within the page width too: a cost drawing
/// wraps onto rows as the plain one does, each cost line under its column in that column's
/// row (before, nothing wrapped with `--cost`, and cost drawings ran past 1400 px).
#[test]
fn cost_drawings_stay_within_the_page() {
    let opt = nc_diagram_draw::DrawOptions {
        cost: true,
        ..Default::default()
    };
    let mut bad = Vec::new();
    let mut wrapped = 0;
    for (name, svg) in nc_diagram_draw::zoo_svgs(&opt) {
        let g = geo(&svg);
        if g.width > nc_diagram_draw::fit::MAX_WIDTH {
            bad.push(format!("{name} --cost: {} px wide", g.width));
        }
        let flops: Vec<_> = g.texts.iter().filter(|t| t.4.ends_with("FLOP")).collect();
        // a wrapped drawing has cost lines at several heights, one band per row
        let mut ys: Vec<i64> = flops.iter().map(|t| t.1.round() as i64).collect();
        ys.sort_unstable();
        ys.dedup();
        wrapped += usize::from(ys.len() > 1);
    }
    report(&bad);
    assert!(wrapped > 0, "no cost drawing wrapped");
}

/// Issue 14's annotated regions: the IR names regions only by its blocks (no other node
/// groups), so a block drawn expanded is the captioned region, its name (with `×N` where it
/// repeats) over its frame in the SVG and in the TikZ alike.
#[test]
fn an_expanded_block_is_a_captioned_region_in_svg_and_tikz() {
    let c = nc_diagram::zoo::get("transformer").expect("zoo transformer");
    let opt = nc_diagram_draw::DrawOptions {
        expand: vec!["Block".into()],
        ..Default::default()
    };
    let scene = nc_diagram_draw::circuit_scene(&c, &opt);
    let svg = nc_diagram_draw::svg::write(&scene);
    let g = geo(&svg);
    let frames: Vec<_> = g.rects.iter().filter(|r| r.4 == "bg").collect();
    assert!(!frames.is_empty(), "no region");
    let caption = g
        .texts
        .iter()
        .find(|t| t.4 == "Block ×2")
        .expect("the region's caption");
    let f = frames[0];
    assert!(
        caption.0 >= f.0 && caption.2 <= f.0 + f.2 && caption.1 >= f.1 && caption.3 <= f.1 + 20.0,
        "caption {caption:?} heads its frame {f:?}"
    );
    let tikz = nc_diagram_draw::tikz::write(&scene);
    assert!(tikz.contains("{Block $\\times$2}"), "TikZ caption");
    assert!(tikz.contains("\\path[nc block background]"), "TikZ region");
}
