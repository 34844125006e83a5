//! Shared by the model tests: importing a committed model and running it on onnxruntime's
//! recorded inputs.
// each test binary uses part of it
#![allow(dead_code)]

use nc_diagram::exec::{Bound, forward};
use nc_diagram::tensor::Tensor;
use nc_diagram_onnx::proto::{
    DimValue, Dimension, TensorShapeProto, TypeProto, TypeProtoTensor, ValueInfoProto, dtype,
};
use nc_diagram_onnx::weights::{self, Named};
use nc_diagram_onnx::{Imported, import_file};
use std::path::PathBuf;

/// A file of `tests/data`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A model imported and run on the recorded inputs (f32).
pub struct Run {
    /// The import.
    pub m: Imported,
    /// The recorded `input.NAME` and `output.NAME` tensors (onnxruntime's).
    pub refs: Named,
    /// The symbolic sizes, bound from the recorded inputs' shapes.
    pub bindings: nc_diagram::size::Bindings,
    /// Our outputs, in the circuit's output order.
    pub outputs: Vec<Tensor<f32>>,
}

/// Imports `NAME.onnx` and runs it on the inputs of `NAME.ref.safetensors`.
pub fn run(name: &str) -> Run {
    let m = import_file(&data(&format!("{name}.onnx")), &Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let refs =
        weights::read(&std::fs::read(data(&format!("{name}.ref.safetensors"))).unwrap()).unwrap();
    let c = &m.circuit;
    let mut bindings = nc_diagram::size::Bindings::new();
    for (v, n) in c.inputs.iter().zip(&m.input_names) {
        let dims = &refs[&format!("input.{n}")].0;
        for (a, d) in c.value(*v).ty.axes.iter().zip(dims) {
            if let nc_diagram::size::SizeExpr::Sym(s) = &c.axes[a.ix()].size {
                bindings.insert(s.clone(), *d as i64);
            }
        }
    }
    let mut b = c.default_bindings();
    b.extend(bindings.clone());
    let bound = Bound::new(c, &b).unwrap();
    let inputs: Vec<Tensor<f32>> = c
        .inputs
        .iter()
        .zip(&m.input_names)
        .map(|(v, n)| {
            let (dims, d) = refs[&format!("input.{n}")].clone();
            let axes = c.value(*v).ty.axes.clone();
            assert_eq!(bound.dims(&axes), dims, "input {n}");
            Tensor::from_vec(axes, dims, d)
        })
        .collect();
    let tape = forward(c, &bound, &m.params::<f32>(), &inputs).unwrap();
    let outputs = (0..c.outputs.len())
        .map(|i| tape.output(c, i).unwrap())
        .collect();
    Run {
        m,
        refs,
        bindings,
        outputs,
    }
}

/// max |got − want| / max |want|.
pub fn rel(got: &[f32], want: &[f32]) -> f64 {
    assert_eq!(got.len(), want.len(), "element counts");
    let scale = want.iter().fold(0f64, |m, &x| m.max(f64::from(x).abs()));
    let err = got.iter().zip(want).fold(0f64, |m, (&a, &b)| {
        m.max((f64::from(a) - f64::from(b)).abs())
    });
    err / scale.max(f64::MIN_POSITIVE)
}

/// The dimensions other than 1 (the circuit does not carry size-1 dimensions).
pub fn squeezed(dims: &[usize]) -> Vec<usize> {
    dims.iter().copied().filter(|&d| d != 1).collect()
}

/// A float graph value of fixed dimensions (for hand-built graphs).
pub fn vinfo(name: &str, dims: &[i64]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeProtoTensor {
                elem_type: dtype::FLOAT,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            value: Some(DimValue::DimValue(d)),
                        })
                        .collect(),
                }),
            }),
        }),
    }
}
