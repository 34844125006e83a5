//! How the runs of a rank sweep share their random draws, and the learning-rate search.
//!
//! Two protocols:
//! - [`Protocol::Paired`] (ours, the default): every rank of a seed starts from the same
//!   `W₀`, `W_in`, `W_out`, probe set and training data, so a difference between ranks is the
//!   rank's alone, and every run is reproducible on its own (a shard can run any unit).
//! - [`Protocol::Original`]: the authors' `main.py`. `W₀` is drawn once (shared, as in ours),
//!   but `W_in` and `W_out` are drawn afresh for every run (each rank and each learning rate
//!   builds a new `nn.Linear`), the probe set is the first batches of the one training
//!   stream, and that stream runs on across the runs: run `i` trains on the batches after
//!   those of runs `0..i`. A unit regenerates (and drops) the earlier runs' batches, so the
//!   grid stays shardable.
//!
//! With a learning-rate list ([`TrainConfig::lr_list`]) a unit trains once per rate and keeps
//! the run with the lowest score, the mean of the last [`BEST_OF_LAST`] logged losses (the
//! original's rule); every rate tried and its score are kept in [`RunResult::lr_search`].

use crate::model::ModelError;
use crate::optim::OptimizerConfig;
use crate::train::{RunResult, TrainConfig, TrainError, train};
use serde::{Deserialize, Serialize};

/// How the runs of a sweep share their random draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Ours: ranks of a seed share `W₀`, `W_in`, `W_out`, probe and training data.
    #[default]
    Paired,
    /// The original `main.py`: `W_in`/`W_out` redrawn per run, one data stream across runs.
    Original,
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Paired => "paired",
            Self::Original => "original",
        })
    }
}

/// Logged losses whose mean scores a learning rate (the original's `loss_list[-20:]`).
pub const BEST_OF_LAST: usize = 20;

/// One learning rate tried by a search.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrTrial {
    /// The learning rate.
    pub lr: f64,
    /// Mean of the last [`BEST_OF_LAST`] logged losses (`None` when the run diverged).
    pub score: Option<f64>,
}

/// The mean of the last [`BEST_OF_LAST`] logged losses (`None` when none were logged).
///
/// ```
/// use nc_richlazy::protocol::score;
/// let log: Vec<(usize, f64)> = (0..30).map(|i| (i, i as f64)).collect();
/// assert_eq!(score(&log), Some(19.5)); // mean of 10..=29
/// assert_eq!(score(&[]), None);
/// ```
pub fn score(loss: &[(usize, f64)]) -> Option<f64> {
    let tail = &loss[loss.len().saturating_sub(BEST_OF_LAST)..];
    (!tail.is_empty()).then(|| tail.iter().map(|l| l.1).sum::<f64>() / tail.len() as f64)
}

/// `opt` with its learning rate replaced by `lr`.
pub fn with_lr(opt: OptimizerConfig, lr: f64) -> OptimizerConfig {
    match opt {
        OptimizerConfig::Sgd { momentum, .. } => OptimizerConfig::Sgd { lr, momentum },
        OptimizerConfig::Adam {
            beta1, beta2, eps, ..
        } => OptimizerConfig::Adam {
            lr,
            beta1,
            beta2,
            eps,
        },
    }
}

/// Runs `cfg`: one training run, or with a learning-rate list one run per rate, keeping the
/// best ([`score`], first rate on ties). Under [`Protocol::Original`] trial `j` is run
/// `cfg.run_index + j` of the original's sequence (its own `W_in`, `W_out` and data).
/// A rate whose run diverges scores `None`; when every rate diverges, the last error is
/// returned. `progress(done, total)` counts iterations over all rates.
pub fn run(
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<RunResult, TrainError> {
    if cfg.lr_list.is_empty() {
        return train(cfg, progress);
    }
    if let Some(&lr) = cfg.lr_list.iter().find(|l| !(l.is_finite() && **l > 0.0)) {
        return Err(TrainError::Config {
            field: "lr_list",
            expected: "finite learning rates > 0",
            got: lr.to_string(),
        });
    }
    let total = cfg.iters * cfg.lr_list.len();
    let mut trials = Vec::with_capacity(cfg.lr_list.len());
    let mut best: Option<(f64, RunResult)> = None;
    let mut last_err = None;
    for (j, &lr) in cfg.lr_list.iter().enumerate() {
        let trial = TrainConfig {
            optimizer: with_lr(cfg.optimizer, lr),
            run_index: match cfg.protocol {
                Protocol::Paired => cfg.run_index,
                Protocol::Original => cfg.run_index + j,
            },
            ..cfg.clone()
        };
        let done = j * cfg.iters;
        match train(&trial, &mut |d, _| progress(done + d, total)) {
            Ok(r) => {
                let s = score(&r.loss).unwrap_or(f64::INFINITY);
                trials.push(LrTrial {
                    lr,
                    score: score(&r.loss),
                });
                if best.as_ref().is_none_or(|(b, _)| s < *b) {
                    best = Some((s, r));
                }
            }
            Err(e @ TrainError::Model(ModelError::NonFinite { .. })) => {
                trials.push(LrTrial { lr, score: None });
                last_err = Some(e);
            }
            Err(e) => return Err(e),
        }
    }
    match best {
        Some((_, mut r)) => {
            r.lr_search = trials;
            Ok(r)
        }
        // every rate diverged: the list is not empty, so there is an error to return
        None => Err(last_err.unwrap_or(TrainError::Config {
            field: "lr_list",
            expected: "at least one learning rate",
            got: "[]".into(),
        })),
    }
}
