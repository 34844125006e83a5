//! Shape operators (Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Concat, Shape) and the
//! folding of operators whose inputs are all constants (the `Shape` arithmetic exporters emit).

use super::{Dim, Importer, R, Val, Wire, attr_i, attr_ints, node_err, norm_axis, unsupported};
use crate::data::Const;
use crate::proto::NodeProto;
use nc_diagram::ir::{AxisId, AxisKind, ValueId};
use nc_diagram::size::SizeExpr;
use nc_diagram::tensor::Tensor;

impl Importer {
    /// Merges the dimensions `group` of `v` into one (a reshape when two or more are carried).
    fn merge(&mut self, label: &str, v: ValueId, group: &[Dim], base: &str) -> R<(ValueId, Dim)> {
        let from: Vec<AxisId> = group.iter().filter_map(|d| d.axis()).collect();
        match from.len() {
            0 => Ok((v, Dim::One)),
            1 => Ok((v, Dim::Axis(from[0]))),
            _ => {
                let size = from
                    .iter()
                    .map(|a| self.dim_size(Dim::Axis(*a)))
                    .reduce(|x, y| x.mul(&y))
                    .unwrap_or(SizeExpr::Lit(1));
                let to = self.new_axis(base, size, AxisKind::Feature);
                let v = self.b.reshape(label, v, &from, &[to])?;
                Ok((v, Dim::Axis(to)))
            }
        }
    }

    pub(super) fn flatten(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let x = self.val(n, 0)?;
        let r = x.dims.len();
        let axis = attr_i(n, "axis", 1);
        let axis = if axis < 0 { axis + r as i64 } else { axis };
        if !(0..=r as i64).contains(&axis) {
            return Err(node_err(
                n,
                format!("axis {axis} out of range for rank {r}"),
            ));
        }
        let (l, rt) = x.dims.split_at(axis as usize);
        let (v, dl) = self.merge(&format!("{label}.rows"), x.v, l, "b")?;
        let (v, dr) = self.merge(label, v, rt, "f")?;
        Ok(Wire::Val(Val {
            v,
            dims: vec![dl, dr],
        }))
    }

