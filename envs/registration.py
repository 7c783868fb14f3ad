"""Gymnasium registration of the MiniGround task ids."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium as gym


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: its entry point, a one-line description, its default step limit and
    the keyword arguments its id passes to the env class."""

    entry_point: str
    description: str
    max_steps: int = 200
    """``max_episode_steps`` of the spec; the env class's ``default_max_steps`` (tested)."""
    kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of the env class that this id sets (``-v1``: the sensor)."""


V1_CAM_PITCH = -20.0
"""The ``-v1`` camera's pitch in degrees (down): the target stays in view up to the commit
(``miniground bench sensor``)."""
V1_KWARGS: dict[str, Any] = {"cam_pitch": V1_CAM_PITCH, "proprioception": True}
"""What ``-v1`` changes against ``-v0``: the camera looks down, and the observation carries the
previous action and the bump sensor. Same classes, rules and rewards."""

V0_TASKS: dict[str, TaskSpec] = {
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
        max_steps=400,
    ),
    "MiniGround/GoToObjectMultiRoom-v0": TaskSpec(
        "envs.multiroom:MultiRoomGoToEnv",
        "go to the named object in a 2x2 block of rooms; it may start out of view",
        max_steps=500,
    ),
    "MiniGround/Sequence-v0": TaskSpec(
        "envs.sequence:SequenceEnv",
        "go to one named object, then another, in order, 3 distractors",
        max_steps=400,
    ),
}
"""The first sensor: a level camera, image and mission only. Kept unchanged (committed records)."""


def _v1(spec: TaskSpec) -> TaskSpec:
    """The ``-v1`` spec of a ``-v0`` one: the same task with the new sensor."""
    sensor = f"; camera {-V1_CAM_PITCH:g} deg down, previous action and bump sensor"
    return replace(spec, description=spec.description + sensor, kwargs=dict(V1_KWARGS))


TASKS: dict[str, TaskSpec] = {
    **V0_TASKS,
    **{task_id.replace("-v0", "-v1"): _v1(spec) for task_id, spec in V0_TASKS.items()},
}
"""Every registered id: the ``-v0`` ids, then their ``-v1`` versions."""

DEFAULT_TASK = "MiniGround/GoToObject-v1"


def task_ids() -> list[str]:
    """All MiniGround ids."""
    return list(TASKS)


def check_task(task_id: str) -> str:
    """Return ``task_id`` or raise a ValueError listing the MiniGround ids."""
    if task_id not in TASKS:
        raise ValueError(f"unknown task id {task_id!r}; the MiniGround ids are: {', '.join(TASKS)}")
    return task_id


def register_all() -> None:
    """Register every task with Gymnasium (idempotent), with its ``max_episode_steps``."""
    for task_id, spec in TASKS.items():
        if task_id not in gym.registry:
            gym.register(
                id=task_id,
                entry_point=spec.entry_point,
                kwargs={"task_id": task_id, **spec.kwargs},
                max_episode_steps=spec.max_steps,
            )


def make(task_id: str, **kwargs: Any) -> gym.Env:
    """``gymnasium.make`` for a MiniGround id, with a clear error for an unknown one.

    The env's own step limit (``max_steps``) and the spec's ``max_episode_steps`` (Gymnasium's
    ``TimeLimit``) are kept equal: either keyword sets both. Plain ``gymnasium.make`` with a
    non-default ``max_steps`` must be given the same ``max_episode_steps``.
    """
    check_task(task_id)
    steps = kwargs.get("max_steps")
    limit = kwargs.pop("max_episode_steps", None)
    if steps is not None and limit is not None and int(steps) != int(limit):
        raise ValueError(
            f"max_steps={steps} and max_episode_steps={limit} disagree; pass one of them"
        )
    if steps is not None or limit is not None:
        kwargs["max_steps"] = int(steps if steps is not None else limit)
        kwargs["max_episode_steps"] = kwargs["max_steps"]
    return gym.make(task_id, **kwargs)
