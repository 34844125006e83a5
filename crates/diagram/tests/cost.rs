//! The cost model against closed forms: a linear map m → o over x tokens costs 2·x·m·o
//! FLOPs; attention's scores and mix 2·y·x·k·h each; a convolution 2·b·H′W′·k²·(c_in/g)·c_out
//! FLOPs and k²·(c_in/g)·c_out + c_out parameters; backward FLOPs are twice forward.

use crate::common::bind;
use nc_diagram::builder::{Builder, WindowSpec};
use nc_diagram::cost::{cost, summarize};
use nc_diagram::ir::AxisKind as K;
use nc_diagram::zoo;

#[test]
fn mha_formulas() {
    let c = zoo::mha();
    let r = cost(&c);
    // Q: 2ymkh, K and V: 2xmkh each, scores and mix: 2yxkh each, O: 2ykhm
    assert_eq!(
        r.total.flops_fwd.to_string(),
        "4·h·k·m·x + 4·h·k·m·y + 4·h·k·x·y"
    );
    assert_eq!(r.total.params.to_string(), "4·h·k·m");
    let b = bind(&[("m", 128), ("k", 16), ("h", 4), ("y", 20), ("x", 22)]);
    let (m, k, h, y, x) = (128u128, 16, 4, 20, 22);
    let s = summarize(&c, &b, 4).unwrap();
    assert_eq!(s.flops_forward, 4 * h * k * m * (x + y) + 4 * h * k * x * y);
    assert_eq!(s.flops_backward, 2 * s.flops_forward);
    // the softmax keeps its y·x·h output for the backward pass
    let softmax = c.nodes.iter().find(|n| n.name == "softmax").unwrap();
    assert_eq!(r.nodes[softmax.id.ix()].1.saved.to_string(), "h·x·y");
}

#[test]
fn convolution_closed_form() {
    // 2·b·H′W′·k²·(c_in/g)·c_out FLOPs and k²·(c_in/g)·c_out + c_out parameters
    for (groups, stride, pad, dil) in [(1, 1, 1, 1), (1, 2, 1, 1), (2, 1, 2, 2), (4, 2, 0, 1)] {
        let mut b = Builder::new("conv");
        let n = b.axis("b", "b", K::Batch).unwrap();
        let ci = b.axis("ci", "8", K::Feature).unwrap();
        let co = b.axis("co", "12", K::Feature).unwrap();
        let hh = b.axis("H", "H", K::Spatial).unwrap();
        let ww = b.axis("W", "H", K::Spatial).unwrap();
        let x = b.input("x", &[n, ci, hh, ww]);
        let s = WindowSpec::new(3).stride(stride).padding(pad).dilation(dil);
        let (y, _) = b
            .conv("conv", x, ci, co, &[(hh, s), (ww, s)], groups, true)
            .unwrap();
        b.output(y);
        let c = b.finish().unwrap();
        let (bb, h) = (3u128, 17u128);
        let ho = (h + 2 * pad as u128 - dil as u128 * 2 - 1) / stride as u128 + 1;
        let g = groups as u128;
        let s = summarize(&c, &bind(&[("b", 3), ("H", 17)]), 4).unwrap();
        assert_eq!(
            s.flops_forward,
            2 * bb * ho * ho * 9 * (8 / g) * 12,
            "groups {groups} stride {stride}"
        );
        assert_eq!(s.params, 9 * (8 / g) * 12 + 12);
    }
}

#[test]
fn block_costs_add_up() {
    let c = zoo::resnet();
    let r = cost(&c);
    let b = c.default_bindings();
    let blocks: u128 = r
        .blocks
        .iter()
        .map(|(_, k)| k.bind(&b, 4).unwrap().params)
        .sum();
    let stem_head = 3 * 9 * 16 + 16 + 2 * 256 + 256 * 10 + 10;
    assert_eq!(blocks + stem_head, 314_698);
    let s = summarize(&c, &b, 4).unwrap();
    assert!(s.memory.peak_training_bytes > s.saved_activation_bytes + 2 * 4 * s.params);
}
