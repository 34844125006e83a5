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

// the upper median; callers pass at least one timing
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Times `reps` training steps and `kernel_reps` kernels of `cfg`'s network (both at least 1).
pub fn run(cfg: &TrainConfig, reps: usize, kernel_reps: usize) -> Result<BenchResult, TrainError> {
    for (field, got) in [("reps", reps), ("kernel_reps", kernel_reps)] {
        if got == 0 {
            return Err(TrainError::Config {
                field,
                expected: ">= 1 (a median needs at least one timing)",
                got: got.to_string(),
            });
        }
    }
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
    let mut kt = Vec::with_capacity(kernel_reps);
    let mut rows = 0;
    for _ in 0..kernel_reps {
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

#[cfg(test)]
mod tests {
    #[test]
    fn zero_repetitions_are_a_clear_error_not_a_panic() {
        let cfg = crate::train::TrainConfig {
            n: 8,
            ..Default::default()
        };
        let cfg = crate::train::TrainConfig {
            init: crate::init::InitSpec::Gaussian,
            ..cfg
        };
        let e = super::run(&cfg, 0, 1).unwrap_err().to_string();
        assert!(e.contains("config reps = 0") && e.contains(">= 1"), "{e}");
        let e = super::run(&cfg, 1, 0).unwrap_err().to_string();
        assert!(e.contains("kernel_reps"), "{e}");
        let r = super::run(&cfg, 1, 1).unwrap();
        assert!(r.train_step_ms >= 0.0 && r.kernel_rows > 0);
    }
}
