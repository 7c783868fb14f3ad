"""The ONE single-env episode loop: evaluation, videos, demos, DAgger, the expert report.

:func:`run_episode` runs one seeded episode of a policy (anything with ``reset(seed)`` and
``act(obs) -> action``: the expert or teacher, a learned agent, a baseline) and returns its record;
its statistics (outcome, SPL, path lengths) are computed here once. What varies between uses is a
:class:`StepHook`: it may replace the policy's action before the env steps (DAgger's beta mixing)
and sees every transition (recording demonstrations, labelling states with the expert).
:func:`run_episodes` loops over seeds and summarises the records (:class:`RolloutResult`).
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from agent.data.episodes import proprio_of
from agent.rollout.failures import BlockedRun, classify, failure_counts

Record = dict[str, Any]
"""One episode's outcome: seeds, mission, target, outcome, steps, return, path lengths, reached,
and how it ended (``blocked_run``, ``target_seen``, ``failure``: :mod:`agent.rollout.failures`)."""


class EpisodePolicy(Protocol):
    """What :func:`run_episode` drives: reset at each episode start, then one action per step."""

    attention: np.ndarray | None

    def reset(self, seed: int) -> None:
        """Start an episode whose policy randomness is seeded with ``seed``."""

    def act(self, obs: dict[str, Any]) -> int:
        """The action for ``obs``."""


StepCallback = Callable[[dict[str, Any], int | None, dict[str, Any], EpisodePolicy], None]
"""Called as ``callback(obs, action, info, policy)`` after reset (action None) and every step."""


class StepHook:
    """Sees every step of :func:`run_episode`; the base class changes nothing."""

    def act(self, obs: dict[str, Any], info: dict[str, Any], action: int) -> int:
        """The action to execute in the state ``obs``/``info`` where the policy chose ``action``."""
        return action

    def step(self, obs: dict[str, Any], info: dict[str, Any], action: int, reward: float) -> None:
        """``action`` was executed in the state ``obs``/``info`` and earned ``reward``."""

    def end(self, obs: dict[str, Any], info: dict[str, Any], record: Record) -> None:
        """The episode ended in ``obs``/``info``; ``record`` is its record."""


def make_env(task: str, split: str, **env_kwargs: Any) -> Any:
    """``envs.make`` with MiniWorld's start-up chatter on stdout silenced."""
    import envs

    with contextlib.redirect_stdout(io.StringIO()):
        return envs.make(task, split=split, **env_kwargs)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def run_episode(
    env: Any,
    policy: EpisodePolicy,
    episode: int,
    seed: int,
    callback: StepCallback | None = None,
    hook: StepHook | None = None,
) -> Record:
    """Run one episode with env seed and policy seed ``seed``; return its record.

    The record's ``blocked_run`` is the run of blocked moves the episode ended in (None when the
    env's info has no ``moved``), ``target_seen`` the final ``info["target_seen"]`` (None when the
    env gives no visibility labels) and ``failure`` the kind of ending
    (:func:`agent.rollout.failures.classify`).
    """
    hook = hook or StepHook()
    names = getattr(getattr(env, "unwrapped", env), "action_names", None)
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    if callback is not None:
        callback(obs, None, info, policy)
    total, done, truncated = 0.0, False, False
    blocked = BlockedRun()
    while not done:
        action = hook.act(obs, info, policy.act(obs))
        next_obs, reward, terminated, truncated, next_info = env.step(action)
        hook.step(obs, info, action, float(reward))
        obs, info = next_obs, next_info
        moved = info.get("moved")
        blocked.update(None if names is None else names[int(action)],
                       None if moved is None else bool(moved))  # fmt: skip
        total += float(reward)
        done = terminated or truncated
        if callback is not None:
            callback(obs, action, info, policy)
    reached = info["reached_color"]
    outcome = info["outcome"] or ("timeout" if truncated else "unknown")
    seen = info.get("target_seen")
    seen = None if seen is None else bool(seen)
    record = {
        "episode": episode,
        "seed": seed,
        "split": info["split"],
        "mission": info["mission"],
        "target": [info["target_color"], info["target_shape"]],
        "outcome": outcome,
        "is_success": bool(info["is_success"]),
        "steps": int(info["step"]),
        "return": total,
        "path_length": float(info["path_length"]),
        "shortest_path_length": _finite(info["shortest_path_length"]),
        "reached": None if reached is None else [reached, info["reached_shape"]],
        "blocked_run": blocked.value,
        "target_seen": seen,
        "failure": classify(outcome, blocked.value, seen),
    }
    if (unknown := getattr(policy, "unknown_words", None)) is not None:
        record["unknown_words"] = int(unknown)  # of the instruction the policy read
    hook.end(obs, info, record)
    return record


