//! Physics steps on one core: one environment (6 and 12 bodies), one batch of
//! `VecEnv::LANES` environments in SIMD lanes, and one whole episode.
//!
//! `neurocircuits swimmer bench --mujoco-python PY` times the same workloads against
//! MuJoCo in the same run. Profiles below are callgrind instruction counts of
//! `cargo run --release --example gait -- N STEPS MODE` (perf counters are not available
//! on the development machine), so they do not depend on its load.
//!
//! Before (main at d99c96a, dense `M`): 8,780 instructions per physics step at 6 bodies,
//! 23,190 at 12. Top inclusive entries at 6 bodies: dense Cholesky `factor_m` 21.9%,
//! `kinematics` 16.9% (glibc `sincos` 8.8%), `forward_acceleration` (dense solves and the
//! limit solve) 16.4%, `crb` 14.9%, `passive` 8.9%, `make_constraint` 6.1% (of which glibc
//! `pow` 5.4%: two calls a step hoisted out of the row loop), `rne` 5.9%. At 12 bodies:
//! `factor_m` 32.9%, `forward_acceleration` 20.0%, `crb` 15.1%, `kinematics` 12.8%.
//!
//! After (O(n) articulated-body solve, fdlibm-kernel `sin_cos`, no bounds checks in the
//! stage loops, no `pow`, stages inlined under `pulp` dispatch): one environment 3,560
//! instructions per step at 6 bodies and 6,680 at 12; a batch of 8 lanes 1,490 per
//! environment-step at 6 bodies and 3,720 at 12. Everything is inlined into one function,
//! so the profile is by source file: single, 6 bodies, f64 arithmetic through the `Real`
//! trait 36%, `articulated` 7%, bounds checks 7%, `kinematics` 6%, `passive` 5%,
//! `constraint` 4%; batch, 12 bodies, lane arithmetic (`real.rs`) 29%, gather/scatter and
//! per-lane limit bookkeeping (`batch.rs`) 11%, per-lane limit rows and LCP
//! (`constraint.rs`) 7%, `passive` 5%.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nc_swimmer::bench::{gait_ctrl, single_episode_seconds};
use nc_swimmer::{Data, Model, Options, SwimConfig, SwimEnv, VecEnv, step};
use std::hint::black_box;

fn physics_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("physics_step");
    group.throughput(Throughput::Elements(1));
    for n in [6, 12] {
        let m = Model::swimmer(n, Options::default()).unwrap();
        let mut d = Data::new(&m);
        let mut env = SwimEnv::new(SwimConfig {
            n_bodies: n,
            ..SwimConfig::default()
        })
        .unwrap();
        env.reset(0);
        d.qpos.copy_from_slice(env.qpos());
        let mut i = 0usize;
        group.bench_function(format!("{n}_bodies"), |b| {
            b.iter(|| {
                if i.is_multiple_of(15) {
                    for (j, u) in d.ctrl.iter_mut().enumerate() {
                        *u = gait_ctrl(i, j, m.nu);
                    }
                }
                // restart the gait now and then so the state stays a swimming state
                if i.is_multiple_of(30_000) {
                    d.reset(&m);
                    d.qpos.copy_from_slice(env.qpos());
                }
                i += 1;
                step(&m, black_box(&mut d)).unwrap();
            })
        });
    }
    group.finish();
}

/// One control step (15 physics steps) of one batch of environments on one thread;
/// throughput counts physics steps of all lanes.
fn batch_step(c: &mut Criterion) {
    let lanes = VecEnv::LANES;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut group = c.benchmark_group("batch_physics_step");
    group.throughput(Throughput::Elements((lanes * 15) as u64));
    for n in [6, 12] {
        let cfg = SwimConfig {
            n_bodies: n,
            episode_len: usize::MAX,
            ..SwimConfig::default()
        };
        let mut ve = VecEnv::new(cfg, lanes).unwrap();
        let seeds: Vec<u64> = (0..lanes as u64).collect();
        ve.reset_all(&seeds);
        let nu = n - 1;
        let mut actions = vec![0.0; lanes * nu];
        let mut rewards = vec![0.0; lanes];
        let mut k = 0usize;
        group.bench_function(format!("{n}_bodies_{lanes}_lanes"), |b| {
            b.iter(|| {
                if k.is_multiple_of(2_000) {
                    ve.reset_all(&seeds);
                }
                for a in actions.chunks_exact_mut(nu) {
                    for (j, x) in a.iter_mut().enumerate() {
                        *x = gait_ctrl(15 * k, j, nu);
                    }
                }
                k += 1;
                pool.install(|| ve.step_all(&actions, black_box(&mut rewards)).unwrap());
            })
        });
    }
    group.finish();
}

fn episode(c: &mut Criterion) {
    c.bench_function("episode/6_bodies", |b| {
        b.iter(|| single_episode_seconds(SwimConfig::default()).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = physics_step, batch_step, episode
}
criterion_main!(benches);
