//! The NCAP swimmer circuit: at its constant initialisation (+1, +1, +1, −1) its torques have
//! the closed form `a_0 = ±1` (the oscillator drives the first joint with a square wave) and
//! `a_i = q̂_{i−1}` (each later joint follows the previous joint's proprioceptive angle),
//! and `w_contra` has no effect while only one side is driven.

use crate::common::bind;
use nc_diagram::check::check;
use nc_diagram::cost::summarize;
use nc_diagram::exec::{Bound, forward, init_params};
use nc_diagram::tensor::Tensor;
use nc_diagram::zoo;

/// Inputs for a batch of `nb` steps: the oscillator alternates dorsal/ventral, `q̂` sweeps
/// [−1, 1] deterministically (never exactly 0).
fn inputs(c: &nc_diagram::ir::Circuit, bound: &Bound, nb: usize, n: usize) -> Vec<Tensor<f64>> {
    let (osc, q) = (c.value(c.inputs[0]), c.value(c.inputs[1]));
    let mut o = Vec::new();
    for k in 0..nb {
        let d = if k % 2 == 0 { 1.0 } else { 0.0 };
        o.extend([d, 1.0 - d]);
    }
    let qs: Vec<f64> = (0..nb * n)
        .map(|i| ((i as f64 * 0.731 + 0.1).sin() * 1.3).clamp(-1.0, 1.0))
        .collect();
    vec![
        Tensor::from_vec(osc.ty.axes.clone(), bound.dims(&osc.ty.axes), o),
        Tensor::from_vec(q.ty.axes.clone(), bound.dims(&q.ty.axes), qs),
    ]
}

fn torques(w_contra: f64) -> (Vec<f64>, Vec<f64>) {
    let c = zoo::ncap_swimmer();
    let (nb, n) = (4, 7);
    let b = bind(&[("b", nb as i64), ("n", n as i64)]);
    let report = check(&c, &b);
    assert!(report.errors().next().is_none(), "{}", report.render());
    let bound = Bound::new(&c, &b).unwrap();
    let mut p = init_params::<f64>(&c, &bound, 1);
    let contra = c.params.iter().position(|q| q.name.contains("w_contra"));
    p[contra.unwrap()].data[0] = w_contra;
    let x = inputs(&c, &bound, nb, n);
    let a = forward(&c, &bound, &p, &x).unwrap().output(&c, 0).unwrap();
    (a.data, x[1].data.clone())
}

#[test]
fn closed_form_at_default_weights() {
    let c = zoo::ncap_swimmer();
    let s = summarize(&c, &c.default_bindings(), 8).unwrap();
    assert_eq!(s.params, 4, "4 shared weights");
    let init: Vec<f64> = init_params::<f64>(&c, &Bound::new(&c, &c.default_bindings()).unwrap(), 0)
        .iter()
        .map(|t| t.data[0])
        .collect();
    assert_eq!(init, vec![1.0, 1.0, 1.0, -1.0]);

    let (nb, n) = (4, 7);
    let (a, q) = torques(-1.0);
    assert_eq!(a.len(), nb * n);
    for k in 0..nb {
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        assert_eq!(a[k * n], sign, "head joint, step {k}");
        for i in 1..n {
            let want = q[k * n + i - 1];
            assert!((a[k * n + i] - want).abs() < 1e-12, "joint {i}, step {k}");
        }
    }
    // only one side is ever driven, so the inhibitory weight changes nothing
    assert_eq!(torques(-0.3).0, a);
    assert_eq!(torques(0.5).0, a, "a positive w_contra is clamped to 0");
}
