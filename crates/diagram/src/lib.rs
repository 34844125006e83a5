//! Neural circuit diagrams as a typed language: one description that is checked, executed,
//! differentiated, costed and drawn.
//!
//! Brief overview, in pipeline order:
//! - [`bind`]: size bindings as typed on the command line (`h=8,k=64`), checked by name;
//! - [`size`]: symbolic axis sizes (`x // 2`, `m / h`), constraints, cost polynomials;
//! - [`ir`]: the circuit IR (axes with identity, array types, values, ops, blocks);
//! - [`builder`]: the Rust API that builds and type-checks a circuit;
//! - [`parse`]: einsum signatures and the text format (load, save, diff);
//! - [`check`]: the checker, with coded errors and warnings like lint rules;
//! - [`bound`], [`error`], [`op_cost`]: what every operation uses (bound sizes, the error
//!   type, per-operation costs), kept below the operations, so that the operations, the
//!   executor and the cost model never import one another for them;
//! - [`exec`]: the executor over named, strided tensors (f32/f64, GEMM from `nc_core`);
//! - [`backprop`]: the backward pass derived from the circuit;
//! - [`cost`]: FLOPs, parameters, activation memory and bytes moved, symbolic and bound;
//! - [`zoo`]: the paper's architectures, each written once.
//!
//! ```
//! use nc_diagram::builder::Builder;
//! use nc_diagram::ir::AxisKind;
//! let mut b = Builder::new("scores");
//! let y = b.axis("y", "y", AxisKind::Token).unwrap();
//! let x = b.axis("x", "x", AxisKind::Token).unwrap();
//! let k = b.axis("k", "k", AxisKind::Feature).unwrap();
//! let q = b.input("Q", &[y, k]);
//! let kk = b.input("K", &[x, k]);
//! let s = b.einsum("scores", "y k, x k -> y x", &[q, kk]).unwrap();
//! let a = b.softmax("attn", s, &[x]).unwrap();
//! b.output(a);
//! let c = b.finish().unwrap();
//! assert_eq!(c.value(a).ty.axes, vec![y, x]);
//! ```
//!
//! # Untrusted input
//!
//! Circuit files, circuit JSON and `--bind` lists come from users, so each front end bounds
//! what it accepts: blocks nest at most 64 deep, one file builds at most 100000 items and
//! runs at most 10M tokens, and a JSON circuit must be exactly what its operations build
//! ([`parse::text::load_json`]). Before running, [`cost::check_memory`] compares the cost
//! model's estimate of the executor's memory with a limit.
//!
//! # Tests
//!
//! `tests/tests.rs` groups the tests by topic (`regression.rs` holds one test per reported
//! repro, named after its issue); `tests/memory.rs` measures allocations with a counting
//! allocator; `tests/fuzz.rs` fuzzes the `.ncd` lexer and loader, the circuit JSON and
//! `--bind` lists with proptest: no panic, bounded memory and time, a message for every
//! rejection. `cargo test` runs 64 cases per property from a fixed seed; before a release,
//! run many more from a fresh seed:
//!
//! ```text
//! NC_FUZZ_CASES=20000 NC_FUZZ_SEED=$RANDOM cargo test --release -p nc-diagram --test fuzz
//! ```
#![deny(missing_docs)]

pub mod backprop;
pub mod bench;
pub mod bind;
pub mod bound;
pub mod builder;
pub mod check;
pub mod cost;
pub mod error;
pub mod exec;
pub mod ir;
pub mod names;
pub mod op_cost;
mod ops;
pub mod parse;
pub mod size;
pub mod tensor;
pub mod zoo;
