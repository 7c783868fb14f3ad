"""How an episode ended: the failure taxonomy of every evaluation (pure, no env needed).

An episode ends in one of the task's outcomes (``success``, ``wrong_object``, ``timeout``); the
taxonomy splits the failures by what the step infos say about their cause:

- ``timeout_stuck``: a timeout that ended in a run of at least :data:`STUCK_RUN` consecutive move
  actions (``move_forward`` / ``move_back``) that did not move the agent (``info["moved"]`` False:
  pressing against a wall or an object);
- ``timeout_other``: any other timeout (wandering, turning in place, a shorter blocked run);
- ``timeout_unknown``: a timeout of an env whose info has no ``moved`` (older envs);
- ``wrong_object_seen``: the agent committed to another object after the target had been in view
  (``info["target_seen"]``): a choice, a grounding error;
- ``wrong_object_unseen``: the target was never in view: the agent did not look for it;
- ``wrong_object_unknown``: the env gives no visibility labels (``labels="none"``).

Any other outcome (e.g. ``unknown``) keeps its own name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

STUCK_RUN = 50
"""A timeout ending in at least this many blocked move actions in a row is ``timeout_stuck``."""

FAILURE_KINDS: tuple[str, ...] = (
    "success", "timeout_stuck", "timeout_other", "timeout_unknown", "wrong_object_seen",
    "wrong_object_unseen", "wrong_object_unknown",
)  # fmt: skip
"""Every kind of episode ending, in table order."""

MOVE_ACTIONS: frozenset[str] = frozenset({"move_forward", "move_back"})
"""Actions that change the agent's position: blocked when they leave it where it was."""


class BlockedRun:
    """The length of the run of blocked move actions that the steps so far ended in.

    ``value`` is 0 after a step that moved the agent or was not a move, None once a step's info
    had no ``moved`` (the env does not say whether the agent moved).
    """

    def __init__(self) -> None:
        self.value: int | None = 0

    def update(self, action_name: str | None, moved: bool | None) -> int | None:
        """Account for one step: the executed action's name and ``info.get("moved")``."""
        if moved is None or action_name is None:
            self.value = None
        elif action_name in MOVE_ACTIONS and not moved:
            self.value = (self.value or 0) + 1
        else:
            self.value = 0
        return self.value


def blocked_run(steps: Iterable[tuple[str | None, bool | None]]) -> int | None:
    """The blocked run an episode of ``(action name, moved)`` steps ended in (see BlockedRun)."""
    run = BlockedRun()
    for name, moved in steps:
        run.update(name, moved)
    return run.value


def classify(outcome: str, blocked: int | None, target_seen: bool | None) -> str:
    """The kind (a key of :data:`FAILURE_KINDS`, or ``outcome`` itself) of an episode ending.

    Args:
        outcome: the episode's outcome ("success", "wrong_object", "timeout", ...).
        blocked: the blocked run it ended in (None: unknown).
        target_seen: whether the target had been in view (None: unknown).
    """
    if outcome == "success":
        return "success"
    if outcome == "timeout":
        if blocked is None:
            return "timeout_unknown"
        return "timeout_stuck" if blocked >= STUCK_RUN else "timeout_other"
    if outcome == "wrong_object":
        if target_seen is None:
            return "wrong_object_unknown"
        return "wrong_object_seen" if target_seen else "wrong_object_unseen"
    return str(outcome)


def failure_of(record: Mapping[str, Any]) -> str:
    """A record's kind: its ``failure`` field, else classified from its outcome and fields."""
    kind = record.get("failure")
    if kind is not None:
        return str(kind)
    return classify(str(record["outcome"]), record.get("blocked_run"), record.get("target_seen"))


def failure_counts(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Episodes per kind: every key of :data:`FAILURE_KINDS`, plus any other outcome seen."""
    counts = dict.fromkeys(FAILURE_KINDS, 0)
    for r in records:
        kind = failure_of(r)
        counts[kind] = counts.get(kind, 0) + 1
    return counts
