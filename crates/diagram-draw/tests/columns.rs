//! A column never suggests that operations commute when they do not.

use nc_diagram::builder::{Builder, WindowSpec};
use nc_diagram::ir::{AxisKind, ReduceKind};

/// The ResNet head: an 8×8 max over the window's kernel axes, then a linear map over the
/// channels of the same value. The two do not commute (a max is not linear), so the linear map
/// must stay right of the max, though it reads none of the wires the max produces. It used to
/// hop left into the max's column.
#[test]
fn a_non_commuting_pair_never_shares_a_column() {
    let mut b = Builder::new("head");
    let n = b.axis("b", "2", AxisKind::Batch).unwrap();
    let c = b.axis("c", "4", AxisKind::Feature).unwrap();
    let h = b.axis("H", "8", AxisKind::Spatial).unwrap();
    let w = b.axis("W", "8", AxisKind::Spatial).unwrap();
    let x = b.input("x", &[n, c, h, w]);
    let pool = WindowSpec::new(8).stride(8);
    let (y, pp) = b.window("pool", x, &[(h, pool), (w, pool)]).unwrap();
    let y = b
        .reduce(
            "max",
            y,
            ReduceKind::Max,
            &[pp[0].0, pp[0].1, pp[1].0, pp[1].1],
        )
        .unwrap();
    let o = b.axis("o", "10", AxisKind::Feature).unwrap();
    let y = b.linear("head", y, &[c], &[o], true).unwrap();
    b.output(y);
    let circuit = b.finish().unwrap();
    let svg = nc_diagram_draw::draw_circuit(&circuit, &Default::default());
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let f = |n: &roxmltree::Node<'_, '_>, a: &str| -> f64 {
        n.attribute(a).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    };
    let boxes: Vec<(f64, f64, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect"))
        .filter_map(|n| {
            let class = n.attribute("class")?;
            class
                .starts_with("op")
                .then(|| (f(&n, "x"), f(&n, "x") + f(&n, "width"), class.to_owned()))
        })
        .collect();
    let max_x = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .find(|n| {
            n.descendants()
                .filter(roxmltree::Node::is_text)
                .filter_map(|d| d.text())
                .collect::<String>()
                == "Max"
        })
        .map(|n| f(&n, "x"))
        .expect("a Max box");
    let max = boxes
        .iter()
        .find(|b| b.0 <= max_x && max_x <= b.1)
        .expect("the box around Max");
    let linear = boxes.iter().find(|b| b.2 == "op lrn").expect("the L box");
    assert!(
        linear.0 >= max.1,
        "the map over c must follow the max: max {max:?}, L {linear:?}"
    );
}

/// Issue 17: `draw --cost` gave a collapsed block (the transformer's `Block ×2`) no cost.
/// Its box now carries the sum over everything it holds, both repetitions included.
#[test]
fn a_collapsed_block_carries_its_cost() {
    let c = nc_diagram::zoo::transformer();
    let opt = nc_diagram_draw::DrawOptions {
        cost: true,
        depth: Some(0),
        ..Default::default()
    };
    let svg = nc_diagram_draw::draw_circuit(&c, &opt);
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let f = |n: &roxmltree::Node<'_, '_>, a: &str| -> f64 {
        n.attribute(a).and_then(|v| v.parse().ok()).unwrap_or(0.0)
    };
    let blk = doc
        .descendants()
        .find(|n| n.has_tag_name("rect") && n.attribute("class") == Some("blk"))
        .expect("a collapsed block");
    let (x0, x1) = (f(&blk, "x"), f(&blk, "x") + f(&blk, "width"));
    let under: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| {
            let b: Vec<f64> = n
                .attribute("data-bbox")?
                .split(' ')
                .filter_map(|v| v.parse().ok())
                .collect();
            let t: String = n
                .descendants()
                .filter(roxmltree::Node::is_text)
                .filter_map(|d| d.text())
                .collect();
            let mid = (b[0] + b[2]) / 2.0;
            (t.contains("FLOP") && mid > x0 && mid < x1).then_some(t)
        })
        .collect();
    assert_eq!(under.len(), 1, "{under:?}");
    // the sum of the two repetitions: the cost model's total less embedding, final norm
    // and unembedding, so more than half the forward FLOPs
    let total = nc_diagram::cost::summarize(&c, &c.default_bindings(), 4)
        .unwrap()
        .flops_forward;
    let shown: f64 = under[0].split_whitespace().next().unwrap().parse().unwrap();
    let unit = match under[0].split_whitespace().nth(1).unwrap() {
        "kFLOP" => 1e3,
        "MFLOP" => 1e6,
        "GFLOP" => 1e9,
        u => panic!("unit {u}"),
    };
    #[allow(clippy::cast_precision_loss)]
    let total = total as f64;
    assert!(
        shown * unit > 0.5 * total && shown * unit <= total,
        "{} of {total}",
        under[0]
    );
}
