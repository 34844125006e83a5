//! Experience collection into a ring-buffer replay: uniform random actions first, then the
//! actor plus clipped Gaussian noise; transitions from the shared training environments.

use super::actor::{ActorCache, DdpgActor};
use crate::envs::TrainingEnvs;
use crate::normalizer::MeanStd;
use crate::precision::Real;
use crate::train::{Tensors, TrainError};
use nc_core::gemm::MatRef;
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

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

/// Where a replay's ring stands; its contents travel as checkpoint tensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayCursor {
    /// Stored transitions.
    pub len: usize,
    /// Slot the next transition goes to.
    pub next: usize,
}

const FIELDS: [&str; 6] = [
    "obs",
    "steps",
    "actions",
    "rewards",
    "next_obs",
    "next_steps",
];

impl Replay {
    /// The stored transitions as checkpoint tensors (episode steps as exact small floats).
    pub fn to_tensors(&self) -> (ReplayCursor, Tensors) {
        let (n, d, k) = (self.len, self.obs_dim, self.act_dim);
        let f = |v: &[usize]| v[..n].iter().map(|&x| x as f64).collect::<Vec<f64>>();
        let t = Tensors::from([
            ("replay.obs".into(), self.obs[..n * d].to_vec()),
            ("replay.steps".into(), f(&self.steps)),
            ("replay.actions".into(), self.actions[..n * k].to_vec()),
            ("replay.rewards".into(), self.rewards[..n].to_vec()),
            ("replay.next_obs".into(), self.next_obs[..n * d].to_vec()),
            ("replay.next_steps".into(), f(&self.next_steps)),
        ]);
        (
            ReplayCursor {
                len: self.len,
                next: self.next,
            },
            t,
        )
    }

    /// Refills this (empty) replay from [`Replay::to_tensors`]; a cursor or tensors that do
    /// not fit it are refused with the reason. `max_step` bounds the stored episode steps.
    pub fn restore(
        &mut self,
        cursor: ReplayCursor,
        tensors: &Tensors,
        max_step: usize,
    ) -> Result<(), String> {
        let ReplayCursor { len: n, next } = cursor;
        if n > self.cap || next >= self.cap || (n < self.cap && next != n) {
            return Err(format!(
                "replay cursor (len {n}, next {next}) does not fit a capacity of {}",
                self.cap
            ));
        }
        let (d, k) = (self.obs_dim, self.act_dim);
        for (field, width) in FIELDS.iter().zip([d, 1, k, 1, d, 1]) {
            let name = format!("replay.{field}");
            let v = tensors
                .get(&name)
                .ok_or_else(|| format!("tensor {name} is missing"))?;
            if v.len() != n * width {
                return Err(format!(
                    "tensor {name} has {} values, expected {}",
                    v.len(),
                    n * width
                ));
            }
            if !v.iter().all(|x| x.is_finite()) {
                return Err(format!("tensor {name} holds a non-finite value"));
            }
            match *field {
                "obs" => self.obs[..n * d].copy_from_slice(v),
                "actions" => self.actions[..n * k].copy_from_slice(v),
                "rewards" => self.rewards[..n].copy_from_slice(v),
                "next_obs" => self.next_obs[..n * d].copy_from_slice(v),
                _ => {
                    let dst = if *field == "steps" {
                        &mut self.steps
                    } else {
                        &mut self.next_steps
                    };
                    for (o, &x) in dst.iter_mut().zip(v) {
                        if x < 0.0 || x > max_step as f64 || x.fract() != 0.0 {
                            return Err(format!("tensor {name} holds {x}, not an episode step"));
                        }
                        *o = x as usize;
                    }
                }
            }
        }
        self.len = n;
        self.next = next;
        Ok(())
    }

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

/// Buffers one environment step reuses.
#[derive(Debug, Default)]
pub struct StepBuffers<T> {
    act: Vec<f64>,
    normed: Vec<T>,
    out: Vec<f64>,
    cache: ActorCache<T>,
}

/// One step of every environment; `random` selects uniform exploration.
#[allow(clippy::too_many_arguments)]
pub fn step<T: Real>(
    envs: &mut TrainingEnvs,
    actor: &DdpgActor<T>,
    norm: &mut MeanStd,
    rng: &mut impl Rng,
    random: bool,
    noise: f64,
    replay: &mut Replay,
    buf: &mut StepBuffers<T>,
) -> Result<(), TrainError> {
    let (n, d, a) = (envs.len(), envs.obs_dim(), envs.act_dim());
    buf.act.resize(n * a, 0.0);
    if random {
        buf.act
            .iter_mut()
            .for_each(|v| *v = rng.random_range(-1.0..1.0));
    } else {
        let steps = envs.episode_steps();
        buf.normed.resize(n * d, T::zero());
        buf.out.resize(n * a, 0.0);
        norm.normalize(envs.obs(), &mut buf.normed);
        actor.forward(
            MatRef::row_major(&buf.normed, n, d),
            envs.obs(),
            &steps,
            &mut buf.cache,
            &mut buf.out,
        );
        for (v, m) in buf.act.iter_mut().zip(&buf.out) {
            let z: f64 = StandardNormal.sample(rng);
            *v = (m + noise * z).clamp(-1.0, 1.0);
        }
    }
    norm.record(envs.obs());
    envs.step(&buf.act, |t| {
        replay.push(t.obs, t.step, t.action, t.reward, t.next_obs, t.next_step)
    })
}
