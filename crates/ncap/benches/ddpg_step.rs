//! One DDPG gradient step at Tonic's defaults (batch 100, actor and critic 256×256, f64) on a
//! replay filled by uniform-random swimming: `cargo bench -p nc-ncap --bench ddpg_step`.
//! The peer is Tonic's DDPG on PyTorch: about 5.4 ms per step, measured with Tonic's own
//! learner on this machine, not in the same run.
//!
//! Measured 2026-11-28 on the shared 2-core machine while another build ran: 11.0–13.5 ms
//! (criterion interval), so about 2× slower than Tonic. A `perf` profile of a DDPG-MLP run puts
//! 73 % of the time in matrixmultiply's f64 GEMM: the step is compute-bound in f64.
use criterion::{Criterion, criterion_group, criterion_main};
use nc_ncap::ddpg::rollout::{Replay, step};
use nc_ncap::ddpg::update::Learner;
use nc_ncap::ddpg::{DdpgConfig, mlp_actor, swim_config};
use nc_ncap::envs::TrainingEnvs;
use nc_ncap::normalizer::MeanStd;

fn ddpg_step(c: &mut Criterion) {
    let cfg = DdpgConfig::default();
    let actor = mlp_actor(&cfg).expect("default config");
    let mut envs = TrainingEnvs::new(swim_config(&cfg), cfg.n_envs, 0).expect("swimmer");
    let (d, k) = (envs.obs_dim(), envs.act_dim());
    let mut learner = Learner::new(&cfg, actor, d, k).expect("default widths");
    let mut norm = MeanStd::new(d);
    let mut replay = Replay::new(10_000, d, k);
    let mut explore = nc_core::rng::stream(0, "bench-explore", 0);
    while replay.len() < 2_000 {
        step(
            &mut envs,
            &learner.actor,
            &mut norm,
            &mut explore,
            true,
            0.1,
            &mut replay,
            &mut Default::default(),
        )
        .expect("swimmer step");
    }
    norm.update();
    let mut batches = nc_core::rng::stream(0, "bench-batches", 0);
    c.bench_function("ddpg gradient step (batch 100, 256x256, f64)", |b| {
        b.iter(|| {
            learner.step(
                &replay,
                &norm,
                cfg.batch_size,
                cfg.gamma,
                cfg.tau,
                &mut batches,
            )
        })
    });
}

criterion_group! { name = group; config = Criterion::default().sample_size(20); targets = ddpg_step }
criterion_main!(group);
