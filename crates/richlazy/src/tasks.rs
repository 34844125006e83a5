//! Cognitive tasks with neurogym 0.0.2 semantics, as the rich/lazy paper configures them.
//!
//! Every trial lasts 8 steps of dt = 100 ms and one batch column is one whole trial. The label
//! is 0 ("fixate") on steps 0–6 and the choice on step 7, the decision step. Input noise has
//! σ = 1/√dt = 0.1 per step (neurogym's `sigma / sqrt(dt)` with `sigma = 1`).

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Steps per trial (neurogym `seq_len = 8` with the paper's timings).
pub const STEPS: usize = 8;
/// The decision step (0-based), the only step whose label is a choice.
pub const DECISION: usize = STEPS - 1;

/// Which steps of a trial carry loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossSteps {
    /// Every step (the neurogym tasks: 7 of 8 targets are "fixate").
    All,
    /// The last step only (sequential MNIST).
    Last,
}

/// A batch of trials, time-major.
#[derive(Clone, Debug)]
pub struct Batch {
    /// Steps per trial.
    pub steps: usize,
    /// Trials in the batch.
    pub batch: usize,
    /// Input channels.
    pub n_in: usize,
    /// Output classes.
    pub n_out: usize,
    /// Inputs, `x[(t·batch + b)·n_in + i]`.
    pub x: Vec<f64>,
    /// Labels, `labels[t·batch + b]`.
    pub labels: Vec<u32>,
    /// Which steps the loss covers.
    pub loss_steps: LossSteps,
    /// The step at which accuracy is read.
    pub decision_step: usize,
}

impl Batch {
    /// Input vector of trial `b` at step `t`.
    pub fn input(&self, t: usize, b: usize) -> &[f64] {
        let o = (t * self.batch + b) * self.n_in;
        &self.x[o..o + self.n_in]
    }

    /// The first `keep` trials of this batch.
    pub fn take(&self, keep: usize) -> Batch {
        let keep = keep.min(self.batch);
        let mut x = Vec::with_capacity(self.steps * keep * self.n_in);
        let mut labels = Vec::with_capacity(self.steps * keep);
        for t in 0..self.steps {
            let o = t * self.batch;
            x.extend_from_slice(&self.x[o * self.n_in..(o + keep) * self.n_in]);
            labels.extend_from_slice(&self.labels[o..o + keep]);
        }
        Batch {
            batch: keep,
            x,
            labels,
            ..*self
        }
    }

    /// Joins batches with the same layout along the trial axis.
    pub fn concat(parts: &[Batch]) -> Option<Batch> {
        let first = parts.first()?;
        let batch: usize = parts.iter().map(|p| p.batch).sum();
        let mut x = Vec::with_capacity(first.steps * batch * first.n_in);
        let mut labels = Vec::with_capacity(first.steps * batch);
        for t in 0..first.steps {
            for p in parts {
                let o = t * p.batch;
                x.extend_from_slice(&p.x[o * p.n_in..(o + p.batch) * p.n_in]);
                labels.extend_from_slice(&p.labels[o..o + p.batch]);
            }
        }
        Some(Batch {
            batch,
            x,
            labels,
            ..first.clone()
        })
    }
}

/// The three neurogym tasks of the paper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TaskKind {
    /// Perceptual decision making (PerceptualDecisionMaking-v0): fix 0, stimulus 700, delay 0,
    /// decision 100 ms.
    #[serde(rename = "2AF")]
    TwoAf,
    /// Delayed match-to-sample (DelayMatchSample-v0): fix 0, sample 100, delay 500, test 100,
    /// decision 100 ms.
    #[serde(rename = "DMS")]
    Dms,
    /// Context-dependent decision making (ContextDecisionMaking-v0): fix 0, stimulus 200,
    /// delay 500, decision 100 ms.
    #[serde(rename = "CXT")]
    Cxt,
}

/// An unknown task name.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("unknown task {got:?}: expected one of 2AF, DMS, CXT")]
pub struct TaskParseError {
    /// What was given.
    pub got: String,
}

impl FromStr for TaskKind {
    type Err = TaskParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_uppercase().as_str() {
            "2AF" => Ok(Self::TwoAf),
            "DMS" => Ok(Self::Dms),
            "CXT" => Ok(Self::Cxt),
            _ => Err(TaskParseError { got: s.to_string() }),
        }
    }
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::TwoAf => "2AF",
            Self::Dms => "DMS",
            Self::Cxt => "CXT",
        })
    }
}

impl TaskKind {
    /// All three, in the paper's order.
    pub const ALL: [TaskKind; 3] = [TaskKind::TwoAf, TaskKind::Dms, TaskKind::Cxt];

    /// Input channels: fixation plus stimulus (and context for CXT).
    pub fn n_in(self) -> usize {
        match self {
            Self::TwoAf | Self::Dms => 3,
            Self::Cxt => 7,
        }
    }

    /// Output classes: fixate and two choices.
    pub fn n_out(self) -> usize {
        3
    }
}

/// 2AF coherences (percent).
pub const COHS_2AF: [f64; 5] = [0.0, 6.4, 12.8, 25.6, 51.2];
/// CXT coherences (percent).
pub const COHS_CXT: [f64; 3] = [5.0, 15.0, 50.0];

/// A seeded generator of one neurogym task.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeurogymTask {
    /// Which task.
    pub kind: TaskKind,
    /// Per-step input noise standard deviation (neurogym: 1/√dt = 0.1).
    pub sigma: f64,
}

impl NeurogymTask {
    /// The task with neurogym's default noise.
    pub fn new(kind: TaskKind) -> Self {
        Self { kind, sigma: 0.1 }
    }

