//! Fuzzing (proptest, a fixed number of cases): policy files and checkpoint files never make
//! the toolkit panic, and every rejection comes with a message. For a longer run before a
//! release: `PROPTEST_CASES=5000 cargo test -p nc-ncap --test tests fuzz`.

use nc_ncap::ddpg::{self, DdpgConfig};
use nc_ncap::es::{self, EsConfig, EsSettings};
use nc_ncap::ncap::Ncap;
use nc_ncap::policy::{EvalPolicy, SavedPolicy, evaluate};
use nc_ncap::ppo::{self, PpoConfig};
use nc_ncap::train::{CHECKPOINT_FILE, TrainError, read_checkpoint, write_checkpoint};
use nc_swimmer::SwimConfig;
use proptest::prelude::*;
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;

fn cases() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---- mutations of JSON values: a numeric leaf, an array's length, a string ----

fn leaves(v: &Value, out: &mut usize) {
    *out += 1;
    match v {
        Value::Array(a) => a.iter().for_each(|x| leaves(x, out)),
        Value::Object(o) => o.values().for_each(|x| leaves(x, out)),
        _ => {}
    }
}

const ODD: [f64; 8] = [-1.0, 0.0, 1.5, 1e300, -1e300, 1e-300, 9.007e15, 3.0];

fn mutate(v: &mut Value, target: &mut usize, how: u8) -> bool {
    if *target == 0 {
        *v = match (&*v, how % 5) {
            (Value::Array(a), 0) => Value::Array(a[..a.len() / 2].to_vec()),
            (Value::Array(a), 1) => {
                let mut a = a.clone();
                a.push(a.first().cloned().unwrap_or(Value::from(1)));
                Value::Array(a)
            }
            (Value::String(_), _) => Value::from("nope"),
            (_, 2) => Value::Null,
            (_, k) => Value::from(ODD[(usize::from(how) + k as usize) % ODD.len()]),
        };
        return true;
    }
    *target -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| mutate(x, target, how)),
        Value::Object(o) => o.values_mut().any(|x| mutate(x, target, how)),
        _ => false,
    }
}

fn mutated(v: &Value, pick: usize, how: u8) -> Value {
    let mut n = 0;
    leaves(v, &mut n);
    let mut v = v.clone();
    let mut t = pick % n.max(1);
    mutate(&mut v, &mut t, how);
    v
}

// ---- policy files ----

fn valid_policies() -> &'static [Value] {
    static P: OnceLock<Vec<Value>> = OnceLock::new();
    P.get_or_init(|| {
        let mut rng = nc_core::rng::stream(0, "fuzz", 0);
        let g = nc_ncap::actor::GaussianActor::new(23, 5, &[4], &mut rng).unwrap();
        let d = nc_ncap::actor::DeterministicActor::new(24, 5, &[4], &mut rng).unwrap();
        [
            SavedPolicy::Ncap {
                ncap: Ncap::default_for(5).unwrap(),
            },
            SavedPolicy::Gaussian {
                actor: g,
                normalizer: Some(nc_ncap::normalizer::MeanStd::new(23)),
                time_feature: false,
            },
            SavedPolicy::Deterministic {
                actor: d,
                normalizer: Some(nc_ncap::normalizer::MeanStd::new(24)),
                time_feature: true,
            },
        ]
        .iter()
        .map(|p| serde_json::to_value(p).unwrap())
        .collect()
    })
}

