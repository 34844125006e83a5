//! A batch of environments stepped in parallel: groups of [`VecEnv::LANES`] environments
//! share SIMD lanes (struct of arrays), and rayon spreads the groups over threads.

use crate::batch::{Batch, LANES};
use crate::error::{ConfigError, SimError};
use crate::task::{SwimConfig, SwimEnv};
use rayon::prelude::*;

/// `n` independent swimmer environments with the same configuration.
///
/// Stepping gives each environment exactly, bit for bit, what [`SwimEnv::step`] gives it
/// alone, batched or not.
#[derive(Debug, Clone)]
pub struct VecEnv {
    envs: Vec<SwimEnv>,
    obs_dim: usize,
    n_joints: usize,
    /// One per full group of [`VecEnv::LANES`] environments; the rest step alone.
    batches: Vec<Batch>,
    batched: bool,
}

impl VecEnv {
    /// Environments stepped together in SIMD lanes.
    pub const LANES: usize = LANES;

    /// Builds `n` environments.
    pub fn new(cfg: SwimConfig, n: usize) -> Result<VecEnv, ConfigError> {
        let env = SwimEnv::new(cfg)?;
        let (obs_dim, n_joints) = (env.obs_dim(), env.n_joints());
        let batch = Batch::new(&env);
        Ok(VecEnv {
            envs: vec![env; n],
            obs_dim,
            n_joints,
            batches: vec![batch; n / LANES],
            batched: true,
        })
    }

    /// Steps groups of [`VecEnv::LANES`] environments together (the default) or each
    /// environment alone; the results are the same bit for bit, only the speed differs.
    pub fn set_batched(&mut self, batched: bool) {
        self.batched = batched;
    }

    /// Number of environments.
    pub fn len(&self) -> usize {
        self.envs.len()
    }

    /// True if there are no environments.
    pub fn is_empty(&self) -> bool {
        self.envs.is_empty()
    }

    /// The environments.
    pub fn envs(&self) -> &[SwimEnv] {
        &self.envs
    }

    /// The environments, mutably.
    pub fn envs_mut(&mut self) -> &mut [SwimEnv] {
        &mut self.envs
    }

    /// Resets environment `i` with `seeds[i]`.
    ///
    /// # Panics
    /// If `seeds.len() != self.len()`.
    pub fn reset_all(&mut self, seeds: &[u64]) {
        assert_eq!(seeds.len(), self.envs.len(), "one seed per environment");
        self.envs
            .par_iter_mut()
            .zip(seeds)
            .for_each(|(e, &s)| e.reset(s));
    }

    /// Writes all observations, row-major `len() × obs_dim`.
    ///
    /// # Panics
    /// If `out.len() != self.len() * obs_dim`.
    pub fn observe_all(&self, out: &mut [f64]) {
        assert_eq!(
            out.len(),
            self.envs.len() * self.obs_dim,
            "observation buffer length"
        );
        for (e, o) in self
            .envs
            .iter()
            .zip(out.chunks_exact_mut(self.obs_dim.max(1)))
        {
            e.observe(o);
        }
    }

    /// Steps every environment with its row of `actions` (row-major `len() × n_joints`) in
    /// parallel, writing the rewards. On failure one of the errors is returned.
    pub fn step_all(&mut self, actions: &[f64], rewards: &mut [f64]) -> Result<(), SimError> {
        let n = self.envs.len();
        if actions.len() != n * self.n_joints {
            return Err(SimError::Length {
                what: "actions",
                expected: n * self.n_joints,
                got: actions.len(),
            });
        }
        if rewards.len() != n {
            return Err(SimError::Length {
                what: "rewards",
                expected: n,
                got: rewards.len(),
            });
        }
        let nj = self.n_joints;
        let alone = |(e, a, r): (&mut SwimEnv, &[f64], &mut f64)| -> Result<(), SimError> {
            *r = e.step(a)?.reward;
            Ok(())
        };
        if !self.batched {
            return self
                .envs
                .par_iter_mut()
                .zip(actions.par_chunks_exact(nj))
                .zip(rewards.par_iter_mut())
                .try_for_each(|((e, a), r)| alone((e, a, r)));
        }
        let full = self.batches.len() * LANES;
        let (grouped, rest) = self.envs.split_at_mut(full);
        let (group_actions, rest_actions) = actions.split_at(full * nj);
        let (group_rewards, rest_rewards) = rewards.split_at_mut(full);
        let groups = || {
            grouped
                .par_chunks_mut(LANES)
                .zip(self.batches.par_iter_mut())
                .zip(group_actions.par_chunks_exact(LANES * nj))
                .zip(group_rewards.par_chunks_mut(LANES))
                .try_for_each(|(((es, b), a), r)| match b.step(es, a, r) {
                    Ok(()) => Ok(()),
                    // a lane left the state bounds: step them alone, for the scalar errors
                    Err(_) => es
                        .iter_mut()
                        .zip(a.chunks_exact(nj))
                        .zip(r.iter_mut())
                        .try_for_each(|((e, a), r)| alone((e, a, r))),
                })
        };
        let singles = || {
            rest.par_iter_mut()
                .zip(rest_actions.par_chunks_exact(nj))
                .zip(rest_rewards.par_iter_mut())
                .try_for_each(|((e, a), r)| alone((e, a, r)))
        };
        let (g, s) = rayon::join(groups, singles);
        g.and(s)
    }
}
