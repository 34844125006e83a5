//! Integration tests, grouped by topic.

mod common;
mod cost;
mod diagnostics;
mod fd;
mod golden;
mod ncap;
mod regression;
mod text;
mod zoo;
