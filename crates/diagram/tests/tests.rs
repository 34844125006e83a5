//! Integration tests, grouped by topic.

mod common;
mod fd;
mod text;
mod zoo;
