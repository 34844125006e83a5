//! The projected wall time of a sweep from `ncap bench`'s measurements, printed before a
//! paper-scale run starts.
//!
//! The model, per unit (units run one after another, each on the threads the bench used):
//! - environment steps at the bench's ES rate (ES units) or at its physics rate over the 15
//!   physics steps of a control step (PPO and DDPG units), test episodes included;
//! - PPO: every 4,096-step segment runs 80 epochs at the bench's epoch time (Tonic's upper
//!   bound; the actor may stop earlier on KL, the critic does not), scaled for MLPs other than
//!   the bench's 64×64 by their parameter count;
//! - DDPG: one update per environment step at the bench's update time (256×256; its critic is
//!   the same for NCAP and the MLP, so NCAP's cheaper actor is not discounted).

use super::unit::{Algo, ModelKind, TrainSpec};
use crate::bench::BenchReport;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The four rates a projection needs: what `ncap bench --json` prints under these names.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// One DDPG update at Tonic's defaults (ms).
    pub ddpg_update_ms: f64,
    /// One full-batch PPO epoch on a 4,096-step segment, MLP 64×64 (ms).
    pub ppo_epoch_ms: f64,
    /// ES environment steps per second.
    pub es_env_steps_per_s: f64,
    /// Physics steps per second.
    pub physics_steps_per_s: f64,
}

impl From<&BenchReport> for Rates {
    fn from(b: &BenchReport) -> Self {
        Self {
            ddpg_update_ms: b.ddpg_update_ms,
            ppo_epoch_ms: b.ppo_epoch_ms,
            es_env_steps_per_s: b.es_env_steps_per_s,
            physics_steps_per_s: b.physics_steps_per_s,
        }
    }
}

