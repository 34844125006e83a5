//! Integration tests, grouped by topic.

mod common;
mod fd;
mod zoo;
