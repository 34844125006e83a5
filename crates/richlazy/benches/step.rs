//! Placeholder; replaced by the training-step benchmark.
fn main() {}
