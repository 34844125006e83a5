//! One DDPG gradient step: critic regression to `r + γ Q'(s', π'(s'))` (the swimmer only has
//! time limits, so every transition bootstraps), then the actor ascends `Q(s, π(s))`, then
//! Polyak averaging of the targets.
//!
//! The minibatch is split into two fixed halves that run on the rayon pool; each half keeps
//! its own buffers and gradients, and the halves' gradients are summed in order. The result
//! does not depend on the thread count, and after the first step nothing is allocated.

use super::actor::{ActorCache, DdpgActor};
use super::rollout::Replay;
use crate::mlp::{GradMode, Mlp, MlpCache};
use crate::normalizer::MeanStd;
use crate::optim::{Adam, add_assign};
use crate::precision::Real;
use nc_core::gemm::MatRef;
use rand::{Rng, RngExt};
use rayon::prelude::*;

/// The learner's networks and optimisers, in precision `T` (`f64` unless stated).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(bound(serialize = "", deserialize = ""))]
pub struct Learner<T: Real = f64> {
    /// Actor.
    pub actor: DdpgActor<T>,
    /// Critic `Q(norm obs ‖ action)`.
    pub critic: Mlp<T>,
    /// Target actor.
    pub actor_target: DdpgActor<T>,
    /// Target critic.
    pub critic_target: Mlp<T>,
    /// Actor optimiser.
    pub actor_opt: Adam<T>,
    /// Critic optimiser.
    pub critic_opt: Adam<T>,
    #[serde(skip)]
    ws: Workspace<T>,
}

/// The minibatch splits into this many fixed parts (one per core here).
pub const PARTS: usize = 2;

// buffers one step reuses; a clone starts empty
#[derive(Default)]
struct Workspace<T> {
    idx: Vec<usize>,
    parts: Vec<Part<T>>,
    scratch: Vec<T>,
}

impl<T> Clone for Workspace<T> {
    fn clone(&self) -> Self {
        Workspace {
            idx: Vec::new(),
            parts: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

impl<T> std::fmt::Debug for Workspace<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Workspace({} parts)", self.parts.len())
    }
}

// one part of the minibatch: its transitions, the networks' caches and its gradients
#[derive(Default)]
struct Part<T> {
    rows: std::ops::Range<usize>,
    raw: Vec<f64>,
    raw2: Vec<f64>,
    t: Vec<usize>,
    t2: Vec<usize>,
    r: Vec<f64>,
    // normalised obs ‖ action rows (the critic's input; the actor reads the obs block)
    xa: Vec<T>,
    x2a2: Vec<T>,
    a2: Vec<f64>,
    pi: Vec<f64>,
    dq: Vec<T>,
    dpi: Vec<f64>,
    dpi_t: Vec<T>,
    actor: ActorCache<T>,
    actor_t: ActorCache<T>,
    critic: MlpCache<T>,
    critic_t: MlpCache<T>,
    gc: Vec<T>,
    ga: Vec<T>,
    loss: f64,
}

impl<T: Real> Part<T> {
    fn fit(&mut self, rows: std::ops::Range<usize>, d: usize, k: usize, nc: usize, na: usize) {
        let n = rows.len();
        self.rows = rows;
        let z = T::zero();
        self.raw.resize(n * d, 0.0);
        self.raw2.resize(n * d, 0.0);
        self.t.resize(n, 0);
        self.t2.resize(n, 0);
        self.r.resize(n, 0.0);
        self.xa.resize(n * (d + k), z);
        self.x2a2.resize(n * (d + k), z);
        self.a2.resize(n * k, 0.0);
        self.pi.resize(n * k, 0.0);
        self.dq.resize(n, z);
        self.dpi.resize(n * k, 0.0);
        self.dpi_t.resize(n * k, z);
        self.gc.resize(nc, z);
        self.ga.resize(na, z);
    }

