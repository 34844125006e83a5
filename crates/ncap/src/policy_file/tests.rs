use super::*;
use crate::actor::{DeterministicActor, GaussianActor};
use crate::mlp::MlpCache;
use crate::ncap::{Ncap, NcapConfig};
use crate::normalizer::MeanStd;

fn rng() -> nc_core::rng::ChaCha8Rng {
    nc_core::rng::stream(3, "policy-file-test", 0)
}

fn norm(dim: usize) -> MeanStd {
    let mut n = MeanStd::new(dim);
    n.record(
        &(0..3 * dim)
            .map(|i| (i as f64 * 0.37).sin())
            .collect::<Vec<_>>(),
    );
    n.update();
    n
}

fn policies() -> Vec<SavedPolicy> {
    let unshared = NcapConfig::from_code("011").unwrap();
    vec![
        SavedPolicy::Ncap {
            ncap: Ncap::default_for(5).unwrap(),
        },
        SavedPolicy::Ncap {
            ncap: Ncap::new(unshared, 5, &mut rng()).unwrap(),
        },
        SavedPolicy::Gaussian {
            actor: GaussianActor::new(24, 5, &[8, 6], &mut rng()).unwrap(),
            normalizer: Some(norm(24)),
            time_feature: true,
        },
        SavedPolicy::Deterministic {
            actor: DeterministicActor::new(23, 5, &[7], &mut rng()).unwrap(),
            normalizer: None,
            time_feature: false,
        },
    ]
}

#[test]
fn every_kind_round_trips_bit_for_bit_and_bytes_are_deterministic() {
    for p in policies() {
        let bytes = to_bytes(&p).unwrap();
        assert_eq!(from_bytes(&bytes).unwrap(), p, "{}", p.kind());
        assert_eq!(
            to_bytes(&p).unwrap(),
            bytes,
            "{}: same policy, same bytes",
            p.kind()
        );
        // the old JSON form is still read
        let json = serde_json::to_vec(&p).unwrap();
        assert_eq!(from_bytes(&json).unwrap(), p);
    }
}

// the safetensors layout read by hand (8-byte little-endian header length, JSON header with
// dtype, shape and byte offsets), as any safetensors reader such as PyTorch's sees it
fn read_by_hand(bytes: &[u8]) -> (Value, BTreeMap<String, Tensor>) {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let data = &bytes[8 + n..];
    let mut out = BTreeMap::new();
    for (k, t) in header.as_object().unwrap() {
        if k == "__metadata__" {
            continue;
        }
        assert_eq!(t["dtype"], "F64");
        let shape: Vec<usize> = serde_json::from_value(t["shape"].clone()).unwrap();
        let (a, b) = (
            t["data_offsets"][0].as_u64().unwrap() as usize,
            t["data_offsets"][1].as_u64().unwrap() as usize,
        );
        let x = data[a..b]
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
            .collect();
        out.insert(k.clone(), (shape, x));
    }
    let meta: Value =
        serde_json::from_str(header["__metadata__"]["policy"].as_str().unwrap()).unwrap();
    (meta, out)
}

