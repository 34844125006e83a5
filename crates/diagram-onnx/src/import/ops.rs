//! The operator table: which ONNX operators translate, and to what.

use super::{Fail, Importer, R, Wire, unsupported};
use crate::proto::NodeProto;
use nc_diagram::ir::Func;

/// The operators the importer translates (for the unsupported-operator report and docs);
/// `Equal`, `Not`, `Gather` and `Slice` only on constants (shape arithmetic, masks).
pub const SUPPORTED: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Concat",
    "Constant",
    "Conv",
    "ConvTranspose",
    "Cos",
    "Div",
    "Dropout",
    "Einsum",
    "Equal",
    "Erf",
    "Exp",
    "Expand",
    "Flatten",
    "Gather",
    "Gelu",
    "Gemm",
    "GlobalAveragePool",
    "Identity",
    "LayerNormalization",
    "MatMul",
    "MaxPool",
    "Mul",
    "Neg",
    "Not",
    "Pow",
    "Reciprocal",
    "ReduceMax",
    "ReduceMean",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Shape",
    "Sigmoid",
    "Sin",
    "Slice",
    "Softmax",
    "Split",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
    "Where",
];

impl Importer {
    /// Translates one node; returns its output wires in order.
    pub(super) fn node(&mut self, n: &NodeProto, op_type: &str, label: &str) -> R<Vec<Wire>> {
        // constants in, constant out: fold (shape arithmetic)
        if let Some(c) = self.fold(n, op_type)? {
            return Ok(vec![Wire::Const(c)]);
        }
        let w = match op_type {
            "Identity" | "Dropout" => self.pass(n)?,
            "Cast" => self.cast(n)?,
            "Constant" => Wire::Const(self.constant(n)?),
            "Relu" => self.map(n, label, Func::Relu)?,
            "Tanh" => self.map(n, label, Func::Tanh)?,
            "Sigmoid" => self.map(n, label, Func::Sigmoid)?,
            "Exp" => self.map(n, label, Func::Exp)?,
            "Erf" => self.map(n, label, Func::Erf)?,
            "Sqrt" => self.map(n, label, Func::Sqrt)?,
            "Reciprocal" => self.map(n, label, Func::Reciprocal)?,
            "Sin" => self.map(n, label, Func::Sin)?,
            "Cos" => self.map(n, label, Func::Cos)?,
            "Neg" => self.map(n, label, Func::Scale(-1.0))?,
            "Gelu" => match super::attr_s(n, "approximate").as_deref() {
                Some("tanh") => self.map(n, label, Func::Gelu)?,
                _ => self.map(n, label, Func::GeluErf)?,
            },
            "Pow" => self.pow(n, label)?,
            "Add" | "Sub" | "Mul" | "Div" => self.binary(n, op_type, label)?,
            "Softmax" => self.softmax(n, label)?,
            "Gemm" => self.gemm(n, label)?,
            "MatMul" => self.matmul(n, label)?,
            "Conv" => self.conv(n, label)?,
            "BatchNormalization" => self.batch_norm(n, label)?,
            "LayerNormalization" => self.layer_norm(n, label)?,
            "MaxPool" | "AveragePool" => self.pool(n, op_type, label)?,
            "GlobalAveragePool" => self.global_pool(n, label)?,
            "ReduceMean" | "ReduceSum" | "ReduceMax" => self.reduce(n, op_type, label)?,
            "Flatten" => self.flatten(n, label)?,
            "Reshape" => self.reshape(n, label)?,
            "Transpose" => self.transpose(n)?,
            "Squeeze" => self.squeeze(n)?,
            "Unsqueeze" => self.unsqueeze(n)?,
            "Concat" => self.concat(n, label)?,
            "Shape" => self.shape_of(n)?,
            "Where" => self.where_(n, label)?,
            "Expand" => self.expand(n, label)?,
            "Split" => return self.split(n, label),
            "ConvTranspose" => self.conv_transpose(n, label)?,
            "Einsum" => self.einsum(n, label)?,
            _ => return unsupported("no translation for this operator"),
        };
        Ok(vec![w])
    }

