//! The learners' units of work at Tonic's defaults, in f32 (training) and f64 (reference):
//! one DDPG gradient step (batch 100, actor and critic 256×256, targets, Adam, Polyak) and one
//! PPO epoch (a full-batch actor and critic step on a 4,096-step segment, 64×64 tanh), on
//! rayon's global pool (all threads). `cargo bench -p nc-ncap --bench learners`; the same
//! units against PyTorch in one run: `neurocircuits ncap bench --torch-python PY`.
//!
//! Profiles (`perf record`, one thread, on the shared 2-core AMD EPYC, loaded by other builds):
//!
//! Before (f64, matrixmultiply, allocating per step; DDPG step 11–13.5 ms in criterion):
//! PROFILE_BEFORE
//!
//! After (f32, faer's kernels, fused epilogues, no allocation; DDPG step 2.5 ms on one thread):
//!  44.4 % faer f32 microkernel (96×4, AVX-512), 15.9 % microkernel (64×4), 5.6 % packing,
//!  2.6 % microkernel store, 5.8 % + 3.8 % our vectorised loops (bias/activation epilogues,
//!  Adam, Polyak, gradient sums): about 80 % of the time is in the GEMM's kernels, which run
//!  near the core's f32 peak on these shapes (100–115 GFLOP/s in isolation), so the step is
//!  bound by its 131 MFLOP.
//!
//! PPO epoch after (f32, one thread): 62 % faer's kernels; 18 % the epilogues, mostly the
//! rational tanh over 4,096 × 261 activations; 1.4 % the Gaussian log-density.
use criterion::{Criterion, criterion_group, criterion_main};
use nc_ncap::bench::{DdpgWork, PpoWork};

fn learners(c: &mut Criterion) {
    let mut d32 = DdpgWork::<f32>::new().expect("default config");
    c.bench_function("ddpg update (batch 100, 256x256, f32)", |b| {
        b.iter(|| d32.step())
    });
    let mut d64 = DdpgWork::<f64>::new().expect("default config");
    c.bench_function("ddpg update (batch 100, 256x256, f64)", |b| {
        b.iter(|| d64.step())
    });
    let mut p32 = PpoWork::<f32>::new().expect("default config");
    c.bench_function("ppo epoch (4096 steps, 64x64, f32)", |b| {
        b.iter(|| p32.epoch())
    });
    let mut p64 = PpoWork::<f64>::new().expect("default config");
    c.bench_function("ppo epoch (4096 steps, 64x64, f64)", |b| {
        b.iter(|| p64.epoch())
    });
}

criterion_group! { name = group; config = Criterion::default().sample_size(20); targets = learners }
criterion_main!(group);
