"""Proprioception: the previous action and the bump sensor, embedded for the recurrent core.

The ``-v1`` tasks add ``prev_action`` (the last action's index, ``num_actions`` at reset) and
``moved`` (1 when the last action changed the agent's pose) to the observation. An agent with
``AgentConfig.proprioception`` reads them as one (B, 2) long array ``[prev_action, moved]``; their
embeddings are summed and concatenated to the fused state before the policy's memory, so a press
against a wall (``moved`` 0 after ``move_forward``) is something the memory can count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

PROPRIO_SIZE = 16
"""Width of the proprioception embedding given to the recurrent core."""

PROPRIO_KEYS: tuple[str, str] = ("prev_action", "moved")
"""Observation keys of proprioception, in the column order of a proprio array."""

MISSING_PROPRIO = (
    "this agent reads proprioception (obs['prev_action'], obs['moved']); use a -v1 task"
)
"""The error when a proprioceptive agent meets an env or data without proprioception."""


def obs_proprio(obs: Mapping[str, Any]) -> np.ndarray | None:
    """``[prev_action, moved]`` of an observation (the last axis; batched obs give (B, 2)), or
    None when the env has no proprioception."""
    if not all(k in obs for k in PROPRIO_KEYS):
        return None
    return np.stack([np.asarray(obs[k], dtype=np.int64) for k in PROPRIO_KEYS], axis=-1)


def has_proprio(space: Any) -> bool:
    """Whether an observation space (a ``Dict``) carries proprioception."""
    return all(k in getattr(space, "spaces", {}) for k in PROPRIO_KEYS)


def require_proprio(obs: Mapping[str, Any]) -> np.ndarray:
    """:func:`obs_proprio` of an observation, or a ValueError saying the env lacks it."""
    proprio = obs_proprio(obs)
    if proprio is None:
        raise ValueError(f"{MISSING_PROPRIO}: the observation has no prev_action and moved")
    return proprio


class ProprioEncoder(nn.Module):
    """Embeddings of the previous action (``num_actions`` + 'none') and of ``moved``, summed."""

    def __init__(self, num_actions: int) -> None:
        super().__init__()
        self.num_actions = num_actions
        self.prev_action = nn.Embedding(num_actions + 1, PROPRIO_SIZE)
        self.moved = nn.Embedding(2, PROPRIO_SIZE)

    def forward(self, proprio: torch.Tensor) -> torch.Tensor:
        """(..., 2) long ``[prev_action, moved]`` -> (..., PROPRIO_SIZE)."""
        return self.prev_action(proprio[..., 0]) + self.moved(proprio[..., 1])

    def check(self, proprio: Any, lead: tuple[int, ...], device: torch.device) -> torch.Tensor:
        """``proprio`` as a long tensor of shape (*lead, 2) on ``device``; ValueError when it is
        missing, of the wrong shape or out of range."""
        if proprio is None:
            raise ValueError(MISSING_PROPRIO + " (pass proprio=[prev_action, moved])")
        x = torch.as_tensor(proprio).to(device=device, dtype=torch.long)
        if tuple(x.shape) != (*lead, 2):
            raise ValueError(f"proprio must have shape {(*lead, 2)}, got {tuple(x.shape)}")
        if x.numel() and (
            int(x.min()) < 0 or int(x[..., 0].max()) > self.num_actions or int(x[..., 1].max()) > 1
        ):
            raise ValueError(
                f"proprio out of range: prev_action must lie in 0..{self.num_actions} "
                f"({self.num_actions} = none) and moved in 0..1"
            )
        return x
