//! Integration tests of nc-ncap: PyTorch golden data, MuJoCo reference numbers, training targets.
// tests print the measured numbers next to the references; loops index parallel buffers
#![allow(clippy::print_stderr, clippy::needless_range_loop)]

mod fuzz;
mod golden;
mod navigate;
mod reference;
mod training;
