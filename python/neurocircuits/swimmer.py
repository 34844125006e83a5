"""The swimmer as Gymnasium environments.

``neurocircuits/Swimmer-v0`` is dm_control's ``swimmer`` (MuJoCo 3.17's dynamics, reproduced
natively) with the NCAP swim task: reward ``clip(forward head speed / 0.1, 0, 1)`` per
control step, episodes of ``time_limit`` control steps (then ``truncated``; never
``terminated``), one control step = ``substeps`` physics steps of ``timestep`` seconds.

Observation (float64), in order, for ``n_bodies = B`` (``J = B - 1`` joints):

====================  ======================================================================
entries               meaning
====================  ======================================================================
``0 .. J-1``          joint angles ``qpos[3:]`` (radians), head joint first
``J + 3b + 0``        velocity of body ``b`` along its own x axis (m/s), ``b = 0`` the head
``J + 3b + 1``        velocity of body ``b`` along its own y axis (m/s; -y points forward)
``J + 3b + 2``        angular velocity of body ``b`` about z (rad/s)
``J + 3B``            only with ``time_feature=True``: ``-1 + 2 k / time_limit``, ``k`` the
                      control steps since reset (Tonic's time feature)
====================  ======================================================================

Action (float64): ``J`` motor commands in ``[-1, 1]`` (values outside are clipped, as MuJoCo
clips ``ctrl``); joint ``j`` is driven by entry ``j``.

State: ``qpos = (x, y, heading, joint angles)`` and ``qvel`` in the same layout (MuJoCo's).

Seeding: ``reset(seed=s)`` starts from reset seed ``s`` (the seed ``neurocircuits ncap eval
--seed s`` uses for its first episode); later resets without a seed continue a fixed sequence
derived from ``s`` (:func:`neurocircuits._native.episode_seed`). A vector environment reset
with ``seed=s`` gives environment ``i`` the seed ``s + i``, as Gymnasium's own vector
environments do, so it equals ``num_envs`` single environments reset with ``s, s+1, ...``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native

try:
    import gymnasium as gym
    from gymnasium import spaces
    from gymnasium.vector import AutoresetMode, VectorEnv
except ImportError as _e:  # pragma: no cover - gymnasium is a dependency
    raise ImportError("neurocircuits.swimmer needs gymnasium>=1.0") from _e

__all__ = ["SwimmerEnv", "SwimmerVectorEnv", "ENV_ID", "OPTIONS"]

#: The registered id.
ENV_ID = "neurocircuits/Swimmer-v0"

#: Keyword options of both environments and their defaults.
OPTIONS = {
    "n_bodies": 6,
    "density": 3000.0,
    "viscosity": 0.0,
    "time_limit": 1000,
    "time_feature": False,
    "timestep": 0.002,
    "substeps": 15,
}

_SEED_LIMIT = 2**63


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Checks the keyword options: unknown names and wrong types raise ValueError."""
    unknown = sorted(set(kwargs) - set(OPTIONS))
    if unknown:
        raise ValueError(
            f"unknown option(s) {unknown}; the swimmer takes {sorted(OPTIONS)}"
        )
    out = dict(OPTIONS)
    for key, value in kwargs.items():
        default = OPTIONS[key]
        if isinstance(default, bool):
            if not isinstance(value, (bool, np.bool_)):
                raise ValueError(f"{key} must be True or False, got {value!r}")
            value = bool(value)
        elif isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ValueError(f"{key} must be an integer, got {value!r}")
            if value < 0:
                raise ValueError(f"{key} must not be negative, got {value}")
            value = int(value)
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise ValueError(f"{key} must be a number, got {value!r}")
            value = float(value)
        out[key] = value
    return out


def _spaces(n_bodies: int, time_feature: bool) -> tuple[spaces.Box, spaces.Box]:
    """Observation and action spaces of one environment."""
    obs_dim = (n_bodies - 1) + 3 * n_bodies + int(time_feature)
    obs = spaces.Box(-np.inf, np.inf, shape=(obs_dim,), dtype=np.float64)
    act = spaces.Box(-1.0, 1.0, shape=(n_bodies - 1,), dtype=np.float64)
    return obs, act


def _seed_of(value: Any, what: str = "seed") -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be a non-negative integer, got {value!r}")
    if not 0 <= int(value) < 2**64:
        raise ValueError(f"{what} must be in [0, 2**64), got {value}")
    return int(value)


