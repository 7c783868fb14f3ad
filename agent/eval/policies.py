"""Evaluation policies: baselines and checkpoints behind one interface (``reset``, ``act``).

A *policy spec* is ``"expert"``, ``"random"`` or a checkpoint directory (a ``pathlib.Path``, or a
string other than those two words). A learned agent acts greedily (argmax of its logits) unless
``sample=True``: then actions are drawn from its categorical distribution with a generator
seeded per episode. Its recurrent memory is reset at the start of every episode. torch is
imported only when a learned agent is used (baseline workers start faster). The episode loop
that drives them is :func:`agent.rollout.episode.run_episode`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from envs.registration import TASKS, check_task

BASELINES: tuple[str, ...] = ("expert", "random")
"""Policy specs that name a built-in baseline instead of a checkpoint directory."""

PolicySpec = str | os.PathLike


def is_baseline(spec: PolicySpec) -> bool:
    """Whether ``spec`` names a baseline ("expert" / "random") rather than a checkpoint."""
    return isinstance(spec, str) and spec in BASELINES


def policy_label(spec: PolicySpec) -> str:
    """A short name for tables: the baseline's name or the checkpoint directory's name."""
    return str(spec) if is_baseline(spec) else Path(spec).resolve().name or str(spec)


def task_action_names(task: str) -> tuple[str, ...]:
    """The action names of a task, read from its env class (no env is built)."""
    module, _, name = TASKS[check_task(task)].entry_point.partition(":")
    cls = getattr(__import__(module, fromlist=[name]), name)
    return tuple(cls.action_names)


def task_has_proprioception(task: str, env_kwargs: dict[str, Any] | None = None) -> bool:
    """Whether a task's observations carry ``prev_action`` and ``moved`` (the ``-v1`` ids, or
    ``proprioception=True`` in ``env_kwargs``); no env is built."""
    kwargs = {**TASKS[check_task(task)].kwargs, **(env_kwargs or {})}
    return bool(kwargs.get("proprioception", False))


def check_policy(
    spec: PolicySpec, task: str, device: str = "cpu", env_kwargs: dict[str, Any] | None = None
) -> Any:
    """Validate a policy spec against a task; return the loaded Agent (None for a baseline).

    Raises:
        ValueError: a missing or broken checkpoint (``CheckpointError``), one whose action
            count does not match the task's, or a proprioceptive agent on a task without
            proprioception.
    """
    if is_baseline(spec):
        return None
    from agent.model.agent import Agent

    agent = Agent.from_pretrained(spec, device=device)
    names = task_action_names(task)
    if agent.config.num_actions != len(names):
        raise ValueError(
            f"checkpoint {str(spec)!r} has {agent.config.num_actions} actions but {task} has "
            f"{len(names)} ({', '.join(names)})"
        )
    if agent.config.proprioception and not task_has_proprioception(task, env_kwargs):
        from agent.model.proprio import MISSING_PROPRIO

        raise ValueError(f"checkpoint {str(spec)!r}: {MISSING_PROPRIO} ({task} has none)")
    return agent


def env_kwargs_for(agent: Any, env_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    """Env kwargs with the agent's frame size filled in (explicit kwargs win)."""
    kwargs = dict(env_kwargs or {})
    if agent is not None:
        kwargs.setdefault("obs_width", agent.config.obs_width)
        kwargs.setdefault("obs_height", agent.config.obs_height)
    return kwargs


class EvalPolicy:
    """Per-process policy: ``reset(seed)`` at each episode start, then ``act(obs) -> action``.

    ``attention`` holds the last step's (h, w) spatial map when the policy has one, else None.
    """

    attention: np.ndarray | None = None

    def reset(self, seed: int) -> None:
        """Start an episode whose policy randomness is seeded with ``seed``."""

    def act(self, obs: dict[str, Any]) -> int:
        """The action for ``obs``."""
        raise NotImplementedError


class ExpertPolicy(EvalPolicy):
    """The privileged expert (stateless, deterministic)."""

    def __init__(self, env: Any) -> None:
        from policies.expert import Expert

        self.expert = Expert(env)

    def act(self, obs: dict[str, Any]) -> int:
        return int(self.expert(obs))


class RandomBaseline(EvalPolicy):
    """Uniform random actions from a generator re-seeded at every episode."""

    def __init__(self, env: Any) -> None:
        from policies.random import RandomPolicy

        self.env = env
        self.policy = RandomPolicy(env, 0)
        self._cls = RandomPolicy

    def reset(self, seed: int) -> None:
        self.policy = self._cls(self.env, seed)

    def act(self, obs: dict[str, Any]) -> int:
        return int(self.policy(obs))


class AgentPolicy(EvalPolicy):
    """A learned agent with recurrent memory: greedy by default, or sampled (seeded). A
    proprioceptive agent also reads ``obs["prev_action"]`` and ``obs["moved"]``."""

    def __init__(self, agent: Any, sample: bool = False) -> None:
        import torch

        self.torch = torch
        self.agent = agent.eval()
        self.sample = sample
        self.generator = torch.Generator()
        self.memory = agent.initial_memory(1)
        self.start = True
        self.unknown_words = 0
        """Words of this episode's instruction the agent's tokenizer does not know."""

    def reset(self, seed: int) -> None:
        self.memory = self.agent.initial_memory(1)
        self.start = True
        self.generator.manual_seed(int(seed))
        self.attention = None

    def act(self, obs: dict[str, Any]) -> int:
        torch = self.torch
        if self.start:
            self.unknown_words = len(self.agent.perception.text.unknown_words(obs["mission"]))
        extra = {}
        if self.agent.config.proprioception:
            from agent.model.proprio import require_proprio

            extra["proprio"] = require_proprio(obs)[None]
        with torch.no_grad():
            out = self.agent.act(
                obs["image"][None], [obs["mission"]], self.memory, torch.tensor([self.start]),
                True, **extra,
            )  # fmt: skip
        self.memory, self.start = out.memory, False
        if out.attention is not None:
            self.attention = out.attention[0].float().cpu().numpy()
        if not self.sample:
            return int(out.action[0])
        probs = torch.softmax(out.logits[0].float().cpu(), dim=-1)
        return int(torch.multinomial(probs, 1, generator=self.generator)[0])


def make_policy(
    spec: PolicySpec, env: Any, sample: bool = False, device: str = "cpu", agent: Any = None
) -> EvalPolicy:
    """Build the per-process policy for ``spec`` on ``env`` (``agent``: an already loaded one)."""
    if spec == "expert":
        return ExpertPolicy(env)
    if spec == "random":
        return RandomBaseline(env)
    if agent is None:
        from agent.model.agent import Agent

        agent = Agent.from_pretrained(spec, device=device)
    return AgentPolicy(agent, sample=sample)
