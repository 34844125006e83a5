//! Shared helpers: central finite differences against the derived backward pass.

use nc_diagram::backprop::backward;
use nc_diagram::exec::{Bound, forward, init_params, random_inputs};
use nc_diagram::ir::{Circuit, DType};
use nc_diagram::size::Bindings;
use nc_diagram::tensor::Tensor;

pub fn bind(pairs: &[(&str, i64)]) -> Bindings {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn loss(
    c: &Circuit,
    bound: &Bound,
    params: &[Tensor<f64>],
    inputs: &[Tensor<f64>],
    ws: &[Tensor<f64>],
) -> f64 {
    let tape = forward(c, bound, &params.to_vec(), inputs).expect("forward");
    (0..c.outputs.len())
        .map(|i| {
            let y = tape.output(c, i).unwrap();
            y.data
                .iter()
                .zip(&ws[i].data)
                .map(|(a, b)| a * b)
                .sum::<f64>()
        })
        .sum()
}

/// Checks every input and parameter gradient (up to `max_per` sampled elements each) of the
/// loss Σ w·y against central differences. Returns the worst relative error.
pub fn fd_check(c: &Circuit, b: &Bindings, seed: u64, max_per: usize) -> f64 {
    let bound = Bound::new(c, b).expect("sizes");
    let params = init_params::<f64>(c, &bound, seed);
    let inputs = random_inputs::<f64>(c, &bound, seed + 1);
    let tape = forward(c, &bound, &params, &inputs).expect("forward");
    let ws: Vec<Tensor<f64>> = (0..c.outputs.len())
        .map(|i| {
            let y = tape.output(c, i).unwrap();
            let data = (0..y.len())
                .map(|j| ((j as f64 + 1.3) * 0.7 + seed as f64).sin())
                .collect();
            Tensor::from_vec(y.axes.clone(), y.dims.clone(), data)
        })
        .collect();
    let g = backward(c, &bound, &params, &tape, &ws).expect("backward");
    let h = 1e-6;
    let mut worst: f64 = 0.0;
    let mut cmp = |analytic: f64, numeric: f64| {
        let err = (analytic - numeric).abs() / (1e-6 + analytic.abs().max(numeric.abs()));
        if (analytic - numeric).abs() > 1e-7 {
            worst = worst.max(err);
        }
    };
    for (i, v) in c.inputs.iter().enumerate() {
        if c.value(*v).ty.dtype != DType::Real {
            continue;
        }
        let n = inputs[i].len();
        for j in (0..n).step_by((n / max_per).max(1)) {
            let mut xp = inputs.to_vec();
            xp[i].data[j] += h;
            let mut xm = inputs.to_vec();
            xm[i].data[j] -= h;
            let num = (loss(c, &bound, &params, &xp, &ws) - loss(c, &bound, &params, &xm, &ws))
                / (2.0 * h);
            let an = g.inputs[i].as_ref().map_or(0.0, |t| t.data[j]);
            cmp(an, num);
        }
    }
    for (p, t) in params.iter().enumerate() {
        let n = t.len();
        for j in (0..n).step_by((n / max_per).max(1)) {
            let mut pp = params.clone();
            pp[p].data[j] += h;
            let mut pm = params.clone();
            pm[p].data[j] -= h;
            let num = (loss(c, &bound, &pp, &inputs, &ws) - loss(c, &bound, &pm, &inputs, &ws))
                / (2.0 * h);
            cmp(g.params[p].data[j], num);
        }
    }
    worst
}
