//! A batch of environments stepped in parallel with rayon.

use crate::error::{ConfigError, SimError};
use crate::task::{SwimConfig, SwimEnv};
use rayon::prelude::*;

/// `n` independent swimmer environments with the same configuration.
#[derive(Debug, Clone)]
pub struct VecEnv {
    envs: Vec<SwimEnv>,
    obs_dim: usize,
    n_joints: usize,
}

impl VecEnv {
    /// Builds `n` environments.
    pub fn new(cfg: SwimConfig, n: usize) -> Result<VecEnv, ConfigError> {
        let env = SwimEnv::new(cfg)?;
        let (obs_dim, n_joints) = (env.obs_dim(), env.n_joints());
        Ok(VecEnv {
            envs: vec![env; n],
            obs_dim,
            n_joints,
        })
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
        self.envs
            .par_iter_mut()
            .zip(actions.par_chunks_exact(nj))
            .zip(rewards.par_iter_mut())
            .try_for_each(|((e, a), r)| {
                *r = e.step(a)?.reward;
                Ok(())
            })
    }
}
