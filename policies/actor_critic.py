"""Learned actor-critic head with recurrent memory (GRU or LSTM).

One interface for BC, DAgger, PPO and evaluation::

    action, log_prob, entropy, value, memory = policy(state, memory, action=None)

acts on a batch of single steps, and :meth:`ActorCritic.evaluate_sequence` scores given actions
over (T, B) sequences, resetting memory wherever an episode starts. An LSTM memory packs h and c
in one tensor (B, 2 * memory_size) so callers treat both cores alike.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn
from torch.distributions import Categorical


class PolicyOutput(NamedTuple):
    """One step of the policy (unpacks as ``action, log_prob, entropy, value, memory``)."""

    action: torch.Tensor
    """(B,) long."""
    log_prob: torch.Tensor
    """(B,) log-probability of ``action``."""
    entropy: torch.Tensor
    """(B,) entropy of the action distribution."""
    value: torch.Tensor
    """(B,) critic's value estimate."""
    memory: torch.Tensor
    """(B, memory_dim) memory after the step."""


class SequenceScores(NamedTuple):
    """Given actions scored over a (T, B) sequence."""

    log_prob: torch.Tensor
    """(T, B)."""
    entropy: torch.Tensor
    """(T, B)."""
    value: torch.Tensor
    """(T, B)."""
    logits: torch.Tensor
    """(T, B, A)."""
    memory: torch.Tensor
    """(B, memory_dim) memory after the last step."""


def reset_memory(memory: torch.Tensor, episode_start: torch.Tensor) -> torch.Tensor:
    """Zero the rows of (B, D) memory where episode_start (B,) is True."""
    keep = (~episode_start.to(device=memory.device, dtype=torch.bool)).to(memory.dtype)
    return memory * keep.unsqueeze(-1)


def _mlp(n_in: int, hidden: int, n_out: int, gain: float) -> nn.Sequential:
    net = nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out))
    for layer in (net[0], net[2]):
        nn.init.orthogonal_(layer.weight, gain=2**0.5 if layer is net[0] else gain)
        nn.init.zeros_(layer.bias)
    return net


class ActorCritic(nn.Module):
    """Recurrent core + categorical actor head + critic head.

    Args:
        state_size: width of the per-step state (the perception's output).
        num_actions: number of discrete actions.
        memory: "gru" or "lstm".
        memory_size: hidden size of the recurrent core.
        head_hidden: hidden width of the actor and critic MLPs.
    """

    def __init__(
        self,
        state_size: int,
        num_actions: int,
        memory: str = "gru",
        memory_size: int = 128,
        head_hidden: int = 64,
    ) -> None:
        super().__init__()
        if memory not in ("gru", "lstm"):
            raise ValueError(f"unknown memory {memory!r}; choose 'gru' or 'lstm'")
        self.memory_kind = memory
        self.memory_size = memory_size
        self.num_actions = num_actions
        cell = nn.GRUCell if memory == "gru" else nn.LSTMCell
        self.core = cell(state_size, memory_size)
        self.actor = _mlp(memory_size, head_hidden, num_actions, gain=0.01)
        self.critic = _mlp(memory_size, head_hidden, 1, gain=1.0)

    @property
    def memory_dim(self) -> int:
        """Width of the memory tensor (twice memory_size for an LSTM: h and c)."""
        return self.memory_size * (2 if self.memory_kind == "lstm" else 1)

    def initial_memory(
        self, batch_size: int, device: torch.device | str | None = None
    ) -> torch.Tensor:
        """Zero memory (batch_size, memory_dim)."""
        if device is None:
            device = self.core.weight_hh.device
        return torch.zeros(batch_size, self.memory_dim, device=device)

    def step_memory(
        self, state: torch.Tensor, memory: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One recurrent step: returns (features (B, memory_size), new memory (B, memory_dim))."""
        if self.memory_kind == "gru":
            h = self.core(state, memory)
            return h, h
        h, c = self.core(state, tuple(memory.chunk(2, dim=-1)))
        return h, torch.cat([h, c], dim=-1)

    def heads(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Actor logits (..., A) and critic value (...) from core features (..., memory_size)."""
        return self.actor(features), self.critic(features).squeeze(-1)

    @staticmethod
    def distribution(logits: torch.Tensor) -> Categorical:
        """The action distribution for logits."""
        return Categorical(logits=logits, validate_args=False)

    def select(
        self, logits: torch.Tensor, action: torch.Tensor | None = None, deterministic: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(action, log_prob, entropy) for logits; samples unless an action is given or greedy."""
        dist = self.distribution(logits)
        if action is None:
            action = logits.argmax(-1) if deterministic else dist.sample()
        return action, dist.log_prob(action), dist.entropy()

    def step(
        self,
        state: torch.Tensor,
        memory: torch.Tensor,
        action: torch.Tensor | None = None,
        deterministic: bool = False,
    ) -> tuple[PolicyOutput, torch.Tensor]:
        """Like :meth:`forward`, and also return the logits (B, A)."""
        features, memory = self.step_memory(state, memory)
        logits, value = self.heads(features)
        action, log_prob, entropy = self.select(logits, action, deterministic)
        return PolicyOutput(action, log_prob, entropy, value, memory), logits

    def forward(
        self,
        state: torch.Tensor,
        memory: torch.Tensor,
        action: torch.Tensor | None = None,
        deterministic: bool = False,
    ) -> PolicyOutput:
        """Act on a batch of single steps (state (B, S), memory (B, memory_dim)).

        Memory is not reset here: use :func:`reset_memory` for episode starts first.
        """
        return self.step(state, memory, action, deterministic)[0]

    def unroll(
        self, states: torch.Tensor, memory0: torch.Tensor, episode_start: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the core over (T, B, S), zeroing memory where episode_start (T, B) is True.

        Returns:
            Core features (T, B, memory_size) and the final memory (B, memory_dim).
        """
        memory = memory0
        features = []
        for t in range(states.shape[0]):
            memory = reset_memory(memory, episode_start[t])
            h, memory = self.step_memory(states[t], memory)
            features.append(h)
        return torch.stack(features), memory

    def evaluate_sequence(
        self,
        states: torch.Tensor,
        actions: torch.Tensor,
        episode_start: torch.Tensor,
        memory0: torch.Tensor,
    ) -> SequenceScores:
        """Score given actions (T, B) over state sequences (T, B, S) (for BC and PPO updates)."""
        features, memory = self.unroll(states, memory0, episode_start)
        logits, value = self.heads(features)
        dist = self.distribution(logits)
        return SequenceScores(dist.log_prob(actions), dist.entropy(), value, logits, memory)