    pub(super) fn reshape(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let x = self.val(n, 0)?;
        let target = self.konst(n, 1)?.as_ints();
        let r = x.dims.len();
        let allow_zero = attr_i(n, "allowzero", 0) != 0;
        if target.iter().filter(|&&t| t == -1).count() > 1 || target.iter().any(|&t| t < -1) {
            return Err(node_err(
                n,
                format!("shape {target:?} has more than one -1 or a negative entry"),
            ));
        }
        // resolve 0 (copy) entries to the input's dims; literal sizes elsewhere
        let mut want: Vec<Option<Dim>> = Vec::with_capacity(target.len());
        for (i, &t) in target.iter().enumerate() {
            want.push(match t {
                0 if allow_zero => return unsupported("allowzero with a zero-sized dimension"),
                0 => Some(
                    *x.dims
                        .get(i)
                        .ok_or_else(|| node_err(n, "a 0 entry beyond the input's rank"))?,
                ),
                -1 => None,
                _ => None,
            });
        }
        let in_lits: Option<Vec<i64>> = x.dims.iter().map(|d| self.dim_lit(*d)).collect();
        let t_size = |i: usize, me: &Importer| -> Option<i64> {
            match (target[i], want[i]) {
                (0, Some(d)) => me.dim_lit(d),
                (t, _) if t > 0 => Some(t),
                _ => None,
            }
        };
        // the -1 entry: from the total when every size is known; else the leading named
        // dimension carried over unchanged
        let minus = target.iter().position(|&t| t == -1);
        let mut sizes: Vec<Option<i64>> = (0..target.len()).map(|i| t_size(i, self)).collect();
        if let Some(m) = minus {
            if let Some(lits) = &in_lits {
                let total: i64 = lits.iter().product();
                let rest: i64 = sizes.iter().flatten().product();
                if rest == 0 || total % rest != 0 {
                    return Err(node_err(
                        n,
                        format!("shape {target:?} does not fit {total} elements"),
                    ));
                }
                sizes[m] = Some(total / rest);
            } else if m == 0 && r > 0 {
                let tail: Option<i64> = x.dims[1..].iter().map(|d| self.dim_lit(*d)).product();
                let rest: i64 = sizes[1..].iter().flatten().product();
                if tail != Some(rest) || sizes[1..].iter().any(|s| s.is_none()) {
                    return unsupported("reshape of a named dimension into a computed size");
                }
                want[0] = Some(x.dims[0]);
            } else {
                return unsupported("reshape of a named dimension into a computed size");
            }
        }
        // dims kept at both ends (same size at the same place) keep their axes
        let same = |i: usize, j: usize, me: &Importer| -> bool {
            want[j] == Some(x.dims[i]) || (sizes[j].is_some() && me.dim_lit(x.dims[i]) == sizes[j])
        };
        let t = target.len();
        let mut p = 0;
        while p < r.min(t) && same(p, p, self) {
            p += 1;
        }
        let mut s = 0;
        while s < (r - p).min(t - p) && same(r - 1 - s, t - 1 - s, self) {
            s += 1;
        }
        let from: Vec<AxisId> = x.dims[p..r - s].iter().filter_map(|d| d.axis()).collect();
        let mut out: Vec<Dim> = x.dims[..p].to_vec();
        let mut new: Vec<(usize, SizeExpr)> = Vec::new();
        for j in p..t - s {
            let size = match (want[j], sizes[j]) {
                (Some(d), _) => self.dim_size(d),
                (None, Some(k)) => SizeExpr::Lit(k),
                (None, None) => return unsupported("reshape into a size that is not known"),
            };
            new.push((j, size));
        }
        // one feature axis of a token sequence cut in two is attention's heads × head dim
        let tokens = x
            .dims
            .iter()
            .any(|d| d.axis().is_some_and(|a| self.kind(a) == AxisKind::Token));
        let carried = new.iter().filter(|n| n.1 != SizeExpr::Lit(1)).count();
        let heads = tokens && from.len() == 1 && carried == 2;
        let mut to = Vec::new();
        for (j, size) in new {
            if size == SizeExpr::Lit(1) {
                out.push(Dim::One);
                continue;
            }
            let (base, kind) = match (t, j) {
                _ if heads && to.is_empty() => ("h", AxisKind::Head),
                _ if heads => ("k", AxisKind::Feature),
                (3.., 1) if t >= 4 => ("c", AxisKind::Feature),
                (3, _) => ("m", AxisKind::Feature),
                _ => ("f", AxisKind::Feature),
            };
            let a = self.new_axis(base, size, kind);
            to.push(a);
            out.push(Dim::Axis(a));
        }
        out.extend_from_slice(&x.dims[r - s..]);
        let v = match (from.len(), to.len()) {
            (0, 0) => x.v,
            (0, _) | (_, 0) => {
                return unsupported("reshape that adds or removes a carried axis of size 1");
            }
            _ => self.b.reshape(label, x.v, &from, &to)?,
        };
        Ok(Wire::Val(Val { v, dims: out }))
    }

    /// Transposes reorder the ONNX dimension list only: circuit axes are named.
    pub(super) fn transpose(&mut self, n: &NodeProto) -> R<Wire> {
        let x = self.val(n, 0)?;
        let perm = perm(n, x.dims.len())?;
        Ok(Wire::Val(Val {
            v: x.v,
            dims: perm.iter().map(|&i| x.dims[i]).collect(),
        }))
    }

    /// The `axes` of Squeeze/Unsqueeze: an input from opset 13, an attribute before.
    fn axes_arg(&self, n: &NodeProto) -> R<Option<Vec<i64>>> {
        Ok(match self.wire(n, 1) {
            Some(_) => Some(self.konst(n, 1)?.as_ints()),
            None => attr_ints(n, "axes"),
        })
    }

