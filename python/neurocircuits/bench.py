"""Benchmarks, each against its peers in the same run.

``python -m neurocircuits.bench swimmer`` times environment steps per second of the native
vector environment (``num_envs`` swimmers of 6 bodies on ``num_threads`` threads, random
actions, autoreset on), and in the same run, when they are installed:

- EnvPool's ``SwimmerSwimmer6-v1`` from ``envpool.make_dm`` with the same number of
  environments and threads (dm_control's swimmer on MuJoCo, batched in C++);
- dm_control's ``swimmer6`` stepped from Python, one environment.

The sides take turns, one timed window each, ``--repeats`` times; each side's rate is the
median of its windows. It prints one line per side and the ratios of the medians; ``--json``
prints the numbers as JSON. On a loaded machine only the ratio of sides timed in the same run
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


def _window(step: Callable[[int], None], batch: int, seconds: float, k0: int) -> tuple[float, int]:
    """Env steps per second of ``step`` (one call steps ``batch`` environments) over one
    window of about ``seconds``; returns the rate and the next call index."""
    n, k, start = 0, k0, time.perf_counter()
    while True:
        step(k)
        k += 1
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n * batch / elapsed, k


def ours(num_envs: int, num_threads: int) -> tuple[Callable[[int], None], int, str]:
    env = SwimmerVectorEnv(num_envs=num_envs, num_threads=num_threads, n_bodies=6)
    env.reset(seed=0)
    actions = np.random.default_rng(0).uniform(-1, 1, (64, num_envs, 5))
    what = f"neurocircuits SwimmerVectorEnv, {num_envs} envs, {num_threads} threads"
    return (lambda k: env.step(actions[k % 64])), num_envs, what


def envpool_side(num_envs: int, num_threads: int) -> Optional[tuple[Callable[[int], None], int, str]]:
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
    what = f"EnvPool {envpool.__version__} SwimmerSwimmer6-v1 (make_dm), {num_envs} envs, {num_threads} threads"
    return (lambda k: env.step(actions[k % 64], ids)), num_envs, what


def dm_control_side() -> Optional[tuple[Callable[[int], None], int, str]]:
    try:
        from dm_control import suite
    except ImportError:
        return None
    env = suite.load("swimmer", "swimmer6", task_kwargs={"random": 0})
    env.reset()
    actions = np.random.default_rng(0).uniform(-1, 1, (64, 5))

    def step(k: int) -> None:
        if env.step(actions[k % 64]).last():
            env.reset()

    return step, 1, "dm_control swimmer6 stepped from Python, 1 env"


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
    steppers = {
        "ours": ours(a.num_envs, a.num_threads),
        "envpool": envpool_side(a.num_envs, a.num_threads),
        "dm_control": dm_control_side(),
    }
    # the sides take turns window by window, so a change in the machine's load falls on all
    rates: dict[str, list[float]] = {k: [] for k, v in steppers.items() if v is not None}
    calls = {k: 0 for k in rates}
    for name in rates:
        steppers[name][0](0)  # warm up
    for _ in range(a.repeats):
        for name in rates:
            step, batch, _ = steppers[name]
            r, calls[name] = _window(step, batch, a.seconds, calls[name] + 1)
            rates[name].append(r)
    sides: dict[str, Any] = {}
    for name, s in steppers.items():
        if s is None:
            sides[name] = None
            continue
        r = rates[name]
        sides[name] = {"env_steps_per_s": float(np.median(r)), "min": float(min(r)),
                       "max": float(max(r)), "repeats": len(r), "what": s[2]}
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
