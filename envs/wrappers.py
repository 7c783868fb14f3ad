"""Wrappers over MiniGround envs.

:class:`FixedMission` is the instruction-free control of every evaluation: the agent reads a
mission that names nothing, on the same layouts, with the same target and the same success test,
so its success rate is what the agent earns without grounding (going to whatever object is near,
or guessing). Only the mission the agent reads changes; ``info["mission"]`` keeps the env's own.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

CONTROL_MISSION = "go to the object"
"""The control's mission: the training templates' verb with no colour and no shape."""


class FixedMission(gym.ObservationWrapper):
    """Replace ``obs["mission"]`` with a fixed string (default :data:`CONTROL_MISSION`)."""

    def __init__(self, env: gym.Env, mission: str = CONTROL_MISSION) -> None:
        super().__init__(env)
        if not isinstance(mission, str):
            raise ValueError(f"mission must be a string, got {mission!r}")
        self.mission = mission

    def observation(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The observation with the fixed mission."""
        return {**observation, "mission": self.mission}
