//! Every zoo model against PyTorch autograd and FlopCounterMode (tests/data/golden.json, made by
//! tools/reference/diagram/make_golden.py from torch.nn modules built independently; the
//! closed-form weights, inputs and cotangent are defined there and reproduced here).

use nc_diagram::backprop::backward;
use nc_diagram::cost::{cost, summarize};
use nc_diagram::exec::{Bound, forward};
use nc_diagram::ir::{Circuit, DType, Op};
use nc_diagram::parse::text::{load, save};
use nc_diagram::size::Bindings;
use nc_diagram::tensor::Tensor;
use nc_diagram::zoo;
use serde_json::Value;
use std::sync::OnceLock;

/// Largest relative error allowed against PyTorch (both sides in f64).
const RTOL: f64 = 1e-5;

fn phase(name: &str) -> f64 {
    name.len() as f64 * 0.91 + name.chars().map(|c| c as u32 as f64).sum::<f64>() * 0.013
}

/// Compares `got` with a `summary()` of the script: full values (no `idx`) or samples, plus
/// sum and sum of squares. Returns the largest relative error among the compared values.
fn compare(what: &str, got: &[f64], want: &Value) -> f64 {
    let n = want["n"].as_u64().unwrap() as usize;
    assert_eq!(got.len(), n, "{what}: element count");
    let close = |a: f64, b: f64| (a - b).abs() <= RTOL * a.abs().max(b.abs()) + 1e-10;
    let sum: f64 = got.iter().sum();
    let sumsq: f64 = got.iter().map(|v| v * v).sum();
    let want_sum = want["sum"].as_f64().unwrap();
    // a sum of mixed signs may cancel to nearly zero: then compare it absolutely
    assert!(
        close(sum, want_sum) || (sum - want_sum).abs() < 1e-8,
        "{what}: sum {sum} vs {want_sum}"
    );
    assert!(
        close(sumsq, want["sumsq"].as_f64().unwrap()),
        "{what}: sum of squares {sumsq} vs {}",
        want["sumsq"]
    );
    let vals = want["val"].as_array().unwrap();
    let idx: Vec<usize> = match want.get("idx") {
        Some(ix) => ix
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as usize)
            .collect(),
        None => (0..n).collect(),
    };
    assert_eq!(idx.len(), vals.len(), "{what}: samples");
    let mut worst = 0f64;
    for (i, v) in idx.into_iter().zip(vals) {
        let v = v.as_f64().unwrap();
        assert!(close(got[i], v), "{what}[{i}]: {} vs {v}", got[i]);
        let scale = got[i].abs().max(v.abs());
        if scale > 1e-8 {
            worst = worst.max((got[i] - v).abs() / scale);
        }
    }
    worst
}

/// Where FlopCounterMode's convention differs from ours (matrix products and convolutions,
/// 2 per multiply-add, backward = the gradients of both operands of each product).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Torch {
    /// FlopCounterMode charges a grouped convolution's weight gradient as if it were
    /// ungrouped (g times the forward count); we count it once.
    GroupedConvWeightGrad,
    /// `nn.MultiheadAttention` runs `F.scaled_dot_product_attention`, which on 4-D CPU inputs
    /// takes the fused (flash) kernel; FlopCounterMode charges its backward five batched
    /// products, recomputing the scores Q·Kᵀ before the four gradient products. We count the
    /// gradients only, so torch's backward exceeds ours by each `scores` einsum's forward.
    SdpaRecomputesScores,
    /// A scalar weight broadcast over a value (a linear map contracting no axis, NCAP's shared
    /// weights) is an elementwise product in torch, which FlopCounterMode does not count; we
    /// count it as a matrix product of inner size 1 (2 per element forward, 4 backward).
    ScalarProductsUncounted,
    /// A mixture of experts in torch runs each expert on the tokens routed to it
    /// (index_select), t·k rows in all; we run every expert on all t tokens and the zero
    /// routing weights drop the rest. So each expert projection (a linear with the top-k's
    /// expert axis on its output, other than the router that the top-k reads) counts k/E of
    /// ours in FlopCounterMode, forward and backward.
    RoutedExperts,
}

