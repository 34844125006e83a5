//! The operator table: which ONNX operators translate, and to what.

use super::{Fail, Importer, R, Wire, unsupported};
use crate::proto::NodeProto;
use nc_diagram::ir::Func;

/// The operators the importer translates (for the unsupported-operator report and docs).
pub const SUPPORTED: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Concat",
    "Constant",
    "Conv",
    "Div",
    "Dropout",
    "Exp",
    "Flatten",
    "Gather",
    "Gemm",
    "GlobalAveragePool",
    "Identity",
    "LayerNormalization",
    "MatMul",
    "MaxPool",
    "Mul",
    "ReduceMax",
    "ReduceMean",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Shape",
    "Sigmoid",
    "Slice",
    "Softmax",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
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
            "Pow" => {
                let e = self.konst(n, 1)?.scalar();
                let f = match e {
                    Some(2.0) => Func::Square,
                    Some(0.5) => Func::Sqrt,
                    Some(-0.5) => Func::Rsqrt,
                    Some(-1.0) => Func::Reciprocal,
                    Some(1.0) => return Ok(vec![self.pass(n)?]),
                    _ => {
                        return unsupported(format!(
                            "Pow with exponent {e:?} (2, 0.5, -0.5, -1 and 1 are read)"
                        ));
                    }
                };
                self.map(n, label, f)?
            }
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
            _ => return unsupported("no translation for this operator"),
        };
        Ok(vec![w])
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
