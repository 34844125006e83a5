//! Cross-checks against independent references: neurogym 0.0.2 statistics and PyTorch golden
//! gradients, kernels and optimiser steps, numpy/scipy references of the measures beyond the
//! paper (made by tools/reference/richlazy/*.py).
#![allow(
    clippy::print_stderr,
    reason = "tests print the measured numbers next to the references"
)]

mod grids;
mod loader;
mod measures;
mod neurogym;
mod protocol;
mod smnist;
mod sweep;
mod theory;
mod torch;
