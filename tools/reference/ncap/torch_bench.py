"""PyTorch peer of `neurocircuits ncap bench`: the same units of learner work, timed in float32.

- ddpg_update: one DDPG gradient step at Tonic's defaults (tonic.torch.agents.DDPG): a
  minibatch of 100 drawn uniformly from a numpy replay of 2,000 transitions (obs 24, action 5),
  observations normalised by a running mean/std, critic regression to r + 0.99 Q'(s', pi'(s'))
  with the target networks, then the actor ascending Q(s, pi(s)) through the updated critic
  (critic weights frozen for that pass), both with Adam 1e-3, then Polyak averaging (0.005) of
  both targets. Actor MLP 24-256-256-5 ReLU with a tanh head; critic 29-256-256-1 ReLU.
- ppo_epoch: one full-batch iteration of Tonic's PPO update on a 4,096-step segment: the
  clipped-ratio actor step (ratio clip 0.2, KL estimate) for the Gaussian actor 24-64-64-5 tanh
  with a learned softplus scale, Adam 3e-4, then the critic's regression step to the
  lambda-returns for the critic 24-64-64-1 tanh, Adam 1e-3.

Run: python tools/reference/ncap/torch_bench.py [--unit ddpg|ppo|all] [--repeats N]
     [--threads 2] [--json]
`neurocircuits ncap bench --torch-python PATH` runs it with --json in the same run as our
timing and prints the ratios. With --json, one line per unit:
{"unit", "median_s", "min_s", "repeats", "threads", "torch"}.
Versions pinned in requirements.txt (torch 2.15.0).
"""
import argparse
import copy
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OBS, ACT = 24, 5


def mlp(sizes, act, head=None):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(act())
    if head is not None:
        layers.append(head())
    return nn.Sequential(*layers)


class DdpgUnit:
    def __init__(self, rng):
        self.actor = mlp([OBS, 256, 256, ACT], nn.ReLU, nn.Tanh)
        self.critic = mlp([OBS + ACT, 256, 256, 1], nn.ReLU)
        self.actor_t = copy.deepcopy(self.actor)
        self.critic_t = copy.deepcopy(self.critic)
        for p in list(self.actor_t.parameters()) + list(self.critic_t.parameters()):
            p.requires_grad_(False)
        self.aopt = torch.optim.Adam(self.actor.parameters(), lr=1e-3)
        self.copt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        n = 2000
        self.obs = rng.standard_normal((n, OBS)).astype(np.float32)
        self.next_obs = rng.standard_normal((n, OBS)).astype(np.float32)
        self.actions = rng.uniform(-1, 1, (n, ACT)).astype(np.float32)
        self.rewards = rng.uniform(0, 1, n).astype(np.float32)
        self.mean = torch.as_tensor(self.obs.mean(0))
        self.std = torch.as_tensor(np.maximum(self.obs.std(0), 1e-2))
        self.rng = rng

    def norm(self, x):
        return (x - self.mean) / self.std

    def step(self):
        idx = self.rng.integers(0, len(self.rewards), 100)
        obs = self.norm(torch.as_tensor(self.obs[idx]))
        next_obs = self.norm(torch.as_tensor(self.next_obs[idx]))
        actions = torch.as_tensor(self.actions[idx])
        rewards = torch.as_tensor(self.rewards[idx])
        with torch.no_grad():
            next_a = self.actor_t(next_obs)
            q2 = self.critic_t(torch.cat([next_obs, next_a], -1)).squeeze(-1)
            returns = rewards + 0.99 * q2
        self.copt.zero_grad(set_to_none=True)
        q = self.critic(torch.cat([obs, actions], -1)).squeeze(-1)
        ((q - returns) ** 2).mean().backward()
        self.copt.step()
        for p in self.critic.parameters():
            p.requires_grad_(False)
        self.aopt.zero_grad(set_to_none=True)
        pi = self.actor(obs)
        (-self.critic(torch.cat([obs, pi], -1)).mean()).backward()
        self.aopt.step()
        for p in self.critic.parameters():
            p.requires_grad_(True)
        with torch.no_grad():
            for net, tgt in ((self.actor, self.actor_t), (self.critic, self.critic_t)):
                for o, t in zip(net.parameters(), tgt.parameters()):
                    t.mul_(1 - 0.005).add_(o, alpha=0.005)


class PpoUnit:
    def __init__(self, rng):
        n = 4096
        self.actor = mlp([OBS, 64, 64, ACT], nn.Tanh, nn.Tanh)
        self.log_scale = nn.Parameter(torch.zeros(ACT))
        self.critic = mlp([OBS, 64, 64, 1], nn.Tanh)
        self.aopt = torch.optim.Adam(list(self.actor.parameters()) + [self.log_scale], lr=3e-4)
        self.copt = torch.optim.Adam(self.critic.parameters(), lr=1e-3)
        self.obs = torch.as_tensor(rng.standard_normal((n, OBS)).astype(np.float32))
        with torch.no_grad():
            loc = self.actor(self.obs)
            dist = torch.distributions.Normal(loc, self.scale())
            self.actions = dist.sample()
            self.log_probs = dist.log_prob(self.actions).sum(-1)
        adv = torch.as_tensor(rng.standard_normal(n).astype(np.float32))
        self.advantages = (adv - adv.mean()) / adv.std()
        self.returns = torch.as_tensor(rng.standard_normal(n).astype(np.float32))

    def scale(self):
        return torch.clamp(F.softplus(self.log_scale) + 1e-8, 1e-4, 1.0)

    def step(self):
        # tonic.torch.updaters.ClippedRatio
        self.aopt.zero_grad(set_to_none=True)
        dist = torch.distributions.Normal(self.actor(self.obs), self.scale())
        log_probs = dist.log_prob(self.actions).sum(-1)
        ratios = torch.exp(log_probs - self.log_probs)
        surr1 = ratios * self.advantages
        surr2 = torch.clamp(ratios, 0.8, 1.2) * self.advantages
        loss = -torch.min(surr1, surr2).mean()
        loss.backward()
        self.aopt.step()
        kl = (self.log_probs - log_probs).mean().item()
        # tonic.torch.updaters.VRegression
        self.copt.zero_grad(set_to_none=True)
        v = self.critic(self.obs).squeeze(-1)
        ((v - self.returns) ** 2).mean().backward()
        self.copt.step()
        return kl


def time_unit(unit, repeats, warmup=5):
    for _ in range(warmup):
        unit.step()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        unit.step()
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return {"median_s": samples[len(samples) // 2], "min_s": samples[0], "repeats": repeats}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unit", default="all", choices=["ddpg", "ppo", "all"])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    units = {"ddpg": ("ddpg_update", DdpgUnit), "ppo": ("ppo_epoch", PpoUnit)}
    for key in (["ddpg", "ppo"] if args.unit == "all" else [args.unit]):
        name, cls = units[key]
        r = time_unit(cls(rng), max(1, args.repeats))
        r.update({"unit": name, "threads": torch.get_num_threads(), "torch": torch.__version__})
        if args.json:
            print(json.dumps(r), flush=True)
        else:
            print(f"{name}: median {r['median_s'] * 1e3:.3f} ms, min {r['min_s'] * 1e3:.3f} ms "
                  f"over {r['repeats']} ({r['threads']} threads, torch {r['torch']})")


if __name__ == "__main__":
    main()