    pub(super) fn squeeze(&mut self, n: &NodeProto) -> R<Wire> {
        let x = self.val(n, 0)?;
        let r = x.dims.len();
        let at: Vec<usize> = match self.axes_arg(n)? {
            Some(a) => a.iter().map(|&a| norm_axis(n, a, r)).collect::<R<_>>()?,
            None => (0..r)
                .filter(|&i| self.dim_lit(x.dims[i]) == Some(1))
                .collect(),
        };
        for &i in &at {
            match x.dims[i] {
                Dim::One => {}
                d if self.dim_lit(d) == Some(1) => {
                    return unsupported("squeezing a carried axis of size 1");
                }
                _ => return Err(node_err(n, format!("dimension {i} is not of size 1"))),
            }
        }
        let dims = (0..r)
            .filter(|i| !at.contains(i))
            .map(|i| x.dims[i])
            .collect();
        Ok(Wire::Val(Val { v: x.v, dims }))
    }

    /// Where Unsqueeze inserts its size-1 dims into a rank-`rank` input, in increasing order.
    fn unsqueeze_at(&self, n: &NodeProto, rank: usize) -> R<Vec<usize>> {
        let axes = self
            .axes_arg(n)?
            .ok_or_else(|| node_err(n, "axes are required"))?;
        let out_r = rank + axes.len();
        let mut at: Vec<usize> = axes
            .iter()
            .map(|&a| norm_axis(n, a, out_r))
            .collect::<R<_>>()?;
        at.sort_unstable();
        Ok(at)
    }

    pub(super) fn unsqueeze(&mut self, n: &NodeProto) -> R<Wire> {
        let x = self.val(n, 0)?;
        let mut dims = x.dims.clone();
        for i in self.unsqueeze_at(n, x.dims.len())? {
            dims.insert(i, Dim::One);
        }
        Ok(Wire::Val(Val { v: x.v, dims }))
    }

    pub(super) fn concat(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let xs: Vec<Val> = (0..n.input.len())
            .map(|i| self.val(n, i))
            .collect::<R<_>>()?;
        let first = xs.first().ok_or_else(|| node_err(n, "no inputs"))?.clone();
        let r = first.dims.len();
        let ax = norm_axis(n, attr_i(n, "axis", 0), r)?;
        let mut vs = Vec::new();
        let mut cat = Vec::new();
        let mut size = SizeExpr::Lit(0);
        for (k, x) in xs.iter().enumerate() {
            if x.dims.len() != r {
                return Err(node_err(n, "inputs of different ranks"));
            }
            let Dim::Axis(a) = x.dims[ax] else {
                return unsupported("concatenation along a size-1 dimension that is not carried");
            };
            let mut v = x.v;
            for j in (0..r).filter(|&j| j != ax) {
                match (first.dims[j], x.dims[j]) {
                    (Dim::Axis(p), Dim::Axis(q)) if p != q => {
                        if self.dim_size(Dim::Axis(p)) != self.dim_size(Dim::Axis(q)) {
                            return Err(node_err(n, format!("input {k}'s dimension {j} differs")));
                        }
                        v = self.b.rename(&format!("{label}.align{k}_{j}"), v, q, p)?;
                    }
                    (p, q) if p == q => {}
                    _ => return Err(node_err(n, format!("input {k}'s dimension {j} differs"))),
                }
            }
            size = if k == 0 {
                self.dim_size(Dim::Axis(a))
            } else {
                size.add(&self.dim_size(Dim::Axis(a)))
            };
            vs.push(v);
            cat.push(a);
        }
        let kind = self.kind(cat[0]);
        let out = self.new_axis(
            if kind == AxisKind::Feature { "c" } else { "t" },
            size,
            kind,
        );
        let v = self.b.concat(label, &vs, &cat, out)?;
        let mut dims = first.dims.clone();
        dims[ax] = Dim::Axis(out);
        Ok(Wire::Val(Val { v, dims }))
    }

