//! Forward + backward of `zoo:mha` and `zoo:resnet` at their default bindings, f32, one
//! thread (nc_core's GEMM is single-threaded). The PyTorch peer, timing the same models with
//! `torch.set_num_threads(1)`, is tools/reference/diagram/torch_bench.py. To time both in the
//! same run and print the ratio:
//!
//! ```text
//! cargo run --release -p neurocircuits -- diagram bench --torch-python /work/pyref/bin/python
//! ```
//!
//! or side by side by hand:
//!
//! ```text
//! cargo bench -p nc-diagram --bench exec
//! /work/pyref/bin/python tools/reference/diagram/torch_bench.py
//! ```
//!
//! Measured 2026-11-28 with `diagram bench` on the shared 2-core dev machine (load ≈ 3, so
//! ±30 %), torch 2.15.0: mha 0.59 ms here vs 1.61 ms in PyTorch (0.37×); resnet 52.8 ms here
//! vs 45.3 ms in PyTorch (1.17×; before the layout work of this date: 127–185 ms, 2.4–3.4×).
use criterion::{Criterion, criterion_group, criterion_main};
use nc_diagram::bench::Workload;

fn fwd_bwd(c: &mut Criterion, name: &str) {
    let w = Workload::new(name).expect("zoo model");
    c.bench_function(&format!("{name} forward+backward (f32, 1 thread)"), |b| {
        b.iter(|| w.step().expect("forward + backward"))
    });
}

fn benches(c: &mut Criterion) {
    fwd_bwd(c, "mha");
    fwd_bwd(c, "resnet");
}

criterion_group! { name = group; config = Criterion::default().sample_size(10); targets = benches }
criterion_main!(group);