# --------------------------------------------------------------------------- statistics
def is_success(record: Record) -> bool:
    """Whether an episode record ended in success."""
    return bool(record.get("is_success", record.get("outcome") == "success"))


def spl_term(record: Record) -> float:
    """One episode's SPL term S * l / max(p, l) (Anderson et al. 2018).

    ``l`` is the shortest path, ``p`` the path taken. A success with ``l == p == 0`` counts 1, and
    so does one whose shortest path is unknown (None: the planner found no route).
    """
    if not is_success(record):
        return 0.0
    taken = float(record["path_length"])
    known = record["shortest_path_length"] is not None
    shortest = float(record["shortest_path_length"]) if known else taken
    longest = max(shortest, taken)
    return 1.0 if longest <= 0 else shortest / longest


@dataclass
class RolloutResult:
    """The records of several episodes and the figures read from them."""

    records: list[Record] = field(default_factory=list)
    episodes: Any = None
    """Episodes recorded by a hook (DAgger's labelled frames), if any."""

    @property
    def outcomes(self) -> list[str]:
        """Each episode's outcome."""
        return [r["outcome"] for r in self.records]

    @property
    def steps(self) -> list[int]:
        """Each episode's length."""
        return [r["steps"] for r in self.records]

    @property
    def spl_terms(self) -> list[float]:
        """Each episode's SPL term (their mean is the SPL)."""
        return [spl_term(r) for r in self.records]

    @property
    def failures(self) -> dict[str, int]:
        """Episodes per kind of ending (:func:`agent.rollout.failures.failure_counts`): how many
        timed out stuck against a wall, committed to a wrong object after seeing the target..."""
        return failure_counts(self.records)

    @property
    def success_rate(self) -> float:
        """Fraction of episodes that ended in success."""
        return self.outcome_rate("success")

    def outcome_rate(self, outcome: str) -> float:
        """Fraction of episodes that ended with ``outcome``."""
        return float(np.mean([o == outcome for o in self.outcomes])) if self.records else 0.0


def run_episodes(
    env: Any,
    policy: EpisodePolicy,
    seeds: Sequence[int],
    hook: StepHook | None = None,
    progress: Any = None,
) -> RolloutResult:
    """One episode per seed (episode index = position in ``seeds``); ``progress``: a tqdm bar."""
    result = RolloutResult()
    for i, seed in enumerate(seeds):
        result.records.append(run_episode(env, policy, i, int(seed), hook=hook))
        if progress is not None:
            progress.update(1)
    return result


# --------------------------------------------------------------------------- policies and hooks
class TeacherPolicy:
    """The privileged expert or the scanning teacher (``policies.teacher``) acting in ``env``."""

    attention: np.ndarray | None = None

    def __init__(self, env: Any, kind: str = "expert") -> None:
        from policies.teacher import make_teacher

        self.teacher = make_teacher(env, kind)

    def reset(self, seed: int) -> None:
        """The teacher is stateless across episodes."""

    def act(self, obs: dict[str, Any]) -> int:
        """The teacher's action in the env's current state."""
        return int(self.teacher())


class RecordSteps(StepHook):
    """Record every executed step (frame, info labels, action, reward) into ``builder``."""

    def __init__(self, builder: Any) -> None:
        self.builder = builder

    def step(self, obs: dict[str, Any], info: dict[str, Any], action: int, reward: float) -> None:
        self.builder.add_step(obs["image"], info, action, reward, proprio_of(obs))

    def end(self, obs: dict[str, Any], info: dict[str, Any], record: Record) -> None:
        self.builder.end_episode(obs["mission"], info["outcome"], record["seed"])


class TeacherLabels(StepHook):
    """DAgger: label every visited state with the teacher's action (recorded into ``builder``
    when given), and execute the label instead of the policy's action with probability ``beta``."""

    def __init__(
        self, env: Any, teacher: str, beta: float, rng: np.random.Generator, builder: Any = None
    ) -> None:
        self.teacher = TeacherPolicy(env, teacher)
        self.beta, self.rng, self.builder = beta, rng, builder

    def act(self, obs: dict[str, Any], info: dict[str, Any], action: int) -> int:
        label = self.teacher.act(obs)
        if self.builder is not None:
            self.builder.add_step(obs["image"], info, label, 0.0, proprio_of(obs))
        if self.beta > 0 and self.rng.random() < self.beta:
            return label
        return action

    def end(self, obs: dict[str, Any], info: dict[str, Any], record: Record) -> None:
        if self.builder is not None:
            self.builder.end_episode(obs["mission"], info["outcome"], record["seed"])
