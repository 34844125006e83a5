"""Train NCAP's four weights with evolution strategies on the native vector environment.

A notebook-style script (run it cell by cell with `# %%`, or as a script). Each generation
runs one episode per candidate, all candidates side by side in one `SwimmerVectorEnv`
stepped by a single native call per control step. With Stable-Baselines3 installed,
`--sb3` trains an MLP with PPO instead. NC_EXAMPLE_QUICK=1 runs a few short generations
(as CI does).
"""

# %% setup
import os
import sys

import numpy as np

import neurocircuits
from neurocircuits import ncap
from neurocircuits.swimmer import SwimmerVectorEnv

QUICK = bool(os.environ.get("NC_EXAMPLE_QUICK"))
GENERATIONS = 3 if QUICK else 40
STEPS = 150 if QUICK else 1000  # control steps per episode
PAIRS = 4  # antithetic pairs: 8 candidates
SIGMA, LR = 0.05, 0.1

policy = ncap.NcapPolicy(n_bodies=6)
print("start:", policy.weights)

# %% one generation = every candidate swims one episode, all in one vector env
env = SwimmerVectorEnv(num_envs=2 * PAIRS, n_bodies=6, time_limit=STEPS, num_threads=2)
candidates = [ncap.NcapPolicy(n_bodies=6) for _ in range(2 * PAIRS)]


def returns_of(params: np.ndarray, seed: int) -> np.ndarray:
    for c, p in zip(candidates, params):
        c.params = p
    obs, _ = env.reset(seed=[seed] * len(params))  # common random numbers: one start
    total = np.zeros(len(params))
    for t in range(STEPS):
        actions = np.stack([c.act(o, t) for c, o in zip(candidates, obs)])
        obs, reward, _, _, _ = env.step(actions)
        total += reward
    return total


# %% evolution strategies (antithetic, centred ranks)
rng = np.random.default_rng(0)
theta = policy.params
for gen in range(GENERATIONS):
    eps = rng.normal(size=(PAIRS, theta.size))
    params = np.concatenate([theta + SIGMA * eps, theta - SIGMA * eps])
    r = returns_of(params, seed=gen)
    ranks = np.argsort(np.argsort(r)) / (len(r) - 1) - 0.5
    grad = ((ranks[:PAIRS] - ranks[PAIRS:])[:, None] * eps).sum(axis=0) / (2 * PAIRS * SIGMA)
    theta = theta + LR * grad
    print(f"generation {gen}: mean return {r.mean():.1f} (best {r.max():.1f})")

# %% the result, evaluated as `neurocircuits ncap eval` would, and saved for the CLI
policy.params = theta
print("trained:", policy.weights)
print("evaluation over 3 episodes:", ncap.evaluate(policy, episodes=3, seed=100))
policy.save("es-ncap-policy.safetensors")
print("saved es-ncap-policy.safetensors: try `neurocircuits ncap eval --policy es-ncap-policy.safetensors`")

# %% optional: PPO from Stable-Baselines3 on the same swimmer
if "--sb3" in sys.argv:
    try:
        import gymnasium as gym
        from stable_baselines3 import PPO
    except ImportError:
        print("Stable-Baselines3 is not installed; skipping PPO")
    else:
        model = PPO("MlpPolicy", gym.make("neurocircuits/Swimmer-v0"), gamma=0.9999, verbose=0)
        model.learn(total_timesteps=5_000 if QUICK else 1_000_000)
        print("PPO trained")
