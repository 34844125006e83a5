//! Forward + backward of `zoo:mha` and `zoo:resnet` at their default bindings, f32, one
//! thread (nc_core's GEMM is single-threaded). The PyTorch peer, timing the same models with
//! `torch.set_num_threads(1)`, is tools/reference/diagram/torch_bench.py. To time both in the
//! same run and print the ratio:
//!
//! ```text
//! cargo run --release -p neurocircuits -- diagram bench --torch-python /path/to/python-with-torch
//! ```
//!
//! or side by side by hand:
//!
//! ```text
//! cargo bench -p nc-diagram --bench exec
//! /path/to/python-with-torch tools/reference/diagram/torch_bench.py
//! ```
//!
//! Measured 2026-11-28 on the shared 2-core dev machine (load ≈ 1.3–3 from other builds, so
//! ±30 %), torch 2.15.0, medians. `diagram bench` (same run, 5 runs): resnet 34–38 ms here vs
//! 35–50 ms in PyTorch (0.73–1.01×; the fastest repeats 27–29 ms vs 31–37 ms) and mha
//! 0.42–0.54 ms vs 1.0–1.7 ms (0.24–0.48×). Back to back, this bench gave resnet 131 ms before
//! the layout work of this date (commit 3123388) and 35 ms after, PyTorch 40 ms; mha
//! 0.49 → 0.33 ms, PyTorch 1.3 ms.
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