    // copies this part's transitions out of the replay, normalising the observations
    fn gather(&mut self, idx: &[usize], replay: &Replay, norm: &MeanStd, d: usize, k: usize) {
        let w = d + k;
        for (j, &i) in idx[self.rows.clone()].iter().enumerate() {
            self.raw[j * d..(j + 1) * d].copy_from_slice(&replay.obs[i * d..(i + 1) * d]);
            self.raw2[j * d..(j + 1) * d].copy_from_slice(&replay.next_obs[i * d..(i + 1) * d]);
            for (x, &a) in self.xa[j * w + d..(j + 1) * w]
                .iter_mut()
                .zip(&replay.actions[i * k..(i + 1) * k])
            {
                *x = T::of(a);
            }
            self.t[j] = replay.steps[i];
            self.t2[j] = replay.next_steps[i];
            self.r[j] = replay.rewards[i];
        }
        norm.normalize_strided(&self.raw, &mut self.xa, w);
        norm.normalize_strided(&self.raw2, &mut self.x2a2, w);
    }

    // the critic's gradient towards r + γ Q'(s', π'(s')), and the actor's actions π(s)
    fn critic_pass(&mut self, l: &Learner<T>, d: usize, k: usize, gamma: f64, batch: usize) {
        let (n, w) = (self.rows.len(), d + k);
        l.actor_target.forward(
            MatRef::strided(&self.x2a2, n, d, w, 1),
            &self.raw2,
            &self.t2,
            &mut self.actor_t,
            &mut self.a2,
        );
        set_actions(&mut self.x2a2, &self.a2, d, k);
        l.critic_target
            .forward_rows(MatRef::row_major(&self.x2a2, n, w), &mut self.critic_t);
        let xa = MatRef::row_major(&self.xa, n, w);
        l.critic.forward_rows(xa, &mut self.critic);
        let b = batch as f64;
        self.loss = 0.0;
        for j in 0..n {
            let y = self.r[j] + gamma * self.critic_t.output()[j].f64();
            let e = self.critic.output()[j].f64() - y;
            self.loss += e * e / b;
            self.dq[j] = T::of(2.0 * e / b);
        }
        l.critic
            .backward_rows(
                xa,
                &mut self.critic,
                &self.dq,
                Some((&mut self.gc, GradMode::Overwrite)),
                None,
            )
            .expect("shapes fixed by the forward pass");
        // the critic's update leaves the actor as it is, so its forward can run now
        l.actor.forward(
            MatRef::strided(&self.xa, n, d, w, 1),
            &self.raw,
            &self.t,
            &mut self.actor,
            &mut self.pi,
        );
    }

    // the actor's gradient of −mean Q(s, π(s)) through the updated critic
    fn actor_pass(&mut self, l: &Learner<T>, d: usize, k: usize, batch: usize) {
        let (n, w) = (self.rows.len(), d + k);
        set_actions(&mut self.xa, &self.pi, d, k);
        let xa = MatRef::row_major(&self.xa, n, w);
        l.critic.forward_rows(xa, &mut self.critic);
        self.dq.fill(T::of(-1.0 / batch as f64));
        l.critic
            .backward_rows(
                xa,
                &mut self.critic,
                &self.dq,
                None,
                Some((&mut self.dpi_t, d..d + k)),
            )
            .expect("shapes fixed by the forward pass");
        for (o, &g) in self.dpi.iter_mut().zip(&self.dpi_t) {
            *o = g.f64();
        }
        l.actor.backward(
            MatRef::strided(&self.xa, n, d, w, 1),
            &mut self.actor,
            &self.dpi,
            &mut self.ga,
            GradMode::Overwrite,
        );
    }
}

// writes actions into the action block of obs ‖ action rows
fn set_actions<T: Real>(rows: &mut [T], actions: &[f64], d: usize, k: usize) {
    for (row, a) in rows.chunks_exact_mut(d + k).zip(actions.chunks_exact(k)) {
        for (x, &v) in row[d..].iter_mut().zip(a) {
            *x = T::of(v);
        }
    }
}

impl<T: Real> Learner<T> {
    /// A fresh learner for `actor`: Tonic's ReLU critic over `obs_dim + act_dim` inputs, seeded
    /// from the run's critic stream, Adam for both, targets equal to the online networks.
    pub fn new(
        cfg: &super::DdpgConfig,
        actor: DdpgActor<T>,
        obs_dim: usize,
        act_dim: usize,
    ) -> Result<Self, crate::train::TrainError> {
        let mut rng = nc_core::rng::stream(cfg.seed, "critic-init", 0);
        let critic = crate::actor::critic(
            obs_dim + act_dim,
            &cfg.critic_hidden,
            crate::mlp::Activation::Relu,
            &mut rng,
        )?;
        Ok(Self {
            actor_target: actor.clone(),
            critic_target: critic.clone(),
            actor_opt: Adam::new(actor.n_params(), cfg.actor_lr),
            critic_opt: Adam::new(critic.n_params(), cfg.critic_lr),
            actor,
            critic,
            ws: Workspace::default(),
        })
    }

