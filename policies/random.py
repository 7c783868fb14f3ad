"""Uniform random policy: the lower bar of every evaluation table."""

from __future__ import annotations

from typing import Any

import numpy as np


class RandomPolicy:
    """Samples actions uniformly from the env's action space with its own seeded generator."""

    def __init__(self, env: Any, seed: int | None = None) -> None:
        self.num_actions = int(env.action_space.n)
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """Nothing to reset (kept for a uniform policy API)."""

    def __call__(self, obs: Any = None) -> int:
        return int(self.rng.integers(self.num_actions))
