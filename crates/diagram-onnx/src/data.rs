//! Constant tensors of a model (initialisers, `Constant` nodes), decoded and checked.

use crate::error::ImportError;
use crate::proto::{TensorProto, dtype};

/// A constant tensor: ONNX dimension order, row-major data held as f64 (exact for the f32,
/// f64 and integer values of shapes and weights the importer reads).
#[derive(Clone, Debug, PartialEq)]
pub struct Const {
    /// Dimensions.
    pub dims: Vec<usize>,
    /// Row-major elements.
    pub data: Vec<f64>,
    /// Whether it holds integers (shapes, axes, indices).
    pub int: bool,
}

impl Const {
    /// A 1-D integer tensor.
    pub fn ints(v: &[i64]) -> Self {
        Const {
            dims: vec![v.len()],
            data: v.iter().map(|&x| x as f64).collect(),
            int: true,
        }
    }
    /// The elements as integers.
    pub fn as_ints(&self) -> Vec<i64> {
        self.data.iter().map(|&x| x as i64).collect()
    }
    /// The single element, when there is one.
    pub fn scalar(&self) -> Option<f64> {
        (self.data.len() == 1).then(|| self.data[0])
    }
    /// The tensor broadcast (NumPy rules) to `dims`, or `None` when it does not broadcast
    /// (or the result would exceed the element bound of a decoded tensor).
    pub fn expand(&self, dims: &[usize]) -> Option<Const> {
        if broadcast(&self.dims, dims)? != dims {
            return None;
        }
        let n = dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= MAX_ELEMENTS)?;
        let off = dims.len() - self.dims.len();
        // the stride of each output dimension in the source (0 where broadcast)
        let mut strides = vec![0usize; dims.len()];
        let mut s = 1;
        for j in (0..self.dims.len()).rev() {
            if self.dims[j] != 1 {
                strides[off + j] = s;
            }
            s *= self.dims[j];
        }
        let mut data = Vec::with_capacity(n);
        for flat in 0..n {
            let (mut rem, mut src) = (flat, 0);
            for j in (0..dims.len()).rev() {
                src += (rem % dims[j]) * strides[j];
                rem /= dims[j];
            }
            data.push(self.data[src]);
        }
        Some(Const {
            dims: dims.to_vec(),
            data,
            int: self.int,
        })
    }
}

/// The broadcast of two shapes by NumPy's rules, or `None` when they do not broadcast.
pub fn broadcast(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let at = |d: &[usize], j: usize| (j + d.len()).checked_sub(r).map_or(1, |i| d[i]);
    (0..r)
        .map(|j| match (at(a, j), at(b, j)) {
            (x, y) if x == y || y == 1 => Some(x),
            (1, y) => Some(y),
            _ => None,
        })
        .collect()
}

/// Most elements one constant may hold (2^28): a bound on what a file can make us allocate.
const MAX_ELEMENTS: usize = 1 << 28;

/// Decodes a `TensorProto`, checking its element count against its dimensions.
pub fn decode(t: &TensorProto) -> Result<Const, ImportError> {
    let err = |why: String| ImportError::Tensor {
        name: t.name.clone(),
        why,
    };
    if t.data_location == 1 {
        return Err(err(
            "data stored externally (data_location EXTERNAL) is not read".into(),
        ));
    }
    let mut n: usize = 1;
    let mut dims = Vec::with_capacity(t.dims.len());
    for &d in &t.dims {
        let d = usize::try_from(d).map_err(|_| err(format!("dims has a negative entry {d}")))?;
        n = n
            .checked_mul(d)
            .filter(|&n| n <= MAX_ELEMENTS)
            .ok_or_else(|| err(format!("dims {:?} exceed {MAX_ELEMENTS} elements", t.dims)))?;
        dims.push(d);
    }
    let raw = !t.raw_data.is_empty() || n == 0;
    let (data, int): (Vec<f64>, bool) = match t.data_type {
        dtype::FLOAT if raw => (
            le_chunks::<4>(&t.raw_data, n, &err)?
                .map(|b| f32::from_le_bytes(b) as f64)
                .collect(),
            false,
        ),
        dtype::FLOAT => (t.float_data.iter().map(|&x| x as f64).collect(), false),
        dtype::DOUBLE if raw => (
            le_chunks::<8>(&t.raw_data, n, &err)?
                .map(f64::from_le_bytes)
                .collect(),
            false,
        ),
        dtype::DOUBLE => (t.double_data.clone(), false),
        dtype::INT64 if raw => (
            le_chunks::<8>(&t.raw_data, n, &err)?
                .map(|b| i64::from_le_bytes(b) as f64)
                .collect(),
            true,
        ),
        dtype::INT64 => (t.int64_data.iter().map(|&x| x as f64).collect(), true),
        dtype::INT32 if raw => (
            le_chunks::<4>(&t.raw_data, n, &err)?
                .map(|b| i32::from_le_bytes(b) as f64)
                .collect(),
            true,
        ),
        dtype::BOOL if raw => (
            le_chunks::<1>(&t.raw_data, n, &err)?
                .map(|b| b[0] as f64)
                .collect(),
            true,
        ),
        dtype::INT32 | dtype::BOOL => (t.int32_data.iter().map(|&x| x as f64).collect(), true),
        other => {
            return Err(err(format!(
                "data_type {other} is not read (float, double, int32, int64 and bool are)"
            )));
        }
    };
    if data.len() != n {
        return Err(err(format!(
            "dims {:?} give {n} elements but the data holds {}",
            t.dims,
            data.len()
        )));
    }
    Ok(Const { dims, data, int })
}

fn le_chunks<'a, const W: usize>(
    raw: &'a [u8],
    n: usize,
    err: &impl Fn(String) -> ImportError,
) -> Result<impl Iterator<Item = [u8; W]> + 'a, ImportError> {
    if raw.len() != n * W {
        return Err(err(format!(
            "raw_data has {} bytes, {n} elements of {W} bytes need {}",
            raw.len(),
            n * W
        )));
    }
    Ok(raw
        .chunks_exact(W)
        .map(|c| <[u8; W]>::try_from(c).unwrap_or([0; W])))
}
