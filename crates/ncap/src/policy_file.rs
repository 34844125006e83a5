//! The policy file: a safetensors file whose tensors are the policy's weights (f64, named as a
//! PyTorch user expects) and whose one metadata entry, `policy`, is the rest of the policy as
//! small JSON. `safetensors.torch.load_file("policy.safetensors")` gives the weights in one
//! line; the toolkit reads the file back bit for bit. Old `policy.json` files (all JSON) are
//! still read.
//!
//! Tensor names:
//! - NCAP: one scalar per parameter, named as in the reference `ParameterDict`
//!   (`bneuron_prop`, `bneuron_osc`, `muscle_ipsi`, `muscle_contra`, or the unshared names);
//! - MLP actors: `layers.{l}.weight` (`out × in`, as `nn.Linear`) and `layers.{l}.bias`;
//!   Gaussian actors add `log_scale`; a normaliser adds `normalizer.mean` and `normalizer.std`
//!   (copies of the JSON's statistics, checked equal on reading).

use crate::policy::SavedPolicy;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The policy's file name in a run folder.
pub const POLICY_FILE: &str = "policy.safetensors";
/// The file name older runs wrote (JSON), still read.
pub const LEGACY_POLICY_FILE: &str = "policy.json";

const FORMAT: &str = "nc-ncap policy 1";
const META_KEY: &str = "policy";

/// The policy file of run folder `dir`: `policy.safetensors`, or an older run's `policy.json`
/// when only that exists.
pub fn policy_path(dir: &Path) -> PathBuf {
    let new = dir.join(POLICY_FILE);
    let old = dir.join(LEGACY_POLICY_FILE);
    if !new.exists() && old.exists() {
        old
    } else {
        new
    }
}

// (shape, values) of one tensor
type Tensor = (Vec<usize>, Vec<f64>);

