"""Benchmarks, each against its peers in the same run.

``python -m neurocircuits.bench swimmer`` times environment steps per second of the native
vector environment (``num_envs`` swimmers of 6 bodies on ``num_threads`` threads, random
actions, autoreset on), and in the same run, when they are installed:

- EnvPool's ``SwimmerSwimmer6-v1`` from ``envpool.make_dm`` with the same number of
  environments and threads (dm_control's swimmer on MuJoCo, batched in C++);
- dm_control's ``swimmer6`` stepped from Python, one environment.

It prints one line per side and the ratios; ``--json`` prints the numbers as JSON. Time a
machine at rest: on a loaded machine the ratio of two sides timed in the same run is what
carries over, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from typing import Any, Callable, Optional

import numpy as np

from .swimmer import SwimmerVectorEnv


def _rate(step: Callable[[int], None], batch: int, seconds: float, repeats: int) -> dict[str, Any]:
    """Env steps per second of ``step`` (which steps ``batch`` environments once): the
    median and the spread over ``repeats`` timed windows of about ``seconds`` each."""
    step(0)  # warm up
    rates = []
    k = 1
    for _ in range(repeats):
        n, start = 0, time.perf_counter()
        while True:
            step(k)
            k += 1
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(n * batch / elapsed)
    return {
        "env_steps_per_s": float(np.median(rates)),
        "min": float(min(rates)),
        "max": float(max(rates)),
        "repeats": repeats,
    }


def ours(num_envs: int, num_threads: int, seconds: float, repeats: int) -> dict[str, Any]:
    env = SwimmerVectorEnv(num_envs=num_envs, num_threads=num_threads, n_bodies=6)
    env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (64, num_envs, 5))
    r = _rate(lambda k: env.step(actions[k % 64]), num_envs, seconds, repeats)
    r["what"] = f"neurocircuits SwimmerVectorEnv, {num_envs} envs, {num_threads} threads"
    return r


def envpool_side(num_envs: int, num_threads: int, seconds: float, repeats: int) -> Optional[dict[str, Any]]:
    try:
        import envpool
    except ImportError:
        return None
    env = envpool.make_dm(
        "SwimmerSwimmer6-v1", num_envs=num_envs, batch_size=num_envs, num_threads=num_threads
    )
    env.reset()
    actions = np.random.default_rng(0).uniform(-1, 1, (64, num_envs, 5))
    ids = np.arange(num_envs)
    r = _rate(lambda k: env.step(actions[k % 64], ids), num_envs, seconds, repeats)
    r["what"] = f"EnvPool {envpool.__version__} SwimmerSwimmer6-v1 (make_dm), {num_envs} envs, {num_threads} threads"
    return r


def dm_control_side(seconds: float, repeats: int) -> Optional[dict[str, Any]]:
    try:
        from dm_control import suite
    except ImportError:
        return None
    env = suite.load("swimmer", "swimmer6", task_kwargs={"random": 0})
    env.reset()
    actions = np.random.default_rng(0).uniform(-1, 1, (64, 5))

    def step(k: int) -> None:
        ts = env.step(actions[k % 64])
        if ts.last():
            env.reset()

    r = _rate(step, 1, seconds, repeats)
    r["what"] = "dm_control swimmer6 stepped from Python, 1 env"
    return r


def swimmer(argv: Optional[list[str]] = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m neurocircuits.bench swimmer",
                                description="Env steps/s of the vector env against EnvPool and dm_control, in the same run.")
    p.add_argument("--num-envs", type=int, default=16)
    p.add_argument("--num-threads", type=int, default=2)
    p.add_argument("--seconds", type=float, default=2.0, help="length of one timed window")
    p.add_argument("--repeats", type=int, default=5, help="timed windows per side")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    a = p.parse_args(argv)
    if a.num_envs < 1 or a.num_threads < 1 or a.seconds <= 0 or a.repeats < 1:
        p.error("--num-envs, --num-threads and --repeats must be at least 1, --seconds positive")
    sides = {
        "ours": ours(a.num_envs, a.num_threads, a.seconds, a.repeats),
        "envpool": envpool_side(a.num_envs, a.num_threads, a.seconds, a.repeats),
        "dm_control": dm_control_side(a.seconds, a.repeats),
    }
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}",
        "config": vars(a),
        "sides": sides,
        "ratios": {},
    }
    base = sides["ours"]["env_steps_per_s"]
    for peer in ("envpool", "dm_control"):
        if sides[peer] is not None:
            result["ratios"][f"ours/{peer}"] = base / sides[peer]["env_steps_per_s"]
    if a.json:
        print(json.dumps(result, indent=2))
    else:
        for name, s in sides.items():
            if s is None:
                print(f"{name:<11} not installed")
            else:
                print(f"{name:<11} {s['env_steps_per_s']:>12,.0f} env steps/s "
                      f"(min {s['min']:,.0f}, max {s['max']:,.0f}, {s['repeats']} windows)  {s['what']}")
        for k, v in result["ratios"].items():
            print(f"{k}: {v:.2f}x")
    return result


def main(argv: Optional[list[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in ("swimmer",):
        print("usage: python -m neurocircuits.bench swimmer [options]  (--help for options)", file=sys.stderr)
        return 2
    swimmer(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
