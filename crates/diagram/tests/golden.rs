//! Zoo models against PyTorch autograd and FlopCounterMode (tests/data/golden.json, made by
//! tools/reference/diagram/make_golden.py from torch.nn modules built independently).

use nc_diagram::backprop::backward;
use nc_diagram::cost::summarize;
use nc_diagram::exec::{Bound, forward};
use nc_diagram::size::Bindings;
use nc_diagram::tensor::Tensor;
use nc_diagram::zoo;
use serde_json::Value;

fn phase(name: &str) -> f64 {
    name.len() as f64 * 0.91 + name.chars().map(|c| c as u32 as f64).sum::<f64>() * 0.013
}

fn compare(what: &str, got: &[f64], want: &Value) {
    let n = want["n"].as_u64().unwrap() as usize;
    assert_eq!(got.len(), n, "{what}: element count");
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-5 * a.abs().max(b.abs()) + 1e-10;
    let sum: f64 = got.iter().sum();
    let sumsq: f64 = got.iter().map(|v| v * v).sum();
    assert!(
        close(sum, want["sum"].as_f64().unwrap())
            || (sum - want["sum"].as_f64().unwrap()).abs() < 1e-8,
        "{what}: sum {sum} vs {}",
        want["sum"]
    );
    assert!(
        close(sumsq, want["sumsq"].as_f64().unwrap()),
        "{what}: sum of squares {sumsq} vs {}",
        want["sumsq"]
    );
    for (i, v) in want["idx"]
        .as_array()
        .unwrap()
        .iter()
        .zip(want["val"].as_array().unwrap())
    {
        let (i, v) = (i.as_u64().unwrap() as usize, v.as_f64().unwrap());
        assert!(close(got[i], v), "{what}[{i}]: {} vs {v}", got[i]);
    }
}

fn check_model(name: &str, g: &Value) {
    let c = zoo::get(name).unwrap();
    let mut b: Bindings = c.default_bindings();
    for (k, v) in g["bind"].as_object().unwrap() {
        b.insert(k.clone(), v.as_i64().unwrap());
    }
    let bound = Bound::new(&c, &b).unwrap();
    let params: Vec<Tensor<f64>> = c
        .params
        .iter()
        .map(|p| {
            let dims = bound.dims(&p.axes);
            let n: usize = dims.iter().product();
            let scale = 1.0 / ((n / dims.last().copied().unwrap_or(1)).max(1) as f64).sqrt();
            let data = (0..n)
                .map(|j| (0.37 * j as f64 + phase(&p.name)).sin() * scale)
                .collect();
            Tensor::from_vec(p.axes.clone(), dims, data)
        })
        .collect();
    let inputs: Vec<Tensor<f64>> = c
        .inputs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let axes = c.value(*v).ty.axes.clone();
            let dims = bound.dims(&axes);
            let n: usize = dims.iter().product();
            Tensor::from_vec(
                axes,
                dims,
                (0..n)
                    .map(|j| (0.23 * j as f64 + 0.5 * i as f64).cos())
                    .collect(),
            )
        })
        .collect();
    let tape = forward(&c, &bound, &params, &inputs).unwrap();
    let y = tape.output(&c, 0).unwrap();
    compare(&format!("{name} output"), &y.data, &g["output"]);
    let w = Tensor::from_vec(
        y.axes.clone(),
        y.dims.clone(),
        (0..y.len())
            .map(|j| (0.11 * j as f64 + 0.3).sin())
            .collect(),
    );
    let grads = backward(&c, &bound, &params, &tape, &[w]).unwrap();
    for (i, want) in g["input_grads"].as_array().unwrap().iter().enumerate() {
        compare(
            &format!("{name} d input {i}"),
            &grads.inputs[i].as_ref().unwrap().data,
            want,
        );
    }
    for (pname, want) in g["param_grads"].as_object().unwrap() {
        let p = c
            .params
            .iter()
            .position(|p| &p.name == pname)
            .unwrap_or_else(|| panic!("{name}: no parameter {pname}"));
        compare(&format!("{name} d {pname}"), &grads.params[p].data, want);
    }
    assert_eq!(
        c.params.len(),
        g["param_grads"].as_object().unwrap().len(),
        "{name}: every parameter is compared"
    );
    // FlopCounterMode: matmuls and convolutions, 2 per multiply-add, input gradients included
    let s = summarize(&c, &b, 8).unwrap();
    assert_eq!(
        s.flops_forward,
        g["flops_forward"].as_u64().unwrap() as u128,
        "{name}: forward FLOPs"
    );
    // FlopCounterMode charges a grouped convolution's weight gradient as if it were ungrouped
    // (g times the forward count); we count it once. Add that difference back to compare.
    let mut torch_extra = 0u128;
    for ((id, k), node) in nc_diagram::cost::cost(&c).nodes.iter().zip(&c.nodes) {
        debug_assert_eq!(*id, node.id);
        if let nc_diagram::ir::Op::Linear { groups, .. } = &node.op
            && !groups.is_empty()
        {
            let gsz: u128 = groups.iter().map(|a| bound.sizes[a.ix()] as u128).product();
            torch_extra += (gsz - 1) * k.bind(&b, 8).unwrap().flops_forward;
        }
    }
    assert_eq!(
        s.flops_backward + torch_extra,
        g["flops_backward"].as_u64().unwrap() as u128,
        "{name}: backward FLOPs"
    );
}

fn golden() -> Value {
    serde_json::from_str(include_str!("data/golden.json")).unwrap()
}

#[test]
fn mlp_matches_pytorch() {
    check_model("mlp", &golden()["models"]["mlp"]);
}

#[test]
fn mha_matches_pytorch() {
    check_model("mha", &golden()["models"]["mha"]);
}

#[test]
fn conv_family_matches_pytorch() {
    check_model("conv", &golden()["models"]["conv"]);
}

#[test]
fn transformer_block_matches_pytorch() {
    check_model(
        "transformer_block",
        &golden()["models"]["transformer_block"],
    );
}