/// The policy as safetensors bytes (deterministic: one metadata entry, tensors sorted by name).
pub fn to_bytes(policy: &SavedPolicy) -> Result<Vec<u8>, String> {
    let mut v = serde_json::to_value(policy).map_err(|e| e.to_string())?;
    let mut tensors: BTreeMap<String, Tensor> = BTreeMap::new();
    let obj = v.as_object_mut().ok_or("policy is not an object")?;
    match policy {
        SavedPolicy::Ncap { ncap } => {
            let n = obj
                .get_mut("ncap")
                .and_then(Value::as_object_mut)
                .ok_or("ncap missing")?;
            n.remove("params");
            for ((name, _), &p) in ncap.param_names().iter().zip(ncap.params()) {
                if tensors.insert(name.clone(), (vec![], vec![p])).is_some() {
                    return Err(format!("two parameters are named {name:?}"));
                }
            }
        }
        SavedPolicy::Gaussian {
            actor, normalizer, ..
        } => {
            mlp_tensors(&actor.mlp, &mut tensors);
            tensors.insert(
                "log_scale".into(),
                (vec![actor.log_scale.len()], actor.log_scale.clone()),
            );
            strip(obj, &["actor", "mlp"], "params")?;
            strip(obj, &["actor"], "log_scale")?;
            norm_tensors(normalizer.as_ref(), &mut tensors);
        }
        SavedPolicy::Deterministic {
            actor, normalizer, ..
        } => {
            mlp_tensors(&actor.mlp, &mut tensors);
            strip(obj, &["actor", "mlp"], "params")?;
            norm_tensors(normalizer.as_ref(), &mut tensors);
        }
    }
    let mut meta = Map::new();
    meta.insert("format".into(), FORMAT.into());
    meta.insert("policy".into(), v);
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = tensors
        .into_iter()
        .map(|(k, (shape, x))| (k, shape, x.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(k, shape, b)| {
            TensorView::new(Dtype::F64, shape.clone(), b)
                .map(|v| (k.clone(), v))
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let info = HashMap::from([(META_KEY.to_string(), Value::Object(meta).to_string())]);
    safetensors::serialize(views, Some(info)).map_err(|e| e.to_string())
}

/// Parses a policy file's bytes: safetensors, or (starting with `{`) an old JSON policy. Every
/// rejection says what is wrong.
pub fn from_bytes(bytes: &[u8]) -> Result<SavedPolicy, String> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 JSON: {e}"))?;
        return SavedPolicy::parse(text);
    }
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| format!("neither a JSON policy nor a safetensors file: {e}"))?;
    let meta_text = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or("safetensors file without the `policy` metadata entry (not an nc-ncap policy)")?;
    let meta: Value =
        serde_json::from_str(meta_text).map_err(|e| format!("metadata `policy`: {e}"))?;
    if meta.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(format!(
            "metadata format {:?}, expected {FORMAT:?}",
            meta.get("format")
        ));
    }
    let mut v = meta
        .get("policy")
        .cloned()
        .ok_or("metadata without `policy`")?;
    let st = SafeTensors::deserialize(bytes).map_err(|e| format!("bad tensors: {e}"))?;
    let mut tensors: BTreeMap<String, Tensor> = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F64 {
            return Err(format!(
                "tensor {name:?} is {:?}; expected F64",
                view.dtype()
            ));
        }
        let x = view
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect();
        tensors.insert(name, (view.shape().to_vec(), x));
    }
    let mut take = |name: &str, shape: &[usize]| -> Result<Vec<f64>, String> {
        let (s, x) = tensors
            .remove(name)
            .ok_or_else(|| format!("tensor {name:?} is missing"))?;
        if s != shape {
            return Err(format!(
                "tensor {name:?} has shape {s:?}; expected {shape:?}"
            ));
        }
        Ok(x)
    };
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let obj = v.as_object_mut().ok_or("`policy` is not an object")?;
    match kind.as_str() {
        "ncap" => {
            let n = obj
                .get_mut("ncap")
                .and_then(Value::as_object_mut)
                .ok_or("`policy.ncap` is missing")?;
            let names: Vec<String> = n
                .get("names")
                .and_then(Value::as_array)
                .ok_or("`policy.ncap.names` is missing")?
                .iter()
                .map(|s| s.as_str().map(String::from).ok_or("a name is not a string"))
                .collect::<Result<_, _>>()?;
            let params = names
                .iter()
                .map(|name| take(name, &[]).map(|x| x[0]))
                .collect::<Result<Vec<f64>, _>>()?;
            n.insert("params".into(), params.into());
        }
        "gaussian" | "deterministic" => {
            let actor = obj
                .get_mut("actor")
                .and_then(Value::as_object_mut)
                .ok_or("`policy.actor` is missing")?;
            let mlp = actor
                .get_mut("mlp")
                .and_then(Value::as_object_mut)
                .ok_or("`policy.actor.mlp` is missing")?;
            let sizes: Vec<usize> =
                serde_json::from_value(mlp.get("sizes").cloned().ok_or("`sizes` is missing")?)
                    .map_err(|e| format!("`sizes`: {e}"))?;
            crate::mlp::param_count(&sizes).map_err(|e| e.to_string())?;
            let mut params = Vec::new();
            for (l, w) in sizes.windows(2).enumerate() {
                params.extend(take(&format!("layers.{l}.weight"), &[w[1], w[0]])?);
                params.extend(take(&format!("layers.{l}.bias"), &[w[1]])?);
            }
            mlp.insert("params".into(), params.into());
            if kind == "gaussian" {
                let n_out = sizes[sizes.len() - 1];
                actor.insert("log_scale".into(), take("log_scale", &[n_out])?.into());
            }
        }
        other => return Err(format!("unknown policy kind {other:?}")),
    }
    let policy = SavedPolicy::from_value(v)?;
    let norm = match &policy {
        SavedPolicy::Ncap { .. } => None,
        SavedPolicy::Gaussian { normalizer, .. }
        | SavedPolicy::Deterministic { normalizer, .. } => normalizer.as_ref(),
    };
    if let Some(n) = norm {
        for (name, want) in [("normalizer.mean", n.mean()), ("normalizer.std", n.std())] {
            let got = take(name, &[want.len()])?;
            if got
                .iter()
                .zip(want)
                .any(|(a, b)| a.to_bits() != b.to_bits())
            {
                return Err(format!(
                    "tensor {name:?} differs from the normaliser in the metadata"
                ));
            }
        }
    }
    if let Some(extra) = tensors.keys().next() {
        return Err(format!("unexpected tensor {extra:?}"));
    }
    Ok(policy)
}

fn mlp_tensors(mlp: &crate::mlp::Mlp, out: &mut BTreeMap<String, Tensor>) {
    let mut off = 0;
    for (l, w) in mlp.sizes().windows(2).enumerate() {
        let (n_in, n_out) = (w[0], w[1]);
        let p = mlp.params();
        out.insert(
            format!("layers.{l}.weight"),
            (vec![n_out, n_in], p[off..off + n_out * n_in].to_vec()),
        );
        off += n_out * n_in;
        out.insert(
            format!("layers.{l}.bias"),
            (vec![n_out], p[off..off + n_out].to_vec()),
        );
        off += n_out;
    }
}

fn norm_tensors(norm: Option<&crate::normalizer::MeanStd>, out: &mut BTreeMap<String, Tensor>) {
    if let Some(n) = norm {
        out.insert("normalizer.mean".into(), (vec![n.dim()], n.mean().to_vec()));
        out.insert("normalizer.std".into(), (vec![n.dim()], n.std().to_vec()));
    }
}

// removes `key` from the object at `path` inside `obj`
fn strip(obj: &mut Map<String, Value>, path: &[&str], key: &str) -> Result<(), String> {
    let mut o = obj;
    for p in path {
        o = o
            .get_mut(*p)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("{p} missing"))?;
    }
    o.remove(key);
    Ok(())
}

#[cfg(test)]
mod tests;
