"""Reference for the swimmer's target-reaching task (crates/swimmer/tests/data/navigate.json).

dm_control's `swimmer.swimmer(6)` task (the one NCAP's `navigate` inherits): for a few seeds
it resets the environment, then steps it with uniform random actions, and records after the
reset and after every step the state (qpos, qvel), the target position, the `to_target`
observation (nose to target in the head frame), the reward (`tolerance(dist, (0, 0.1),
margin=0.5, sigmoid='long_tail')`) and the number of contacts (the target must not touch
the body). Versions: requirements.txt (mujoco 3.17.0, dm_control 1.0.50).

Run: python make_navigate.py > ../../../crates/swimmer/tests/data/navigate.json
"""

import json

import numpy as np
from dm_control.suite import swimmer


def fl(a):
    return [float(x) for x in np.asarray(a).ravel()]


def main():
    episodes = []
    for seed in range(4):
        env = swimmer.swimmer(6, random=seed)
        ts = env.reset()
        physics = env.physics
        rng = np.random.default_rng(100 + seed)
        frames = []
        actions = []
        for k in range(40):
            frames.append(
                {
                    "qpos": fl(physics.data.qpos),
                    "qvel": fl(physics.data.qvel),
                    "target": fl(physics.named.model.geom_pos["target"][:2]),
                    "to_target": fl(ts.observation["to_target"]),
                    "reward": float(env.task.get_reward(physics)),
                    "ncon": int(physics.data.ncon),
                }
            )
            a = rng.uniform(-1, 1, size=5)
            actions.append(fl(a))
            ts = env.step(a)
        episodes.append({"seed": seed, "frames": frames, "actions": actions})
    print(
        json.dumps(
            {
                "target_size": float(env.physics.named.model.geom_size["target", 0]),
                "episodes": episodes,
            }
        )
    )


if __name__ == "__main__":
    main()