#[test]
fn tensors_follow_pytorch_conventions() {
    // NCAP: one scalar per named parameter
    let t = read_by_hand(&to_bytes(&policies()[0]).unwrap()).1;
    let names: Vec<&str> = t.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "bneuron_osc",
            "bneuron_prop",
            "muscle_contra",
            "muscle_ipsi"
        ]
    );
    assert_eq!(t["muscle_contra"], (vec![], vec![-1.0]));
    // MLP: nn.Linear's (out, in) weight. A forward pass written here from the tensors alone
    // (tanh layers, y = W x + b) must give the toolkit's action.
    let p = &policies()[2];
    let SavedPolicy::Gaussian {
        actor, normalizer, ..
    } = p
    else {
        unreachable!()
    };
    let (meta, t) = read_by_hand(&to_bytes(p).unwrap());
    assert_eq!(meta["format"], FORMAT);
    assert!(meta["policy"]["actor"]["mlp"].get("params").is_none());
    let obs: Vec<f64> = (0..24).map(|i| (i as f64 * 0.61).cos()).collect();
    let (mean, std) = (&t["normalizer.mean"].1, &t["normalizer.std"].1);
    let mut x: Vec<f64> = (0..24).map(|i| (obs[i] - mean[i]) / std[i]).collect();
    for l in 0..3 {
        let (shape, w) = &t[&format!("layers.{l}.weight")];
        let b = &t[&format!("layers.{l}.bias")].1;
        x = (0..shape[0])
            .map(|o| {
                let s: f64 = (0..shape[1]).map(|i| w[o * shape[1] + i] * x[i]).sum();
                (s + b[o]).tanh()
            })
            .collect();
    }
    let mut xin = vec![0.0; 24];
    normalizer.as_ref().unwrap().normalize(&obs, &mut xin);
    let mut cache = MlpCache::default();
    actor.mlp.forward(&xin, 1, &mut cache).unwrap();
    for (a, b) in x.iter().zip(cache.output()) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
    assert_eq!(t["log_scale"], (vec![5], vec![0.0; 5]));
}

#[test]
fn bad_files_are_refused_with_the_reason() {
    let p = &policies()[3];
    let good = to_bytes(p).unwrap();
    let err = |b: &[u8]| from_bytes(b).unwrap_err();
    assert!(err(b"garbage").contains("neither a JSON policy"));
    assert!(err(&good[..good.len() - 8]).contains("not fully covered"));
    // a tensor renamed away, and a tensor of the wrong shape
    // (same length, so the header's size and offsets stay valid)
    let swap = |from: &str, to: &str| {
        let mut b = good.clone();
        let at = b
            .windows(from.len())
            .position(|w| w == from.as_bytes())
            .unwrap();
        b[at..at + to.len()].copy_from_slice(to.as_bytes());
        b
    };
    assert!(err(&swap("layers.1.bias", "layers.9.bias")).contains("\"layers.1.bias\" is missing"));
    let other = to_bytes(&SavedPolicy::Deterministic {
        actor: DeterministicActor::new(23, 4, &[7], &mut rng()).unwrap(),
        normalizer: None,
        time_feature: false,
    })
    .unwrap();
    // the 4-output actor's tensors with the 5-output actor's metadata
    let (_, t) = read_by_hand(&other);
    let (meta, _) = read_by_hand(&good);
    let views: Vec<(String, Vec<usize>, Vec<u8>)> = t
        .iter()
        .map(|(k, (s, x))| {
            (
                k.clone(),
                s.clone(),
                x.iter().flat_map(|v| v.to_le_bytes()).collect(),
            )
        })
        .collect();
    let mixed = safetensors::serialize(
        views.iter().map(|(k, s, b)| {
            (
                k.clone(),
                TensorView::new(Dtype::F64, s.clone(), b).unwrap(),
            )
        }),
        Some(HashMap::from([(
            META_KEY.to_string(),
            serde_json::json!({"format": FORMAT, "policy": meta["policy"]}).to_string(),
        )])),
    )
    .unwrap();
    assert!(
        err(&mixed).contains("has shape [4, 7]; expected [5, 7]"),
        "{}",
        err(&mixed)
    );
    let no_meta = safetensors::serialize(
        views.iter().map(|(k, s, b)| {
            (
                k.clone(),
                TensorView::new(Dtype::F64, s.clone(), b).unwrap(),
            )
        }),
        None,
    )
    .unwrap();
    assert!(err(&no_meta).contains("not an nc-ncap policy"));
}

#[test]
fn run_folders_prefer_the_new_file_and_fall_back_to_the_old() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(policy_path(dir.path()), dir.path().join(POLICY_FILE));
    std::fs::write(dir.path().join(LEGACY_POLICY_FILE), "{}").unwrap();
    assert_eq!(policy_path(dir.path()), dir.path().join(LEGACY_POLICY_FILE));
    std::fs::write(dir.path().join(POLICY_FILE), "").unwrap();
    assert_eq!(policy_path(dir.path()), dir.path().join(POLICY_FILE));
}