/// FLOPs (forward, backward) that FlopCounterMode counts beyond ours under `conventions`.
fn torch_minus_ours(c: &Circuit, b: &Bindings, conventions: &[Torch]) -> (i128, i128) {
    let bound = Bound::new(c, b).unwrap();
    let (mut fwd, mut bwd) = (0i128, 0i128);
    // the top-k routing: its expert axis, how many experts a token gets, the router value
    let routing = c.nodes.iter().find_map(|n| match &n.op {
        Op::TopK(t) => Some((t.over, t.k as i128, n.inputs[0])),
        _ => None,
    });
    for ((id, k), node) in cost(c).nodes.iter().zip(&c.nodes) {
        assert_eq!(*id, node.id);
        let k = k.bind(b, 8).unwrap();
        let (kf, kb) = (k.flops_forward as i128, k.flops_backward as i128);
        for conv in conventions {
            match (conv, &node.op) {
                (Torch::GroupedConvWeightGrad, Op::Linear(l)) if !l.groups.is_empty() => {
                    let g: i128 = l
                        .groups
                        .iter()
                        .map(|a| bound.sizes[a.ix()] as i128)
                        .product();
                    bwd += (g - 1) * kf;
                }
                (Torch::SdpaRecomputesScores, Op::Einsum { .. })
                    if node.name.ends_with("scores") =>
                {
                    bwd += kf;
                }
                (Torch::ScalarProductsUncounted, Op::Linear(l)) if l.inputs.is_empty() => {
                    fwd -= kf;
                    bwd -= kb;
                }
                (Torch::RoutedExperts, Op::Linear(_)) => {
                    let (e, top, router) = routing.expect("a top-k routing");
                    let out = &c.value(node.outputs[0]).ty.axes;
                    if out.contains(&e) && node.outputs[0] != router {
                        let experts = bound.sizes[e.ix()] as i128;
                        assert_eq!(kf % experts, 0);
                        fwd -= kf - kf / experts * top;
                        bwd -= kb - kb / experts * top;
                    }
                }
                _ => {}
            }
        }
    }
    (fwd, bwd)
}

/// Closed-form inputs: reals `shift_i + scale_i · cos(0.23 j + 0.5 i)` (shift 0 and scale 1
/// unless the entry's "inputs" lists them), token ids `(3 j + 1) mod V`.
fn inputs(c: &Circuit, bound: &Bound, g: &Value) -> Vec<Tensor<f64>> {
    let affine = |i: usize, k: usize, default: f64| {
        g["inputs"]
            .get(i)
            .and_then(|a| a.get(k))
            .and_then(Value::as_f64)
            .unwrap_or(default)
    };
    c.inputs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let ty = &c.value(*v).ty;
            let dims = bound.dims(&ty.axes);
            let n: usize = dims.iter().product();
            let data = match ty.dtype {
                DType::Real => (0..n)
                    .map(|j| {
                        affine(i, 0, 0.0)
                            + affine(i, 1, 1.0) * (0.23 * j as f64 + 0.5 * i as f64).cos()
                    })
                    .collect(),
                DType::Index => {
                    let vocab = c
                        .nodes
                        .iter()
                        .find_map(|nd| match &nd.op {
                            Op::Embed(e) if nd.inputs.contains(v) => {
                                Some(bound.sizes[e.vocab.ix()])
                            }
                            Op::Gather(g) if nd.inputs.get(1) == Some(v) => {
                                Some(bound.sizes[g.axis.ix()])
                            }
                            _ => None,
                        })
                        .expect("an index input feeds an embedding");
                    (0..n).map(|j| ((3 * j + 1) % vocab) as f64).collect()
                }
            };
            Tensor::from_vec(ty.axes.clone(), dims, data)
        })
        .collect()
}

/// Runs zoo model `name` forward and backward on the JSON's bindings and closed-form data,
/// compares with PyTorch and returns the largest relative error seen (printed: `--nocapture`).
#[allow(clippy::print_stdout)]
fn check_model(name: &str, conventions: &[Torch]) -> f64 {
    let g = &golden()["models"][name];
    assert!(g.is_object(), "{name}: not in golden.json");
    check_circuit(name, &zoo::get(name).unwrap(), g, conventions)
}

