//! Our task generators against statistics of neurogym 0.0.2 itself.

use nc_richlazy::tasks::{NeurogymTask, STEPS, TaskKind};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("data/neurogym_stats.json")).unwrap()
}

fn arr2(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn cross(kind: TaskKind, x: impl Fn(usize, usize) -> f64) -> f64 {
    match kind {
        TaskKind::Dms => x(0, 1) * x(6, 1),
        TaskKind::Cxt => (x(0, 1) - x(0, 2)) * x(0, 5),
        TaskKind::TwoAf => x(0, 1) - x(0, 2),
    }
}

#[test]
fn generators_match_neurogym_statistics() {
    let r = reference();
    let trials = 12_800;
    for kind in TaskKind::ALL {
        let t = &r["tasks"][kind.to_string()];
        assert_eq!(t["n_in"].as_u64().unwrap() as usize, kind.n_in());
        assert_eq!(t["n_out"].as_u64().unwrap() as usize, kind.n_out());
        assert_eq!(t["steps"].as_u64().unwrap() as usize, STEPS);
        assert_eq!(t["labels_nonfinal"], serde_json::json!([0]));
        let mut rng = nc_core::rng::stream(11, "neurogym-golden", 0);
        let b = NeurogymTask::new(kind).sample(&mut rng, trials);
        let n_in = kind.n_in();
        for (lab, g) in t["by_label"].as_object().unwrap() {
            let lab: u32 = lab.parse().unwrap();
            let ref_count = g["count"].as_f64().unwrap();
            let sel: Vec<usize> = (0..trials)
                .filter(|&i| b.labels[(STEPS - 1) * trials + i] == lab)
                .collect();
            let n = sel.len() as f64;
            // label frequency: binomial, 5 standard errors
            let p_ref = ref_count / 12_800.0;
            assert!(
                (n / trials as f64 - p_ref).abs() < 5.0 * (0.25f64 / trials as f64).sqrt() * 2.0,
                "{kind} label {lab}"
            );
            let (mean, std) = (arr2(&g["mean"]), arr2(&g["std"]));
            for s in 0..STEPS {
                for c in 0..n_in {
                    let vals: Vec<f64> = sel.iter().map(|&i| b.input(s, i)[c]).collect();
                    let m = vals.iter().sum::<f64>() / n;
                    let sd = (vals.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
                    let (rm, rs) = (mean[s][c], std[s][c]);
                    if rs == 0.0 {
                        assert!(
                            sd < 1e-12 && (m - rm).abs() < 1e-6,
                            "{kind} label {lab} step {s} ch {c}: {m} vs {rm}"
                        );
                    } else {
                        let se = rs * (1.0 / n + 1.0 / ref_count).sqrt();
                        assert!(
                            (m - rm).abs() < 5.0 * se,
                            "{kind} label {lab} step {s} ch {c}: mean {m} vs {rm}"
                        );
                        assert!(
                            (sd - rs).abs() < 0.05 * rs + 0.003,
                            "{kind} label {lab} step {s} ch {c}: sd {sd} vs {rs}"
                        );
                    }
                }
            }
            let cr: f64 = sel
                .iter()
                .map(|&i| cross(kind, |s, c| b.input(s, i)[c]))
                .sum::<f64>()
                / n;
            let rc = t["cross_by_label"][lab.to_string()].as_f64().unwrap();
            assert!(
                (cr - rc).abs() < 0.02,
                "{kind} label {lab}: cross moment {cr} vs {rc}"
            );
        }
    }
}
