"""In-process rollouts of a learned agent in one env: periodic evaluation and DAgger collection.

The expert labels every visited state (DAgger); with probability ``beta`` the expert's action is
executed instead of the learner's (the mixing schedule), so early rounds stay near the expert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from agent.data.episodes import EpisodeBuilder, Episodes
from agent.model.agent import Agent


@dataclass
class RolloutResult:
    """Per-episode outcomes and, when collecting, the expert-labelled episodes."""

    outcomes: list[str] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)
    spl_terms: list[float] = field(default_factory=list)
    episodes: Episodes | None = None

    @property
    def success_rate(self) -> float:
        """Fraction of episodes that ended in success."""
        return float(np.mean([o == "success" for o in self.outcomes])) if self.outcomes else 0.0

    def outcome_rate(self, outcome: str) -> float:
        """Fraction of episodes that ended with ``outcome``."""
        return float(np.mean([o == outcome for o in self.outcomes])) if self.outcomes else 0.0


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
    from policies.teacher import make_teacher

    expert = make_teacher(env, teacher) if (collect or beta > 0) else None
    rng = rng or np.random.default_rng(0)
    builder = EpisodeBuilder() if collect else None
    result = RolloutResult()
    was_training = agent.training
    agent.eval()
    for seed in seeds:
        obs, info = env.reset(seed=int(seed))
        memory = agent.initial_memory(1)
        start = torch.ones(1, dtype=torch.bool)
        done = False
        while not done:
            out = agent.act(obs["image"][None], [obs["mission"]], memory, start, not sample)
            memory, start = out.memory, torch.zeros(1, dtype=torch.bool)
            action = int(out.action[0])
            if expert is not None:
                label = expert()
                if builder is not None:
                    builder.add_step(obs["image"], info, label, 0.0)
                if beta > 0 and rng.random() < beta:
                    action = label
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        if builder is not None:
            builder.end_episode(obs["mission"], info["outcome"], seed)
        result.outcomes.append(info["outcome"])
        result.steps.append(info["step"])
        shortest, taken = info["shortest_path_length"], info["path_length"]
        result.spl_terms.append(float(info["is_success"]) * shortest / max(shortest, taken, 1e-6))
        if progress is not None:
            progress.update(1)
    if builder is not None:
        result.episodes = builder.build()
    agent.train(was_training)
    return result