/// Loads the entry's circuit from its text (`ncd`) and checks it like a zoo model.
fn check_op(name: &str) -> f64 {
    let g = &golden()["ops"][name];
    assert!(g.is_object(), "{name}: not in golden.json's ops");
    let c = load(g["ncd"].as_str().unwrap()).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(load(&save(&c)).unwrap(), c, "{name}: text round trip");
    check_circuit(name, &c, g, &[])
}

#[allow(clippy::print_stdout)]
fn check_circuit(name: &str, c: &Circuit, g: &Value, conventions: &[Torch]) -> f64 {
    let c = c.clone();
    let mut b: Bindings = c.default_bindings();
    for (k, v) in g["bind"].as_object().unwrap() {
        b.insert(k.clone(), v.as_i64().unwrap());
    }
    let bound = Bound::new(&c, &b).unwrap();
    // a model may rescale some closed-form weights (see the script) to keep every path live
    let factor = |p: &str| {
        g["param_scale"]
            .get(p)
            .and_then(Value::as_f64)
            .unwrap_or(1.0)
    };
    let params: Vec<Tensor<f64>> = c
        .params
        .iter()
        .map(|p| {
            let dims = bound.dims(&p.axes);
            let n: usize = dims.iter().product();
            let scale =
                factor(&p.name) / ((n / dims.last().copied().unwrap_or(1)).max(1) as f64).sqrt();
            let data = (0..n)
                .map(|j| (0.37 * j as f64 + phase(&p.name)).sin() * scale)
                .collect();
            Tensor::from_vec(p.axes.clone(), dims, data)
        })
        .collect();
    let tape = forward(&c, &bound, &params, &inputs(&c, &bound, g)).unwrap();
    let y = tape.output(&c, 0).unwrap();
    let mut worst = compare(&format!("{name} output"), &y.data, &g["output"]);
    let w = Tensor::from_vec(
        y.axes.clone(),
        y.dims.clone(),
        (0..y.len())
            .map(|j| (0.11 * j as f64 + 0.3).sin())
            .collect(),
    );
    let grads = backward(&c, &bound, &params, &tape, &[w]).unwrap();
    let want_in = g["input_grads"].as_array().unwrap();
    assert_eq!(want_in.len(), c.inputs.len(), "{name}: inputs");
    for (i, want) in want_in.iter().enumerate() {
        let got = grads.inputs[i].as_ref();
        if want.is_null() {
            assert!(got.is_none(), "{name}: index input {i} has no gradient");
            continue;
        }
        let what = format!("{name} d input {i}");
        worst = worst.max(compare(&what, &got.unwrap().data, want));
    }
    let want_p = g["param_grads"].as_object().unwrap();
    for (pname, want) in want_p {
        let p = c
            .params
            .iter()
            .position(|p| &p.name == pname)
            .unwrap_or_else(|| panic!("{name}: no parameter {pname}"));
        let what = format!("{name} d {pname}");
        worst = worst.max(compare(&what, &grads.params[p].data, want));
    }
    assert_eq!(
        c.params.len(),
        want_p.len(),
        "{name}: every parameter is compared"
    );
    let s = summarize(&c, &b, 8).unwrap();
    let (df, db) = torch_minus_ours(&c, &b, conventions);
    assert_eq!(
        s.flops_forward as i128 + df,
        g["flops_forward"].as_i64().unwrap() as i128,
        "{name}: forward FLOPs (ours {}, convention difference {df})",
        s.flops_forward
    );
    assert_eq!(
        s.flops_backward as i128 + db,
        g["flops_backward"].as_i64().unwrap() as i128,
        "{name}: backward FLOPs (ours {}, convention difference {db})",
        s.flops_backward
    );
    println!("{name}: max relative error {worst:.2e}");
    worst
}

fn golden() -> &'static Value {
    static G: OnceLock<Value> = OnceLock::new();
    G.get_or_init(|| serde_json::from_str(include_str!("data/golden.json")).unwrap())
}

