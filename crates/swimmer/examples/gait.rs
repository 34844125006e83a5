//! Runs the benchmark gait for profiling (`callgrind`) or a quick timing:
//! `gait N_BODIES STEPS [single|batch|alone]` (the last two: one batch of `VecEnv::LANES`
//! environments, stepped together or one by one).
use nc_swimmer::bench::{batch_steps_per_sec, run_gait, start_qpos};
use nc_swimmer::{Data, Model, Options};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map_or(6, |s| s.parse().expect("N_BODIES"));
    let steps: usize = args.get(2).map_or(100_000, |s| s.parse().expect("STEPS"));
    match args.get(3).map_or("single", String::as_str) {
        "single" => {
            let m = Model::swimmer(n, Options::default()).expect("model");
            let mut d = Data::new(&m);
            let q = start_qpos(n).expect("reset");
            run_gait(&m, &mut d, &q, steps).expect("gait");
            std::hint::black_box(&d);
        }
        mode => {
            let t = batch_steps_per_sec(n, steps, 1, mode == "batch").expect("batch");
            std::hint::black_box(t);
        }
    }
}
