"""The single-env episode loop of evaluation and videos: one seeded episode, one record.

A policy here is anything with ``reset(seed)`` and ``act(obs) -> action`` (and an ``attention``
attribute, read by video step callbacks); :mod:`agent.eval.policies` builds them for baselines
and checkpoints.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

Record = dict[str, Any]
"""One episode's outcome: seeds, mission, target, outcome, steps, return, path lengths, reached."""


class EpisodePolicy(Protocol):
    """What :func:`run_episode` drives: reset at each episode start, then one action per step."""

    attention: np.ndarray | None

    def reset(self, seed: int) -> None:
        """Start an episode whose policy randomness is seeded with ``seed``."""

    def act(self, obs: dict[str, Any]) -> int:
        """The action for ``obs``."""


StepCallback = Callable[[dict[str, Any], int | None, dict[str, Any], EpisodePolicy], None]
"""Called as ``callback(obs, action, info, policy)`` after reset (action None) and every step."""


def make_env(task: str, split: str, **env_kwargs: Any) -> Any:
    """``envs.make`` with MiniWorld's start-up chatter on stdout silenced."""
    import envs

    with contextlib.redirect_stdout(io.StringIO()):
        return envs.make(task, split=split, **env_kwargs)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def run_episode(
    env: Any, policy: EpisodePolicy, episode: int, seed: int, callback: StepCallback | None = None
) -> Record:
    """Run one episode with env seed and policy seed ``seed``; return its record."""
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    if callback is not None:
        callback(obs, None, info, policy)
    total, done = 0.0, False
    while not done:
        action = policy.act(obs)
        obs, reward, terminated, truncated, info = env.step(action)
        total += float(reward)
        done = terminated or truncated
        if callback is not None:
            callback(obs, action, info, policy)
    reached = info["reached_color"]
    return {
        "episode": episode,
        "seed": seed,
        "split": info["split"],
        "mission": info["mission"],
        "target": [info["target_color"], info["target_shape"]],
        "outcome": info["outcome"] or ("timeout" if truncated else "unknown"),
        "is_success": bool(info["is_success"]),
        "steps": int(info["step"]),
        "return": total,
        "path_length": float(info["path_length"]),
        "shortest_path_length": _finite(info["shortest_path_length"]),
        "reached": None if reached is None else [reached, info["reached_shape"]],
    }
