"""NCAP, the C. elegans swimmer circuit: evaluation, policies and training.

- :func:`evaluate` runs episodes exactly as ``neurocircuits ncap eval --json`` does and gives
  the same numbers.
- :class:`NcapPolicy` holds NCAP's weights (or a trained MLP actor), acts on numpy batches of
  swimmer observations, and reads and writes the CLI's policy files (``policy.safetensors``; old ``policy.json`` files are read too).
- :func:`train` runs the toolkit's ES, PPO or DDPG trainer and returns its log.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np

from . import _native
from ._util import Bar, count as _count

__all__ = ["NcapPolicy", "evaluate", "train"]

PathLike = Union[str, "os.PathLike[str]"]


class NcapPolicy:
    """A swimmer policy: NCAP's weights, or an MLP actor trained by ES, PPO or DDPG.

    ``NcapPolicy()`` is the default NCAP for a 6-body swimmer (shared weights, sign
    constraints: ``bneuron_prop = bneuron_osc = muscle_ipsi = 1``, ``muscle_contra = -1``).
    Shared NCAP weights drive a swimmer of any length.
    """

    def __init__(self, n_bodies: int = 6) -> None:
        self._core = _native.Policy.default_ncap(_count(n_bodies, "n_bodies", 2))

    @classmethod
    def _wrap(cls, core: Any) -> "NcapPolicy":
        p = cls.__new__(cls)
        p._core = core
        return p

    @classmethod
    def load(cls, path: PathLike) -> "NcapPolicy":
        """Reads a policy file (``policy.safetensors``, or an old ``policy.json``) written by ``neurocircuits ncap train`` or :meth:`save`."""
        return cls._wrap(_native.Policy.load(os.fspath(path)))

    def save(self, path: PathLike) -> None:
        """Writes the policy file: safetensors with JSON metadata (``safetensors.torch.load_file`` reads its weights), or the old JSON form when ``path`` ends in ``.json``; ``neurocircuits ncap eval --policy PATH`` reads either."""
        self._core.save(os.fspath(path))

    @property
    def kind(self) -> str:
        """``"ncap"``, ``"gaussian"`` (MLP from ES or PPO) or ``"deterministic"`` (DDPG)."""
        return self._core.kind

    @property
    def params(self) -> np.ndarray:
        """The flat parameters (a copy); assign an array of the same length to change them."""
        return self._core.params

    @params.setter
    def params(self, values: Any) -> None:
        a = np.asarray(values, dtype=np.float64)
        if a.ndim != 1:
            raise ValueError(f"params: expected a 1-D array, got shape {a.shape}")
        self._core.params = np.ascontiguousarray(a)

    @property
    def weights(self) -> dict[str, float]:
        """NCAP's named weights (raw, before the sign clamp), e.g. ``muscle_contra``."""
        if self.kind != "ncap":
            raise ValueError(f"weights: a {self.kind} MLP has no named weights; use params")
        return {name: float(v) for (name, _), v in zip(self._core.param_names, self.params)}

    @property
    def signs(self) -> dict[str, str]:
        """NCAP only: each weight's sign constraint, ``"excitatory"`` or ``"inhibitory"``."""
        return dict(self._core.param_names)

    def act(self, obs: Any, steps: Any = 0) -> np.ndarray:
        """Actions for observations ``(batch, obs_dim)`` (or one ``(obs_dim,)``).

        ``steps``: the control steps since each swimmer's reset (an int or one per row);
        NCAP's head oscillator follows them, an MLP ignores them. Returns
        ``(batch, n_joints)`` (or ``(n_joints,)``), as ``ncap eval`` acts.
        """
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        if single:
            x = x[None, :]
        if x.ndim != 2:
            raise ValueError(f"obs: expected shape (batch, obs_dim), got {x.shape}")
        t = np.asarray(steps)
        if t.ndim == 0:
            t = np.full(x.shape[0], t)
        if not np.issubdtype(t.dtype, np.integer) or (t < 0).any():
            raise ValueError(f"steps: expected non-negative integers, got {steps!r}")
        out = self._core.act(np.ascontiguousarray(x), np.ascontiguousarray(t, dtype=np.uint64))
        return out[0] if single else out

    def evaluate(self, n_bodies: int = 6, episodes: int = 5, seed: int = 0) -> dict[str, Any]:
        """As :func:`evaluate` with this policy."""
        return self._core.evaluate(
            _count(n_bodies, "n_bodies"), _count(episodes, "episodes", 1), _count(seed, "seed")
        )

    def __repr__(self) -> str:
        if self.kind == "ncap":
            return f"NcapPolicy({self.weights})"
        return f"NcapPolicy(kind={self.kind!r}, n_params={self._core.n_params})"