fn check_policy_text(text: &str) {
    match SavedPolicy::parse(text) {
        Err(m) => assert!(!m.is_empty()),
        Ok(p) => {
            let swim = SwimConfig {
                episode_len: 20,
                ..SwimConfig::default()
            };
            if let Err(e) = evaluate(&EvalPolicy::Saved(p), swim, 1, 0) {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn fuzz_policy_text_never_panics(text in "\\PC{0,200}") {
        check_policy_text(&text);
    }

    #[test]
    fn fuzz_mutated_policy_files_never_panic(which in 0usize..3, pick in any::<usize>(), how in any::<u8>()) {
        let v = mutated(&valid_policies()[which], pick, how);
        check_policy_text(&v.to_string());
    }

    #[test]
    fn fuzz_policy_bytes_never_panic(which in 0usize..3, flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut b = valid_policies()[which].to_string().into_bytes();
        for (i, x) in flips {
            let n = b.len();
            b[i % n] = x;
        }
        check_policy_text(&String::from_utf8_lossy(&b));
    }
}

// ---- checkpoint files: tiny runs of each trainer, resumed from mutated checkpoints ----

fn es_cfg() -> EsConfig {
    EsConfig {
        max_steps: 2 * 8 * 20,
        episode_len: 20,
        test_episodes: 1,
        ..EsConfig::with_settings(EsSettings::NCAP_FAST)
    }
}

fn ppo_cfg() -> PpoConfig {
    PpoConfig {
        max_steps: 128,
        segment: 64,
        iterations: 2,
        epoch_steps: 64,
        test_episodes: 1,
        episode_len: 30,
        mlp_hidden: vec![4],
        critic_hidden: vec![4],
        ..PpoConfig::default()
    }
}

fn ddpg_cfg() -> DdpgConfig {
    DdpgConfig {
        max_steps: 120,
        steps_before_batches: 20,
        random_steps: 20,
        steps_between_batches: 10,
        batch_iterations: 2,
        batch_size: 8,
        epoch_steps: 60,
        test_episodes: 1,
        episode_len: 30,
        mlp_hidden: vec![4],
        critic_hidden: vec![4],
        ..DdpgConfig::default()
    }
}

fn train(algo: usize, dir: &Path, keep: Option<&Path>) -> Result<(), TrainError> {
    let mut copy = |_: &nc_ncap::train::Progress| {
        if let Some(k) = keep
            && !k.join(CHECKPOINT_FILE).exists()
            && dir.join(CHECKPOINT_FILE).exists()
        {
            std::fs::copy(dir.join(CHECKPOINT_FILE), k.join(CHECKPOINT_FILE)).unwrap();
        }
    };
    match algo {
        0 => es::train(
            &es_cfg(),
            Ncap::default_for(5).unwrap(),
            Some(dir),
            &mut copy,
        )
        .map(drop),
        1 => {
            let c = ppo_cfg();
            ppo::train(&c, ppo::mlp_actor(&c)?, Some(dir), &mut copy).map(drop)
        }
        _ => {
            let c = ddpg_cfg();
            ddpg::train(&c, ddpg::mlp_actor(&c)?, Some(dir), &mut copy).map(drop)
        }
    }
}

// the checkpoint each trainer writes after its first epoch
fn checkpoints() -> &'static [Vec<u8>] {
    static C: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    C.get_or_init(|| {
        (0..3)
            .map(|algo| {
                let (run, keep) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
                train(algo, run.path(), Some(keep.path())).unwrap();
                std::fs::read(keep.path().join(CHECKPOINT_FILE)).unwrap()
            })
            .collect()
    })
}

fn resume_from(algo: usize, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CHECKPOINT_FILE), bytes).unwrap();
    if let Err(e) = train(algo, dir.path(), None) {
        assert!(!e.to_string().is_empty());
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn fuzz_checkpoint_bytes_never_panic(algo in 0usize..3, flips in prop::collection::vec((any::<usize>(), any::<u8>()), 0..4), cut in any::<usize>()) {
        let mut b = checkpoints()[algo].clone();
        for (i, x) in flips {
            let n = b.len();
            b[i % n] = x;
        }
        let n = b.len();
        b.truncate(n - cut % 3 * (cut % n) / 2);
        resume_from(algo, &b);
    }

    #[test]
    fn fuzz_checkpoint_states_never_panic(algo in 0usize..3, pick in any::<usize>(), how in any::<u8>(), tensor in any::<Option<(usize, u8)>>()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CHECKPOINT_FILE), &checkpoints()[algo]).unwrap();
        let (state, mut tensors) = read_checkpoint::<Value>(dir.path()).unwrap().unwrap();
        let state = mutated(&state, pick, how);
        if let Some((k, how)) = tensor && !tensors.is_empty() {
            let key = tensors.keys().nth(k % tensors.len()).unwrap().clone();
            let t = tensors.get_mut(&key).unwrap();
            match how % 3 {
                0 => t.truncate(t.len() / 2),
                1 => t.push(0.5),
                _ => t.iter_mut().take(3).for_each(|x| *x = f64::from(how) - 1e9),
            }
        }
        write_checkpoint(dir.path(), &state, &tensors).unwrap();
        let bytes = std::fs::read(dir.path().join(CHECKPOINT_FILE)).unwrap();
        resume_from(algo, &bytes);
    }
}
