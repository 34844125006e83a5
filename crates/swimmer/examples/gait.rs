//! Runs the benchmark gait for profiling: `gait N_BODIES STEPS`.
use nc_swimmer::bench::{run_gait, start_qpos};
use nc_swimmer::{Data, Model, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(6, |s| s.parse().unwrap());
    let steps: usize = args.get(2).map_or(100_000, |s| s.parse().unwrap());
    let m = Model::swimmer(n, Options::default()).unwrap();
    let mut d = Data::new(&m);
    let q = start_qpos(n).unwrap();
    run_gait(&m, &mut d, &q, steps).unwrap();
    std::hint::black_box(&d);
}
