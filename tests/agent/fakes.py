"""Fake envs (no MiniWorld) and a tiny PPO config, shared by the rollout, PPO and bench tests.

The fake envs have the same observation format (image + mission) and the same info keys the
collector reads (``is_success``, ``outcome``). Env worker processes import this module, so it
keeps its imports light (no transformers, no torch).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, SyncVectorEnv

if TYPE_CHECKING:
    from agent.learn.ppo_config import PPOConfig

H, W = 60, 80
COLORS = {"red": (255, 0, 0), "blue": (0, 0, 255)}


class ChoiceEnv(gym.Env):
    """ "go to the red/blue ball": action 0 is right for red, 1 for blue, 2 waits a step.

    Success pays ``1 - 0.9 * steps / max_steps``; the other object ends the episode with 0
    ("wrong_object"); ``max_steps`` waits time out. ``crash_at`` raises inside step number N
    (counted over the env's life) to play a failing worker; ``hang_at`` sleeps there instead.
    """

    metadata = {"render_modes": []}

    def __init__(
        self, max_steps: int = 4, crash_at: int | None = None, hang_at: int | None = None
    ) -> None:
        self.max_steps, self.crash_at, self.hang_at = max_steps, crash_at, hang_at
        self.total_steps = 0
        self.observation_space = spaces.Dict(
            {
                "image": spaces.Box(0, 255, (H, W, 3), dtype=np.uint8),
                "mission": spaces.Text(max_length=40, charset="abcdefghijklmnopqrstuvwxyz "),
            }
        )
        self.action_space = spaces.Discrete(3)

    def _obs(self) -> dict[str, Any]:
        image = np.zeros((H, W, 3), dtype=np.uint8)
        image[:, :] = COLORS[self.color]
        return {"image": image, "mission": f"go to the {self.color} ball"}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.color = ("red", "blue")[int(self.np_random.integers(2))]
        self.steps = 0
        return self._obs(), {"is_success": False, "outcome": None}

    def step(self, action: Any):
        self.total_steps += 1
        if self.crash_at is not None and self.total_steps >= self.crash_at:
            raise RuntimeError(f"ChoiceEnv crashed on purpose at step {self.total_steps}")
        if self.hang_at is not None and self.total_steps >= self.hang_at:
            time.sleep(3600)
        self.steps += 1
        outcome, reward = None, 0.0
        if int(action) < 2:
            right = int(action) == ("red", "blue").index(self.color)
            outcome = "success" if right else "wrong_object"
            reward = 1.0 - 0.9 * self.steps / self.max_steps if right else 0.0
        elif self.steps >= self.max_steps:
            outcome = "timeout"
        info = {"is_success": outcome == "success", "outcome": outcome}
        return (
            self._obs(),
            reward,
            outcome in ("success", "wrong_object"),
            outcome == "timeout",
            info,
        )


class CountEnv(gym.Env):
    """Episodes of fixed length ``length``; the image encodes (step in episode, episode number).

    Reward 1 on the last step of an episode, else 0; the last step terminates.
    """

    metadata = {"render_modes": []}

    def __init__(self, length: int = 3) -> None:
        self.length, self.episode = length, -1
        self.observation_space = ChoiceEnv().observation_space
        self.action_space = spaces.Discrete(3)

    def _obs(self) -> dict[str, Any]:
        image = np.zeros((H, W, 3), dtype=np.uint8)
        image[..., 0], image[..., 1] = self.t, self.episode % 256
        return {"image": image, "mission": f"episode {'abcdefghij'[self.episode % 10]}"}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.t, self.episode = 0, self.episode + 1
        return self._obs(), {"is_success": False, "outcome": None, "phase": 0.0}

    def step(self, action: Any):
        self.t += 1
        done = self.t >= self.length
        info = {"is_success": done, "outcome": "success" if done else None, "phase": self.t}
        return self._obs(), float(done), done, False, info


def sync_envs(fns: list) -> SyncVectorEnv:
    """An in-process vector env in the collector's SAME_STEP mode."""
    return SyncVectorEnv(fns, autoreset_mode=AutoresetMode.SAME_STEP)


TINY_AGENT = {
    "cnn_channels": (8, 16, 16),
    "text_size": 16,
    "text_layers": 1,
    "state_size": 32,
    "memory_size": 16,
    "head_hidden": 16,
    "aux_heads": False,
}


def tiny_ppo_config(**overrides: Any) -> PPOConfig:
    """A fast PPO config on 4 envs with the tiny network (any field can be overridden)."""
    fields: dict[str, Any] = dict(
        num_envs=4, num_steps=16, seq_len=4, num_minibatches=4, update_epochs=4,
        lr=5e-3, total_steps=4 * 16 * 12, eval_episodes=0, context="forkserver",
        update_threads=1, seed=3,
    )  # fmt: skip
    fields.update(overrides)
    from agent.learn.ppo_config import PPOConfig
    from agent.model.config import AgentConfig

    return PPOConfig(agent=AgentConfig(num_actions=3, **TINY_AGENT), **fields)
