//! Decompositions recognised as one operation before translation:
//! - GELU written with Erf, `0.5·x·(1 + erf(x/√2))`, as PyTorch's exporter emits `nn.GELU()`
//!   (Div, Erf, Add, Mul, Mul);
//! - LayerNorm written out, as PyTorch exports `nn.LayerNorm` below opset 17: ReduceMean,
//!   Sub, Pow 2, ReduceMean, Add ε, Sqrt, Div, then usually Mul by the gain and Add of the
//!   shift (constants over the normalised dimensions).
//!
//! A pattern is found on the graph alone; the importer applies it when its input is a
//! computed value and translates the nodes one by one otherwise.

use crate::data::{Const, decode};
use crate::proto::{GraphProto, NodeProto};
use std::collections::HashMap;

/// A recognised decomposition, keyed by the index of the node where it starts.
pub(super) enum Fused {
    /// `out = gelu_erf(x)`.
    Gelu { x: String, out: String },
    /// `out = layer_norm(x)` over the dimensions `axes` (as ReduceMean lists them), with the
    /// gain and shift tensors' names when the Mul and Add follow.
    LayerNorm {
        x: String,
        out: String,
        axes: Vec<i64>,
        eps: f64,
        affine: Option<(String, String)>,
    },
}

/// Every recognised decomposition: where it starts, what it is, and the other nodes it
/// replaces.
pub(super) fn find(g: &GraphProto) -> HashMap<usize, (Fused, Vec<usize>)> {
    let m = Graph::new(g);
    let mut found = HashMap::new();
    for (i, n) in g.node.iter().enumerate() {
        if let Some(f) = m.gelu(n).or_else(|| m.layer_norm(n)) {
            found.insert(i, f);
        }
    }
    found
}

/// A node with its index.
type At<'a> = (usize, &'a NodeProto);

/// The graph with its readers and constants indexed.
struct Graph<'a> {
    g: &'a GraphProto,
    /// Who reads each tensor (`usize::MAX`: a graph output).
    readers: HashMap<&'a str, Vec<usize>>,
    consts: HashMap<String, Const>,
}