def evaluate(
    policy: Union[str, PathLike, NcapPolicy] = "ncap",
    n_bodies: int = 6,
    episodes: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Mean, standard deviation and list of episode returns of ``policy``.

    ``policy``: ``"ncap"`` (the default weights), ``"random"``, ``"zero"``, the path of a
    policy file, or an :class:`NcapPolicy`. Episodes start from reset seeds ``seed,
    seed+1, ...``. Returns ``{"mean", "sd", "returns"}``, the numbers of
    ``neurocircuits ncap eval --policy P --n-bodies N --episodes K --seed S --json``.
    """
    n_bodies = _count(n_bodies, "n_bodies")
    episodes = _count(episodes, "episodes", 1)
    seed = _count(seed, "seed")
    if isinstance(policy, NcapPolicy):
        return policy.evaluate(n_bodies, episodes, seed)
    if isinstance(policy, os.PathLike):
        policy = os.fspath(policy)
    if not isinstance(policy, str):
        raise ValueError(f"policy must be 'ncap', 'random', 'zero', a path or an NcapPolicy, got {policy!r}")
    return _native.ncap_evaluate(policy, n_bodies, episodes, seed)


def _read_log(path: Path) -> dict[str, list[float]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {k: [float(r[k]) for r in rows] for k in rows[0]}


def train(
    algo: str = "es",
    model: str = "ncap",
    steps: int = 100_000,
    seed: int = 0,
    out: PathLike = "runs/ncap-python",
    n_bodies: int = 6,
    ablation: str = "111",
    progress: Union[bool, Callable[[int, int, float], None]] = True,
) -> dict[str, list[float]]:
    """Trains one policy with the toolkit's Rust trainer and returns its log.

    ``algo``: ``"es"``, ``"ppo"`` or ``"ddpg"``; ``model``: ``"ncap"`` or ``"mlp"``;
    ``steps``: environment steps; ``ablation``: NCAP's code [sharing, signs, constant init].
    The run writes ``log.csv``, ``policy.safetensors`` (load it with :meth:`NcapPolicy.load`),
    ``summary.json`` and checkpoints into ``out``, and resumes from them. ``progress``: a bar
    (tqdm's in notebooks when installed), False, or your callable ``(steps, max_steps,
    test_mean)``. Returns the log as a dict of lists, keyed by Tonic's column names
    (``train/steps``, ``test/episode_score/mean``, ...).
    """
    steps = _count(steps, "steps", 1)
    seed = _count(seed, "seed")
    n_bodies = _count(n_bodies, "n_bodies")
    out = Path(out)
    bar = None
    if progress is True:
        bar = Bar(steps, f"{algo}/{model}", "step")

        def callback(done: int, total: int, test_mean: float) -> None:
            bar(done, total, f"test {test_mean:.1f}")

    elif progress is False or progress is None:
        callback = None
    elif callable(progress):
        callback = progress
    else:
        raise ValueError(f"progress must be True, False or a callable, got {progress!r}")
    try:
        _native.ncap_train(algo, model, steps, seed, os.fspath(out), n_bodies, ablation, callback)
    finally:
        if bar is not None:
            bar.close()
    return _read_log(out / "log.csv")
