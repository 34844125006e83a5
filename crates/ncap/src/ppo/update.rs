//! The PPO update: λ-returns, normalised advantages, clipped-ratio actor steps with KL early
//! stop, and critic regression for every iteration (Tonic's `PPO._update`).
//!
//! Every full-batch iteration ("epoch" of the segment) runs its rows in fixed blocks of
//! [`BLOCK`] on the rayon pool: each block's actor and critic passes stay in cache, and the
//! blocks' gradients are summed in order, so the result does not depend on the thread count.
//! The [`Workspace`] is kept across updates; after the first, an update allocates nothing.

use super::actor::{ActorCache, PpoActor};
use super::config::PpoConfig;
use super::rollout::Segment;
use crate::actor::gaussian_log_prob;
use crate::mlp::{GradMode, Mlp, MlpCache};
use crate::normalizer::MeanStd;
use crate::optim::{Adam, add_assign};
use crate::precision::Real;
use nc_core::gemm::MatRef;
use rayon::prelude::*;

/// Rows per block of a full-batch pass (512 rows of a 64-wide layer stay in L2).
pub const BLOCK: usize = 512;

/// Diagnostics of one update.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateInfo {
    /// Actor iterations before the KL stop.
    pub actor_iterations: usize,
    /// Last KL estimate.
    pub kl: f64,
    /// Last critic loss.
    pub critic_loss: f64,
}

/// λ-returns over a time-major buffer of `n_envs` columns (Tonic's `lambda_returns`, no
/// terminations: the swimmer only has time limits).
pub fn lambda_returns(
    values_next: &[f64],
    rewards: &[f64],
    resets: &[f64],
    n_envs: usize,
    gamma: f64,
    lambda: f64,
) -> Vec<f64> {
    let mut out = vec![0.0; rewards.len()];
    lambda_returns_into(
        &mut out,
        values_next,
        rewards,
        resets,
        n_envs,
        gamma,
        lambda,
    );
    out
}

// as `lambda_returns`, into `out`; the next step's return is read back from `out`
fn lambda_returns_into(
    out: &mut [f64],
    values_next: &[f64],
    rewards: &[f64],
    resets: &[f64],
    n_envs: usize,
    gamma: f64,
    lambda: f64,
) {
    let t_len = rewards.len() / n_envs;
    for t in (0..t_len).rev() {
        for e in 0..n_envs {
            let i = t * n_envs + e;
            let last = if t + 1 < t_len {
                out[i + n_envs]
            } else {
                values_next[i]
            };
            let mut boot = (1.0 - lambda) * values_next[i] + lambda * last;
            boot = boot * (1.0 - resets[i]) + resets[i] * values_next[i];
            out[i] = rewards[i] + gamma * boot;
        }
    }
}

/// Buffers a PPO run's updates reuse (not part of a checkpoint: rebuilt after a resume).
#[derive(Debug, Default)]
pub struct Workspace<T> {
    x: Vec<T>,
    xn: Vec<T>,
    values: Vec<f64>,
    next_values: Vec<f64>,
    returns: Vec<f64>,
    adv: Vec<f64>,
    params: Vec<T>,
    scale: Vec<f64>,
    dscale: Vec<f64>,
    blocks: Vec<Block<T>>,
}

// one block of rows: its caches, per-row buffers, gradients and partial sums
#[derive(Debug, Default)]
struct Block<T> {
    rows: std::ops::Range<usize>,
    actor: ActorCache<T>,
    critic: MlpCache<T>,
    loc: Vec<f64>,
    dloc: Vec<f64>,
    dscale: Vec<f64>,
    ds: Vec<f64>,
    dv: Vec<T>,
    ga: Vec<T>,
    gc: Vec<T>,
    kl: f64,
    critic_loss: f64,
}

// the λ-returns' inputs and the advantages' use, shared by every block
struct Batch<'a, T> {
    x: &'a [T],
    d: usize,
    seg: &'a Segment,
    adv: &'a [f64],
    returns: &'a [f64],
    scale: &'a [f64],
    clip: f64,
}

impl<T: Real> Block<T> {
    fn fit(&mut self, rows: std::ops::Range<usize>, a: usize, na: usize, nc: usize) {
        let n = rows.len();
        self.rows = rows;
        self.loc.resize(n * a, 0.0);
        self.dloc.resize(n * a, 0.0);
        self.dscale.resize(a, 0.0);
        self.ds.resize(a, 0.0);
        self.dv.resize(n, T::zero());
        self.ga.resize(na, T::zero());
        self.gc.resize(nc, T::zero());
    }

