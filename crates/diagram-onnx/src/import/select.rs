//! Selection and broadcasting: `Where` (masks), additive masks, `Split`, `Expand`, and the
//! folding of these (and `Equal`, `Not`) on constants.
//!
//! A mask is a constant over two dimensions of the masked value. Where it keeps a band of
//! diagonals (causal attention keeps `col ≤ row`), it becomes the circuit's `Mask` op;
//! any other pattern is refused with the reason, since the circuit has no arbitrary masks.

use super::{Dim, Importer, R, Val, Wire, attr_i, attr_ints, node_err, norm_axis, unsupported};
use crate::data::{Const, broadcast};
use crate::proto::NodeProto;
use nc_diagram::ir::{AxisId, AxisKind};
use nc_diagram::size::SizeExpr;

/// A finite fill at or below this counts as −∞ when every reader is a softmax: `exp` of it
/// relative to any kept entry is 0 in f32 and f64 alike.
const NEG_FILL: f64 = -1e4;

impl Importer {
    /// `Where(cond, X, Y)`: a constant condition with a constant fill on one side is a mask.
    pub(super) fn where_(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let cond = match self.wire(n, 0) {
            Some(Wire::Const(c)) => c.clone(),
            Some(Wire::Val(_)) => {
                return unsupported("a computed condition (only constant masks are read)");
            }
            None => return Err(node_err(n, "input 0 (condition) is missing")),
        };
        let (x, fill, keep_when) = match (self.wire(n, 1).cloned(), self.wire(n, 2).cloned()) {
            (Some(Wire::Const(f)), Some(Wire::Val(y))) => (y, f, false),
            (Some(Wire::Val(x)), Some(Wire::Const(f))) => (x, f, true),
            (Some(_), Some(_)) => {
                return unsupported(
                    "a choice between two computed values (only a constant fill is read)",
                );
            }
            _ => return Err(node_err(n, "needs three inputs")),
        };
        let Some(fill) = fill.scalar() else {
            return unsupported("a fill that is not a single number");
        };
        let keep = Const {
            dims: cond.dims.clone(),
            data: cond
                .data
                .iter()
                .map(|&c| f64::from(u8::from((c != 0.0) == keep_when)))
                .collect(),
            int: true,
        };
        self.band_mask(n, label, x, &keep, fill)
    }

