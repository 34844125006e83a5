//! Cross-checks against independent references: neurogym 0.0.2 statistics and PyTorch golden
//! gradients, kernels and optimiser steps (made by tools/reference/richlazy/*.py).
#![allow(
    clippy::print_stderr,
    reason = "tests print the measured numbers next to the references"
)]

mod grids;
mod neurogym;
mod protocol;
mod smnist;
mod sweep;
mod theory;
mod torch;
