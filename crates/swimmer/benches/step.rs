//! Physics steps per second on one core (6 and 12 bodies), and one whole episode.

use criterion::{Criterion, criterion_group, criterion_main};
use nc_swimmer::bench::{gait_ctrl, single_episode_seconds};
use nc_swimmer::{Data, Model, Options, SwimConfig, SwimEnv, step};
use std::hint::black_box;

fn physics_step(c: &mut Criterion) {
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
        c.bench_function(&format!("physics_step/{n}_bodies"), |b| {
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
    c.bench_function("episode/6_bodies", |b| {
        b.iter(|| single_episode_seconds(SwimConfig::default()).unwrap())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = physics_step
}
criterion_main!(benches);
