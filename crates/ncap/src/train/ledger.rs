//! The trainer skeleton ES, PPO and DDPG share: resuming from a checkpoint, the first test
//! row, step and epoch bookkeeping, checkpoints, the log and the summary.

use super::{
    CHECKPOINT_FILE, LogRow, Progress, Tensors, TrainError, differing_fields, read_checkpoint,
    rows_to_csv, write_checkpoint, write_json, write_text,
};
use crate::policy::SavedPolicy;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Summary written at the end of a run (`summary.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Algorithm name.
    pub algorithm: String,
    /// Environment steps trained (whole updates only).
    pub steps: u64,
    /// The budget asked for; above `steps` when it was not a whole number of updates.
    pub max_steps: u64,
    /// Initial mean test return.
    pub initial_return: f64,
    /// Final mean test return.
    pub final_return: f64,
    /// Parameter count of the policy.
    pub n_params: usize,
    /// Wall time (seconds).
    pub seconds: f64,
}

// the counters a checkpoint carries
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Counters {
    steps: u64,
    episodes: u64,
    epoch: usize,
    seconds: f64,
    rows: Vec<LogRow>,
    train_returns: Vec<f64>,
}

// the checkpoint's JSON: the run's configuration, the counters and the algorithm's state
#[derive(Serialize, Deserialize)]
struct Saved<C, L, S> {
    config: C,
    ledger: L,
    state: S,
}

/// Bookkeeping of one training run, in a folder (`dir`) or in memory.
#[derive(Debug)]
pub struct Ledger<'a> {
    dir: Option<&'a Path>,
    max_steps: u64,
    /// Environment steps trained so far.
    pub steps: u64,
    /// Training episodes finished so far.
    pub episodes: u64,
    /// Epochs (ES: generations) finished so far.
    pub epoch: usize,
    /// Log rows so far (row 0: the initial policy).
    pub rows: Vec<LogRow>,
    train_returns: Vec<f64>,
    seconds_before: f64,
    start: Instant,
}

impl<'a> Ledger<'a> {
    /// Opens a run of `config` with a budget of `max_steps`. With a folder holding a
    /// checkpoint of the same configuration, returns the algorithm's saved state and tensors
    /// to resume from; a checkpoint of another configuration is refused, naming the fields.
    pub fn open<C, S>(
        dir: Option<&'a Path>,
        config: &C,
        max_steps: u64,
    ) -> Result<(Self, Option<(S, Tensors)>), TrainError>
    where
        C: Serialize,
        S: DeserializeOwned,
    {
        let mut ledger = Ledger {
            dir,
            max_steps,
            steps: 0,
            episodes: 0,
            epoch: 0,
            rows: Vec::new(),
            train_returns: Vec::new(),
            seconds_before: 0.0,
            start: Instant::now(),
        };
        let Some(d) = dir else {
            return Ok((ledger, None));
        };
        std::fs::create_dir_all(d).map_err(|source| TrainError::Io {
            path: d.to_path_buf(),
            source,
        })?;
        // a process killed while writing leaves its temporary file; the previous one is whole
        super::remove_stale_temporaries(d, None);
        let Some((saved, tensors)) =
            read_checkpoint::<Saved<serde_json::Value, serde_json::Value, serde_json::Value>>(d)?
        else {
            return Ok((ledger, None));
        };
        let path = d.join(CHECKPOINT_FILE);
        let wanted = serde_json::to_value(config).map_err(|e| TrainError::Checkpoint {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if saved.config != wanted {
            return Err(TrainError::OtherRun {
                dir: d.to_path_buf(),
                differing: differing_fields(&saved.config, &wanted),
            });
        }
        let bad = |e: serde_json::Error| TrainError::Checkpoint {
            path: path.clone(),
            message: format!("bad state: {e}"),
        };
        let c: Counters = serde_json::from_value(saved.ledger).map_err(bad)?;
        let state: S = serde_json::from_value(saved.state).map_err(bad)?;
        let last = c.rows.last().map_or(0, |r| r.steps);
        if c.rows.is_empty() || c.steps > max_steps || last > c.steps {
            return Err(TrainError::Checkpoint {
                path,
                message: format!(
                    "inconsistent counters: {} steps of {max_steps}, {} log rows, last logged at {last}",
                    c.steps,
                    c.rows.len()
                ),
            });
        }
        ledger.steps = c.steps;
        ledger.episodes = c.episodes;
        ledger.epoch = c.epoch;
        ledger.seconds_before = c.seconds;
        ledger.rows = c.rows;
        ledger.train_returns = c.train_returns;
        Ok((ledger, Some((state, tensors))))
    }

    /// An error about this run's checkpoint that names the file.
    pub fn checkpoint_error(&self, message: impl Into<String>) -> TrainError {
        TrainError::Checkpoint {
            path: self.dir.map_or_else(
                || PathBuf::from(CHECKPOINT_FILE),
                |d| d.join(CHECKPOINT_FILE),
            ),
            message: message.into(),
        }
    }

    /// Wall time of the run so far, across resumptions.
    pub fn elapsed(&self) -> f64 {
        self.seconds_before + self.start.elapsed().as_secs_f64()
    }

    /// Logs row 0 (the initial policy at 0 steps) from `test`, unless resumed past it.
    pub fn first_test(
        &mut self,
        test: impl FnOnce() -> Result<Vec<f64>, TrainError>,
    ) -> Result<(), TrainError> {
        if self.rows.is_empty() {
            let t = test()?;
            self.rows
                .push(LogRow::new(0, 0, 0, self.elapsed(), &t, 0.0));
        }
        Ok(())
    }

    /// Counts `steps` more training steps and the returns of the training episodes that ended.
    pub fn add(&mut self, steps: u64, finished: &[f64]) {
        self.steps += steps;
        self.episodes += finished.len() as u64;
        self.train_returns.extend_from_slice(finished);
    }

    /// Logs a test at the current epoch and step with the mean return of the training
    /// episodes since the last row (0 when none ended).
    pub fn log_test(&mut self, test: &[f64]) {
        let tm = if self.train_returns.is_empty() {
            0.0
        } else {
            self.train_returns.iter().sum::<f64>() / self.train_returns.len() as f64
        };
        self.train_returns.clear();
        self.rows.push(LogRow::new(
            self.epoch,
            self.steps,
            self.episodes,
            self.elapsed(),
            test,
            tm,
        ));
    }

    /// Progress for the caller's bar.
    pub fn progress(&self) -> Progress {
        Progress {
            steps: self.steps,
            max_steps: self.max_steps,
            test_mean: self.rows.last().map_or(0.0, |r| r.test_mean),
        }
    }

    /// Writes the checkpoint (everything that decides the rest of the run: `config`, these
    /// counters, the algorithm's `state` and `tensors`) and the log so far.
    pub fn checkpoint<C: Serialize, S: Serialize>(
        &self,
        config: &C,
        state: &S,
        tensors: &Tensors,
    ) -> Result<(), TrainError> {
        let Some(d) = self.dir else {
            return Ok(());
        };
        let counters = Counters {
            steps: self.steps,
            episodes: self.episodes,
            epoch: self.epoch,
            seconds: self.elapsed(),
            rows: self.rows.clone(),
            train_returns: self.train_returns.clone(),
        };
        write_checkpoint(
            d,
            &Saved {
                config,
                ledger: counters,
                state,
            },
            tensors,
        )?;
        write_text(d, "log.csv", &rows_to_csv(&self.rows))
    }

    /// Ends the run: writes `log.csv`, `policy.safetensors`, `config.json` and `summary.json`, then
    /// removes the checkpoint (the summary marks the run finished).
    pub fn finish<C: Serialize>(
        &self,
        algorithm: &str,
        config: &C,
        policy: &SavedPolicy,
    ) -> Result<RunSummary, TrainError> {
        let summary = RunSummary {
            algorithm: algorithm.into(),
            steps: self.steps,
            max_steps: self.max_steps,
            initial_return: self.rows.first().map_or(0.0, |r| r.test_mean),
            final_return: self.rows.last().map_or(0.0, |r| r.test_mean),
            n_params: policy.n_params(),
            seconds: self.elapsed(),
        };
        if let Some(d) = self.dir {
            write_text(d, "log.csv", &rows_to_csv(&self.rows))?;
            policy.save(&d.join(crate::policy_file::POLICY_FILE))?;
            write_json(d, "config.json", config)?;
            write_json(d, "summary.json", &summary)?;
            let ck: PathBuf = d.join(CHECKPOINT_FILE);
            match std::fs::remove_file(&ck) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(TrainError::Io {
                        path: ck,
                        source: e,
                    });
                }
                _ => {}
            }
        }
        Ok(summary)
    }
}