    /// `x + c` where `c` holds only 0 and one very negative fill in a band: an additive mask.
    /// `Ok(None)` when `c` is not of that form (an ordinary bias).
    pub(super) fn additive_mask(
        &mut self,
        n: &NodeProto,
        label: &str,
        x: &Val,
        c: &Const,
    ) -> R<Option<Wire>> {
        let fills: Vec<f64> = c.data.iter().copied().filter(|&v| v != 0.0).collect();
        let Some(&fill) = fills.first() else {
            return Ok(None);
        };
        if fill > NEG_FILL || fills.iter().any(|&v| v != fill) {
            return Ok(None);
        }
        let keep = Const {
            dims: c.dims.clone(),
            data: c
                .data
                .iter()
                .map(|&v| f64::from(u8::from(v == 0.0)))
                .collect(),
            int: true,
        };
        // a pattern the Mask op cannot express stays an added constant when finite (exact;
        // the executor refuses infinite weights)
        match self.band_mask(n, label, x.clone(), &keep, fill) {
            Ok(w) => Ok(Some(w)),
            Err(super::Fail::Unsupported(_)) if fill.is_finite() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Masks `x` where `keep` (broadcast against it) is 0, with the value `fill`.
    fn band_mask(
        &mut self,
        n: &NodeProto,
        label: &str,
        x: Val,
        keep: &Const,
        fill: f64,
    ) -> R<Wire> {
        if fill.is_nan() || fill > NEG_FILL {
            return unsupported(format!(
                "a fill of {fill}; a mask fills with −∞ (or a finite value ≤ {NEG_FILL} before a softmax)"
            ));
        }
        // the mask's shape must broadcast to the value's, not enlarge it
        let r = x.dims.len();
        if keep.dims.len() > r {
            return unsupported("a mask of higher rank than the masked value");
        }
        let off = r - keep.dims.len();
        let at: Vec<usize> = (0..keep.dims.len())
            .filter(|&j| keep.dims[j] != 1)
            .collect();
        for &j in &at {
            if self.dim_lit(x.dims[off + j]) != Some(keep.dims[j] as i64) {
                return Err(node_err(
                    n,
                    format!(
                        "the mask's dimension {j} is {} but the value's is {}",
                        keep.dims[j],
                        self.dim_size(x.dims[off + j])
                    ),
                ));
            }
        }
        let kept = keep.data.iter().filter(|&&k| k != 0.0).count();
        if kept == keep.data.len() {
            return Ok(Wire::Val(x)); // nothing masked
        }
        let [jr, jc] = at[..] else {
            return unsupported(format!(
                "a mask over {} dimension(s); the circuit's mask is a band over two",
                at.len()
            ));
        };
        let (nr, nc) = (keep.dims[jr], keep.dims[jc]);
        let stride_c: usize = keep.dims[jc + 1..].iter().product();
        let stride_r: usize = keep.dims[jr + 1..].iter().product();
        let k = |row: usize, col: usize| keep.data[row * stride_r + col * stride_c] != 0.0;
        // the band's reach above and below the diagonal, then a check of every entry
        let (mut above, mut below) = (i64::MIN, i64::MIN);
        for row in 0..nr {
            for col in (0..nc).filter(|&col| k(row, col)) {
                above = above.max(col as i64 - row as i64);
                below = below.max(row as i64 - col as i64);
            }
        }
        let m = nc_diagram::ir::Mask {
            rows: AxisId(0),
            cols: AxisId(0),
            below: (below < nr as i64 - 1).then_some(below),
            above: (above < nc as i64 - 1).then_some(above),
        };
        let band = (0..nr).all(|row| (0..nc).all(|col| k(row, col) == m.keeps(row, col)));
        if !band || kept == 0 {
            return unsupported(
                "the mask is not a band of diagonals over two dimensions (causal, sliding-window); \
                 the circuit has no arbitrary masks",
            );
        }
        if fill.is_finite() {
            // −∞ and a finite fill agree after a softmax only if no row or column is empty
            let rows_ok = (0..nr).all(|row| (0..nc).any(|col| k(row, col)));
            let cols_ok = (0..nc).all(|col| (0..nr).any(|row| k(row, col)));
            let out = n.output.first().map_or("", |s| s.as_str());
            if !(rows_ok && cols_ok && self.only_softmax_reads(out)) {
                return unsupported(format!(
                    "a finite fill {fill} read by something other than a softmax (the circuit's mask is −∞)"
                ));
            }
        }
        let (Some(rows), Some(cols)) = (x.dims[off + jr].axis(), x.dims[off + jc].axis()) else {
            return unsupported("a mask over size-1 dimensions");
        };
        let v = self.b.mask(label, x.v, rows, cols, m.below, m.above)?;
        Ok(Wire::Val(Val { v, dims: x.dims }))
    }

    /// `Split`: sizes from the `split` input (opset ≥ 13) or attribute (older writers),
    /// `num_outputs` (opset ≥ 18), or equal parts, one per output.
    pub(super) fn split(&mut self, n: &NodeProto, label: &str) -> R<Vec<Wire>> {
        let x = self.val(n, 0)?;
        let r = x.dims.len();
        let ax = norm_axis(n, attr_i(n, "axis", 0), r)?;
        let outs = n.output.len();
        if outs == 0 {
            return Err(node_err(n, "no outputs"));
        }
        let Some(total) = self.dim_lit(x.dims[ax]) else {
            return unsupported("splitting a dimension of symbolic size");
        };
        let sizes: Vec<i64> = if self.wire(n, 1).is_some() {
            self.konst(n, 1)?.as_ints()
        } else if let Some(s) = attr_ints(n, "split") {
            s
        } else {
            let parts = match super::attr(n, "num_outputs") {
                Some(a) if a.i as usize != outs => {
                    return Err(node_err(
                        n,
                        format!("num_outputs {} but {outs} outputs", a.i),
                    ));
                }
                _ => outs as i64,
            };
            // ceil-sized chunks, the last one smaller (opset 18's rule)
            let chunk = (total + parts - 1) / parts;
            (0..parts)
                .map(|i| (total - i * chunk).clamp(0, chunk))
                .collect()
        };
        if sizes.len() != outs || sizes.iter().any(|&s| s < 1) || sizes.iter().sum::<i64>() != total
        {
            return Err(node_err(
                n,
                format!(
                    "split sizes {sizes:?} do not cut dimension {ax} of size {total} into {outs} parts"
                ),
            ));
        }
        if outs == 1 {
            return Ok(vec![Wire::Val(x)]);
        }
        let Dim::Axis(a) = x.dims[ax] else {
            return unsupported("splitting a size-1 dimension");
        };
        if sizes.contains(&1) {
            return unsupported(
                "a split into a part of size 1 (the circuit carries no size-1 axes)",
            );
        }
        let kind = self.kind(a);
        let base = match kind {
            AxisKind::Token => "t",
            _ => Self::feature_base(r),
        };
        let parts: Vec<AxisId> = sizes
            .iter()
            .map(|&s| self.new_axis(base, SizeExpr::Lit(s), kind))
            .collect();
        let vs = self.b.split(label, x.v, a, &parts)?;
        Ok(vs
            .into_iter()
            .zip(parts)
            .map(|(v, p)| {
                let mut dims = x.dims.clone();
                dims[ax] = Dim::Axis(p);
                Wire::Val(Val { v, dims })
            })
            .collect())
    }

    /// `Expand`: broadcasting to a larger shape adds the new axes by adding a zero constant.
    pub(super) fn expand(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let x = self.val(n, 0)?;
        let shape = self.konst(n, 1)?.as_ints();
        if shape.iter().any(|&d| d < 1) {
            return Err(node_err(n, format!("shape {shape:?} has an entry below 1")));
        }
        let r = x.dims.len().max(shape.len());
        let mut dims = vec![Dim::One; r - x.dims.len()];
        dims.extend_from_slice(&x.dims);
        let off = r - shape.len();
        let mut new = false;
        for j in off..r {
            let t = shape[j - off];
            match (dims[j], self.dim_lit(dims[j])) {
                (_, _) if t == 1 => {}
                (Dim::One, _) => {
                    let kind = if r >= 4 && j >= r - 2 {
                        AxisKind::Token
                    } else {
                        AxisKind::Feature
                    };
                    let base = if kind == AxisKind::Token { "s" } else { "e" };
                    dims[j] = Dim::Axis(self.new_axis(base, SizeExpr::Lit(t), kind));
                    new = true;
                }
                (_, Some(s)) if s == t => {}
                (d, _) => {
                    return Err(node_err(
                        n,
                        format!(
                            "dimension {j} of size {} does not broadcast to {t}",
                            self.dim_size(d)
                        ),
                    ));
                }
            }
        }
        if !new {
            return Ok(Wire::Val(Val { v: x.v, dims }));
        }
        let axes: Vec<AxisId> = dims.iter().filter_map(|d| d.axis()).collect();
        let z = self.b.constant(&format!("{label}.zeros"), &axes, 0.0)?;
        let v = self.b.add(label, z, x.v)?;
        Ok(Wire::Val(Val { v, dims }))
    }

    /// Folds `Where`, `Expand`, `Equal` and `Not` on constants.
    pub(super) fn fold_select(&self, n: &NodeProto, op: &str) -> R<Const> {
        let c = |i: usize| self.konst(n, i);
        let shape_err = || node_err(n, "the constant inputs do not broadcast together");
        match op {
            "Not" => {
                let mut x = c(0)?;
                x.data
                    .iter_mut()
                    .for_each(|v| *v = f64::from(u8::from(*v == 0.0)));
                x.int = true;
                Ok(x)
            }
            "Expand" => {
                let (x, s) = (c(0)?, c(1)?.as_ints());
                let s: Vec<usize> = s
                    .iter()
                    .map(|&d| usize::try_from(d).map_err(|_| node_err(n, "a negative size")))
                    .collect::<R<_>>()?;
                let out = broadcast(&x.dims, &s).ok_or_else(shape_err)?;
                x.expand(&out).ok_or_else(shape_err)
            }
            "Equal" => {
                let (a, b) = (c(0)?, c(1)?);
                let out = broadcast(&a.dims, &b.dims).ok_or_else(shape_err)?;
                let (a, b) = (
                    a.expand(&out).ok_or_else(shape_err)?,
                    b.expand(&out).ok_or_else(shape_err)?,
                );
                Ok(Const {
                    dims: out,
                    data: a
                        .data
                        .iter()
                        .zip(&b.data)
                        .map(|(x, y)| f64::from(u8::from(x == y)))
                        .collect(),
                    int: true,
                })
            }
            _ => {
                let (k, x, y) = (c(0)?, c(1)?, c(2)?);
                let out = broadcast(&k.dims, &x.dims)
                    .and_then(|d| broadcast(&d, &y.dims))
                    .ok_or_else(shape_err)?;
                let e = |t: &Const| t.expand(&out).ok_or_else(shape_err);
                let (k, x, y) = (e(&k)?, e(&x)?, e(&y)?);
                let data = (0..k.data.len())
                    .map(|i| {
                        if k.data[i] != 0.0 {
                            x.data[i]
                        } else {
                            y.data[i]
                        }
                    })
                    .collect();
                Ok(Const {
                    dims: out,
                    data,
                    int: x.int && y.int,
                })
            }
        }
    }
}
