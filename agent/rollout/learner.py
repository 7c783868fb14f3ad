"""A learned agent in one env: periodic evaluation and DAgger collection.

The episodes run through :func:`agent.rollout.episode.run_episode`. For DAgger, a
:class:`~agent.rollout.episode.TeacherLabels` hook labels every visited state with the expert's
action; with probability ``beta`` the expert's action is executed instead of the learner's (the
mixing schedule), so early rounds stay near the expert.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agent.data.episodes import EpisodeBuilder
from agent.model.agent import Agent
from agent.model.proprio import require_proprio
from agent.rollout.episode import RolloutResult, TeacherLabels, run_episodes

__all__ = ["LearnerPolicy", "RolloutResult", "run_learner"]


class LearnerPolicy:
    """The agent acting on its own observations with recurrent memory (reset every episode):
    greedy, or sampled from its distribution (torch's global generator). A proprioceptive agent
    also reads ``obs["prev_action"]`` and ``obs["moved"]`` (a ``-v1`` task)."""

    attention: np.ndarray | None = None

    def __init__(self, agent: Agent, sample: bool = False) -> None:
        self.agent, self.sample = agent, sample
        self.memory = agent.initial_memory(1)
        self.start = True

    def reset(self, seed: int) -> None:
        """Clear the memory at an episode start."""
        self.memory, self.start = self.agent.initial_memory(1), True

    def act(self, obs: dict[str, Any]) -> int:
        """The agent's action for ``obs``."""
        start = torch.tensor([self.start])
        extra = {}
        if self.agent.config.proprioception:
            extra["proprio"] = require_proprio(obs)[None]
        out = self.agent.act(
            obs["image"][None], [obs["mission"]], self.memory, start, not self.sample, **extra
        )
        self.memory, self.start = out.memory, False
        return int(out.action[0])


@torch.no_grad()
def run_learner(
    env: Any,
    agent: Agent,
    seeds: list[int],
    *,
    beta: float = 0.0,
    sample: bool = False,
    collect: bool = False,
    rng: np.random.Generator | None = None,
    progress: Any = None,
    teacher: str = "expert",
) -> RolloutResult:
    """Run ``agent`` on each seed; optionally mix in and record the expert's labels.

    Args:
        env: one MiniGround env (this process's only env).
        agent: the learner.
        seeds: env seeds, one episode each.
        beta: probability of executing the expert's action at a step (DAgger mixing).
        sample: sample the learner's action instead of taking the most likely one.
        collect: record frames with the expert's action as the label (needs the expert).
        rng: generator for the mixing coin flips.
        progress: optional tqdm bar updated once per episode.
        teacher: who labels the states: 'expert' or 'scan' (see policies.teacher).
    """
    builder = EpisodeBuilder() if collect else None
    hook = None
    if collect or beta > 0:
        hook = TeacherLabels(env, teacher, beta, rng or np.random.default_rng(0), builder)
    was_training = agent.training
    agent.eval()
    result = run_episodes(env, LearnerPolicy(agent, sample), seeds, hook, progress)
    if builder is not None:
        result.episodes = builder.build()
    agent.train(was_training)
    return result
