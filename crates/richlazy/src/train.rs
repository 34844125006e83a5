//! One training run: build the network for a seed, train it with BPTT on fresh trials, and
//! measure how far it moved, at checkpoints and at the end.
//!
//! Random streams (all from `nc_core::rng::stream(seed, purpose, 0)`): `"w0"` (the Gaussian
//! `W₀`), `"readin-readout"` (`W_in`, `W_out`), `"init"` (extra draws of an initialisation),
//! `"train-<TASK>"` (training trials), `"probe-<TASK>"` (the probe set). Every rank of a seed
//! therefore shares `W₀`, `W_in`, `W_out`, the training data and the probe set. Under
//! [`Protocol::Original`] run `run_index` draws `W_in`/`W_out` from `"readin-readout"` index
//! `run_index`, and the probe and training data come from one stream (see
//! [`crate::protocol`]).

use crate::capacity::{Capacity, CapacityConfig, Manifolds};
use crate::init::{InitContext, InitError, InitSpec, RankFamily, build};
use crate::kernel::{KernelError, KernelParams, TangentKernel, tangent_kernel};
use crate::linalg::LinalgError;
use crate::measures::{
    EffectiveRanks, accuracy, centred_kernel_alignment, cosine, effective_ranks,
    kernel_target_alignment, representation_alignment, sign_similarity, weight_change,
};
use crate::model::{Activation, ModelError, Rnn, Tape};
use crate::optim::{Optimizer, OptimizerConfig};
use crate::protocol::{LrTrial, Protocol};
use crate::real::cast;
use crate::tasks::{Batch, NeurogymTask, TaskKind};
use nc_core::rng::stream;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Everything that defines one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The task.
    pub task: TaskKind,
    /// Initialisation of `W_h`.
    pub init: InitSpec,
    /// Permute `W_h(0)`'s entries after building it (the structure control).
    pub shuffle: bool,
    /// Hidden units N.
    pub n: usize,
    /// Gain g of `W₀ = g·G/√N`.
    pub gain: f64,
    /// Leak α.
    pub alpha: f64,
    /// Nonlinearity.
    pub activation: Activation,
    /// Training iterations.
    pub iters: usize,
    /// Trials per iteration.
    pub batch: usize,
    /// Optimiser.
    pub optimizer: OptimizerConfig,
    /// Probe batches (of `batch` trials) for RA, sign similarity and accuracy.
    pub probe_batches: usize,
    /// Probe trials used for the tangent kernel (all 8 steps, all logits).
    pub kernel_trials: usize,
    /// Parameters the tangent kernel covers.
    pub kernel_params: KernelParams,
    /// Measure every this many iterations (0: only at the end).
    pub track_every: usize,
    /// Iterations between logged running-mean losses.
    pub log_every: usize,
    /// Run seed.
    pub seed: u64,
    /// Train on sequential MNIST from this folder of IDX files instead of `task` (loss and
    /// kernel on the last step only; the probe is the first training batches, as in the
    /// original; sign similarity over all 28 steps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mnist_dir: Option<std::path::PathBuf>,
    /// How the runs of a sweep share their random draws (recorded in every run's config).
    #[serde(default)]
    pub protocol: Protocol,
    /// Under [`Protocol::Original`]: this run's place in the original's sequence of runs
    /// (rank index × learning rates + rate index); it picks the `W_in`/`W_out` draw and where
    /// the run's training data start in the one stream. Ignored under `Paired`.
    #[serde(default)]
    pub run_index: usize,
    /// Learning rates to search (empty: only the optimiser's); see [`crate::protocol::run`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lr_list: Vec<f64>,
    /// Simulated manifold capacity of the decision-step states before and after training
    /// (`reps = 0`: not measured).
    #[serde(default)]
    pub capacity: CapacityConfig,
}

impl TrainConfig {
    /// The task's label: `sMNIST` for sequential MNIST, else the neurogym task.
    pub fn task_label(&self) -> String {
        if self.mnist_dir.is_some() {
            "sMNIST".into()
        } else {
            self.task.to_string()
        }
    }

    /// The `"readin-readout"` stream index and the training batches to skip: both 0 under
    /// [`Protocol::Paired`]; under `Original`, `run_index` and `run_index × iters`.
    fn stream_position(&self) -> (u64, usize) {
        match self.protocol {
            Protocol::Paired => (0, 0),
            Protocol::Original => (self.run_index as u64, self.run_index * self.iters),
        }
    }
}