class SwimmerEnv(gym.Env):
    """One swimmer (see the module documentation for the observation layout).

    Options: ``n_bodies`` (3 to 20), ``density`` and ``viscosity`` (MuJoCo's fluid
    parameters; 3000 and 0), ``time_limit`` (control steps per episode, 1000),
    ``time_feature`` (append Tonic's time feature), ``timestep`` and ``substeps`` (0.002 s
    and 15 physics steps per control step), ``render_mode`` (``"rgb_array"`` or None).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 33}

    def __init__(self, render_mode: str | None = None, **options: Any) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(
                f"render_mode must be None or 'rgb_array', got {render_mode!r}"
            )
        self.options = _options(options)
        self._core = _native.Swimmer(**self.options)
        self.render_mode = render_mode
        self.observation_space, self.action_space = _spaces(
            self.options["n_bodies"], self.options["time_feature"]
        )
        self.metadata = dict(self.metadata)
        self.metadata["render_fps"] = round(
            1.0 / (self.options["timestep"] * self.options["substeps"])
        )

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Starts an episode; ``seed`` as in the module documentation."""
        super().reset(seed=seed)
        if options:
            raise ValueError(f"reset takes no options, got {sorted(options)}")
        if seed is None and self._core.reset_seed is None:
            seed = int(self.np_random.integers(0, _SEED_LIMIT))
        obs = self._core.reset(None if seed is None else _seed_of(seed))
        return obs, {}

    @property
    def reset_seed(self) -> int | None:
        """The reset seed of the current episode (None before the first reset)."""
        return self._core.reset_seed

    def step(
        self, action: Any
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One control step. ``action``: ``n_bodies - 1`` finite numbers."""
        a = _vector(action, self.action_space.shape[0], "action")
        obs, reward, terminated, truncated = self._core.step(a)
        return obs, reward, terminated, truncated, {}

    def render(self) -> np.ndarray | None:
        """With ``render_mode="rgb_array"``: the current frame, ``(360, 480, 3)`` uint8."""
        if self.render_mode != "rgb_array":
            return None
        return self._core.render()

    def set_state(self, qpos: Any, qvel: Any) -> None:
        """Sets positions and velocities (MuJoCo's layout, ``n_bodies + 2`` each)."""
        n = self.options["n_bodies"] + 2
        self._core.set_state(_vector(qpos, n, "qpos"), _vector(qvel, n, "qvel"))

    @property
    def qpos(self) -> np.ndarray:
        """Positions ``(x, y, heading, joint angles)`` (a copy)."""
        return self._core.qpos

    @property
    def qvel(self) -> np.ndarray:
        """Velocities, same layout as :attr:`qpos` (a copy)."""
        return self._core.qvel

    @property
    def dt(self) -> float:
        """Seconds per control step."""
        return self.options["timestep"] * self.options["substeps"]


def _vector(value: Any, n: int, what: str) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{what}: expected {n} numbers, got {value!r}") from e
    if a.shape != (n,):
        raise ValueError(f"{what}: expected shape ({n},), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what}: every entry must be finite, got {a.tolist()}")
    return a


class SwimmerVectorEnv(VectorEnv):
    """``num_envs`` swimmers stepped in one native call on ``num_threads`` threads.

    Takes the options of :class:`SwimmerEnv`, plus ``num_threads`` (default: the smaller of
    ``num_envs`` and the machine's cores) and ``autoreset_mode`` (an
    :class:`gymnasium.vector.AutoresetMode` or its name: ``NEXT_STEP``, the default,
    ``SAME_STEP`` or ``DISABLED``). In SAME_STEP mode the last observation of an episode is in
    ``infos["final_obs"]`` (mask ``infos["_final_obs"]``), as Gymnasium's vector environments
    put it.
    """

    metadata = {"render_modes": ["rgb_array"], "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(
        self,
        num_envs: int = 1,
        num_threads: int | None = None,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
        max_episode_steps: int | None = None,
        **options: Any,
    ) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(
                f"render_mode must be None or 'rgb_array', got {render_mode!r}"
            )
        if max_episode_steps is not None:
            options.setdefault("time_limit", max_episode_steps)
        if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        mode = _autoreset_mode(autoreset_mode)
        self.options = _options(options)
        self._core = _native.SwimmerBatch(
            int(num_envs),
            num_threads,
            mode.name,
            **self.options,
        )
        self.num_envs = int(num_envs)
        self.render_mode = render_mode
        self.metadata = dict(self.metadata)
        self.metadata["autoreset_mode"] = mode
        self.single_observation_space, self.single_action_space = _spaces(
            self.options["n_bodies"], self.options["time_feature"]
        )
        self.observation_space = gym.vector.utils.batch_space(
            self.single_observation_space, self.num_envs
        )
        self.action_space = gym.vector.utils.batch_space(
            self.single_action_space, self.num_envs
        )
        self._seeded = False

    @property
    def num_threads(self) -> int:
        """Threads of the pool that steps the batch."""
        return self._core.num_threads

    def reset(
        self,
        *,
        seed: int | list[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets every environment (or those in ``options["reset_mask"]``).

        ``seed``: an int ``s`` (environment ``i`` gets ``s + i``), a list of one seed per
        environment, or None (drawn from :attr:`np_random` on the first reset, else the next
        episode of each environment's seed sequence).
        """
        options = dict(options or {})
        mask = options.pop("reset_mask", None)
        if options:
            raise ValueError(f"reset options: only 'reset_mask' is known, got {sorted(options)}")
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (self.num_envs,) or mask.dtype != np.bool_:
                raise ValueError(
                    f"reset_mask: expected a bool array of shape ({self.num_envs},), got {mask.dtype} {mask.shape}"
                )
            mask = mask.tolist()
        if isinstance(seed, (list, tuple, np.ndarray)):
            seeds = [_seed_of(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise ValueError(
                    f"seed: expected {self.num_envs} seeds, got {len(seeds)}"
                )
            super().reset(seed=seeds[0])
        elif seed is not None:
            base = _seed_of(seed)
            seeds = [base + i for i in range(self.num_envs)]
            super().reset(seed=base)
        elif not self._seeded:
            super().reset(seed=None)
            base = int(self.np_random.integers(0, _SEED_LIMIT))
            seeds = [base + i for i in range(self.num_envs)]
        else:
            seeds = None
        if seeds is None:
            # the next episode of every (selected) environment's own sequence
            obs = self._next_episodes(mask)
        else:
            obs = self._core.reset(seeds, mask)
        self._seeded = True
        return obs, {}

    def _next_episodes(self, mask: list[bool] | None) -> np.ndarray:
        """Resets without seeds: continues each environment's episode sequence."""
        rows = range(self.num_envs) if mask is None else [i for i, m in enumerate(mask) if m]
        for i in rows:
            self._core.next_episode(i)
        return self._core.observations()

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps all environments; ``actions`` has shape ``(num_envs, n_bodies - 1)``."""
        if not self._seeded:
            raise ValueError("step before reset: call reset(seed=...) first")
        shape = (self.num_envs, self.single_action_space.shape[0])
        try:
            a = np.ascontiguousarray(actions, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"actions: expected an array of shape {shape}") from e
        if a.shape != shape:
            raise ValueError(f"actions: expected shape {shape}, got {a.shape}")
        obs, rewards, terminated, truncated, final_obs, final_mask = self._core.step(a)
        infos: dict[str, Any] = {}
        if final_obs is not None and final_mask.any():
            fo = np.empty(self.num_envs, dtype=object)
            for i in np.flatnonzero(final_mask):
                fo[i] = final_obs[i]
            infos["final_obs"] = fo
            infos["_final_obs"] = final_mask
            infos["final_info"] = {}
            infos["_final_info"] = final_mask.copy()
        return obs, rewards, terminated, truncated, infos

    def render(self) -> tuple[np.ndarray, ...] | None:
        """With ``render_mode="rgb_array"``: one frame per environment."""
        if self.render_mode != "rgb_array":
            return None
        return tuple(self._core.render(i) for i in range(self.num_envs))

    def set_state(self, index: int, qpos: Any, qvel: Any) -> None:
        """Sets the state of environment ``index``."""
        n = self.options["n_bodies"] + 2
        self._core.set_state(int(index), _vector(qpos, n, "qpos"), _vector(qvel, n, "qvel"))

    @property
    def qpos(self) -> np.ndarray:
        """Positions, ``(num_envs, n_bodies + 2)`` (a copy)."""
        return self._core.qpos

    @property
    def qvel(self) -> np.ndarray:
        """Velocities, ``(num_envs, n_bodies + 2)`` (a copy)."""
        return self._core.qvel


def _autoreset_mode(mode: AutoresetMode | str) -> AutoresetMode:
    if isinstance(mode, AutoresetMode):
        return mode
    if isinstance(mode, str):
        key = mode.upper().replace("-", "_")
        for m in AutoresetMode:
            if key in (m.name, m.value.upper()):
                return m
    raise ValueError(
        f"autoreset_mode must be NEXT_STEP, SAME_STEP or DISABLED, got {mode!r}"
    )


def register() -> None:
    """Registers ``neurocircuits/Swimmer-v0`` with Gymnasium (done on import)."""
    if ENV_ID in gym.registry:
        return
    gym.register(
        id=ENV_ID,
        entry_point="neurocircuits.swimmer:SwimmerEnv",
        vector_entry_point="neurocircuits.swimmer:SwimmerVectorEnv",
        disable_env_checker=False,
    )