    fn x<'a>(&self, x: &'a [T], d: usize) -> MatRef<'a, T> {
        let r = &self.rows;
        MatRef::row_major(&x[r.start * d..r.end * d], r.len(), d)
    }

    // critic values of this block's rows of `x`
    fn values(&mut self, critic: &Mlp<T>, x: &[T], d: usize, out: &mut [f64]) {
        critic.forward_rows(self.x(x, d), &mut self.critic);
        for (o, v) in out.iter_mut().zip(self.critic.output()) {
            *o = v.f64();
        }
    }

    // the clipped-ratio loss's gradient for this block's rows, and its KL share
    fn actor_pass(&mut self, actor: &PpoActor<T>, b: &Batch<'_, T>) {
        let (r, a) = (self.rows.clone(), actor.act_dim());
        let n_all = b.seg.len as f64;
        let (lo, hi) = (1.0 - b.clip, 1.0 + b.clip);
        let x = self.x(b.x, b.d);
        let (raw, steps) = (
            &b.seg.obs[r.start * b.d..r.end * b.d],
            &b.seg.steps[r.clone()],
        );
        actor.loc(x, raw, steps, &mut self.actor, &mut self.loc);
        self.dscale.fill(0.0);
        self.kl = 0.0;
        for (j, i) in r.clone().enumerate() {
            let cols = j * a..(j + 1) * a;
            self.ds.fill(0.0);
            let new_lp = gaussian_log_prob(
                &b.seg.actions[i * a..(i + 1) * a],
                &self.loc[cols.clone()],
                b.scale,
                &mut self.dloc[cols.clone()],
                &mut self.ds,
            );
            self.kl += (b.seg.log_probs[i] - new_lp) / n_all;
            let ratio = (new_lp - b.seg.log_probs[i]).exp();
            let s1 = b.adv[i] * ratio;
            let s2 = b.adv[i] * ratio.clamp(lo, hi);
            // d(−mean min(s1, s2))/d new_lp (torch.min sends ties to the first operand)
            let dratio = if s1 <= s2 || (lo..=hi).contains(&ratio) {
                b.adv[i]
            } else {
                0.0
            };
            let dlp = -dratio * ratio / n_all;
            self.dloc[cols].iter_mut().for_each(|v| *v *= dlp);
            for k in 0..a {
                self.dscale[k] += dlp * self.ds[k];
            }
        }
        actor.backward(
            x,
            &mut self.actor,
            &self.dloc,
            &mut self.ga,
            GradMode::Overwrite,
        );
    }

    // the critic's regression gradient to the λ-returns for this block's rows
    fn critic_pass(&mut self, critic: &Mlp<T>, b: &Batch<'_, T>) {
        let n_all = b.seg.len as f64;
        let x = self.x(b.x, b.d);
        critic.forward_rows(x, &mut self.critic);
        self.critic_loss = 0.0;
        for (j, i) in self.rows.clone().enumerate() {
            let e = self.critic.output()[j].f64() - b.returns[i];
            self.critic_loss += e * e / n_all;
            self.dv[j] = T::of(2.0 * e / n_all);
        }
        critic
            .backward_rows(
                x,
                &mut self.critic,
                &self.dv,
                Some((&mut self.gc, GradMode::Overwrite)),
                None,
            )
            .expect("shapes fixed by the forward pass");
    }
}

// sums the blocks' actor (or critic) gradients into the first block's, in block order
fn sum_blocks<T: Real>(blocks: &mut [Block<T>], actor: bool) {
    let (first, rest) = blocks.split_at_mut(1);
    for b in rest.iter() {
        if actor {
            add_assign(&mut first[0].ga, &b.ga);
        } else {
            add_assign(&mut first[0].gc, &b.gc);
        }
    }
}

/// One PPO update on `seg`; the normaliser is updated at the end, as in Tonic.
#[allow(clippy::too_many_arguments)]
pub fn update<T: Real>(
    cfg: &PpoConfig,
    actor: &mut PpoActor<T>,
    critic: &mut Mlp<T>,
    actor_opt: &mut Adam<T>,
    critic_opt: &mut Adam<T>,
    norm: &mut MeanStd,
    seg: &Segment,
    n_envs: usize,
    ws: &mut Workspace<T>,
) -> UpdateInfo {
    prepare(cfg, actor, critic, norm, seg, n_envs, ws);
    let mut info = UpdateInfo::default();
    let mut train_actor = true;
    for _ in 0..cfg.iterations {
        let it = iteration(
            cfg,
            actor,
            critic,
            actor_opt,
            critic_opt,
            seg,
            ws,
            train_actor,
        );
        if let Some(kl) = it.kl {
            info.actor_iterations += 1;
            info.kl = kl;
            train_actor = kl <= cfg.kl_threshold;
        }
        info.critic_loss = it.critic_loss;
    }
    norm.update();
    info
}

/// What one iteration measured.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Iteration {
    /// The KL estimate, when the actor stepped.
    pub kl: Option<f64>,
    /// The critic's loss before its step.
    pub critic_loss: f64,
}