impl Default for TrainConfig {
    /// The paper's defaults: 2AF, full rank, N = 300, g = 1.25, ReLU, α = 1, 10,000 iterations
    /// of 32 trials, SGD(0.003, 0.9), 10 probe batches, kernel on 32 trials.
    fn default() -> Self {
        Self {
            task: TaskKind::TwoAf,
            init: InitSpec::LowRank {
                rank: 300,
                renorm: crate::init::Renorm::Frobenius,
            },
            shuffle: false,
            n: 300,
            gain: 1.25,
            alpha: 1.0,
            activation: Activation::Relu,
            iters: 10_000,
            batch: 32,
            optimizer: OptimizerConfig::default(),
            probe_batches: 10,
            kernel_trials: 32,
            kernel_params: KernelParams::Recurrent,
            track_every: 1000,
            log_every: 100,
            seed: 0,
            mnist_dir: None,
            protocol: Protocol::Paired,
            run_index: 0,
            lr_list: Vec::new(),
            capacity: CapacityConfig::default(),
        }
    }
}

/// Why a run failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrainError {
    /// The initialisation could not be built.
    #[error(transparent)]
    Init(#[from] InitError),
    /// Training diverged or got bad shapes.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The kernel could not be computed.
    #[error(transparent)]
    Kernel(#[from] KernelError),
    /// An SVD failed.
    #[error(transparent)]
    Linalg(#[from] LinalgError),
    /// The MNIST files could not be used.
    #[error(transparent)]
    Mnist(#[from] crate::mnist::MnistError),
    /// Manifold capacity could not be estimated.
    #[error(transparent)]
    Capacity(#[from] crate::capacity::CapacityError),
    /// A configuration value out of range.
    #[error("config {field} = {got}: expected {expected}")]
    Config {
        /// The field.
        field: &'static str,
        /// What it must satisfy.
        expected: &'static str,
        /// Its value.
        got: String,
    },
}

/// The measures at one point of training, relative to the start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Measures {
    /// Iteration.
    pub iter: usize,
    /// `‖W_h(t) − W_h(0)‖_F`.
    pub weight_change: f64,
    /// The same over `‖W_h(0)‖_F`.
    pub weight_change_rel: f64,
    /// Tangent kernel alignment between `K(0)` and `K(t)`.
    pub ka: f64,
    /// Representation alignment at the decision step.
    pub ra: f64,
    /// Sign similarity of decision-step states.
    pub sign_similarity: f64,
    /// Decision-step accuracy on the probe set.
    pub accuracy: f64,
    /// Kernel–target alignment of `K(t)`.
    pub kta: f64,
    /// Centred kernel alignment (CKA) of the decision-step states (0 in runs saved before
    /// it was measured).
    #[serde(default)]
    pub cka: f64,
}

/// The outcome of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The configuration.
    pub config: TrainConfig,
    /// Measures at the end of training.
    pub final_measures: Measures,
    /// Measures at every checkpoint (iteration 0 first).
    pub track: Vec<Measures>,
    /// Kernel–target alignment of `K(0)`.
    pub kta0: f64,
    /// Effective ranks of `W_h(0)`.
    pub rank_w0: EffectiveRanks,
    /// Effective ranks of `W_h(T)`.
    pub rank_wt: EffectiveRanks,
    /// Effective ranks of `ΔW_h`.
    pub rank_dw: EffectiveRanks,
    /// `(iteration, running-mean loss)`.
    pub loss: Vec<(usize, f64)>,
    /// When the task was first learned and how `ΔW_h` splits around that point (`None`
    /// when the run did not learn, see [`first_learned`]).
    #[serde(default)]
    pub learned: Option<Learned>,
    /// The learning rates tried and their scores (empty without a search).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lr_search: Vec<LrTrial>,
    /// Simulated manifold capacity of the decision-step class manifolds at initialisation
    /// (`None`: not measured, or not separable even in the full space).
    #[serde(default)]
    pub capacity_0: Option<Capacity>,
    /// The same after training.
    #[serde(default)]
    pub capacity_t: Option<Capacity>,
}

/// The weight change of a run split at the checkpoint where it first learned its task.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// The first tracked iteration at which the task counts as learned.
    pub iter: usize,
    /// `‖W_h(t*) − W_h(0)‖_F`: the change while learning.
    pub change_to_learned: f64,
    /// `‖W_h(T) − W_h(t*)‖_F`: the drift after the task was learned.
    pub drift_after: f64,
}

/// Fraction of the final above-chance accuracy at which a task counts as learned.
pub const LEARNED_FRACTION: f64 = 0.9;
/// Final accuracy above chance below which a run counts as not having learned at all.
pub const LEARNED_MIN_GAIN: f64 = 0.1;

/// The one definition of "first learned": the index in `track` of the first checkpoint whose
/// decision accuracy is at least [`LEARNED_FRACTION`] of the way from `chance` to the final
/// accuracy, or `None` when the final accuracy is less than [`LEARNED_MIN_GAIN`] above
/// chance. The resolution is the tracking interval.
///
/// ```
/// use nc_richlazy::train::{Measures, first_learned};
/// let at = |iter, accuracy| Measures { iter, accuracy, ..Measures::default() };
/// let track = [at(0, 0.5), at(100, 0.7), at(200, 0.87), at(300, 0.9)];
/// assert_eq!(first_learned(&track, 0.5), Some(2)); // 0.87 >= 0.5 + 0.9 * 0.4
/// assert_eq!(first_learned(&track[..2], 0.5), Some(1));
/// assert_eq!(first_learned(&[at(0, 0.5), at(100, 0.55)], 0.5), None);
/// ```
pub fn first_learned(track: &[Measures], chance: f64) -> Option<usize> {
    let last = track.last()?.accuracy;
    if last - chance < LEARNED_MIN_GAIN {
        return None;
    }
    let bar = chance + LEARNED_FRACTION * (last - chance);
    track.iter().position(|m| m.accuracy >= bar)
}

impl RunResult {
    /// The result as `neurocircuits richlazy train --json` prints it: task, init label, seed,
    /// iterations, the configuration's hash, the final measures, `kta0`, the effective ranks,
    /// the final loss, the tracked measures and the configuration itself.
    pub fn summary_json(&self) -> serde_json::Value {
        let (cfg, m) = (&self.config, &self.final_measures);
        serde_json::json!({
            "task": cfg.task_label(), "init": cfg.init.label(), "seed": cfg.seed, "iters": cfg.iters,
            "config_hash": nc_core::output::config_hash(cfg),
            "weight_change": m.weight_change, "weight_change_rel": m.weight_change_rel,
            "ka": m.ka, "ra": m.ra, "cka": m.cka, "sign_similarity": m.sign_similarity, "accuracy": m.accuracy,
            "kta": m.kta, "kta0": self.kta0, "rank_w0": self.rank_w0, "rank_wt": self.rank_wt,
            "rank_dw": self.rank_dw,
            "capacity_0": self.capacity_0.as_ref().map(|c| c.alpha),
            "capacity_t": self.capacity_t.as_ref().map(|c| c.alpha), "final_loss": self.loss.last().map(|l| l.1),
            "track": self.track, "config": cfg, "lr_search": self.lr_search,
        })
    }
}

/// The network and probe set a run starts from.
pub struct Start {
    /// The initial network (f32).
    pub net: Rnn<f32>,
    /// The probe set.
    pub probe: Batch,
    /// Where training batches come from.
    pub source: Source,
}

/// Where training trials come from.
pub enum Source {
    /// A neurogym task, fresh trials every iteration.
    Gym(NeurogymTask, Box<rand_chacha::ChaCha8Rng>),
    /// Sequential MNIST, consecutive batches of a shuffled training split (index list and
    /// cursor).
    Mnist(Box<crate::mnist::Mnist>, Vec<usize>, usize),
}

impl Source {
    /// The next training batch.
    pub fn next_batch(&mut self, batch: usize) -> Batch {
        match self {
            Self::Gym(t, rng) => t.sample(rng, batch),
            Self::Mnist(m, idx, cursor) => {
                if *cursor + batch > idx.len() {
                    *cursor = 0;
                }
                let b = m.batch(&idx[*cursor..(*cursor + batch).min(idx.len())]);
                *cursor += batch;
                b
            }
        }
    }

    /// Drops the next `batches` batches (the data of earlier runs of one stream).
    pub fn skip(&mut self, batches: usize, batch: usize) {
        match self {
            Self::Gym(t, rng) => {
                // trials draw a varying number of random values: regenerate them
                for _ in 0..batches {
                    t.sample(rng, batch);
                }
            }
            Self::Mnist(_, idx, cursor) => {
                // after a wrap the cursor cycles through `per_epoch` batch starts
                let per_epoch = (idx.len() / batch).max(1);
                let from = (*cursor / batch) % per_epoch;
                *cursor = ((from + batches) % per_epoch) * batch;
            }
        }
    }
}

/// Builds the initial network and the probe set of `cfg`.
pub fn start(cfg: &TrainConfig) -> Result<Start, TrainError> {
    if cfg.n == 0 || cfg.batch == 0 || cfg.probe_batches == 0 || cfg.kernel_trials == 0 {
        return Err(TrainError::Config {
            field: "n/batch/probe_batches/kernel_trials",
            expected: "> 0",
            got: "0".into(),
        });
    }
    if !(cfg.alpha > 0.0 && cfg.alpha <= 1.0) {
        return Err(TrainError::Config {
            field: "alpha",
            expected: "0 < alpha <= 1",
            got: cfg.alpha.to_string(),
        });
    }
    if !(cfg.gain.is_finite() && cfg.gain >= 0.0) {
        return Err(TrainError::Config {
            field: "gain",
            expected: "finite and >= 0",
            got: cfg.gain.to_string(),
        });
    }
    let task = cfg.task;
    let mnist = match &cfg.mnist_dir {
        Some(dir) => Some(crate::mnist::load(dir)?),
        None => None,
    };
    let (n_in, n_out) = if mnist.is_some() {
        (28, 10)
    } else {
        (task.n_in(), task.n_out())
    };
    let (readin_index, skip) = cfg.stream_position();
    let mut net = Rnn::<f64>::new_pytorch(
        n_in,
        cfg.n,
        n_out,
        cfg.activation,
        &mut stream(cfg.seed, "readin-readout", readin_index),
    );
    net.alpha = cfg.alpha;
    let fam = RankFamily::new(cfg.n, cfg.gain, &mut stream(cfg.seed, "w0", 0))?;
    let ctx = InitContext {
        w_in: &net.w_in,
        n_in: net.n_in,
        w_out: &net.w_out,
        n_out: net.n_out,
    };
    let mut init_rng = stream(cfg.seed, "init", 0);
    let mut w = build(&cfg.init, &fam, cfg.gain, ctx, &mut init_rng)?;
    if cfg.shuffle {
        crate::connectome::shuffle(&mut w, &mut init_rng);
    }
    net.w_h = w;
    let mut source = match mnist {
        Some(m) => {
            // the original's random 55,000/5,000 split; the 5,000 are not used for measures
            let (train_idx, _) = m.split(
                5000.min(m.len() / 10),
                &mut stream(cfg.seed, "mnist-split", 0),
            );
            if train_idx.len() < cfg.batch * (cfg.probe_batches + 1) {
                return Err(TrainError::Config {
                    field: "batch",
                    expected: "a training split holding the probe batches and one more batch",
                    got: format!("{} images for batches of {}", train_idx.len(), cfg.batch),
                });
            }
            Source::Mnist(Box::new(m), train_idx, 0)
        }
        None => Source::Gym(
            NeurogymTask::new(task),
            Box::new(stream(cfg.seed, &format!("train-{task}"), 0)),
        ),
    };
    // the probe: sMNIST's first training batches (both protocols), the original's first
    // batches of its one neurogym stream, or our own neurogym probe stream
    let parts: Vec<Batch> = match (&source, cfg.protocol) {
        (Source::Gym(generator, _), Protocol::Paired) => {
            let mut prng = stream(cfg.seed, &format!("probe-{task}"), 0);
            (0..cfg.probe_batches)
                .map(|_| generator.sample(&mut prng, cfg.batch))
                .collect()
        }
        _ => (0..cfg.probe_batches)
            .map(|_| source.next_batch(cfg.batch))
            .collect(),
    };
    let probe = Batch::concat(&parts).ok_or(TrainError::Config {
        field: "probe_batches",
        expected: "> 0",
        got: "0".into(),
    })?;
    source.skip(skip, cfg.batch);
    Ok(Start {
        net: net.cast(),
        probe,
        source,
    })
}

/// A snapshot of the network on the probe set.
struct Snapshot {
    dec_states: Vec<f64>,
    /// The states sign similarity compares: the decision step, or every step for sMNIST.
    sign_states: Vec<f64>,
    kernel: TangentKernel,
    accuracy: f64,
}

fn snapshot(
    net: &Rnn<f32>,
    probe: &Batch,
    kprobe: &Batch,
    kparams: KernelParams,
    sign_all_steps: bool,
) -> Result<Snapshot, TrainError> {
    let x: Vec<f32> = cast(&probe.x);
    let mut tape = Tape::default();
    net.forward(&x, probe.steps, probe.batch, &mut tape)?;
    let (p, n, d) = (probe.batch, net.n, probe.decision_step);
    let dec_states = tape.h[d * p * n..(d + 1) * p * n]
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let sign_states = if sign_all_steps {
        tape.h[..probe.steps * p * n]
            .iter()
            .map(|&v| f64::from(v))
            .collect()
    } else {
        Vec::new()
    };
    let y: Vec<f64> = tape.y.iter().map(|&v| f64::from(v)).collect();
    let accuracy = accuracy(&y, &probe.labels, d, p, net.n_out);
    let kx: Vec<f32> = cast(&kprobe.x);
    let out = kernel_steps(kprobe);
    let kernel = tangent_kernel(net, &kx, kprobe.steps, kprobe.batch, &out, kparams)?;
    Ok(Snapshot {
        dec_states,
        sign_states,
        kernel,
        accuracy,
    })
}

/// Output steps whose logits are kernel rows: every step, or the last for last-step losses.
fn kernel_steps(b: &Batch) -> Vec<usize> {
    match b.loss_steps {
        crate::tasks::LossSteps::All => (0..b.steps).collect(),
        crate::tasks::LossSteps::Last => vec![b.steps - 1],
    }
}

/// One-hot targets of the kernel rows `(step, trial, logit)`.
fn kernel_targets(kprobe: &Batch) -> Vec<f64> {
    let k = kprobe.n_out;
    let steps = kernel_steps(kprobe);
    let mut y = vec![0.0; steps.len() * kprobe.batch * k];
    for (ti, &t) in steps.iter().enumerate() {
        for b in 0..kprobe.batch {
            let l = kprobe.labels[t * kprobe.batch + b] as usize;
            y[(ti * kprobe.batch + b) * k + l] = 1.0;
        }
    }
    y
}

/// Trains one network as `cfg` says; `progress(done, total)` is called every `log_every`
/// iterations.
pub fn train(
    cfg: &TrainConfig,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<RunResult, TrainError> {
    let Start {
        mut net,
        probe,
        mut source,
    } = start(cfg)?;
    let kprobe = probe.take(cfg.kernel_trials);
    let targets = kernel_targets(&kprobe);
    let w0: Vec<f64> = net.w_h.iter().map(|&v| f64::from(v)).collect();
    // the original's sign similarity: the decision step for neurogym, all steps for sMNIST
    let all_steps = cfg.mnist_dir.is_some();
    let s0 = snapshot(&net, &probe, &kprobe, cfg.kernel_params, all_steps)?;
    let kta0 = kernel_target_alignment(&s0.kernel, &targets);
    let (p, n) = (probe.batch, net.n);
    let capacity_0 = capacity(cfg, &s0.dec_states, &probe, n)?;
    let measure = |net: &Rnn<f32>, iter: usize| -> Result<Measures, TrainError> {
        let s = snapshot(net, &probe, &kprobe, cfg.kernel_params, all_steps)?;
        let wt: Vec<f64> = net.w_h.iter().map(|&v| f64::from(v)).collect();
        let (wc, wcr) = weight_change(&w0, &wt);
        Ok(Measures {
            iter,
            weight_change: wc,
            weight_change_rel: wcr,
            ka: cosine(&s0.kernel.k, &s.kernel.k),
            ra: representation_alignment(&s0.dec_states, &s.dec_states, p, n),
            sign_similarity: if all_steps {
                sign_similarity(&s0.sign_states, &s.sign_states)
            } else {
                sign_similarity(&s0.dec_states, &s.dec_states)
            },
            accuracy: s.accuracy,
            kta: kernel_target_alignment(&s.kernel, &targets),
            cka: centred_kernel_alignment(&s0.dec_states, &s.dec_states, p, n),
        })
    };
    let mut track = vec![Measures {
        iter: 0,
        ka: 1.0,
        ra: 1.0,
        sign_similarity: 1.0,
        accuracy: s0.accuracy,
        kta: kta0,
        cka: 1.0,
        ..Measures::default()
    }];
    // W_h at every checkpoint, to split the weight change where the task was learned
    let mut snapshots = vec![net.w_h.clone()];
    let mut opt = Optimizer::new(cfg.optimizer, &net);
    let mut tape = Tape::default();
    let mut grads = net.zero_grads();
    let mut loss_log = Vec::new();
    let (mut running, mut count) = (0.0, 0usize);
    for it in 0..cfg.iters {
        let b = source.next_batch(cfg.batch);
        let x: Vec<f32> = cast(&b.x);
        let loss = net.loss_and_grads(
            &x,
            &b.labels,
            b.steps,
            b.batch,
            b.loss_steps,
            &mut tape,
            &mut grads,
        )?;
        opt.step(&mut net, &grads);
        running += loss;
        count += 1;
        let done = it + 1;
        if cfg.log_every > 0 && done % cfg.log_every == 0 {
            loss_log.push((done, running / count as f64));
            (running, count) = (0.0, 0);
            progress(done, cfg.iters);
        }
        if cfg.track_every > 0 && done % cfg.track_every == 0 && done != cfg.iters {
            track.push(measure(&net, done)?);
            snapshots.push(net.w_h.clone());
        }
    }
    if count > 0 {
        // the iterations after the last full logging window (e.g. fewer than log_every)
        loss_log.push((cfg.iters, running / count as f64));
    }
    let fin = measure(&net, cfg.iters)?;
    let capacity_t = capacity(cfg, &decision_states(&net, &probe)?, &probe, n)?;
    track.push(fin);
    snapshots.push(net.w_h.clone());
    let wt: Vec<f64> = net.w_h.iter().map(|&v| f64::from(v)).collect();
    let dw: Vec<f64> = wt.iter().zip(&w0).map(|(a, b)| a - b).collect();
    // chance: one of the choices (neurogym's fixation output is not a choice)
    let chance = if cfg.mnist_dir.is_some() {
        1.0 / net.n_out as f64
    } else {
        1.0 / net.n_out.saturating_sub(1).max(1) as f64
    };
    let learned = first_learned(&track, chance).map(|i| {
        let at: Vec<f64> = snapshots[i].iter().map(|&v| f64::from(v)).collect();
        Learned {
            iter: track[i].iter,
            change_to_learned: track[i].weight_change,
            drift_after: weight_change(&at, &wt).0,
        }
    });
    Ok(RunResult {
        config: cfg.clone(),
        final_measures: fin,
        track,
        kta0,
        rank_w0: effective_ranks(&w0, n, n)?,
        rank_wt: effective_ranks(&wt, n, n)?,
        rank_dw: effective_ranks(&dw, n, n)?,
        loss: loss_log,
        learned,
        lr_search: Vec::new(),
        capacity_0,
        capacity_t,
    })
}

/// The decision-step states of the probe set (`p × n`).
fn decision_states(net: &Rnn<f32>, probe: &Batch) -> Result<Vec<f64>, TrainError> {
    let x: Vec<f32> = cast(&probe.x);
    let mut tape = Tape::default();
    net.forward(&x, probe.steps, probe.batch, &mut tape)?;
    let (p, n, d) = (probe.batch, net.n, probe.decision_step);
    Ok(tape.h[d * p * n..(d + 1) * p * n]
        .iter()
        .map(|&v| f64::from(v))
        .collect())
}

/// The simulated capacity of the probe's class manifolds at the decision step (seeded by
/// the run seed, so the same seed gives the same number).
fn capacity(
    cfg: &TrainConfig,
    states: &[f64],
    probe: &Batch,
    n: usize,
) -> Result<Option<Capacity>, TrainError> {
    if cfg.capacity.reps == 0 {
        return Ok(None);
    }
    let (p, d) = (probe.batch, probe.decision_step);
    let labels = &probe.labels[d * p..(d + 1) * p];
    let m = Manifolds::by_label(states, p, n, labels, cfg.capacity.per_class);
    Ok(m.capacity(cfg.capacity, cfg.seed)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_run_learns_and_reports_every_measure() {
        let cfg = TrainConfig {
            n: 32,
            iters: 300,
            track_every: 100,
            probe_batches: 2,
            kernel_trials: 4,
            seed: 3,
            ..TrainConfig::default()
        };
        let cfg = TrainConfig {
            init: InitSpec::LowRank {
                rank: 32,
                renorm: crate::init::Renorm::Frobenius,
            },
            ..cfg
        };
        let mut calls = 0;
        let r = train(&cfg, &mut |_, _| calls += 1).unwrap();
        assert_eq!(calls, 3);
        assert_eq!(r.track.len(), 4);
        let first = r.loss.first().unwrap().1;
        let last = r.loss.last().unwrap().1;
        assert!(last < first, "loss {first} -> {last}");
        let m = r.final_measures;
        assert!(
            m.weight_change > 0.0 && m.ka < 1.0 && m.ka > 0.0 && m.ra > 0.0 && m.ra <= 1.0 + 1e-12
        );
        assert!((0.0..=1.0).contains(&m.accuracy));
        // the split of ΔW_h at the learned checkpoint: the two parts bound the whole
        let l = r.learned.expect("2AF is learned in 300 iterations");
        assert!(l.iter > 0 && l.iter <= 300);
        let whole = m.weight_change;
        assert!(l.change_to_learned > 0.0 && l.drift_after >= 0.0);
        assert!(
            whole <= l.change_to_learned + l.drift_after + 1e-9,
            "triangle inequality"
        );
        if l.iter == 300 {
            assert_eq!(l.drift_after, 0.0);
            assert_eq!(l.change_to_learned, whole);
        }
        // same seed, same numbers
        let again = train(&cfg, &mut |_, _| {}).unwrap();
        assert_eq!(again.final_measures, r.final_measures);
    }

    #[test]
    fn sequential_mnist_runs_from_idx_files_and_reports_missing_ones() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = TrainConfig {
            n: 16,
            iters: 20,
            batch: 8,
            probe_batches: 1,
            kernel_trials: 4,
            track_every: 0,
            log_every: 10,
            mnist_dir: Some(dir.path().to_path_buf()),
            ..TrainConfig::default()
        };
        let cfg = TrainConfig {
            init: InitSpec::LowRank {
                rank: 4,
                renorm: crate::init::Renorm::Frobenius,
            },
            ..cfg
        };
        let e = train(&cfg, &mut |_, _| {}).unwrap_err().to_string();
        assert!(
            e.contains("train-images-idx3-ubyte") && e.contains("missing"),
            "{e}"
        );
        let n = 40usize;
        let mut ib = vec![0, 0, 8, 3, 0, 0, 0, n as u8, 0, 0, 0, 28, 0, 0, 0, 28];
        ib.extend((0..n * 784).map(|i| ((i * 7919) % 251) as u8));
        let mut lb = vec![0, 0, 8, 1, 0, 0, 0, n as u8];
        lb.extend((0..n).map(|i| (i % 10) as u8));
        std::fs::write(dir.path().join(crate::mnist::IMAGES), ib).unwrap();
        std::fs::write(dir.path().join(crate::mnist::LABELS), lb).unwrap();
        let r = train(&cfg, &mut |_, _| {}).unwrap();
        assert!(r.final_measures.ka > 0.0 && r.final_measures.ka <= 1.0 + 1e-9);
        assert_eq!(r.loss.len(), 2);
    }

    #[test]
    fn bad_rank_is_a_clear_error() {
        let cfg = TrainConfig {
            n: 8,
            init: InitSpec::LowRank {
                rank: 9,
                renorm: crate::init::Renorm::Frobenius,
            },
            ..TrainConfig::default()
        };
        let e = train(&cfg, &mut |_, _| {}).unwrap_err().to_string();
        assert!(
            e.contains("rank 9 is out of range") && e.contains("<= 8"),
            "{e}"
        );
    }
}
