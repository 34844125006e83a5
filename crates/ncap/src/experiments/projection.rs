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
use serde::Serialize;

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
    /// One line for the terminal, e.g. `projected wall time 9.4 h for 180 units (es 1.2 h, ...)`.
    pub fn line(&self) -> String {
        let parts: Vec<String> = self
            .by_algo
            .iter()
            .map(|a| format!("{} {} units {}", a.algo.name(), a.units, hours(a.seconds)))
            .collect();
        format!(
            "projected wall time {} for {} units ({}), from ncap bench on this machine",
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
pub fn unit_seconds(u: &TrainSpec, b: &BenchReport) -> f64 {
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
pub fn project(units: &[TrainSpec], b: &BenchReport) -> Projection {
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

    fn bench() -> BenchReport {
        let t = Timing::of(vec![0.0]);
        BenchReport {
            ddpg_update_ms: 2.0,
            ppo_epoch_ms: 10.0,
            es_env_steps_per_s: 20_000.0,
            physics_steps_per_s: 1_500_000.0,
            precision: Precision::F32,
            threads: 2,
            ddpg_update: t.clone(),
            ppo_epoch: t,
            torch: None,
        }
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
        assert!(all.line().contains("projected wall time"));
    }
}
