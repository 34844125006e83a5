//! Timings of the hot paths at the paper's default size, for `neurocircuits richlazy bench`
//! and the criterion bench. Library code only measures; the caller prints.

use crate::kernel::{KernelParams, tangent_kernel};
use crate::optim::Optimizer;
use crate::real::cast;
use crate::tasks::NeurogymTask;
use crate::train::{TrainConfig, TrainError, start};
use std::time::Instant;

/// Median wall times in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BenchResult {
    /// One training iteration: sample a batch, forward, BPTT, SGD step.
    pub train_step_ms: f64,
    /// One full tangent kernel (W_h, 8 steps × kernel trials × 3 logits).
    pub kernel_ms: f64,
    /// Kernel rows.
    pub kernel_rows: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Times `reps` training steps and `kernel_reps` kernels of `cfg`'s network.
pub fn run(cfg: &TrainConfig, reps: usize, kernel_reps: usize) -> Result<BenchResult, TrainError> {
    let s = start(cfg)?;
    let mut net = s.net;
    let generator = NeurogymTask::new(cfg.task);
    let mut rng = nc_core::rng::stream(cfg.seed, "bench", 0);
    let mut opt = Optimizer::new(cfg.optimizer, &net);
    let mut tape = crate::model::Tape::default();
    let mut g = net.zero_grads();
    let mut times = Vec::with_capacity(reps);
    for i in 0..reps + 3 {
        let t0 = Instant::now();
        let b = generator.sample(&mut rng, cfg.batch);
        let x: Vec<f32> = cast(&b.x);
        net.loss_and_grads(
            &x,
            &b.labels,
            b.steps,
            b.batch,
            b.loss_steps,
            &mut tape,
            &mut g,
        )?;
        opt.step(&mut net, &g);
        if i >= 3 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    let kp = s.probe.take(cfg.kernel_trials);
    let kx: Vec<f32> = cast(&kp.x);
    let out: Vec<usize> = (0..kp.steps).collect(); // neurogym tasks: every step
    let mut kt = Vec::with_capacity(kernel_reps.max(1));
    let mut rows = 0;
    for _ in 0..kernel_reps.max(1) {
        let t0 = Instant::now();
        let k = tangent_kernel(&net, &kx, kp.steps, kp.batch, &out, KernelParams::Recurrent)?;
        kt.push(t0.elapsed().as_secs_f64() * 1e3);
        rows = k.rows;
    }
    Ok(BenchResult {
        train_step_ms: median(times),
        kernel_ms: median(kt),
        kernel_rows: rows,
    })
}
