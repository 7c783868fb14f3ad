"""Gymnasium registration of the MiniGround task ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: its entry point and a one-line description."""

    entry_point: str
    description: str


TASKS: dict[str, TaskSpec] = {
    "MiniGround/GoToObject-v0": TaskSpec(
        "envs.goto:GoToObjectEnv",
        "go to the named object among 4 distractors in one 8x8 m room (3 actions)",
    ),
    "MiniGround/GoToObjectHard-v0": TaskSpec(
        "envs.goto:GoToObjectHardEnv",
        "go-to with hard negatives: every distractor shares the target's colour or shape",
    ),
    "MiniGround/PickupObject-v0": TaskSpec(
        "envs.pickup:PickupObjectEnv",
        "pick up the named object among 4 distractors (4 actions)",
    ),
    "MiniGround/PutNext-v0": TaskSpec(
        "envs.putnext:PutNextEnv",
        "put one named object next to another, 3 distractors (5 actions)",
    ),
    "MiniGround/GoToObjectMultiRoom-v0": TaskSpec(
        "envs.multiroom:MultiRoomGoToEnv",
        "go to the named object in a 2x2 block of rooms; it may start out of view",
    ),
    "MiniGround/Sequence-v0": TaskSpec(
        "envs.sequence:SequenceEnv",
        "go to one named object, then another, in order, 3 distractors",
    ),
}

DEFAULT_TASK = "MiniGround/GoToObject-v0"


def task_ids() -> list[str]:
    """All MiniGround ids."""
    return list(TASKS)


def check_task(task_id: str) -> str:
    """Return ``task_id`` or raise a ValueError listing the MiniGround ids."""
    if task_id not in TASKS:
        raise ValueError(f"unknown task id {task_id!r}; the MiniGround ids are: {', '.join(TASKS)}")
    return task_id


def register_all() -> None:
    """Register every task with Gymnasium (idempotent)."""
    for task_id, spec in TASKS.items():
        if task_id not in gym.registry:
            gym.register(id=task_id, entry_point=spec.entry_point, kwargs={"task_id": task_id})


def make(task_id: str, **kwargs: Any) -> gym.Env:
    """``gymnasium.make`` for a MiniGround id, with a clear error for an unknown one."""
    check_task(task_id)
    return gym.make(task_id, **kwargs)
