//! Decompositions recognised as one operation before translation: GELU written with Erf,
//! `0.5·x·(1 + erf(x/√2))`, as PyTorch's exporter emits `nn.GELU()` (Div, Erf, Add, Mul, Mul).

use crate::data::decode;
use crate::proto::{GraphProto, NodeProto};
use std::collections::{HashMap, HashSet};

/// A recognised GELU: the node where it starts, its input and its output tensor names.
pub(super) struct Gelu {
    pub x: String,
    pub out: String,
}

/// The GELUs of a graph by the index of their `Div` node, and every node they absorb.
pub(super) fn gelus(g: &GraphProto) -> (HashMap<usize, Gelu>, HashSet<usize>) {
    let scalars = scalars(g);
    let near = |name: &str, v: f64| scalars.get(name).is_some_and(|s| (s - v).abs() < 1e-6);
    // who reads each tensor (graph outputs count as readers)
    let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        for x in &n.input {
            readers.entry(x.as_str()).or_default().push(i);
        }
    }
    for o in &g.output {
        readers.entry(o.name.as_str()).or_default().push(usize::MAX);
    }
    // the one node reading `t`, if it is of type `op`
    let only = |t: &str, op: &str| -> Option<(usize, &NodeProto)> {
        match readers.get(t).map(|r| r.as_slice()) {
            Some(&[i]) if i != usize::MAX && g.node[i].op_type == op => Some((i, &g.node[i])),
            _ => None,
        }
    };
    // the input of a binary node other than `t`
    let other = |n: &NodeProto, t: &str| -> Option<String> {
        match n.input.as_slice() {
            [a, b] if a == t => Some(b.clone()),
            [a, b] if b == t => Some(a.clone()),
            _ => None,
        }
    };
    let mut found = HashMap::new();
    let mut absorbed = HashSet::new();
    for (i, div) in g.node.iter().enumerate() {
        let ok = (|| {
            if div.op_type != "Div"
                || div.input.len() != 2
                || !near(&div.input[1], std::f64::consts::SQRT_2)
            {
                return None;
            }
            let x = div.input[0].clone();
            let (ie, erf) = only(div.output.first()?, "Erf")?;
            let (ia, add) = only(erf.output.first()?, "Add")?;
            if !near(&other(add, &erf.output[0])?, 1.0) {
                return None;
            }
            let (im, mul) = only(add.output.first()?, "Mul")?;
            if other(mul, &add.output[0])? != x {
                return None;
            }
            let (ih, half) = only(mul.output.first()?, "Mul")?;
            if !near(&other(half, &mul.output[0])?, 0.5) {
                return None;
            }
            Some((
                Gelu {
                    x,
                    out: half.output.first()?.clone(),
                },
                [ie, ia, im, ih],
            ))
        })();
        if let Some((gelu, nodes)) = ok {
            found.insert(i, gelu);
            absorbed.extend(nodes);
        }
    }
    (found, absorbed)
}

/// Scalar constants by tensor name: initialisers and `Constant` nodes with one element.
fn scalars(g: &GraphProto) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for t in &g.initializer {
        if let Ok(c) = decode(t)
            && let Some(s) = c.scalar()
        {
            out.insert(t.name.clone(), s);
        }
    }
    for n in g.node.iter().filter(|n| n.op_type == "Constant") {
        let v = n.attribute.iter().find_map(|a| match a.name.as_str() {
            "value" => {
                a.t.as_ref()
                    .and_then(|t| decode(t).ok())
                    .and_then(|c| c.scalar())
            }
            "value_float" => Some(a.f as f64),
            _ => None,
        });
        if let (Some(v), Some(o)) = (v, n.output.first()) {
            out.insert(o.clone(), v);
        }
    }
    out
}