    pub(super) fn shape_of(&mut self, n: &NodeProto) -> R<Wire> {
        let x = self.val(n, 0)?;
        let Some(lits) = x
            .dims
            .iter()
            .map(|d| self.dim_lit(*d))
            .collect::<Option<Vec<i64>>>()
        else {
            return unsupported("Shape of a value with a named (symbolic) dimension");
        };
        let r = lits.len() as i64;
        let clamp = |v: i64| if v < 0 { (v + r).max(0) } else { v.min(r) } as usize;
        let start = clamp(attr_i(n, "start", 0));
        let end = clamp(attr_i(n, "end", r));
        Ok(Wire::Const(Const::ints(&lits[start..end.max(start)])))
    }

    /// Folds a node whose inputs are all constants, for the operators of shape arithmetic.
    pub(super) fn fold(&self, n: &NodeProto, op: &str) -> R<Option<Const>> {
        let ins: Vec<Option<&Wire>> = (0..n.input.len()).map(|i| self.wire(n, i)).collect();
        if ins.is_empty() || ins.iter().flatten().any(|w| matches!(w, Wire::Val(_))) {
            return Ok(None);
        }
        let c = |i: usize| -> R<Const> { self.konst(n, i) };
        Ok(Some(match op {
            "Identity" => c(0)?,
            "Add" | "Sub" | "Mul" | "Div" => {
                let (a, b) = (c(0)?, c(1)?);
                let f = |x: f64, y: f64| match op {
                    "Add" => x + y,
                    "Sub" => x - y,
                    "Mul" => x * y,
                    _ if a.int && b.int && y != 0.0 => (x / y).floor(),
                    _ => x / y,
                };
                let (big, small, swap) = if a.data.len() >= b.data.len() {
                    (&a, &b, false)
                } else {
                    (&b, &a, true)
                };
                if small.data.len() != 1 && small.data.len() != big.data.len() {
                    return unsupported("folding arithmetic on constants of different shapes");
                }
                let data = big
                    .data
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let w = small.data[if small.data.len() == 1 { 0 } else { i }];
                        if swap { f(w, v) } else { f(v, w) }
                    })
                    .collect();
                Const {
                    dims: big.dims.clone(),
                    data,
                    int: a.int && b.int,
                }
            }
            "Concat" => {
                let parts: Vec<Const> = (0..n.input.len()).map(c).collect::<R<_>>()?;
                if parts.iter().any(|p| p.dims.len() != 1) {
                    return unsupported("folding a Concat of constants that are not vectors");
                }
                let data: Vec<f64> = parts.iter().flat_map(|p| p.data.clone()).collect();
                Const {
                    dims: vec![data.len()],
                    data,
                    int: parts.iter().all(|p| p.int),
                }
            }
            "Gather" => {
                let (d, idx) = (c(0)?, c(1)?);
                if d.dims.len() != 1 || attr_i(n, "axis", 0) != 0 {
                    return unsupported("folding a Gather that is not from a vector");
                }
                let len = d.data.len() as i64;
                let data = idx
                    .as_ints()
                    .iter()
                    .map(|&i| {
                        let j = if i < 0 { i + len } else { i };
                        d.data
                            .get(j as usize)
                            .copied()
                            .filter(|_| j >= 0)
                            .ok_or_else(|| {
                                node_err(n, format!("index {i} out of range for {len} entries"))
                            })
                    })
                    .collect::<R<Vec<f64>>>()?;
                Const {
                    dims: idx.dims.clone(),
                    data,
                    int: d.int,
                }
            }
            "Where" | "Expand" | "Equal" | "Not" => self.fold_select(n, op)?,
            "Unsqueeze" | "Squeeze" | "Reshape" | "Cast" | "Transpose" | "Slice" => {
                return self.fold_layout(n, op, c(0)?).map(Some);
            }
            _ => return Ok(None),
        }))
    }

    fn fold_layout(&self, n: &NodeProto, op: &str, x: Const) -> R<Const> {
        let mut x = x;
        match op {
            "Cast" => {
                use crate::proto::dtype;
                x.int = matches!(
                    attr_i(n, "to", 0) as i32,
                    dtype::INT32 | dtype::INT64 | dtype::BOOL
                );
                if x.int {
                    x.data.iter_mut().for_each(|v| *v = v.trunc());
                }
            }
            "Unsqueeze" => {
                for i in self.unsqueeze_at(n, x.dims.len())? {
                    x.dims.insert(i, 1);
                }
            }
            "Squeeze" => {
                let r = x.dims.len();
                let at: Vec<usize> = match self.axes_arg(n)? {
                    Some(a) => a.iter().map(|&a| norm_axis(n, a, r)).collect::<R<_>>()?,
                    None => (0..r).filter(|&i| x.dims[i] == 1).collect(),
                };
                x.dims = (0..r)
                    .filter(|i| !at.contains(i))
                    .map(|i| x.dims[i])
                    .collect();
            }
            "Reshape" => {
                let t = self.konst(n, 1)?.as_ints();
                let total = x.data.len() as i64;
                let mut dims: Vec<i64> = t
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        if v == 0 {
                            x.dims.get(i).map_or(0, |&d| d as i64)
                        } else {
                            v
                        }
                    })
                    .collect();
                let rest: i64 = dims.iter().filter(|&&v| v != -1).product();
                if let Some(m) = dims.iter().position(|&v| v == -1) {
                    dims[m] = if rest == 0 { 0 } else { total / rest };
                }
                if dims.iter().any(|&d| d < 0) || dims.iter().product::<i64>() != total {
                    return Err(node_err(
                        n,
                        format!("shape {t:?} does not fit {total} elements"),
                    ));
                }
                x.dims = dims.iter().map(|&d| d as usize).collect();
            }
            "Transpose" => {
                let p = perm(n, x.dims.len())?;
                let axes: Vec<AxisId> = (0..x.dims.len() as u32).map(AxisId).collect();
                let t = Tensor::from_vec(axes.clone(), x.dims.clone(), x.data.clone());
                let order: Vec<AxisId> = p.iter().map(|&i| axes[i]).collect();
                let t = t.to_layout(&order);
                x.dims = t.dims;
                x.data = t.data;
            }
            _ => {
                // Slice of a vector (opset ≥ 10: starts, ends, axes, steps as inputs)
                if x.dims.len() != 1 {
                    return unsupported("folding a Slice of a constant that is not a vector");
                }
                let one = |i: usize| -> R<Option<i64>> {
                    match self.wire(n, i) {
                        Some(_) => Ok(self.konst(n, i)?.as_ints().first().copied()),
                        None => Ok(None),
                    }
                };
                let len = x.data.len() as i64;
                let step = one(4)?.unwrap_or(1);
                if step != 1 {
                    return unsupported("folding a Slice with a step other than 1");
                }
                let cl = |v: i64| if v < 0 { (v + len).max(0) } else { v.min(len) };
                let s = cl(one(1)?.unwrap_or(0));
                let e = cl(one(2)?.unwrap_or(len)).max(s);
                x.data = x.data[s as usize..e as usize].to_vec();
                x.dims = vec![x.data.len()];
            }
        }
        Ok(x)
    }
}

/// The `perm` attribute (default: reversed), checked to be a permutation of `0..rank`.
fn perm(n: &NodeProto, rank: usize) -> R<Vec<usize>> {
    let p: Vec<i64> = attr_ints(n, "perm").unwrap_or_else(|| (0..rank as i64).rev().collect());
    let mut seen = vec![false; rank];
    let mut out = Vec::with_capacity(rank);
    for &i in &p {
        let ok = (0..rank as i64).contains(&i) && !seen[i as usize];
        if !ok || p.len() != rank {
            return Err(node_err(
                n,
                format!("perm {p:?} is not a permutation of 0..{rank}"),
            ));
        }
        seen[i as usize] = true;
        out.push(i as usize);
    }
    Ok(out)
}
