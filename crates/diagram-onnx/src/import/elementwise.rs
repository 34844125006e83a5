//! Elementwise operators: functions, the four arithmetic operators with ONNX broadcasting,
//! softmax.

use super::{Dim, Importer, R, Val, Wire, node_err, unsupported};
use crate::data::Const;
use crate::proto::NodeProto;
use nc_diagram::ir::{AxisId, Func, Init};

impl Importer {
    pub(super) fn map(&mut self, n: &NodeProto, label: &str, f: Func) -> R<Wire> {
        let x = self.val(n, 0)?;
        let v = self.b.map(label, x.v, f)?;
        Ok(Wire::Val(Val { v, dims: x.dims }))
    }

    pub(super) fn softmax(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let x = self.val(n, 0)?;
        let ax = super::norm_axis(n, super::attr_i(n, "axis", -1), x.dims.len())?;
        let Dim::Axis(a) = x.dims[ax] else {
            return unsupported("softmax over a size-1 dimension (the result is all ones)");
        };
        let v = self.b.softmax(label, x.v, &[a])?;
        Ok(Wire::Val(Val { v, dims: x.dims }))
    }

    /// `Add`, `Sub`, `Mul`, `Div` with NumPy-style broadcasting.
    pub(super) fn binary(&mut self, n: &NodeProto, op: &str, label: &str) -> R<Wire> {
        let (a, b) = match (self.wire(n, 0), self.wire(n, 1)) {
            (Some(a), Some(b)) => (a.clone(), b.clone()),
            _ => return Err(node_err(n, "needs two inputs")),
        };
        match (a, b) {
            (Wire::Val(x), Wire::Val(y)) => self.binary_vals(n, op, label, x, y),
            (Wire::Val(x), Wire::Const(c)) => self.binary_const(n, op, label, x, c, false),
            (Wire::Const(c), Wire::Val(x)) => self.binary_const(n, op, label, x, c, true),
            (Wire::Const(_), Wire::Const(_)) => unsupported("arithmetic on constants not folded"),
        }
    }

    /// `x op c` (or `c op x` when `const_left`).
    fn binary_const(
        &mut self,
        n: &NodeProto,
        op: &str,
        label: &str,
        mut x: Val,
        c: Const,
        const_left: bool,
    ) -> R<Wire> {
        if op == "Add"
            && let Some(w) = self.additive_mask(n, label, &x, &c)?
        {
            return Ok(w);
        }
        // a constant of higher rank adds leading size-1 dimensions
        while x.dims.len() < c.dims.len() {
            x.dims.insert(0, Dim::One);
        }
        // c − x = (−x) + c; c / x = (1/x)·c
        let mut xv = x.v;
        let mut op = op;
        if const_left && op == "Sub" {
            xv = self.b.map(&format!("{label}.neg"), xv, Func::Scale(-1.0))?;
        }
        if const_left && op == "Div" {
            xv = self
                .b
                .map(&format!("{label}.recip"), xv, Func::Reciprocal)?;
            op = "Mul";
        }
        let sign = if op == "Sub" && !const_left {
            -1.0
        } else {
            1.0
        };
        if let Some(s) = c.scalar() {
            let v = match op {
                "Mul" => self.b.map(label, xv, Func::Scale(s))?,
                "Div" if s == 0.0 => return Err(node_err(n, "division by a zero constant")),
                "Div" => self.b.map(label, xv, Func::Scale(1.0 / s))?,
                _ => {
                    let k = self.b.constant(&format!("{label}.const"), &[], sign * s)?;
                    self.b.add(label, xv, k)?
                }
            };
            return Ok(Wire::Val(Val { v, dims: x.dims }));
        }
        // a weight over the value's axes that the constant does not broadcast
        let off = x.dims.len() - c.dims.len();
        let mut axes: Vec<AxisId> = Vec::new();
        let mut dims: Vec<usize> = Vec::new();
        for (j, &cd) in c.dims.iter().enumerate() {
            if cd == 1 {
                continue;
            }
            match x.dims[off + j] {
                Dim::Axis(a) if self.lit(a) == Some(cd as i64) => {
                    axes.push(a);
                    dims.push(cd);
                }
                Dim::Axis(a) if self.lit(a).is_some() => {
                    return Err(node_err(
                        n,
                        format!(
                            "the constant's dimension {j} is {cd} but the value's is {}",
                            self.lit(a).unwrap_or(0)
                        ),
                    ));
                }
                _ => return unsupported("the constant broadcasts the value to a larger shape"),
            }
        }
        let data: Vec<f64> = match op {
            "Div" => c.data.iter().map(|v| 1.0 / v).collect(),
            _ => c.data.iter().map(|v| sign * v).collect(),
        };
        let cname = format!("{label}.const");
        let k = self.b.learned_init(&cname, &axes, Init::Zeros)?;
        self.fill(format!("{cname}.value"), axes, dims, data);
        let v = match op {
            "Mul" | "Div" => self.b.mul(label, xv, k)?,
            _ => self.b.add(label, xv, k)?,
        };
        Ok(Wire::Val(Val { v, dims: x.dims }))
    }

    /// Two computed values: equal-sized dimensions at the same place are the same axis.
    fn binary_vals(&mut self, n: &NodeProto, op: &str, label: &str, x: Val, y: Val) -> R<Wire> {
        let rank = x.dims.len().max(y.dims.len());
        let pad = |d: &[Dim]| {
            let mut v = vec![Dim::One; rank - d.len()];
            v.extend_from_slice(d);
            v
        };
        let (xd, yd) = (pad(&x.dims), pad(&y.dims));
        let mut yv = y.v;
        let mut out = Vec::with_capacity(rank);
        for (j, (&dx, &dy)) in xd.iter().zip(&yd).enumerate() {
            match (dx, dy) {
                (Dim::Axis(a), Dim::Axis(b)) if a == b => out.push(dx),
                (Dim::Axis(a), Dim::Axis(b)) => {
                    if self.dim_size(dx) != self.dim_size(dy) {
                        return Err(node_err(
                            n,
                            format!(
                                "dimension {j}: sizes {} and {} do not broadcast",
                                self.dim_size(dx),
                                self.dim_size(dy)
                            ),
                        ));
                    }
                    let nm = format!("{label}.align{j}");
                    yv = self.b.rename(&nm, yv, b, a)?;
                    out.push(dx);
                }
                (Dim::One, d) | (d, Dim::One) => out.push(d),
            }
        }
        let has = |v, me: &Importer| me.b.circuit().value(v).ty.axes.clone();
        let (ax, ay) = (has(x.v, self), has(yv, self));
        let mut xv = x.v;
        if op == "Sub" {
            yv = self.b.map(&format!("{label}.neg"), yv, Func::Scale(-1.0))?;
        }
        // x / y = x · (1/y)
        if op == "Div" {
            yv = self
                .b
                .map(&format!("{label}.recip"), yv, Func::Reciprocal)?;
        }
        let (first, second) = if ay.iter().all(|a| ax.contains(a)) {
            (xv, yv)
        } else if ax.iter().all(|a| ay.contains(a)) {
            std::mem::swap(&mut xv, &mut yv);
            (xv, yv)
        } else {
            return unsupported("each side has axes the other lacks (an outer product)");
        };
        let v = match op {
            "Mul" | "Div" => self.b.mul(label, first, second)?,
            _ => self.b.add(label, first, second)?,
        };
        Ok(Wire::Val(Val { v, dims: out }))
    }
}
