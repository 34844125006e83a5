//! The zoo: each model builds, checks, runs forward and backward on small sizes, and has the
//! parameter count of its PyTorch counterpart (closed forms: m·o + o per linear layer with
//! bias, k²·(c_in/g)·c_out + c_out per convolution, 2·c per affine normalisation).

use crate::common::{bind, fd_check};
use nc_diagram::check::check;
use nc_diagram::cost::summarize;
use nc_diagram::exec::{Bound, forward, init_params, random_inputs};
use nc_diagram::size::Bindings;
use nc_diagram::zoo;

fn params(name: &str) -> u128 {
    let c = zoo::get(name).unwrap();
    summarize(&c, &c.default_bindings(), 4).unwrap().params
}

#[test]
fn parameter_counts_match_pytorch() {
    assert_eq!(params("mlp"), 669_706);
    assert_eq!(params("mha"), 32_768);
    assert_eq!(params("resnet"), 314_698);
    assert_eq!(params("unet_ronneberger"), 31_030_658);
    assert_eq!(params("unet"), 123_664_898);
    // RMSNorm gain m, router m·e, and per expert three m·f maps: 32 + 128 + 3·4·32·64
    assert_eq!(params("moe_block"), 24_736);
}

/// Small sizes at which every model runs quickly.
fn small(name: &str) -> Bindings {
    match name {
        "mlp" => bind(&[("b", 2)]),
        "sdpa" => bind(&[("y", 3), ("x", 4), ("k", 5)]),
        "mha" => bind(&[("m", 8), ("k", 3), ("h", 2), ("y", 3), ("x", 4)]),
        "transformer_block" => bind(&[("b", 2), ("t", 3), ("m", 8), ("h", 2)]),
        "gpt2_block" => bind(&[("b", 2), ("t", 4), ("m", 8), ("h", 2)]),
        "llama_block" => bind(&[("b", 2), ("t", 4), ("m", 16), ("h", 4), ("g", 2), ("f", 12)]),
        "moe_block" => bind(&[("t", 6), ("m", 8), ("e", 4), ("f", 6)]),
        "transformer" => bind(&[("b", 2), ("t", 3), ("m", 8), ("h", 2), ("v", 7)]),
        "conv" => bind(&[("b", 1), ("c", 8), ("H", 8)]),
        "resnet" => bind(&[("b", 1), ("H", 32), ("n", 4)]),
        "unet" => bind(&[("b", 1), ("X", 32), ("c", 1)]),
        "unet_ronneberger" => bind(&[("b", 1), ("S", 188), ("c", 1)]),
        "vit" => bind(&[("b", 1), ("c", 2), ("H", 16), ("m", 8), ("h", 2), ("o", 3)]),
        "visual_attention" => bind(&[("b", 1), ("c", 3), ("k", 2), ("h", 2), ("H", 16)]),
        "rnn_cell" => bind(&[("b", 2), ("i", 3), ("n", 4)]),
        "ncap_swimmer" => bind(&[("b", 2), ("n", 5)]),
        other => panic!("no small sizes for {other}"),
    }
}

#[test]
fn every_model_checks_and_runs() {
    for name in zoo::names() {
        let c = zoo::get(name).unwrap();
        let b = small(name);
        let report = check(&c, &b);
        assert!(
            report.errors().next().is_none(),
            "{name}: {}",
            report.render()
        );
        let bound = Bound::new(&c, &b).unwrap();
        let p = init_params::<f32>(&c, &bound, 1);
        let x = random_inputs::<f32>(&c, &bound, 2);
        let tape = forward(&c, &bound, &p, &x).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(tape.output(&c, 0).is_some(), "{name}");
    }
}

#[test]
fn expected_warnings() {
    let codes = |name: &str| {
        let c = zoo::get(name).unwrap();
        check(&c, &c.default_bindings()).codes()
    };
    assert_eq!(codes("unet"), vec!["W002"], "C1 saved, never loaded");
    assert_eq!(codes("visual_attention"), vec!["W001"]);
    for clean in [
        "mlp",
        "mha",
        "resnet",
        "unet_ronneberger",
        "transformer",
        "vit",
        "conv",
        "ncap_swimmer",
        "moe_block",
    ] {
        assert!(codes(clean).is_empty(), "{clean}: {:?}", codes(clean));
    }
}

#[test]
fn visual_attention_gives_15_of_16() {
    let c = zoo::visual_attention();
    let b = c.default_bindings();
    let bound = Bound::new(&c, &b).unwrap();
    let out = &c.value(c.outputs[0]).ty.axes;
    let dims: Vec<(String, usize)> = out
        .iter()
        .map(|a| (c.axis(*a).name.clone(), bound.sizes[a.ix()]))
        .collect();
    let want: Vec<(String, usize)> = [("b", 1), ("H2", 15), ("W2", 15), ("c", 33)]
        .iter()
        .map(|(n, s)| (n.to_string(), *s))
        .collect();
    assert_eq!(dims, want);
}

#[test]
fn zoo_gradients_match_finite_differences() {
    for name in ["mlp", "mha", "transformer_block", "rnn_cell", "conv", "vit"] {
        let c = zoo::get(name).unwrap();
        let mut b = small(name);
        if name == "mlp" {
            b.insert("b".into(), 1);
        }
        let w = fd_check(&c, &b, 3, 6);
        assert!(w < 1e-4, "{name}: worst relative error {w}");
    }
}