/// Why a saved bench cannot serve a projection.
#[derive(Debug, thiserror::Error)]
pub enum RatesError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// It is not the JSON `ncap bench --json` prints.
    #[error("{path}: not the JSON of `ncap bench --json`: {source}")]
    Parse {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: serde_json::Error,
    },
    /// A rate is not a positive, finite number.
    #[error("{path}: {field} is {value}, expected a positive finite number")]
    Value {
        /// The file.
        path: std::path::PathBuf,
        /// The field.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

impl Rates {
    /// Reads the output of `ncap bench --json` (other fields are ignored), so that a machine
    /// measured once, such as a cluster node, can project sweeps anywhere.
    pub fn load(path: &Path) -> Result<Self, RatesError> {
        let text = std::fs::read_to_string(path).map_err(|source| RatesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let r: Rates = serde_json::from_str(&text).map_err(|source| RatesError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        for (field, value) in [
            ("ddpg_update_ms", r.ddpg_update_ms),
            ("ppo_epoch_ms", r.ppo_epoch_ms),
            ("es_env_steps_per_s", r.es_env_steps_per_s),
            ("physics_steps_per_s", r.physics_steps_per_s),
        ] {
            if !(value.is_finite() && value > 0.0) {
                return Err(RatesError::Value {
                    path: path.to_path_buf(),
                    field,
                    value,
                });
            }
        }
        Ok(r)
    }
}

/// Physics steps per control step.
const SUBSTEPS: f64 = 15.0;
/// Tonic's PPO epochs per segment (the upper bound).
const PPO_EPOCHS: f64 = 80.0;

/// Projected seconds of one algorithm's units.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlgoShare {
    /// The algorithm.
    pub algo: Algo,
    /// Its units.
    pub units: usize,
    /// Their projected seconds.
    pub seconds: f64,
}

/// A sweep's projected wall time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Projection {
    /// Units projected.
    pub units: usize,
    /// Total seconds.
    pub seconds: f64,
    /// Per algorithm.
    pub by_algo: Vec<AlgoShare>,
}

impl Projection {
    /// One line for the terminal, e.g. `projected wall time 9.4 h for 180 units (es 1.2 h,
    /// ...), from ncap bench on this machine`; `source` says where the rates came from.
    pub fn line(&self, source: &str) -> String {
        let parts: Vec<String> = self
            .by_algo
            .iter()
            .map(|a| format!("{} {} units {}", a.algo.name(), a.units, hours(a.seconds)))
            .collect();
        format!(
            "projected wall time {} for {} units ({}), {source}",
            hours(self.seconds),
            self.units,
            parts.join(", ")
        )
    }
}

fn hours(s: f64) -> String {
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else {
        format!("{:.0} min", s / 60.0)
    }
}

// parameters of the PPO actor and critic (Gaussian MLP and value MLP on 24 inputs)
fn ppo_params(hidden: &[usize]) -> f64 {
    let count = |out: usize| {
        let mut sizes = vec![24];
        sizes.extend_from_slice(hidden);
        sizes.push(out);
        crate::mlp::param_count(&sizes).unwrap_or(0) as f64
    };
    count(5) + count(1)
}

/// Projected seconds of one unit.
pub fn unit_seconds(u: &TrainSpec, b: &Rates) -> f64 {
    let steps = u.trained_steps() as f64;
    // test episodes: Tonic's epoch of 2·10⁴ steps ends with `test_episodes` episodes
    let tests = (steps / 20_000.0).ceil().max(1.0) * (u.test_episodes * u.episode_len) as f64;
    let env_rate = match u.algo {
        Algo::Es => b.es_env_steps_per_s,
        _ => b.physics_steps_per_s / SUBSTEPS,
    };
    let env = (steps + tests) / env_rate.max(1e-9);
    let learn = match u.algo {
        Algo::Es => 0.0,
        Algo::Ppo => {
            // the bench's epoch is Tonic's 64×64 MLP; NCAP keeps a 64×64 critic
            let hidden = match u.model {
                ModelKind::Mlp => u.mlp_hidden.clone(),
                ModelKind::Ncap => vec![64, 64],
            };
            let scale = ppo_params(&hidden) / ppo_params(&[64, 64]);
            (steps / 4096.0).ceil() * PPO_EPOCHS * b.ppo_epoch_ms / 1e3 * scale
        }
        Algo::Ddpg => steps * b.ddpg_update_ms / 1e3,
    };
    env + learn
}

/// The projected wall time of `units`.
pub fn project(units: &[TrainSpec], b: &Rates) -> Projection {
    let mut by_algo: Vec<AlgoShare> = Vec::new();
    for u in units {
        let s = unit_seconds(u, b);
        match by_algo.iter_mut().find(|a| a.algo == u.algo) {
            Some(a) => {
                a.units += 1;
                a.seconds += s;
            }
            None => by_algo.push(AlgoShare {
                algo: u.algo,
                units: 1,
                seconds: s,
            }),
        }
    }
    Projection {
        units: units.len(),
        seconds: by_algo.iter().map(|a| a.seconds).sum(),
        by_algo,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Timing;
    use crate::precision::Precision;

    fn bench() -> Rates {
        let t = Timing::of(vec![0.0]);
        let report = BenchReport {
            ddpg_update_ms: 2.0,
            ppo_epoch_ms: 10.0,
            es_env_steps_per_s: 20_000.0,
            physics_steps_per_s: 1_500_000.0,
            precision: Precision::F32,
            threads: 2,
            ddpg_update: t.clone(),
            ppo_epoch: t,
            torch: None,
        };
        Rates::from(&report)
    }

    #[test]
    fn saved_bench_output_loads_and_bad_values_are_named() {
        let dir = std::env::temp_dir().join(format!("nc-rates-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        // the shape `ncap bench --json --torch-python` prints, extra fields included
        std::fs::write(
            &good,
            r#"{"ddpg_ratio":0.41,"ddpg_update_ms":1.17,"es_env_steps_per_s":251639.7,"physics_steps_per_s":10051182.7,"ppo_epoch_ms":2.24,"precision":"f32","threads":2}"#,
        )
        .unwrap();
        let r = Rates::load(&good).unwrap();
        assert_eq!(r.ddpg_update_ms, 1.17);
        assert_eq!(r.physics_steps_per_s, 10051182.7);
        let bad = dir.join("bad.json");
        std::fs::write(
            &bad,
            r#"{"ddpg_update_ms":0,"es_env_steps_per_s":1,"physics_steps_per_s":1,"ppo_epoch_ms":1}"#,
        )
        .unwrap();
        let e = Rates::load(&bad).unwrap_err().to_string();
        assert!(
            e.contains("bad.json") && e.contains("ddpg_update_ms is 0"),
            "{e}"
        );
        std::fs::write(&bad, r#"{"ddpg_update_ms":1}"#).unwrap();
        let e = Rates::load(&bad).unwrap_err().to_string();
        assert!(
            e.contains("not the JSON of `ncap bench --json`") && e.contains("ppo_epoch_ms"),
            "{e}"
        );
        let e = Rates::load(&dir.join("none.json")).unwrap_err().to_string();
        assert!(e.contains("none.json"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn units_cost_what_the_model_says_by_hand() {
        let b = bench();
        // DDPG, 10⁶ steps: 50 test rounds of 5 × 1000 steps at 10⁵ env steps/s, plus 10⁶
        // updates of 2 ms
        let d = TrainSpec::new(Algo::Ddpg, ModelKind::Mlp, 0, 1_000_000);
        let want = (1e6 + 50.0 * 5000.0) / 1e5 + 2000.0;
        assert!((unit_seconds(&d, &b) - want).abs() < 1e-6);
        // PPO 64×64: 1 segment of 4096 steps → 80 epochs of 10 ms, plus env steps
        let p = TrainSpec::new(Algo::Ppo, ModelKind::Mlp, 0, 4096);
        let want = (4096.0 + 5000.0) / 1e5 + 0.8;
        assert!((unit_seconds(&p, &b) - want).abs() < 1e-9);
        // a 256×256 PPO MLP costs more learner time than 64×64
        let big = TrainSpec {
            mlp_hidden: vec![256, 256],
            ..p.clone()
        };
        assert!(unit_seconds(&big, &b) > unit_seconds(&p, &b) + 5.0);
        let all = project(&[d, p.clone(), p], &b);
        assert_eq!(all.units, 3);
        assert_eq!(all.by_algo.len(), 2);
        assert!(all.line("from x").contains("projected wall time"));
    }
}
