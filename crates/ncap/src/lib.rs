//! NCAP: the C. elegans swimmer controller of *Neural Circuit Architectural Priors for Embodied
//! Control* (Bhattasali, Zador and Engel, NeurIPS 2022), its MLP baselines, ES/PPO/DDPG training
//! and the paper's experiments.
//!
//! Brief overview:
//! - [`ncap`]: the 4-parameter (or 6N unshared) circuit with every ablation switch,
//!   forward and backward with PyTorch's clamp gradients;
//! - [`mlp`], [`actor`]: MLP baselines with hand-written backward passes on `nc_core::gemm`,
//!   in the learner's [`precision`] (`f32` by default, `f64` for the reference checks);
//! - [`normalizer`]: Tonic's running mean/std observation normaliser;
//! - [`optim`]: the Adam optimiser;
//! - [`policy`]: saved policies and seeded evaluation on the swimmer;
//! - [`policy_file`]: the policy file (safetensors + JSON metadata; loads in PyTorch);
//! - [`train`]: what the trainers share: the run `Ledger` (exact resume from safetensors
//!   checkpoints, Tonic-style logs, summaries), errors and seeds;
//! - [`es`]: antithetic OpenAI-style evolution strategies;
//! - [`ppo`]: PPO with Tonic's defaults;
//! - [`ddpg`]: DDPG with Tonic's defaults;
//! - [`experiments`]: learning curves, efficiency, transfer, ablations, raster, as shardable
//!   sweeps at a preset (quick, medium, full), with the paper's claims judged in one place;
//! - [`figures`]: their SVG figures;
//! - [`bench`]: learner and simulator throughput, with PyTorch's in the same run.
//!
//! ```
//! use nc_ncap::ncap::Ncap;
//! let ncap = Ncap::default_for(5).unwrap();
//! let mut torque = [0.0; 5];
//! // at step 0 the head oscillator is dorsal, so joint 0 gets +1
//! ncap.act(&[0.0; 5], 0, &mut torque);
//! assert_eq!(torque[0], 1.0);
//! ```
#![deny(missing_docs)]
// numeric kernels index several parallel buffers with one loop variable
#![allow(clippy::needless_range_loop)]

pub mod actor;
pub mod bench;
pub mod ddpg;
pub mod envs;
pub mod es;
pub mod experiments;
pub mod figures;
pub mod mlp;
pub mod ncap;
pub mod normalizer;
pub mod optim;
pub mod policy;
pub mod policy_file;
pub mod ppo;
pub mod precision;
pub mod train;