    /// Draws `batch` independent trials.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, batch: usize) -> Batch {
        let n_in = self.kind.n_in();
        let mut x = vec![0.0; STEPS * batch * n_in];
        let mut labels = vec![0u32; STEPS * batch];
        let mut trial = vec![0.0; STEPS * n_in];
        for b in 0..batch {
            trial.fill(0.0);
            let label = match self.kind {
                TaskKind::TwoAf => self.two_af(rng, &mut trial),
                TaskKind::Dms => self.dms(rng, &mut trial),
                TaskKind::Cxt => self.cxt(rng, &mut trial),
            };
            for t in 0..STEPS {
                let o = (t * batch + b) * n_in;
                x[o..o + n_in].copy_from_slice(&trial[t * n_in..(t + 1) * n_in]);
            }
            labels[DECISION * batch + b] = label;
        }
        Batch {
            steps: STEPS,
            batch,
            n_in,
            n_out: self.kind.n_out(),
            x,
            labels,
            loss_steps: LossSteps::All,
            decision_step: DECISION,
        }
    }

    fn noise<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.sigma * rng.sample::<f64, _>(StandardNormal)
    }

    // fixation on steps 0-6; stimulus cos(θ-θ_gt)·coh/200 + 0.5 with θ ∈ {0, π} plus noise on
    // steps 0-6; label gt+1 at the decision step.
    fn two_af<R: Rng + ?Sized>(&self, rng: &mut R, tr: &mut [f64]) -> u32 {
        let gt = rng.random_range(0..2usize);
        let coh = COHS_2AF[rng.random_range(0..COHS_2AF.len())];
        let sign = if gt == 0 { 1.0 } else { -1.0 };
        for t in 0..DECISION {
            tr[t * 3] = 1.0;
            tr[t * 3 + 1] = 0.5 + sign * coh / 200.0 + self.noise(rng);
            tr[t * 3 + 2] = 0.5 - sign * coh / 200.0 + self.noise(rng);
        }
        (gt + 1) as u32
    }

    // fixation on steps 0-6; one-hot sample at step 0 and test at step 6 (same ring position
    // for a match), noise on both; label 1 (match) or 2 (non-match).
    fn dms<R: Rng + ?Sized>(&self, rng: &mut R, tr: &mut [f64]) -> u32 {
        let gt = rng.random_range(1..3u32);
        let sample = rng.random_range(0..2usize);
        let test = if gt == 1 { sample } else { 1 - sample };
        for t in 0..DECISION {
            tr[t * 3] = 1.0;
        }
        for (t, pos) in [(0, sample), (6, test)] {
            for c in 0..2 {
                let v = if c == pos { 1.0 } else { 0.0 };
                tr[t * 3 + 1 + c] = v + self.noise(rng);
            }
        }
        gt
    }

    // channels: fixation, mod-1 pair, mod-2 pair, two context cues. Evidence (1 ± signed
    // coh/100)/2 on steps 0-1 with noise on all 7 channels; the cue is on at every step; the
    // decision step zeroes everything but the cue. Context 0 attends modality 1.
    fn cxt<R: Rng + ?Sized>(&self, rng: &mut R, tr: &mut [f64]) -> u32 {
        let gt = rng.random_range(1..3u32);
        let other = rng.random_range(1..3u32);
        let context = rng.random_range(0..2usize);
        let coh0 = COHS_CXT[rng.random_range(0..3usize)];
        let coh1 = COHS_CXT[rng.random_range(0..3usize)];
        let (c0, c1) = if context == 0 {
            (gt, other)
        } else {
            (other, gt)
        };
        let s0 = if c0 == 1 { coh0 } else { -coh0 };
        let s1 = if c1 == 1 { coh1 } else { -coh1 };
        for t in 0..STEPS {
            let row = &mut tr[t * 7..(t + 1) * 7];
            if t < DECISION {
                row[0] = 1.0;
            }
            if t < 2 {
                row[1] = (1.0 + s0 / 100.0) / 2.0;
                row[2] = (1.0 - s0 / 100.0) / 2.0;
                row[3] = (1.0 + s1 / 100.0) / 2.0;
                row[4] = (1.0 - s1 / 100.0) / 2.0;
                for v in row.iter_mut().take(5) {
                    *v += self.noise(rng);
                }
                row[5] += self.noise(rng);
                row[6] += self.noise(rng);
            }
            row[5 + context] += 1.0;
        }
        gt
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fixate_except_decision() {
        for kind in TaskKind::ALL {
            let mut rng = nc_core::rng::stream(1, "t", 0);
            let b = NeurogymTask::new(kind).sample(&mut rng, 64);
            for t in 0..STEPS {
                for i in 0..64 {
                    let l = b.labels[t * 64 + i];
                    if t == DECISION {
                        assert!(l == 1 || l == 2);
                    } else {
                        assert_eq!(l, 0);
                    }
                }
            }
            assert_eq!(b.x.len(), STEPS * 64 * kind.n_in());
        }
    }

    #[test]
    fn parse_round_trip() {
        for k in TaskKind::ALL {
            assert_eq!(k.to_string().parse::<TaskKind>().unwrap(), k);
        }
        assert!("XOR".parse::<TaskKind>().is_err());
    }

    #[test]
    fn take_and_concat_invert() {
        let mut rng = nc_core::rng::stream(2, "t", 0);
        let t = NeurogymTask::new(TaskKind::Cxt);
        let a = t.sample(&mut rng, 3);
        let b = t.sample(&mut rng, 2);
        let c = Batch::concat(&[a.clone(), b]).unwrap();
        let back = c.take(3);
        assert_eq!(back.x, a.x);
        assert_eq!(back.labels, a.labels);
    }
}
