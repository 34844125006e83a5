//! Hand-built ONNX graphs for the operator tests: tensors, nodes with attributes, a graph
//! that imports and runs on given inputs, deterministic numbers and a closeness check.
// each test binary uses part of it
#![allow(dead_code)]

use crate::common::vinfo;
use nc_diagram::exec::{Bound, forward};
use nc_diagram::tensor::Tensor;
use nc_diagram_onnx::proto::*;
use nc_diagram_onnx::{Imported, Options, import};
use prost::Message;

pub fn floats(name: &str, dims: &[i64], data: &[f64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: dtype::FLOAT,
        float_data: data.iter().map(|&x| x as f32).collect(),
        ..Default::default()
    }
}

pub fn ints(name: &str, data: &[i64]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: vec![data.len() as i64],
        data_type: dtype::INT64,
        int64_data: data.to_vec(),
        ..Default::default()
    }
}

pub fn bools(name: &str, dims: &[i64], data: &[bool]) -> TensorProto {
    TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: dtype::BOOL,
        int32_data: data.iter().map(|&b| i32::from(b)).collect(),
        ..Default::default()
    }
}

#[derive(Clone)]
pub enum A {
    I(i64),
    Is(Vec<i64>),
    S(&'static str),
}

pub fn node(op: &str, ins: &[&str], outs: &[&str], attrs: &[(&str, A)]) -> NodeProto {
    NodeProto {
        name: format!("/{}", op.to_lowercase()),
        op_type: op.into(),
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs
            .iter()
            .map(|(n, a)| {
                let mut p = AttributeProto {
                    name: n.to_string(),
                    ..Default::default()
                };
                match a {
                    A::I(i) => p.i = *i,
                    A::Is(v) => p.ints = v.clone(),
                    A::S(s) => p.s = s.as_bytes().to_vec(),
                }
                p
            })
            .collect(),
        ..Default::default()
    }
}

pub struct G {
    pub nodes: Vec<NodeProto>,
    pub init: Vec<TensorProto>,
    pub inputs: Vec<(&'static str, Vec<i64>)>,
    pub outputs: Vec<&'static str>,
    pub opset: i64,
}

impl G {
    pub fn new(inputs: &[(&'static str, &[i64])], outputs: &[&'static str]) -> Self {
        G {
            nodes: vec![],
            init: vec![],
            inputs: inputs.iter().map(|(n, d)| (*n, d.to_vec())).collect(),
            outputs: outputs.to_vec(),
            opset: 17,
        }
    }
    pub fn bytes(&self) -> Vec<u8> {
        ModelProto {
            ir_version: 8,
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: self.opset,
            }],
            graph: Some(GraphProto {
                name: "g".into(),
                node: self.nodes.clone(),
                initializer: self.init.clone(),
                input: self.inputs.iter().map(|(n, d)| vinfo(n, d)).collect(),
                output: self.outputs.iter().map(|o| vinfo(o, &[])).collect(),
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }
    pub fn import(&self) -> Imported {
        import(&self.bytes(), &Options::default()).unwrap_or_else(|e| panic!("{e}"))
    }
    pub fn error(&self) -> String {
        match import(&self.bytes(), &Options::default()) {
            Ok(_) => panic!("imported; an error was expected"),
            Err(e) => e.to_string(),
        }
    }
    /// Imports and runs on `xs` (row-major, ONNX order); returns each output, row-major in
    /// ONNX order.
    pub fn run(&self, xs: &[impl AsRef<[f64]>]) -> (Imported, Vec<Vec<f64>>) {
        let m = self.import();
        let c = &m.circuit;
        let b = nc_diagram::bind::parse(c, "").unwrap();
        let bound = Bound::new(c, &b).unwrap();
        let inputs: Vec<Tensor<f64>> = c
            .inputs
            .iter()
            .zip(xs)
            .map(|(v, x)| {
                let axes = c.value(*v).ty.axes.clone();
                Tensor::from_vec(axes.clone(), bound.dims(&axes), x.as_ref().to_vec())
            })
            .collect();
        let tape = forward(c, &bound, &m.params::<f64>(), &inputs).unwrap();
        let outs = (0..c.outputs.len())
            .map(|i| tape.output(c, i).unwrap().data)
            .collect();
        (m, outs)
    }
}

/// Deterministic test numbers in [−1, 1) (a linear congruential sequence).
pub fn numbers(n: usize, seed: u64) -> Vec<f64> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect()
}

pub fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "[{i}] {g} vs {w}");
    }
}

pub fn ops(m: &Imported) -> Vec<&'static str> {
    m.circuit.nodes.iter().map(|n| n.op.kind()).collect()
}