    /// `Pow` by a constant exponent: ½, −½, −1 and 1 are functions; a whole power 2 to 8 is
    /// squarings and products (`x³ = x²·x`, as the tanh GELU writes it).
    fn pow(&mut self, n: &NodeProto, label: &str) -> R<Wire> {
        let e = match self.wire(n, 1) {
            Some(Wire::Const(c)) => c.scalar(),
            Some(Wire::Val(_)) => return unsupported("a computed exponent"),
            None => return Err(super::node_err(n, "input 1 (exponent) is missing")),
        };
        let f = match e {
            Some(0.5) => Func::Sqrt,
            Some(-0.5) => Func::Rsqrt,
            Some(-1.0) => Func::Reciprocal,
            Some(1.0) => return self.pass(n),
            Some(p) if p.fract() == 0.0 && (2.0..=8.0).contains(&p) => {
                return self.whole_power(n, label, p as u32);
            }
            _ => {
                return unsupported(format!(
                    "Pow with exponent {e:?} (whole powers 1 to 8, 0.5, -0.5 and -1 are read)"
                ));
            }
        };
        self.map(n, label, f)
    }

    /// `x^p` for a whole `p ≥ 2` by binary powering: squares, and products with `x`.
    fn whole_power(&mut self, n: &NodeProto, label: &str, p: u32) -> R<Wire> {
        let x = self.val(n, 0)?;
        // most significant bit first: square, then multiply by x where the bit is set
        let bits = 32 - p.leading_zeros();
        let mut acc = x.v;
        for i in (0..bits - 1).rev() {
            let last = i == 0;
            let sq = if last && p & 1 == 0 {
                label.to_string()
            } else {
                format!("{label}.sq{i}")
            };
            acc = self.b.map(&sq, acc, Func::Square)?;
            if p >> i & 1 == 1 {
                let nm = if last {
                    label.to_string()
                } else {
                    format!("{label}.mul{i}")
                };
                acc = self.b.mul(&nm, acc, x.v)?;
            }
        }
        Ok(Wire::Val(super::Val {
            v: acc,
            dims: x.dims,
        }))
    }

    fn pass(&self, n: &NodeProto) -> R<Wire> {
        self.wire(n, 0)
            .cloned()
            .ok_or_else(|| super::node_err(n, "input 0 is missing"))
    }

    fn cast(&self, n: &NodeProto) -> R<Wire> {
        use crate::proto::dtype;
        let to = super::attr_i(n, "to", 0) as i32;
        match self.pass(n)? {
            Wire::Const(mut c) => {
                c.int = matches!(to, dtype::INT32 | dtype::INT64 | dtype::BOOL);
                if c.int {
                    c.data.iter_mut().for_each(|x| *x = x.trunc());
                }
                Ok(Wire::Const(c))
            }
            w @ Wire::Val(_) if matches!(to, dtype::FLOAT | dtype::DOUBLE) => Ok(w),
            Wire::Val(_) => unsupported(format!("cast of a computed value to data type {to}")),
        }
    }

    fn constant(&self, n: &NodeProto) -> R<crate::data::Const> {
        use crate::data::Const;
        if let Some(t) = super::attr(n, "value").and_then(|a| a.t.as_ref()) {
            return Ok(crate::data::decode(t)?);
        }
        if let Some(a) = super::attr(n, "value_float") {
            return Ok(Const {
                dims: vec![],
                data: vec![a.f as f64],
                int: false,
            });
        }
        if let Some(a) = super::attr(n, "value_int") {
            return Ok(Const {
                dims: vec![],
                data: vec![a.i as f64],
                int: true,
            });
        }
        if let Some(v) = super::attr_ints(n, "value_ints") {
            return Ok(Const::ints(&v));
        }
        if let Some(a) = super::attr(n, "value_floats") {
            return Ok(Const {
                dims: vec![a.floats.len()],
                data: a.floats.iter().map(|&x| x as f64).collect(),
                int: false,
            });
        }
        Err(Fail::Unsupported(
            "a Constant without value, value_float(s) or value_int(s)".into(),
        ))
    }
}
