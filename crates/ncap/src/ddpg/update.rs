//! One DDPG gradient step: critic regression to `r + γ Q'(s', π'(s'))` (the swimmer only has
//! time limits, so every transition bootstraps), then the actor ascends `Q(s, π(s))`, then
//! Polyak averaging of the targets.

use super::actor::{ActorCache, DdpgActor};
use super::rollout::Replay;
use crate::mlp::{Mlp, MlpCache};
use crate::normalizer::MeanStd;
use crate::optim::Adam;
use rand::{Rng, RngExt};

/// The learner's networks and optimisers.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Learner {
    /// Actor.
    pub actor: DdpgActor,
    /// Critic `Q(norm obs ‖ action)`.
    pub critic: Mlp,
    /// Target actor.
    pub actor_target: DdpgActor,
    /// Target critic.
    pub critic_target: Mlp,
    /// Actor optimiser.
    pub actor_opt: Adam,
    /// Critic optimiser.
    pub critic_opt: Adam,
}

fn concat(x: &[f64], a: &[f64], n: usize) -> Vec<f64> {
    let (d, k) = (x.len() / n, a.len() / n);
    let mut out = Vec::with_capacity(n * (d + k));
    for r in 0..n {
        out.extend_from_slice(&x[r * d..(r + 1) * d]);
        out.extend_from_slice(&a[r * k..(r + 1) * k]);
    }
    out
}

fn polyak(target: &mut [f64], online: &[f64], tau: f64) {
    for (t, o) in target.iter_mut().zip(online) {
        *t = (1.0 - tau) * *t + tau * o;
    }
}

impl Learner {
    /// A fresh learner for `actor`: Tonic's ReLU critic over `obs_dim + act_dim` inputs, seeded
    /// from the run's critic stream, Adam for both, targets equal to the online networks.
    pub fn new(
        cfg: &super::DdpgConfig,
        actor: DdpgActor,
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
            actor_opt: Adam::new(actor.params().len(), cfg.actor_lr),
            critic_opt: Adam::new(critic.n_params(), cfg.critic_lr),
            actor,
            critic,
        })
    }

    /// Why this (loaded) learner cannot continue a run that starts from `fresh`, if it cannot.
    pub fn misfit(&self, fresh: &Learner) -> Option<String> {
        if !self.actor.same_shape(&fresh.actor) || !self.actor_target.same_shape(&fresh.actor) {
            return Some("the actor has another architecture".into());
        }
        for (c, what) in [
            (&self.critic, "critic"),
            (&self.critic_target, "target critic"),
        ] {
            if c.sizes() != fresh.critic.sizes() || c.activations() != fresh.critic.activations() {
                return Some(format!(
                    "the {what} has sizes {:?}, expected {:?}",
                    c.sizes(),
                    fresh.critic.sizes()
                ));
            }
        }
        if !self.actor_opt.fits(fresh.actor.params().len())
            || !self.critic_opt.fits(fresh.critic.n_params())
        {
            return Some("an optimiser state does not fit its network".into());
        }
        None
    }

    /// One gradient step on a uniform minibatch; returns the critic loss.
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
        let idx: Vec<usize> = (0..batch)
            .map(|_| rng.random_range(0..replay.len()))
            .collect();
        let gather = |buf: &[f64], w: usize| -> Vec<f64> {
            idx.iter()
                .flat_map(|&i| buf[i * w..(i + 1) * w].iter().copied())
                .collect()
        };
        let (o, o2, a) = (
            gather(&replay.obs, d),
            gather(&replay.next_obs, d),
            gather(&replay.actions, k),
        );
        let t: Vec<usize> = idx.iter().map(|&i| replay.steps[i]).collect();
        let t2: Vec<usize> = idx.iter().map(|&i| replay.next_steps[i]).collect();
        let r: Vec<f64> = idx.iter().map(|&i| replay.rewards[i]).collect();
        let (mut x, mut x2) = (vec![0.0; o.len()], vec![0.0; o2.len()]);
        norm.normalize(&o, &mut x);
        norm.normalize(&o2, &mut x2);
        // targets
        let mut ac = ActorCache::default();
        let mut a2 = Vec::new();
        self.actor_target
            .forward(&x2, &o2, &t2, batch, &mut ac, &mut a2);
        let mut cc = MlpCache::default();
        self.critic_target
            .forward(&concat(&x2, &a2, batch), batch, &mut cc)
            .expect("widths fixed at construction");
        let y: Vec<f64> = r
            .iter()
            .zip(cc.output())
            .map(|(r, q)| r + gamma * q)
            .collect();
        // critic
        self.critic
            .forward(&concat(&x, &a, batch), batch, &mut cc)
            .expect("widths fixed at construction");
        let q = cc.output().to_vec();
        let loss = q.iter().zip(&y).map(|(q, y)| (q - y).powi(2)).sum::<f64>() / batch as f64;
        let dq: Vec<f64> = q
            .iter()
            .zip(&y)
            .map(|(q, y)| 2.0 * (q - y) / batch as f64)
            .collect();
        let mut gc = vec![0.0; self.critic.n_params()];
        self.critic
            .backward(&mut cc, &dq, &mut gc, None)
            .expect("shapes fixed by the forward pass");
        let mut p = self.critic.params().to_vec();
        self.critic_opt.step(&mut p, &gc);
        self.critic.params_mut().copy_from_slice(&p);
        // actor: −mean Q(s, π(s)) through the updated critic
        let mut pi = Vec::new();
        self.actor.forward(&x, &o, &t, batch, &mut ac, &mut pi);
        self.critic
            .forward(&concat(&x, &pi, batch), batch, &mut cc)
            .expect("widths fixed at construction");
        let mut gin = vec![0.0; batch * (d + k)];
        let mut scratch = vec![0.0; self.critic.n_params()];
        self.critic
            .backward(
                &mut cc,
                &vec![-1.0 / batch as f64; batch],
                &mut scratch,
                Some(&mut gin),
            )
            .expect("shapes fixed by the forward pass");
        let dpi: Vec<f64> = (0..batch)
            .flat_map(|b| gin[b * (d + k) + d..(b + 1) * (d + k)].to_vec())
            .collect();
        let mut ga = vec![0.0; self.actor.params().len()];
        self.actor.backward(&mut ac, &dpi, &mut ga);
        let mut p = self.actor.params().to_vec();
        self.actor_opt.step(&mut p, &ga);
        self.actor.params_mut().copy_from_slice(&p);
        // targets follow slowly
        polyak(self.actor_target.params_mut(), self.actor.params(), tau);
        polyak(self.critic_target.params_mut(), self.critic.params(), tau);
        loss
    }
}
