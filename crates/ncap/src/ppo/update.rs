//! The PPO update: λ-returns, normalised advantages, clipped-ratio actor steps with KL early
//! stop, and critic regression for every iteration (Tonic's `PPO._update`).

use super::actor::{ActorCache, PpoActor};
use super::config::PpoConfig;
use super::rollout::Segment;
use crate::actor::gaussian_log_prob;
use crate::mlp::{Mlp, MlpCache};
use crate::normalizer::MeanStd;
use crate::optim::Adam;

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
    let t_len = rewards.len() / n_envs;
    let mut out = vec![0.0; rewards.len()];
    let mut last: Vec<f64> = (0..n_envs)
        .map(|e| values_next[(t_len - 1) * n_envs + e])
        .collect();
    for t in (0..t_len).rev() {
        for e in 0..n_envs {
            let i = t * n_envs + e;
            let mut boot = (1.0 - lambda) * values_next[i] + lambda * last[e];
            boot = boot * (1.0 - resets[i]) + resets[i] * values_next[i];
            out[i] = rewards[i] + gamma * boot;
            last[e] = out[i];
        }
    }
    out
}

fn critic_values(critic: &Mlp, x: &[f64], n: usize, cache: &mut MlpCache) -> Vec<f64> {
    critic
        .forward(x, n, cache)
        .expect("observation width fixed at construction");
    cache.output().to_vec()
}

/// One PPO update on `seg`; the normaliser is updated at the end, as in Tonic.
#[allow(clippy::too_many_arguments)]
pub fn update(
    cfg: &PpoConfig,
    actor: &mut PpoActor,
    critic: &mut Mlp,
    actor_opt: &mut Adam,
    critic_opt: &mut Adam,
    norm: &mut MeanStd,
    seg: &Segment,
    n_envs: usize,
) -> UpdateInfo {
    let n = seg.len;
    let d = seg.obs.len() / n;
    let a = actor.act_dim();
    let mut x = vec![0.0; n * d];
    let mut xn = vec![0.0; n * d];
    norm.normalize(&seg.obs, &mut x);
    norm.normalize(&seg.next_obs, &mut xn);
    let mut cc = MlpCache::default();
    let values = critic_values(critic, &x, n, &mut cc);
    let next_values = critic_values(critic, &xn, n, &mut cc);
    let returns = lambda_returns(
        &next_values,
        &seg.rewards,
        &seg.resets,
        n_envs,
        cfg.gamma,
        cfg.lambda,
    );
    // normalised advantages
    let mut adv: Vec<f64> = returns.iter().zip(&values).map(|(r, v)| r - v).collect();
    let mean = adv.iter().sum::<f64>() / n as f64;
    let sd = (adv.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    if sd != 0.0 {
        adv.iter_mut().for_each(|v| *v = (*v - mean) / sd);
    }
    let mut info = UpdateInfo::default();
    let mut train_actor = true;
    let mut ac = ActorCache::default();
    let mut loc = Vec::new();
    let mut params = actor.params();
    let mut grad = vec![0.0; params.len()];
    let mut cparams = critic.params().to_vec();
    let mut cgrad = vec![0.0; cparams.len()];
    let (lo, hi) = (1.0 - cfg.clip, 1.0 + cfg.clip);
    for _ in 0..cfg.iterations {
        if train_actor {
            actor.loc(&x, &seg.obs, &seg.steps, n, &mut ac, &mut loc);
            let scale = actor.scale();
            let mut dloc = vec![0.0; n * a];
            let mut dscale = vec![0.0; a];
            let mut kl = 0.0;
            for i in 0..n {
                let r = i * a..(i + 1) * a;
                let mut ds = vec![0.0; a];
                let new_lp = gaussian_log_prob(
                    &seg.actions[r.clone()],
                    &loc[r.clone()],
                    &scale,
                    &mut dloc[r.clone()],
                    &mut ds,
                );
                kl += (seg.log_probs[i] - new_lp) / n as f64;
                let ratio = (new_lp - seg.log_probs[i]).exp();
                let s1 = adv[i] * ratio;
                let s2 = adv[i] * ratio.clamp(lo, hi);
                // d(−mean min(s1, s2))/d new_lp (torch.min sends ties to the first operand)
                let dratio = if s1 <= s2 || (lo..=hi).contains(&ratio) {
                    adv[i]
                } else {
                    0.0
                };
                let dlp = -dratio * ratio / n as f64;
                dloc[r].iter_mut().for_each(|v| *v *= dlp);
                for k in 0..a {
                    dscale[k] += dlp * ds[k];
                }
            }
            grad.iter_mut().for_each(|g| *g = 0.0);
            actor.backward(&mut ac, &dloc, &dscale, &mut grad);
            actor_opt.step(&mut params, &grad);
            actor.set_params(&params);
            info.actor_iterations += 1;
            info.kl = kl;
            train_actor = kl <= cfg.kl_threshold;
        }
        // critic regression to the λ-returns
        let v = critic_values(critic, &x, n, &mut cc);
        let dv: Vec<f64> = v
            .iter()
            .zip(&returns)
            .map(|(v, r)| 2.0 * (v - r) / n as f64)
            .collect();
        info.critic_loss = v
            .iter()
            .zip(&returns)
            .map(|(v, r)| (v - r).powi(2))
            .sum::<f64>()
            / n as f64;
        cgrad.iter_mut().for_each(|g| *g = 0.0);
        critic
            .backward(&mut cc, &dv, &mut cgrad, None)
            .expect("shapes fixed by the forward pass");
        critic_opt.step(&mut cparams, &cgrad);
        critic.params_mut().copy_from_slice(&cparams);
    }
    norm.update();
    info
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