    /// Why this (loaded) learner cannot continue a run that starts from `fresh`, if it cannot.
    pub fn misfit(&self, fresh: &Learner<T>) -> Option<String> {
        if !self.actor.same_shape(&fresh.actor) || !self.actor_target.same_shape(&fresh.actor) {
            return Some("the actor has another architecture".into());
        }
        for (c, what) in [
            (&self.critic, "critic"),
            (&self.critic_target, "target critic"),
        ] {
            if !c.same_shape(&fresh.critic) {
                return Some(format!(
                    "the {what} has sizes {:?}, expected {:?}",
                    c.sizes(),
                    fresh.critic.sizes()
                ));
            }
        }
        if !self.actor_opt.fits(fresh.actor.n_params())
            || !self.critic_opt.fits(fresh.critic.n_params())
        {
            return Some("an optimiser state does not fit its network".into());
        }
        None
    }

    /// One gradient step on a uniform minibatch; returns the critic loss.
    ///
    /// # Panics
    /// If the replay is empty or its widths differ from the networks'.
    pub fn step(
        &mut self,
        replay: &Replay,
        norm: &MeanStd,
        batch: usize,
        gamma: f64,
        tau: f64,
        rng: &mut impl Rng,
    ) -> f64 {
        let d = replay.obs.len() / replay.rewards.len();
        let k = self.actor.act_dim();
        let (nc, na) = (self.critic.n_params(), self.actor.n_params());
        let mut ws = std::mem::take(&mut self.ws);
        ws.idx.clear();
        ws.idx
            .extend((0..batch).map(|_| rng.random_range(0..replay.len())));
        let parts = PARTS.min(batch);
        ws.parts.resize_with(parts, Part::default);
        let half = batch.div_ceil(parts);
        for (p, part) in ws.parts.iter_mut().enumerate() {
            part.fit(p * half..((p + 1) * half).min(batch), d, k, nc, na);
            part.gather(&ws.idx, replay, norm, d, k);
        }
        // critic
        let me = &*self;
        ws.parts
            .par_iter_mut()
            .for_each(|part| part.critic_pass(me, d, k, gamma, batch));
        let (first, rest) = ws.parts.split_at_mut(1);
        for part in rest.iter() {
            add_assign(&mut first[0].gc, &part.gc);
        }
        self.critic_opt.step(self.critic.params_mut(), &first[0].gc);
        // actor, through the updated critic
        let me = &*self;
        ws.parts
            .par_iter_mut()
            .for_each(|part| part.actor_pass(me, d, k, batch));
        let (first, rest) = ws.parts.split_at_mut(1);
        for part in rest.iter() {
            add_assign(&mut first[0].ga, &part.ga);
        }
        let (opt, ga) = (&mut self.actor_opt, &first[0].ga);
        self.actor.update(&mut ws.scratch, |p| opt.step(p, ga));
        // targets follow slowly
        self.actor_target.follow(&self.actor, tau);
        crate::optim::polyak(self.critic_target.params_mut(), self.critic.params(), tau);
        let loss = ws.parts.iter().map(|p| p.loss).sum();
        self.ws = ws;
        loss
    }
}
