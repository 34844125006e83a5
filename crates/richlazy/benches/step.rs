//! One BPTT training step and one tangent kernel at the paper's default size (N = 300,
//! batch 32, 8 steps). The PyTorch peer is tools/reference/richlazy/torch_bench.py.
use criterion::{Criterion, criterion_group, criterion_main};
use nc_richlazy::train::TrainConfig;

fn step(c: &mut Criterion) {
    let cfg = TrainConfig::default();
    c.bench_function("richlazy train step + kernel (N=300)", |b| {
        b.iter(|| nc_richlazy::bench::run(&cfg, 5, 1).map(|r| r.train_step_ms))
    });
}

criterion_group! { name = benches; config = Criterion::default().sample_size(10); targets = step }
criterion_main!(benches);
