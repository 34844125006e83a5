//! Named f32 tensors in safetensors files: the imported weights, and the inputs and outputs
//! of `neurocircuits diagram run`.

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use std::collections::BTreeMap;

/// A named tensor's dimensions and row-major data.
pub type Named = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Why a safetensors file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// Not a safetensors file.
    #[error("not a safetensors file: {0}")]
    Format(String),
    /// A tensor of another element type.
    #[error("tensor `{name}` is {dtype}; only F32 and F64 are read")]
    Dtype {
        /// The tensor.
        name: String,
        /// Its element type.
        dtype: String,
    },
}

/// Serialises named tensors as little-endian F32 safetensors.
pub fn write(tensors: &Named) -> Result<Vec<u8>, WeightsError> {
    let bytes: Vec<(&String, &Vec<usize>, Vec<u8>)> = tensors
        .iter()
        .map(|(k, (dims, data))| (k, dims, data.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(k, dims, b)| {
            TensorView::new(Dtype::F32, dims.to_vec(), b)
                .map(|v| (k.as_str(), v))
                .map_err(|e| WeightsError::Format(format!("tensor `{k}`: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    safetensors::serialize(views, None).map_err(|e| WeightsError::Format(e.to_string()))
}

/// Reads every tensor of a safetensors file (F32 or F64) as f32.
pub fn read(bytes: &[u8]) -> Result<Named, WeightsError> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let mut out = Named::new();
    for (name, v) in st.tensors() {
        let data: Vec<f32> = match v.dtype() {
            Dtype::F32 => v
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            Dtype::F64 => v
                .data()
                .chunks_exact(8)
                .map(|c| {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(c);
                    f64::from_le_bytes(b) as f32
                })
                .collect(),
            d => {
                return Err(WeightsError::Dtype {
                    name,
                    dtype: format!("{d:?}"),
                });
            }
        };
        out.insert(name, (v.shape().to_vec(), data));
    }
    Ok(out)
}
