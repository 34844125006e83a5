//! Cross-checks against independent references: neurogym 0.0.2 statistics and PyTorch golden
//! gradients, kernels and optimiser steps (made by tools/reference/richlazy/*.py).

mod neurogym;
mod torch;
