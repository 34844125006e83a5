//! The checkpoint file: a safetensors file whose metadata holds the run's state as JSON (exact
//! f64 round trip) and whose tensors hold large f64 arrays (DDPG's replay buffer). It is one
//! file written through a temporary sibling and a rename, so a process killed while writing
//! leaves the previous checkpoint intact.

use super::TrainError;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The checkpoint's file name in a run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";

const FORMAT: &str = "nc-ncap checkpoint 1";

/// The metadata key holding `{"format": FORMAT, "state": ...}`.
const META_KEY: &str = "nc-ncap";

#[derive(serde::Deserialize)]
struct Entry<S> {
    format: String,
    state: S,
}

/// Named f64 arrays stored as tensors beside the JSON state.
pub type Tensors = BTreeMap<String, Vec<f64>>;

/// Writes `state` and `tensors` to `dir/checkpoint.safetensors` atomically.
pub fn write_checkpoint<S: Serialize>(
    dir: &Path,
    state: &S,
    tensors: &Tensors,
) -> Result<(), TrainError> {
    let path = dir.join(CHECKPOINT_FILE);
    let bad = |message: String| TrainError::Checkpoint {
        path: path.clone(),
        message,
    };
    let json = serde_json::to_string(state).map_err(|e| bad(e.to_string()))?;
    let bytes: Vec<(String, Vec<u8>)> = tensors
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(k, b)| {
            TensorView::new(Dtype::F64, vec![b.len() / 8], b)
                .map(|v| (k.clone(), v))
                .map_err(|e| bad(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // one metadata entry: safetensors keeps metadata in a HashMap, whose order (and so the
    // file's bytes) would differ from write to write with two
    let entry = format!(
        "{{\"format\":{},\"state\":{json}}}",
        serde_json::Value::from(FORMAT)
    );
    let meta = HashMap::from([(META_KEY.to_string(), entry)]);
    let file = safetensors::serialize(views, Some(meta)).map_err(|e| bad(e.to_string()))?;
    nc_core::output::write_atomic(&path, &file).map_err(|source| TrainError::Io { path, source })
}

/// Reads `dir/checkpoint.safetensors`; `Ok(None)` when there is none. Every malformed file is
/// an error that names the file and the problem.
pub fn read_checkpoint<S: DeserializeOwned>(
    dir: &Path,
) -> Result<Option<(S, Tensors)>, TrainError> {
    let path = dir.join(CHECKPOINT_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(TrainError::Io { path, source }),
    };
    parse(&bytes)
        .map(Some)
        .map_err(|message| TrainError::Checkpoint { path, message })
}

/// Parses checkpoint bytes (public to the crate for the fuzz tests' sake).
pub(crate) fn parse<S: DeserializeOwned>(bytes: &[u8]) -> Result<(S, Tensors), String> {
    let (_, meta) =
        SafeTensors::read_metadata(bytes).map_err(|e| format!("not a checkpoint file: {e}"))?;
    let info = meta.metadata().as_ref();
    let get = |k: &str| info.and_then(|m| m.get(k));
    let state: S = match get(META_KEY) {
        Some(entry) => {
            let e: Entry<S> = serde_json::from_str(entry).map_err(|e| format!("bad state: {e}"))?;
            if e.format != FORMAT {
                return Err(format!(
                    "not an nc-ncap checkpoint (format {:?}, expected {FORMAT:?})",
                    e.format
                ));
            }
            e.state
        }
        // the layout of earlier versions: format and state as two entries
        None => {
            if get("format").map(String::as_str) != Some(FORMAT) {
                return Err(format!(
                    "not an nc-ncap checkpoint (format {:?}, expected {FORMAT:?})",
                    get("format")
                ));
            }
            serde_json::from_str(get("state").ok_or("the state is missing")?)
                .map_err(|e| format!("bad state: {e}"))?
        }
    };
    let st = SafeTensors::deserialize(bytes).map_err(|e| format!("bad tensors: {e}"))?;
    let mut tensors = Tensors::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F64 || view.shape().len() != 1 {
            return Err(format!(
                "tensor {name:?} is {:?} of shape {:?}; expected a 1-D F64 tensor",
                view.dtype(),
                view.shape()
            ));
        }
        let v = view
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        tensors.insert(name, v);
    }
    Ok((state, tensors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_tensors_round_trip_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let state = (0.1f64 + 0.2, vec![1e-300, -0.0, f64::MAX], "x".to_string());
        let tensors = Tensors::from([
            ("a".to_string(), vec![std::f64::consts::PI, -1.5e-17]),
            ("empty".to_string(), vec![]),
        ]);
        write_checkpoint(dir.path(), &state, &tensors).unwrap();
        let (s, t): ((f64, Vec<f64>, String), Tensors) =
            read_checkpoint(dir.path()).unwrap().unwrap();
        assert_eq!(s.0.to_bits(), state.0.to_bits());
        assert_eq!(s.1[1].to_bits(), (-0.0f64).to_bits());
        assert_eq!(s, state);
        assert_eq!(t, tensors);
        assert!(
            read_checkpoint::<u8>(&dir.path().join("none"))
                .unwrap()
                .is_none()
        );
        std::fs::write(dir.path().join(CHECKPOINT_FILE), b"{\"not\": 1}").unwrap();
        let e = read_checkpoint::<u8>(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("checkpoint.safetensors") && e.contains("not a checkpoint"),
            "{e}"
        );
    }

    /// A resume is exact only if every f64 of the JSON state parses back to the same bits;
    /// serde_json's default float parser is off by an ulp in rare cases.
    #[test]
    fn every_f64_survives_the_json_state_bit_for_bit() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let values: Vec<f64> = (0..200_000)
            .map(|_| {
                // xorshift over bit patterns: every exponent and mantissa, not only [0, 1)
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                f64::from_bits(x)
            })
            .filter(|v| v.is_finite())
            .collect();
        let back: Vec<f64> =
            serde_json::from_str(&serde_json::to_string(&values).unwrap()).unwrap();
        let bad = values
            .iter()
            .zip(&back)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert_eq!(bad, 0, "{bad} of {} values changed", values.len());
    }

    /// The same state gives the same file bytes (metadata order included).
    #[test]
    fn the_same_state_writes_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let tensors = Tensors::from([("a".to_string(), vec![1.0, 2.0])]);
        let mut files = Vec::new();
        for _ in 0..16 {
            write_checkpoint(dir.path(), &(1.5f64, "s"), &tensors).unwrap();
            files.push(std::fs::read(dir.path().join(CHECKPOINT_FILE)).unwrap());
        }
        assert!(files.windows(2).all(|w| w[0] == w[1]));
    }
}
