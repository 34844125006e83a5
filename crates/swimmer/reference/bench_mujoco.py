"""Times MuJoCo 3.17 stepping dm_control's swimmer, for `neurocircuits swimmer bench`.

Prints one JSON object: physics steps per second on one thread (a) through `mujoco.rollout`
(a C loop over mj_step) and (b) through Python calling `mj_step(m, d, 15)` once per control
step, as dm_control does. Controls are a travelling sine wave held for 15 substeps.

Usage: python bench_mujoco.py --n-bodies 6 --steps 300000
"""

import argparse
import json
import time

import mujoco
import mujoco.rollout
import numpy as np
from dm_control.suite import swimmer


def gait(nstep, nu, substeps=15, dt=0.03):
    k = np.arange(nstep) // substeps
    j = np.arange(nu)
    return np.sin(2 * np.pi * 1.2 * (k[:, None] * dt) - 2 * np.pi * j[None, :] / nu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n-bodies', type=int, default=6)
    ap.add_argument('--steps', type=int, default=300000)
    ap.add_argument('--repeats', type=int, default=3)
    args = ap.parse_args()

    xml, assets = swimmer.get_model_and_assets(args.n_bodies)
    model = mujoco.MjModel.from_xml_string(xml, assets)
    data = mujoco.MjData(model)
    rng = np.random.default_rng(0)
    data.qpos[2] = rng.uniform(-np.pi, np.pi)
    for j in range(3, model.njnt):
        data.qpos[j] = rng.uniform(*model.jnt_range[j])
    mujoco.mj_forward(model, data)
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    state = np.zeros(mujoco.mj_stateSize(model, spec))
    mujoco.mj_getState(model, data, state, spec)
    ctrl = gait(args.steps, model.nu)[None]

    # (a) C loop through mujoco.rollout, one thread
    best = float('inf')
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        mujoco.rollout.rollout(model, data, state[None], ctrl)
        best = min(best, time.perf_counter() - t0)
    rollout_sps = args.steps / best

    # (b) Python loop of mj_step(m, d, 15) per control step
    n_ctrl = args.steps // 15
    best = float('inf')
    for _ in range(args.repeats):
        mujoco.mj_setState(model, data, state, spec)
        t0 = time.perf_counter()
        for k in range(n_ctrl):
            data.ctrl[:] = ctrl[0, 15 * k]
            mujoco.mj_step(model, data, 15)
        best = min(best, time.perf_counter() - t0)
    python_sps = 15 * n_ctrl / best

    print(json.dumps(dict(mujoco=mujoco.__version__, n_bodies=args.n_bodies, steps=args.steps,
                          rollout_steps_per_sec=rollout_sps,
                          python_loop_steps_per_sec=python_sps)))


if __name__ == '__main__':
    main()
