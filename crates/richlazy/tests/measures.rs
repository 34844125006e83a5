//! The measures beyond the paper against independent references: numpy's HSIC form of CKA,
//! numpy's SVD for the effective ranks, scipy's HiGHS linear program for separability, a
//! numpy simulation of manifold capacity (tools/reference/richlazy/measures_reference.py),
//! and Cover's function-counting theorem in closed form.

use nc_richlazy::capacity::{CapacityConfig, Manifolds, separable};
use nc_richlazy::measures::{centred_kernel_alignment, effective_ranks, representation_alignment};
use rand::{Rng, RngExt};
use serde_json::Value;

fn reference() -> Value {
    serde_json::from_str(include_str!("data/measures_reference.json")).unwrap()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn usize_of(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

#[test]
fn cka_and_ra_match_numpys_hsic_forms() {
    for c in reference()["cka"].as_array().unwrap() {
        let (p, n) = (usize_of(&c["p"]), usize_of(&c["n"]));
        let (x, y) = (floats(&c["x"]), floats(&c["y"]));
        let cka = centred_kernel_alignment(&x, &y, p, n);
        let ra = representation_alignment(&x, &y, p, n);
        eprintln!(
            "p {p} n {n}: CKA {cka} (numpy {}), RA {ra} (numpy {})",
            c["cka"], c["ra"]
        );
        assert!((cka - c["cka"].as_f64().unwrap()).abs() < 1e-12);
        assert!((ra - c["ra"].as_f64().unwrap()).abs() < 1e-12);
    }
}

#[test]
fn effective_ranks_match_numpys_svd() {
    for c in reference()["ranks"].as_array().unwrap() {
        let (r, k) = (usize_of(&c["rows"]), usize_of(&c["cols"]));
        let e = effective_ranks(&floats(&c["w"]), r, k).unwrap();
        for (got, key) in [
            (e.nuclear, "nuclear"),
            (e.entropy, "entropy"),
            (e.participation, "participation"),
            (e.stable, "stable"),
        ] {
            let want = c[key].as_f64().unwrap();
            assert!((got - want).abs() < 1e-10, "{key}: {got} vs numpy {want}");
        }
    }
}

#[test]
fn separability_agrees_with_scipys_linear_program() {
    let cases = reference()["separable"].as_array().unwrap().clone();
    let mut both = [0usize; 2];
    for c in &cases {
        let (m, d) = (usize_of(&c["m"]), usize_of(&c["d"]));
        let got = separable(&floats(&c["x"]), m, d, &floats(&c["y"])).unwrap();
        let want = c["separable"].as_bool().unwrap();
        assert_eq!(got, want, "{m} points in {d} dimensions");
        both[usize::from(want)] += 1;
    }
    // the reference holds both outcomes, so the test could fail either way
    assert!(both[0] > 0 && both[1] > 0, "{both:?}");
}

// C(n, k)
fn binom(n: u64, k: u64) -> f64 {
    (0..k).fold(1.0, |a, i| a * (n - i) as f64 / (i + 1) as f64)
}

#[test]
fn separable_fraction_of_points_follows_covers_theorem() {
    // P points in general position in n dimensions, labels uniform: a hyperplane with a bias
    // separates a fraction 2^(1−P) Σ_{k≤n} C(P−1, k) of the dichotomies (Cover 1965)
    let (big_p, big_n, reps) = (12usize, 30usize, 400usize);
    let mut rng = nc_core::rng::stream(7, "cover", 0);
    let points: Vec<Vec<f64>> = (0..big_p)
        .map(|_| {
            (0..big_n)
                .map(|_| rng.sample::<f64, _>(rand_distr::StandardNormal))
                .collect()
        })
        .collect();
    let m = Manifolds { dim: big_n, points };
    let mut uniform = |r: &mut dyn Rng, p: usize| -> Vec<f64> {
        (0..p)
            .map(|_| if r.random::<bool>() { 1.0 } else { -1.0 })
            .collect()
    };
    for n in [3usize, 5, 7] {
        let want = 2.0
            * (0..=n as u64)
                .map(|k| binom(big_p as u64 - 1, k))
                .sum::<f64>()
            / 2f64.powi(big_p as i32);
        let got = m
            .separable_fraction(n, reps, &mut rng, &mut uniform)
            .unwrap();
        let se = (want * (1.0 - want) / reps as f64).sqrt();
        eprintln!("n {n}: separable fraction {got}, Cover {want:.4} (sd {se:.4})");
        assert!((got - want).abs() < 4.0 * se, "n {n}: {got} vs {want}");
    }
}

#[test]
fn capacity_matches_the_numpy_simulation_within_sampling_error() {
    for c in reference()["capacity"].as_array().unwrap() {
        let big_n = usize_of(&c["n"]);
        let points: Vec<Vec<f64>> = c["points"].as_array().unwrap().iter().map(floats).collect();
        let m = Manifolds { dim: big_n, points };
        let cfg = CapacityConfig {
            reps: usize_of(&c["reps"]),
            per_class: usize::MAX,
        };
        let got = m
            .capacity(cfg, 1)
            .unwrap()
            .expect("separable in the full space");
        let want = c["capacity"].as_f64().unwrap();
        eprintln!(
            "P {} M {} N {big_n}: capacity {:.4} (n_c {:.2}), numpy {want:.4} (n_c {})",
            c["p"], c["m"], got.alpha, got.n_c, c["n_c"]
        );
        assert!(
            (got.alpha / want - 1.0).abs() < 0.1,
            "{} vs {want}",
            got.alpha
        );
        // the bisection ends on neighbouring dimensions on either side of ½
        let below = got
            .curve
            .iter()
            .filter(|c| c.1 < 0.5)
            .map(|c| c.0)
            .max()
            .unwrap();
        let above = got
            .curve
            .iter()
            .filter(|c| c.1 >= 0.5)
            .map(|c| c.0)
            .min()
            .unwrap();
        assert_eq!(above, below + 1);
        assert!(below as f64 <= got.n_c && got.n_c <= above as f64);
    }
}