/// Readies `ws` for the iterations of an update on `seg`: normalised observations, values,
/// λ-returns and normalised advantages.
pub fn prepare<T: Real>(
    cfg: &PpoConfig,
    actor: &PpoActor<T>,
    critic: &Mlp<T>,
    norm: &MeanStd,
    seg: &Segment,
    n_envs: usize,
    ws: &mut Workspace<T>,
) {
    let n = seg.len;
    let d = seg.obs.len() / n;
    let a = actor.act_dim();
    let (na, nc) = (actor.n_params(), critic.n_params());
    ws.x.resize(n * d, T::zero());
    ws.xn.resize(n * d, T::zero());
    for v in [
        &mut ws.values,
        &mut ws.next_values,
        &mut ws.returns,
        &mut ws.adv,
    ] {
        v.resize(n, 0.0);
    }
    ws.params.resize(na, T::zero());
    ws.scale.resize(a, 0.0);
    ws.dscale.resize(a, 0.0);
    ws.blocks.resize_with(n.div_ceil(BLOCK), Block::default);
    for (i, b) in ws.blocks.iter_mut().enumerate() {
        b.fit(i * BLOCK..((i + 1) * BLOCK).min(n), a, na, nc);
    }
    norm.normalize(&seg.obs, &mut ws.x);
    norm.normalize(&seg.next_obs, &mut ws.xn);
    let (x, xn) = (&ws.x, &ws.xn);
    ws.blocks
        .par_iter_mut()
        .zip(ws.values.par_chunks_mut(BLOCK))
        .zip(ws.next_values.par_chunks_mut(BLOCK))
        .for_each(|((b, v), vn)| {
            b.values(critic, x, d, v);
            b.values(critic, xn, d, vn);
        });
    lambda_returns_into(
        &mut ws.returns,
        &ws.next_values,
        &seg.rewards,
        &seg.resets,
        n_envs,
        cfg.gamma,
        cfg.lambda,
    );
    // normalised advantages
    for ((adv, r), v) in ws.adv.iter_mut().zip(&ws.returns).zip(&ws.values) {
        *adv = r - v;
    }
    let mean = ws.adv.iter().sum::<f64>() / n as f64;
    let sd = (ws.adv.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    if sd != 0.0 {
        ws.adv.iter_mut().for_each(|v| *v = (*v - mean) / sd);
    }
}

/// One full-batch iteration over the prepared segment (the learner's unit of work): a
/// clipped-ratio actor step when `train_actor`, and a critic step towards the λ-returns.
#[allow(clippy::too_many_arguments)]
pub fn iteration<T: Real>(
    cfg: &PpoConfig,
    actor: &mut PpoActor<T>,
    critic: &mut Mlp<T>,
    actor_opt: &mut Adam<T>,
    critic_opt: &mut Adam<T>,
    seg: &Segment,
    ws: &mut Workspace<T>,
    train_actor: bool,
) -> Iteration {
    actor.scale_into(&mut ws.scale);
    let batch = Batch {
        x: &ws.x,
        d: seg.obs.len() / seg.len,
        seg,
        adv: &ws.adv,
        returns: &ws.returns,
        scale: &ws.scale,
        clip: cfg.clip,
    };
    // the critic's regression does not read the actor, so both run in one pass
    let (ac, cr) = (&*actor, &*critic);
    ws.blocks.par_iter_mut().for_each(|b| {
        if train_actor {
            b.actor_pass(ac, &batch);
        }
        b.critic_pass(cr, &batch);
    });
    let mut kl = None;
    if train_actor {
        sum_blocks(&mut ws.blocks, true);
        kl = Some(ws.blocks.iter().map(|b| b.kl).sum());
        ws.dscale.fill(0.0);
        for b in &ws.blocks {
            for (s, v) in ws.dscale.iter_mut().zip(&b.dscale) {
                *s += v;
            }
        }
        let grad = &mut ws.blocks[0].ga;
        actor.scale_grad(&ws.dscale, grad);
        actor.params_into(&mut ws.params);
        actor_opt.step(&mut ws.params, grad);
        actor.set_params(&ws.params);
    }
    let critic_loss = ws.blocks.iter().map(|b| b.critic_loss).sum();
    sum_blocks(&mut ws.blocks, false);
    critic_opt.step(critic.params_mut(), &ws.blocks[0].gc);
    Iteration { kl, critic_loss }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_returns_match_a_hand_computation() {
        // one env, 3 steps, reset after step 1
        let v_next = [1.0, 2.0, 3.0];
        let r = [0.5, 0.25, 1.0];
        let resets = [0.0, 1.0, 0.0];
        let (g, l) = (0.9, 0.5);
        let out = lambda_returns(&v_next, &r, &resets, 1, g, l);
        let r2 = 1.0 + g * 3.0;
        let r1 = 0.25 + g * 2.0;
        let r0 = 0.5 + g * ((1.0 - l) * 1.0 + l * r1);
        assert!(
            (out[2] - r2).abs() < 1e-12
                && (out[1] - r1).abs() < 1e-12
                && (out[0] - r0).abs() < 1e-12
        );
    }
}
