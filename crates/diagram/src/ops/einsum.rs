//! Einsum contractions: grouped axes are free views, the contraction folds pairwise into
//! strided GEMMs, and the gradient of each operand is the contraction of the output gradient
//! with the other operands.

use super::{Args, Ctx, Grads, Kernel, axes_elems};
use crate::error::ExecError;
use crate::ir::{AxisId, Circuit, EinTerm, Einsum, Node};
use crate::op_cost::OpCost;
use crate::size::Poly;
use crate::tensor::{Real, Tensor, contract};

/// Views an axis of size P·Q·… as its parts (row-major), without copying.
fn split<T: Real>(t: &Tensor<T>, terms: &[EinTerm], cx: &Ctx) -> Tensor<T> {
    let mut t = t.clone();
    for term in terms
        .iter()
        .filter(|e| e.parts.len() > 1 || e.parts[0] != e.axis)
    {
        let Some(i) = t.pos(term.axis) else { continue };
        let stride = t.strides[i];
        let pd: Vec<usize> = term.parts.iter().map(|p| cx.dim(*p)).collect();
        let mut ps = vec![stride; pd.len()];
        for j in (0..pd.len().saturating_sub(1)).rev() {
            ps[j] = ps[j + 1] * pd[j + 1];
        }
        t.axes.splice(i..=i, term.parts.iter().copied());
        t.dims.splice(i..=i, pd);
        t.strides.splice(i..=i, ps);
    }
    t
}

/// Merges grouped parts back into their axis (row-major).
fn merge<T: Real>(t: Tensor<T>, terms: &[EinTerm], cx: &Ctx) -> Tensor<T> {
    let groups: Vec<&EinTerm> = terms
        .iter()
        .filter(|e| e.parts.len() > 1 || e.parts[0] != e.axis)
        .collect();
    if groups.is_empty() {
        return t;
    }
    let mut order: Vec<AxisId> = t
        .axes
        .iter()
        .copied()
        .filter(|a| !groups.iter().any(|g| g.parts.contains(a)))
        .collect();
    for g in &groups {
        order.extend(&g.parts);
    }
    let t = t.into_layout(&order);
    let mut axes: Vec<AxisId> = order
        .iter()
        .copied()
        .filter(|a| !groups.iter().any(|g| g.parts.contains(a)))
        .collect();
    axes.extend(groups.iter().map(|g| g.axis));
    let dims = axes.iter().map(|a| cx.dim(*a)).collect();
    Tensor::from_vec(axes, dims, t.data)
}

/// Folds `ts` pairwise into `out` (part axes), keeping at each step what later steps need.
fn fold<T: Real>(ts: &[Tensor<T>], out: &[AxisId], cx: &Ctx) -> Tensor<T> {
    let mut cur = ts[0].clone();
    for i in 1..ts.len() {
        let later: Vec<AxisId> = ts[i + 1..]
            .iter()
            .flat_map(|t| t.axes.iter().copied())
            .collect();
        let keep: Vec<AxisId> = cur
            .axes
            .iter()
            .chain(&ts[i].axes)
            .copied()
            .filter(|a| out.contains(a) || later.contains(a))
            .fold(Vec::new(), |mut v, a| {
                if !v.contains(&a) {
                    v.push(a);
                }
                v
            });
        let keep: Vec<AxisId> = if i + 1 == ts.len() {
            out.to_vec()
        } else {
            keep
        };
        cur = contract(&cur, &ts[i], &keep, &|a| cx.dim(a));
    }
    if ts.len() == 1 {
        cur = cur.sum_to(out);
        if cur.axes.len() < out.len() {
            cur = cur.expand(out, &cx.dims(out));
        }
    }
    cur
}

fn parts_of(v_axes: &[AxisId], terms: &[EinTerm]) -> Vec<AxisId> {
    let mut out = Vec::new();
    for a in v_axes {
        match terms.iter().find(|t| t.axis == *a) {
            Some(t) => out.extend(&t.parts),
            None => out.push(*a),
        }
    }
    out
}

/// Each operand with its grouped axes split into their parts.
fn split_operands<T: Real>(
    xs: &[&Tensor<T>],
    operands: &[Vec<EinTerm>],
    cx: &Ctx,
) -> Vec<Tensor<T>> {
    xs.iter()
        .zip(operands)
        .map(|(x, terms)| split(x, terms, cx))
        .collect()
}

impl Kernel for Einsum {
    fn forward<T: Real>(&self, a: &Args<T>) -> Result<Vec<Tensor<T>>, ExecError> {
        let (cx, xs) = (a.cx, a.xs);
        let views = split_operands(xs, &self.operands, cx);
        let out_parts = parts_of(cx.out_axes(0), &self.output);
        Ok(vec![merge(fold(&views, &out_parts, cx), &self.output, cx)])
    }

    fn backward<T: Real>(&self, a: &Args<T>, _: &[&Tensor<T>], dy: &Tensor<T>) -> Grads<T> {
        let (cx, xs) = (a.cx, a.xs);
        let views = split_operands(xs, &self.operands, cx);
        let g = split(dy, &self.output, cx);
        let mut inputs = Vec::new();
        for (i, (x, terms)) in xs.iter().zip(&self.operands).enumerate() {
            let mut ts = vec![g.clone()];
            ts.extend(
                views
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, t)| t.clone()),
            );
            let want = parts_of(&x.axes, terms);
            inputs.push(Some(merge(fold(&ts, &want, cx), terms, cx)));
        }
        Grads {
            inputs,
            params: vec![],
        }
    }

    fn cost(&self, c: &Circuit, n: &Node) -> OpCost {
        cost(self, c, n)
    }
}

/// Pairwise-fold cost: each step costs 2·∏(sizes of the axes of both sides).
fn cost(op: &Einsum, c: &Circuit, n: &Node) -> OpCost {
    let (operands, output) = (&op.operands, &op.output);
    let axes_of = |i: usize| parts_of(&c.value(n.inputs[i]).ty.axes, &operands[i]);
    let out = parts_of(&c.value(n.outputs[0]).ty.axes, output);
    let mut mm = Poly::default();
    let mut cur = axes_of(0);
    for i in 1..operands.len() {
        let other = axes_of(i);
        let mut all = cur.clone();
        all.extend(other.iter().filter(|a| !cur.contains(a)));
        mm = mm.plus(&axes_elems(c, &all).scale(2));
        let later: Vec<AxisId> = (i + 1..operands.len()).flat_map(axes_of).collect();
        cur = all
            .into_iter()
            .filter(|a| out.contains(a) || later.contains(a))
            .collect();
    }
    let single = operands.len() == 1;
    let ins = n
        .inputs
        .iter()
        .fold(Poly::default(), |acc, v| acc.plus(&super::elems(c, *v)));
    OpCost {
        flops_fwd: mm.clone(),
        flops_bwd: mm.scale(operands.len() as i64),
        ops_fwd: if single { ins.clone() } else { mm.clone() },
        ops_bwd: if single {
            ins.clone()
        } else {
            mm.scale(operands.len() as i64)
        },
        saved: if single { Poly::default() } else { ins },
        ..Default::default()
    }
}
