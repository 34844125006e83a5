//! Issue 11 §3: a drawing never states a wrong fact. For every zoo drawing (each model and the
//! detail drawing of each block), every label names one axis, every axis one label, and every
//! size the legend gives is the size the executor binds that axis to.

use std::collections::BTreeMap;

use nc_diagram_draw::stats::Stats;
use nc_diagram_draw::{DrawOptions, circuit_scenes};

fn zoo_stats(opt: &DrawOptions) -> Vec<(String, nc_diagram::ir::Circuit, Stats)> {
    let mut v = Vec::new();
    for name in nc_diagram::zoo::names() {
        let c = nc_diagram::zoo::get(name).expect("zoo model");
        for (block, scene) in circuit_scenes(&c, opt) {
            v.push((format!("{name} {block}"), c.clone(), Stats::of(&scene)));
        }
    }
    v
}

#[test]
fn no_label_names_two_axes_and_every_size_is_the_executors() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for opt in [
        DrawOptions::default(),
        DrawOptions {
            depth: Some(9),
            ..Default::default()
        },
    ] {
        for (name, c, st) in zoo_stats(&opt) {
            let sizes = nc_diagram::exec::resolve_sizes(&c, &c.default_bindings()).unwrap();
            let mut by_label: BTreeMap<&str, u32> = BTreeMap::new();
            let mut by_axis: BTreeMap<u32, &str> = BTreeMap::new();
            for e in &st.legend {
                if let Some(a) = by_label.insert(&e.label, e.axis)
                    && a != e.axis
                {
                    bad.push(format!(
                        "{name}: `{}` names axes {a} and {}",
                        e.label, e.axis
                    ));
                }
                if let Some(l) = by_axis.insert(e.axis, &e.label) {
                    bad.push(format!(
                        "{name}: axis {} listed as `{l}` and `{}`",
                        e.axis, e.label
                    ));
                }
                let want = i64::try_from(sizes[e.axis as usize]).unwrap();
                if e.size != Some(want) {
                    bad.push(format!(
                        "{name}: `{}` = {} = {:?} in the legend, the executor binds {want}",
                        e.label, e.formula, e.size
                    ));
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} legend entries");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The five wrong legends of the issue, each checked where it was seen.
#[test]
fn the_five_reported_cases_are_right() {
    let entry = |model: &str, block: &str, opt: &DrawOptions| {
        let c = nc_diagram::zoo::get(model).unwrap();
        let scenes = circuit_scenes(&c, opt);
        let (_, s) = scenes
            .into_iter()
            .find(|(b, _)| b == block)
            .unwrap_or_else(|| panic!("{model} has no drawing {block:?}"));
        Stats::of(&s).legend
    };
    let unbundled = DrawOptions {
        unbundled: true,
        ..Default::default()
    };
    // resnet: the 64-, 128- and 256-channel widths have their own labels
    let c = nc_diagram::zoo::resnet();
    let mut widths = BTreeMap::new();
    for (_, s) in circuit_scenes(&c, &unbundled) {
        for e in Stats::of(&s).legend {
            if e.label.starts_with("n_") && e.formula.ends_with("·n") {
                widths.insert(e.label.clone(), e.size);
            }
        }
    }
    let want: BTreeMap<String, Option<i64>> = [("n_1", 64), ("n_2", 128), ("n_3", 256)]
        .into_iter()
        .map(|(l, v)| (l.to_owned(), Some(v)))
        .collect();
    assert_eq!(widths, want);
    // resnet: the pooling kernel is 8, and says so
    let top = entry("resnet", "", &unbundled);
    let pool: Vec<_> = top
        .iter()
        .filter(|e| e.label.starts_with("k") && e.label.ends_with("_p"))
        .collect();
    assert_eq!(pool.len(), 2, "{top:?}");
    for e in pool {
        assert_eq!(e.size, Some(8), "{e:?}");
    }
    // resnet Block(2,N): a 1×1 kernel is never given as 3
    let c = nc_diagram::zoo::resnet();
    let sizes = nc_diagram::exec::resolve_sizes(&c, &c.default_bindings()).unwrap();
    for e in entry("resnet", "Block(2,N)", &unbundled) {
        assert_eq!(e.size, Some(sizes[e.axis as usize] as i64), "{e:?}");
    }
    // U-Net: the kernel axes of one drawing named alike carry distinct labels
    for (_, s) in circuit_scenes(&nc_diagram::zoo::unet_drawn(), &unbundled) {
        let l = Stats::of(&s).legend;
        let mut seen = std::collections::BTreeSet::new();
        for e in &l {
            assert!(seen.insert(e.label.clone()), "{} twice", e.label);
        }
    }
    // conv: the grouped (4) and depthwise (16) group axes differ
    let groups: Vec<_> = entry(
        "conv",
        "",
        &DrawOptions {
            depth: Some(9),
            unbundled: true,
            ..Default::default()
        },
    )
    .into_iter()
    .filter(|e| e.label.starts_with('g'))
    .map(|e| (e.label, e.size))
    .collect();
    assert_eq!(groups.len(), 2, "{groups:?}");
    assert_ne!(groups[0].0, groups[1].0);
    assert_eq!(
        groups.iter().map(|g| g.1.unwrap()).collect::<Vec<_>>(),
        [4, 16]
    );
}

/// Legend formulas are simplified: no run of constants such as `S - 2 - 2 - 2`.
#[test]
fn legend_formulas_are_simplified() {
    for (name, _, st) in zoo_stats(&DrawOptions::default()) {
        for e in &st.legend {
            assert!(
                !e.formula.contains("- 2 - 2") && !e.formula.contains("+ 1 - "),
                "{name}: {} = {}",
                e.label,
                e.formula
            );
            assert!(e.formula.len() < 40, "{name}: {} = {}", e.label, e.formula);
        }
    }
}