#[test]
fn every_zoo_model_has_a_reference() {
    let models = golden()["models"].as_object().unwrap();
    for name in zoo::names() {
        assert!(models.contains_key(name), "{name} has no PyTorch reference");
    }
    assert_eq!(models.len(), zoo::names().len());
}

/// The paper's parameter counts, from the torch.nn modules at the zoo's default sizes.
#[test]
fn parameter_counts_match_pytorch_modules() {
    let counts = golden()["param_counts"].as_object().unwrap();
    for name in [
        "mlp",
        "mha",
        "resnet",
        "unet",
        "unet_ronneberger",
        "gpt2_block",
        "llama_block",
        "moe_block",
    ] {
        let c = zoo::get(name).unwrap();
        let ours = summarize(&c, &c.default_bindings(), 4).unwrap().params;
        assert_eq!(ours, counts[name].as_u64().unwrap() as u128, "{name}");
    }
    assert_eq!(counts["resnet"], 314_698);
    assert_eq!(counts["unet_ronneberger"], 31_030_658);
}

#[test]
fn mlp_matches_pytorch() {
    check_model("mlp", &[]);
}

#[test]
fn mha_matches_pytorch() {
    check_model("mha", &[]);
}

#[test]
fn conv_family_matches_pytorch() {
    check_model("conv", &[Torch::GroupedConvWeightGrad]);
}

/// Attention written out (PyTorch's math path): no convention difference.
#[test]
fn gpt2_block_matches_pytorch() {
    check_model("gpt2_block", &[]);
}

/// Attention written out (PyTorch's math path): no convention difference.
#[test]
fn llama_block_matches_pytorch() {
    check_model("llama_block", &[]);
}

/// Mixtral's routed experts against our dense ones: see [`Torch::RoutedExperts`].
#[test]
fn moe_block_matches_pytorch() {
    check_model("moe_block", &[Torch::RoutedExperts]);
}

#[test]
fn transformer_block_matches_pytorch() {
    check_model("transformer_block", &[Torch::SdpaRecomputesScores]);
}

/// 2-D inputs take PyTorch's math path (plain matrix products): no convention difference.
#[test]
fn sdpa_matches_pytorch() {
    check_model("sdpa", &[]);
}

#[test]
fn transformer_matches_pytorch() {
    check_model("transformer", &[Torch::SdpaRecomputesScores]);
}

#[test]
fn vit_matches_pytorch() {
    check_model("vit", &[Torch::SdpaRecomputesScores]);
}

/// Its SDPA reads head-transposed (non-contiguous) tensors, so PyTorch takes the math path
/// (batched matrix products), whose FLOPs are ours.
#[test]
fn visual_attention_matches_pytorch() {
    check_model("visual_attention", &[]);
}

#[test]
fn rnn_cell_matches_pytorch() {
    check_model("rnn_cell", &[]);
}

#[test]
fn ncap_swimmer_matches_pytorch() {
    check_model("ncap_swimmer", &[Torch::ScalarProductsUncounted]);
}

#[test]
fn resnet_matches_pytorch() {
    check_model("resnet", &[]);
}

#[test]
fn unet_matches_pytorch() {
    check_model("unet", &[]);
}

#[test]
fn unet_ronneberger_matches_pytorch() {
    check_model("unet_ronneberger", &[]);
}

/// Every single-operation case of the script (pointwise maps, the gate product) against torch.
#[test]
fn single_ops_match_pytorch() {
    let ops = golden()["ops"].as_object().unwrap();
    for name in ops.keys() {
        check_op(name);
    }
    for must in [
        "sqrt",
        "rsqrt",
        "reciprocal",
        "silu",
        "gelu_erf",
        "gelu",
        "erf",
        "sin",
        "cos",
        "mul",
        "mask_causal",
        "mask_band",
        "split",
        "gather",
        "rmsnorm",
        "rope",
        "topk",
        "select",
        "sinusoid",
    ] {
        assert!(ops.contains_key(must), "{must} has no PyTorch reference");
    }
}
