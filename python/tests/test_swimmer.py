"""The swimmer environments: Gymnasium's checker, MuJoCo agreement, vector = single envs."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

import neurocircuits
from conftest import releases_gil
from neurocircuits.swimmer import ENV_ID, SwimmerEnv, SwimmerVectorEnv

REPO = Path(__file__).resolve().parents[2]
WINDOWS = REPO / "crates" / "swimmer" / "tests" / "data" / "windows.json"


def test_import_registers_the_env_and_make_gives_a_gymnasium_env():
    assert ENV_ID in gym.registry
    env = gym.make(ENV_ID, n_bodies=6)
    assert isinstance(env.unwrapped, SwimmerEnv)
    assert env.observation_space.shape == (5 + 18,)
    assert env.action_space.shape == (5,)


@pytest.mark.parametrize("kwargs", [{}, {"n_bodies": 3, "time_feature": True}, {"n_bodies": 12, "viscosity": 0.5}])
def test_check_env_passes(kwargs):
    env = gym.make(ENV_ID, **kwargs)
    with warnings.catch_warnings():
        # the only warnings are about the unbounded observation box, which is the truth
        warnings.filterwarnings("ignore", message=".*infinity.*")
        check_env(env.unwrapped)


def test_vector_entry_point_gives_our_vector_env():
    v = gym.make_vec(ENV_ID, num_envs=16, vectorization_mode="vector_entry_point", n_bodies=6, num_threads=2)
    assert isinstance(v, SwimmerVectorEnv) and isinstance(v, gym.vector.VectorEnv)
    assert v.num_envs == 16 and v.num_threads == 2
    assert v.single_observation_space.shape == (23,) and v.observation_space.shape == (16, 23)
    assert v.single_action_space.shape == (5,) and v.action_space.shape == (16, 5)
    assert v.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    obs, _ = v.reset(seed=3)
    assert obs.shape == (16, 23) and obs.dtype == np.float64
    obs, rew, term, trunc, _ = v.step(v.action_space.sample())
    assert rew.shape == (16,) and term.dtype == np.bool_ and trunc.dtype == np.bool_


def _windows(key):
    return json.loads(WINDOWS.read_text())[key]


def _run_window(case, **options):
    env = gym.make(ENV_ID, n_bodies=case["n_bodies"], **options)
    env.reset(seed=0)
    env.unwrapped.set_state(np.array(case["qpos"]), np.array(case["qvel"]))
    errors = []
    for ctrl, qp, qv in zip(case["ctrl"], case["qpos_after"], case["qvel_after"]):
        env.step(np.array(ctrl))
        u = env.unwrapped
        errors.append((np.max(np.abs(u.qpos - qp)), np.max(np.abs(u.qvel - qv))))
    return errors


def test_one_control_step_through_set_state_matches_mujoco_windows():
    cases = _windows("windows")
    assert len(cases) >= 50
    worst = [0.0, 0.0]
    for c, case in enumerate(cases):
        ep, ev = _run_window(case)[0]
        assert ep <= 1e-6 and ev <= 1e-4, f"window {c} (n={case['n_bodies']}): {ep:e} {ev:e}"
        worst = [max(worst[0], ep), max(worst[1], ev)]
    print(f"worst step-1 errors over {len(cases)} windows: qpos {worst[0]:.1e}, qvel {worst[1]:.1e}")


def test_fluid_and_timestep_options_match_mujoco_windows():
    for c, case in enumerate(_windows("variants")):
        opts = {k: case[k] for k in ("density", "viscosity", "timestep", "substeps")}
        ep, ev = _run_window(case, **opts)[0]
        assert ep <= 1e-6 and ev <= 1e-4, f"variant {c} {opts}: {ep:e} {ev:e}"


def test_qpos_and_qvel_are_copies_in_mujocos_layout():
    env = SwimmerEnv(n_bodies=4)
    env.reset(seed=1)
    q = env.qpos
    assert q.shape == (6,)
    q[:] = 99.0
    assert not np.any(env.qpos == 99.0)
    # joint angles are both qpos[3:] and the first observation entries
    obs, _ = env.reset(seed=1)
    np.testing.assert_array_equal(obs[:3], env.qpos[3:])


def _rollout(env, seed, steps, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    obs, _ = env.reset(seed=seed)
    out = [obs]
    for _ in range(steps):
        obs, r, te, tr, _ = env.step(rng.uniform(-1, 1, env.action_space.shape))
        out.append(np.concatenate([obs, [r, te, tr]]))
        if te or tr:
            obs, _ = env.reset()
            out.append(obs)
    return out


def test_same_seed_same_trajectory_other_seed_another():
    a = _rollout(SwimmerEnv(time_limit=10), 5, 25)
    b = _rollout(SwimmerEnv(time_limit=10), 5, 25)
    c = _rollout(SwimmerEnv(time_limit=10), 6, 25)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
@pytest.mark.parametrize("threads", [1, 2])
def test_vector_env_equals_gymnasiums_sync_vector_env_of_single_envs(mode, threads):
    n, limit, steps = 5, 7, 30
    opts = dict(n_bodies=4, time_limit=limit)
    ours = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="vector_entry_point",
                        autoreset_mode=mode, num_threads=threads, **opts)
    ref = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="sync",
                       vector_kwargs={"autoreset_mode": mode}, **opts)
    o1, _ = ours.reset(seed=11)
    o2, _ = ref.reset(seed=11)
    np.testing.assert_array_equal(o1, o2)
    rng = np.random.default_rng(0)
    finals = 0
    for _ in range(steps):
        a = rng.uniform(-1, 1, (n, 3))
        r1 = ours.step(a)
        r2 = ref.step(a)
        for x, y in zip(r1[:4], r2[:4]):
            np.testing.assert_array_equal(x, y)
        if mode == AutoresetMode.SAME_STEP and "final_obs" in r2[4]:
            finals += 1
            np.testing.assert_array_equal(r1[4]["_final_obs"], r2[4]["_final_obs"])
            for i in np.flatnonzero(r2[4]["_final_obs"]):
                np.testing.assert_array_equal(r1[4]["final_obs"][i], r2[4]["final_obs"][i])
    if mode == AutoresetMode.SAME_STEP:
        assert finals == steps // limit


def test_vector_env_row_i_equals_a_single_env_seeded_s_plus_i():
    v = SwimmerVectorEnv(num_envs=3, n_bodies=5, time_limit=6)
    obs, _ = v.reset(seed=40)
    singles = [SwimmerEnv(n_bodies=5, time_limit=6) for _ in range(3)]
    for i, e in enumerate(singles):
        o, _ = e.reset(seed=40 + i)
        np.testing.assert_array_equal(o, obs[i])
    rng = np.random.default_rng(1)
    done = np.zeros(3, bool)
    for _ in range(15):
        a = rng.uniform(-1, 1, (3, 4))
        obs, rew, _, trunc, _ = v.step(a)
        for i, e in enumerate(singles):
            if done[i]:  # NEXT_STEP: this step resets row i
                o, _ = e.reset()
                r = 0.0
            else:
                o, r, _, _, _ = e.step(a[i])
            np.testing.assert_array_equal(o, obs[i])
            assert r == rew[i]
        done = trunc


def test_disabled_autoreset_needs_a_masked_reset():
    v = SwimmerVectorEnv(num_envs=2, time_limit=2, autoreset_mode="DISABLED")
    v.reset(seed=0)
    v.step(np.zeros((2, 5)))
    _, _, _, trunc, _ = v.step(np.zeros((2, 5)))
    assert trunc.all()
    with pytest.raises(ValueError, match="reset_mask"):
        v.step(np.zeros((2, 5)))
    v.reset(options={"reset_mask": np.array([True, True])})
    v.step(np.zeros((2, 5)))


@pytest.mark.parametrize(
    "action, match",
    [
        (np.zeros(4), r"action: expected shape \(5,\)"),
        (np.zeros((1, 5)), r"action: expected shape \(5,\)"),
        (np.array([0, 0, np.nan, 0, 0]), "action: every entry must be finite"),
        ("left", "action"),
    ],
)
def test_bad_actions_raise_value_error(action, match):
    env = gym.make(ENV_ID)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.step(action)


def test_bad_vector_actions_raise_value_error():
    v = SwimmerVectorEnv(num_envs=3)
    v.reset(seed=0)
    with pytest.raises(ValueError, match=r"actions: expected shape \(3, 5\)"):
        v.step(np.zeros((2, 5)))
    a = np.zeros((3, 5))
    a[2, 1] = np.inf
    with pytest.raises(ValueError, match=r"actions\[2, 1\] must be finite"):
        v.step(a)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_bodies": 2}, "n_bodies must be in 3..=20, got 2"),
        ({"n_bodies": 21}, "n_bodies must be in 3..=20, got 21"),
        ({"density": -1.0}, "density must not be negative"),
        ({"viscosity": float("nan")}, "viscosity must be finite"),
        ({"time_limit": 0}, "time_limit must be at least 1"),
        ({"timestep": 0.0}, "timestep must be positive"),
        ({"n_bodies": 6.5}, "n_bodies must be an integer"),
        ({"gear": 2}, r"unknown option\(s\) \['gear'\]"),
        ({"render_mode": "human"}, "render_mode must be None or 'rgb_array'"),
    ],
)
def test_bad_options_raise_value_error_naming_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SwimmerEnv(**kwargs)
    with pytest.raises(ValueError, match=match):
        SwimmerVectorEnv(num_envs=2, **kwargs)


def test_bad_state_raises_value_error():
    env = SwimmerEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"qpos: expected shape \(8,\)"):
        env.set_state(np.zeros(7), np.zeros(8))
    with pytest.raises(ValueError, match="qvel: every entry must be finite"):
        env.set_state(np.zeros(8), np.full(8, np.nan))


def test_a_diverging_simulation_raises_simulation_error():
    env = SwimmerEnv(n_bodies=3)
    env.reset(seed=0)
    env.set_state(np.zeros(5), np.full(5, 1e12))
    with pytest.raises(neurocircuits.SimulationError, match="diverged"):
        env.step(np.zeros(2))


def test_rgb_array_frames():
    env = gym.make(ENV_ID, render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (360, 480, 3) and frame.dtype == np.uint8
    assert len(np.unique(frame.reshape(-1, 3), axis=0)) > 3
    v = SwimmerVectorEnv(num_envs=2, render_mode="rgb_array")
    v.reset(seed=0)
    assert len(v.render()) == 2


def test_the_gil_is_released_while_the_batch_steps():
    v = SwimmerVectorEnv(num_envs=3000, num_threads=1, n_bodies=20)
    v.reset(seed=0)
    a = np.zeros((3000, 19))
    assert releases_gil(lambda: v.step(a))


def test_the_benchmark_runs_and_reports_our_side():
    from neurocircuits import bench

    r = bench.swimmer(["--seconds", "0.05", "--repeats", "1", "--num-envs", "4", "--json"])
    assert r["sides"]["ours"]["env_steps_per_s"] > 0
    assert set(r["sides"]) == {"ours", "envpool", "dm_control"}
