"""Rollout storage for PPO (T steps of B envs) and generalised advantage estimation.

Step ``t`` holds a real transition ``(obs_t, a_t, r_t, done_t)``: ``done_t`` cuts the GAE
recursion and marks step ``t + 1`` as an episode start, where the recurrent memory is reset.
A time-out counts as terminal (no bootstrap): the time limit is part of the task (reward decays
with steps, and a time-out is a failure).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Rollout:
    """T steps of B envs. Step ``t`` holds the observation acted on and what followed."""

    images: torch.Tensor
    """(T, B, H, W, 3) uint8 observations."""
    missions: list[list[str]]
    """T lists of B instructions (an episode, and so its instruction, may change inside)."""
    actions: torch.Tensor
    """(T, B) long actions taken."""
    log_probs: torch.Tensor
    """(T, B) log-probabilities of the actions under the acting policy."""
    values: torch.Tensor
    """(T, B) value estimates of the acting policy."""
    rewards: torch.Tensor
    """(T, B) rewards."""
    dones: torch.Tensor
    """(T, B) bool: the episode ended with this step (terminated or timed out)."""
    episode_starts: torch.Tensor
    """(T, B) bool: this step starts an episode (memory is zeroed before it)."""
    memories: torch.Tensor
    """(T, B, D) memory before step t (before its episode-start reset)."""
    last_value: torch.Tensor
    """(B,) value of the observation after the last step."""
    labels: dict[str, torch.Tensor] = field(default_factory=dict)
    """Privileged per-step labels from env info, leading dims (T, B) (when asked for)."""
    proprio: torch.Tensor | None = None
    """(T, B, 2) long ``[prev_action, moved]`` of the observation acted on (None: the env has no
    proprioception)."""
    advantages: torch.Tensor | None = None
    """(T, B) GAE advantages (set by :func:`compute_gae`)."""
    returns: torch.Tensor | None = None
    """(T, B) value targets: advantages + values."""

    @property
    def num_steps(self) -> int:
        """T."""
        return int(self.actions.shape[0])

    @property
    def num_envs(self) -> int:
        """B."""
        return int(self.actions.shape[1])


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over (T, B) tensors.

    ``dones[t]`` means the episode ended with step ``t``: neither the next value nor the next
    advantage crosses it. Returns (advantages, returns = advantages + values).
    """
    t_len = rewards.shape[0]
    advantages = torch.zeros_like(values)
    last_gae = torch.zeros_like(last_value)
    for t in reversed(range(t_len)):
        next_value = last_value if t == t_len - 1 else values[t + 1]
        not_done = 1.0 - dones[t].to(values.dtype)
        delta = rewards[t] + gamma * next_value * not_done - values[t]
        last_gae = delta + gamma * gae_lambda * not_done * last_gae
        advantages[t] = last_gae
    return advantages, advantages + values