impl<'a> Graph<'a> {
    fn new(g: &'a GraphProto) -> Self {
        let mut readers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, n) in g.node.iter().enumerate() {
            for x in &n.input {
                readers.entry(x.as_str()).or_default().push(i);
            }
        }
        for o in &g.output {
            readers.entry(o.name.as_str()).or_default().push(usize::MAX);
        }
        Graph {
            g,
            readers,
            consts: consts(g),
        }
    }

    fn scalar(&self, name: &str) -> Option<f64> {
        self.consts.get(name).and_then(|c| c.scalar())
    }

    fn near(&self, name: &str, v: f64) -> bool {
        self.scalar(name).is_some_and(|s| (s - v).abs() < 1e-6)
    }

    /// The one node reading `t`, if it is of type `op`.
    fn only(&self, t: &str, op: &str) -> Option<At<'a>> {
        match self.readers.get(t).map(|r| r.as_slice()) {
            Some(&[i]) if i != usize::MAX && self.g.node[i].op_type == op => {
                Some((i, &self.g.node[i]))
            }
            _ => None,
        }
    }

    /// The readers of `t` when there are exactly two, of the types `a` and `b` (either order).
    fn pair(&self, t: &str, a: &str, b: &str) -> Option<(At<'a>, At<'a>)> {
        let r = self.readers.get(t)?;
        let [i, j] = r[..] else { return None };
        if i == usize::MAX || j == usize::MAX {
            return None;
        }
        let (ni, nj) = (&self.g.node[i], &self.g.node[j]);
        match (ni.op_type.as_str(), nj.op_type.as_str()) {
            (x, y) if x == a && y == b => Some(((i, ni), (j, nj))),
            (x, y) if x == b && y == a => Some(((j, nj), (i, ni))),
            _ => None,
        }
    }

    fn gelu(&self, div: &NodeProto) -> Option<(Fused, Vec<usize>)> {
        if div.op_type != "Div"
            || div.input.len() != 2
            || !self.near(&div.input[1], std::f64::consts::SQRT_2)
        {
            return None;
        }
        let x = div.input[0].clone();
        let (ie, erf) = self.only(div.output.first()?, "Erf")?;
        let (ia, add) = self.only(erf.output.first()?, "Add")?;
        if !self.near(&other(add, &erf.output[0])?, 1.0) {
            return None;
        }
        let (im, mul) = self.only(add.output.first()?, "Mul")?;
        if other(mul, &add.output[0])? != x {
            return None;
        }
        let (ih, half) = self.only(mul.output.first()?, "Mul")?;
        if !self.near(&other(half, &mul.output[0])?, 0.5) {
            return None;
        }
        let out = half.output.first()?.clone();
        Some((Fused::Gelu { x, out }, vec![ie, ia, im, ih]))
    }

    /// The axes of a ReduceMean that keeps its dims (attribute, or input from opset 18).
    fn mean_axes(&self, n: &NodeProto) -> Option<Vec<i64>> {
        if n.op_type != "ReduceMean" || super::attr_i(n, "keepdims", 1) != 1 {
            return None;
        }
        let axes = match n.input.get(1).filter(|s| !s.is_empty()) {
            Some(a) => self.consts.get(a)?.as_ints(),
            None => super::attr_ints(n, "axes")?,
        };
        (!axes.is_empty()).then_some(axes)
    }

    fn layer_norm(&self, mean: &NodeProto) -> Option<(Fused, Vec<usize>)> {
        let axes = self.mean_axes(mean)?;
        let x = mean.input.first()?.clone();
        let (is, sub) = self.only(mean.output.first()?, "Sub")?;
        if sub.input.first()? != &x || sub.input.get(1)? != &mean.output[0] {
            return None;
        }
        let d = sub.output.first()?;
        let ((ip, pow), (idv, div)) = self.pair(d, "Pow", "Div")?;
        if pow.input.first()? != d || !self.near(pow.input.get(1)?, 2.0) || div.input.first()? != d
        {
            return None;
        }
        let (iv, var) = self.only(pow.output.first()?, "ReduceMean")?;
        if self.mean_axes(var)? != axes {
            return None;
        }
        let (ie, add) = self.only(var.output.first()?, "Add")?;
        let eps = self.scalar(&other(add, &var.output[0])?)?;
        let (iq, sqrt) = self.only(add.output.first()?, "Sqrt")?;
        if div.input.get(1)? != sqrt.output.first()? || !(0.0..1.0).contains(&eps) {
            return None;
        }
        let mut nodes = vec![is, ip, idv, iv, ie, iq];
        let mut out = div.output.first()?.clone();
        // y·gain + shift, both constants
        let affine = (|| {
            let (im, mul) = self.only(&out, "Mul")?;
            let gain = other(mul, &out)?;
            let (ia, add) = self.only(mul.output.first()?, "Add")?;
            let shift = other(add, &mul.output[0])?;
            if !self.consts.contains_key(&gain) || !self.consts.contains_key(&shift) {
                return None;
            }
            Some((gain, shift, [im, ia], add.output.first()?.clone()))
        })();
        let affine = affine.map(|(gain, shift, at, o)| {
            nodes.extend(at);
            out = o;
            (gain, shift)
        });
        Some((
            Fused::LayerNorm {
                x,
                out,
                axes,
                eps,
                affine,
            },
            nodes,
        ))
    }
}

/// The input of a binary node other than `t`.
fn other(n: &NodeProto, t: &str) -> Option<String> {
    match n.input.as_slice() {
        [a, b] if a == t => Some(b.clone()),
        [a, b] if b == t => Some(a.clone()),
        _ => None,
    }
}

/// Most elements of a constant a pattern reads (scalars, axes, a norm's gain): weights are
/// not decoded twice.
const SMALL: i64 = 1 << 16;

/// Small constants by tensor name: initialisers and `Constant` nodes (tensor or one value).
fn consts(g: &GraphProto) -> HashMap<String, Const> {
    let mut out = HashMap::new();
    let small = |dims: &[i64]| {
        dims.iter()
            .try_fold(1i64, |a, &d| a.checked_mul(d.max(0)))
            .is_some_and(|n| n <= SMALL)
    };
    for t in g.initializer.iter().filter(|t| small(&t.dims)) {
        if let Ok(c) = decode(t) {
            out.insert(t.name.clone(), c);
        }
    }
    for n in &g.node {
        // exporters share equal initialisers through Identity nodes
        if n.op_type == "Identity"
            && let (Some(i), Some(o)) = (n.input.first(), n.output.first())
            && let Some(c) = out.get(i).cloned()
        {
            out.insert(o.clone(), c);
        }
        if n.op_type != "Constant" {
            continue;
        }
        let v = n.attribute.iter().find_map(|a| match a.name.as_str() {
            "value" => a.t.as_ref().and_then(|t| decode(t).ok()),
            "value_float" => Some(Const {
                dims: vec![],
                data: vec![a.f as f64],
                int: false,
            }),
            _ => None,
        });
        if let (Some(v), Some(o)) = (v, n.output.first()) {
            out.insert(o.clone(), v);
        }
    }
    out
}
