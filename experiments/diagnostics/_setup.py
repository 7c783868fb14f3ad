"""Shared set-up of the diagnostics: a saved agent and its env on a task's ``train`` split."""

from __future__ import annotations

import os
from typing import Any

os.environ.setdefault("PYGLET_HEADLESS", "true")


def agent_and_env(agent_dir: str, task: str) -> tuple[Any, Any]:
    """Greedy policy of the agent saved in ``agent_dir`` and a ``train`` env of ``task`` for it."""
    import torch

    from agent.eval.policies import AgentPolicy, env_kwargs_for
    from agent.model.agent import Agent
    from agent.rollout.episode import make_env

    torch.set_num_threads(1)
    agent = Agent.from_pretrained(agent_dir, "cpu")
    env = make_env(task, "train", **env_kwargs_for(agent, None))
    return AgentPolicy(agent), env
