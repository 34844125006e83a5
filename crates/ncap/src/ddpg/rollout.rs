//! Experience collection into a ring-buffer replay: uniform random actions first, then the
//! actor plus clipped Gaussian noise; environments stepped in parallel with rayon.

use super::actor::{ActorCache, DdpgActor};
use crate::normalizer::MeanStd;
use crate::train::{TrainError, train_seed};
use nc_swimmer::{SwimConfig, SwimEnv};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// Ring buffer of transitions.
#[derive(Clone, Debug)]
pub struct Replay {
    cap: usize,
    len: usize,
    next: usize,
    obs_dim: usize,
    act_dim: usize,
    /// Raw observations.
    pub obs: Vec<f64>,
    /// Episode steps at the observations.
    pub steps: Vec<usize>,
    /// Actions taken (clipped to [−1, 1]).
    pub actions: Vec<f64>,
    /// Rewards.
    pub rewards: Vec<f64>,
    /// Raw next observations (before any reset).
    pub next_obs: Vec<f64>,
    /// Episode steps at the next observations.
    pub next_steps: Vec<usize>,
}

impl Replay {
    /// An empty replay of `cap` transitions.
    pub fn new(cap: usize, obs_dim: usize, act_dim: usize) -> Self {
        Self {
            cap,
            len: 0,
            next: 0,
            obs_dim,
            act_dim,
            obs: vec![0.0; cap * obs_dim],
            steps: vec![0; cap],
            actions: vec![0.0; cap * act_dim],
            rewards: vec![0.0; cap],
            next_obs: vec![0.0; cap * obs_dim],
            next_steps: vec![0; cap],
        }
    }
    /// Stored transitions.
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    #[allow(clippy::too_many_arguments)]
    fn push(&mut self, o: &[f64], t: usize, a: &[f64], r: f64, o2: &[f64], t2: usize) {
        let (i, d, k) = (self.next, self.obs_dim, self.act_dim);
        self.obs[i * d..(i + 1) * d].copy_from_slice(o);
        self.steps[i] = t;
        self.actions[i * k..(i + 1) * k].copy_from_slice(a);
        self.rewards[i] = r;
        self.next_obs[i * d..(i + 1) * d].copy_from_slice(o2);
        self.next_steps[i] = t2;
        self.next = (self.next + 1) % self.cap;
        self.len = (self.len + 1).min(self.cap);
    }
}

/// Parallel environments and their running episodes.
#[derive(Debug)]
pub struct Collector {
    envs: Vec<SwimEnv>,
    obs: Vec<f64>,
    obs_dim: usize,
    act_dim: usize,
    returns: Vec<f64>,
    seed: u64,
    resets_done: u64,
    finished: Vec<f64>,
}

impl Collector {
    /// `n` environments reset from the run's training reset stream.
    pub fn new(swim: SwimConfig, n: usize, seed: u64) -> Result<Self, TrainError> {
        let envs = (0..n)
            .map(|_| SwimEnv::new(swim))
            .collect::<Result<Vec<_>, _>>()?;
        let (obs_dim, act_dim) = (envs[0].obs_dim(), envs[0].n_joints());
        let mut c = Self {
            envs,
            obs: vec![0.0; n * obs_dim],
            obs_dim,
            act_dim,
            returns: vec![0.0; n],
            seed,
            resets_done: 0,
            finished: Vec::new(),
        };
        for e in 0..n {
            c.reset(e);
        }
        Ok(c)
    }
    fn reset(&mut self, e: usize) {
        let s = train_seed(self.seed, self.resets_done);
        self.resets_done += 1;
        self.envs[e].reset(s);
        self.envs[e].observe(&mut self.obs[e * self.obs_dim..(e + 1) * self.obs_dim]);
        self.returns[e] = 0.0;
    }
    /// Observation width.
    pub fn obs_dim(&self) -> usize {
        self.obs_dim
    }
    /// Action width.
    pub fn act_dim(&self) -> usize {
        self.act_dim
    }
    /// Returns of the episodes finished since the last call.
    pub fn take_finished(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.finished)
    }

    /// One step of every environment; `random` selects uniform exploration.
    pub fn step(
        &mut self,
        actor: &DdpgActor,
        norm: &mut MeanStd,
        rng: &mut impl Rng,
        random: bool,
        noise: f64,
        replay: &mut Replay,
    ) -> Result<(), TrainError> {
        let (n, d, a) = (self.envs.len(), self.obs_dim, self.act_dim);
        let mut act = vec![0.0; n * a];
        let steps: Vec<usize> = self.envs.iter().map(SwimEnv::episode_step).collect();
        if random {
            act.iter_mut()
                .for_each(|v| *v = rng.random_range(-1.0..1.0));
        } else {
            let mut normed = vec![0.0; n * d];
            norm.normalize(&self.obs, &mut normed);
            let mut cache = ActorCache::default();
            let mut out = Vec::new();
            actor.forward(&normed, &self.obs, &steps, n, &mut cache, &mut out);
            for (v, m) in act.iter_mut().zip(&out) {
                let z: f64 = StandardNormal.sample(rng);
                *v = (m + noise * z).clamp(-1.0, 1.0);
            }
        }
        norm.record(&self.obs);
        let outcomes = crate::train::step_envs(&mut self.envs, &act, a);
        let mut next = vec![0.0; d];
        for (e, o) in outcomes.into_iter().enumerate() {
            let (r, done) = o?;
            self.returns[e] += r;
            self.envs[e].observe(&mut next);
            replay.push(
                &self.obs[e * d..(e + 1) * d],
                steps[e],
                &act[e * a..(e + 1) * a],
                r,
                &next,
                self.envs[e].episode_step(),
            );
            self.obs[e * d..(e + 1) * d].copy_from_slice(&next);
            if done {
                self.finished.push(self.returns[e]);
                self.reset(e);
            }
        }
        Ok(())
    }
}
