"""The failure taxonomy: blocked runs and classification, on synthetic steps, records and envs."""

from __future__ import annotations

from typing import Any

import pytest

from agent.rollout.episode import run_episode, run_episodes
from agent.rollout.failures import (
    FAILURE_KINDS,
    STUCK_RUN,
    blocked_run,
    classify,
    failure_counts,
    failure_of,
)

BLOCKED = ("move_forward", False)
TURN = ("turn_left", True)


def test_stuck_run_of_exactly_49_and_50() -> None:
    assert STUCK_RUN == 50
    assert blocked_run([TURN] + [BLOCKED] * 49) == 49
    assert classify("timeout", 49, True) == "timeout_other"
    assert blocked_run([BLOCKED] * 50) == 50
    assert classify("timeout", 50, True) == "timeout_stuck"
    assert blocked_run([("move_back", False)] * 60) == 60  # backing into a wall counts too


def test_a_turn_or_a_real_move_interrupts_the_run() -> None:
    assert blocked_run([BLOCKED] * 40 + [TURN] + [BLOCKED] * 20) == 20
    assert blocked_run([BLOCKED] * 80 + [TURN]) == 0
    assert blocked_run([BLOCKED] * 80 + [("move_forward", True)]) == 0
    assert blocked_run([BLOCKED] * 80 + [("pickup", False)]) == 0  # not a move
    assert blocked_run([]) == 0


def test_missing_moved_makes_the_run_unknown() -> None:
    assert blocked_run([BLOCKED] * 60 + [("move_forward", None)]) is None
    assert blocked_run([BLOCKED, (None, False)]) is None  # the action has no name
    assert classify("timeout", None, True) == "timeout_unknown"


def test_wrong_object_seen_unseen_unknown() -> None:
    assert classify("wrong_object", 0, True) == "wrong_object_seen"
    assert classify("wrong_object", 0, False) == "wrong_object_unseen"
    assert classify("wrong_object", 0, None) == "wrong_object_unknown"
    assert classify("wrong_object", None, None) == "wrong_object_unknown"
    assert classify("success", 70, None) == "success"
    assert classify("unknown", 0, True) == "unknown"  # any other outcome keeps its name


def test_records_and_counts() -> None:
    records = [
        {"outcome": "success"},
        {"outcome": "timeout", "blocked_run": 50, "target_seen": False},
        {"outcome": "timeout"},  # an older record: no blocked_run
        {"outcome": "wrong_object", "target_seen": True},
        {"outcome": "wrong_object", "failure": "wrong_object_unseen"},  # the field wins
        {"outcome": "unknown"},
    ]
    assert [failure_of(r) for r in records] == [
        "success", "timeout_stuck", "timeout_unknown", "wrong_object_seen",
        "wrong_object_unseen", "unknown",
    ]  # fmt: skip
    counts = failure_counts(records)
    assert list(counts)[: len(FAILURE_KINDS)] == list(FAILURE_KINDS)
    assert counts["timeout_other"] == 0 and counts["unknown"] == 1
    assert sum(counts.values()) == len(records)


class _Corridor:
    """A fake env: every move_forward is blocked (a wall ahead), turns turn; the target is in
    view from step ``seen_at`` on; ``commit_at`` ends the episode on a wrong object."""

    action_names = ("turn_left", "turn_right", "move_forward")

    def __init__(self, max_steps: int, seen_at: int | None = None, commit_at: int | None = None,
                 moved: bool = True, seen: bool = True) -> None:  # fmt: skip
        self.max_steps, self.seen_at, self.commit_at = max_steps, seen_at, commit_at
        self.has_moved, self.has_seen = moved, seen
        self.unwrapped = self

    def _info(self, moved: bool, outcome: str | None) -> dict[str, Any]:
        info = {
            "split": "train", "mission": "go to the red key", "target_color": "red",
            "target_shape": "key", "outcome": outcome, "is_success": outcome == "success",
            "step": self.t, "path_length": 0.0, "shortest_path_length": 2.0,
            "reached_color": "blue" if outcome == "wrong_object" else None,
            "reached_shape": "box" if outcome == "wrong_object" else None,
        }  # fmt: skip
        if self.has_moved:
            info["moved"] = moved
        if self.has_seen:
            info["target_seen"] = self.seen_at is not None and self.t >= self.seen_at
        return info

    def reset(self, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
        self.t = 0
        return {"image": None, "mission": "go to the red key"}, self._info(False, None)

    def step(self, action: int):
        self.t += 1
        outcome = "wrong_object" if self.t == self.commit_at else None
        if outcome is None and self.t >= self.max_steps:
            outcome = "timeout"
        info = self._info(action != 2, outcome)
        obs = {"image": None, "mission": "go to the red key"}
        return obs, 0.0, outcome == "wrong_object", outcome == "timeout", info


class _Script:
    """Plays ``actions`` (then keeps pressing forward)."""

    attention = None

    def __init__(self, actions: list[int]) -> None:
        self.actions = actions

    def reset(self, seed: int) -> None:
        self.t = 0

    def act(self, obs: dict) -> int:
        self.t += 1
        return self.actions[self.t - 1] if self.t <= len(self.actions) else 2


@pytest.mark.parametrize(
    ("turns", "blocked", "kind"),
    [(11, 49, "timeout_other"), (10, 50, "timeout_stuck"), (0, 60, "timeout_stuck")],
)
def test_run_episode_records_the_blocked_run(turns: int, blocked: int, kind: str) -> None:
    env = _Corridor(max_steps=60)
    record = run_episode(env, _Script([0] * turns), 0, 1)
    assert record["outcome"] == "timeout" and record["steps"] == 60
    assert record["blocked_run"] == blocked and record["failure"] == kind
    assert record["target_seen"] is False


def test_run_episode_interrupted_run_and_missing_labels() -> None:
    # 30 presses, one turn, 29 presses: a run of 29, not 59
    record = run_episode(_Corridor(max_steps=60), _Script([2] * 30 + [0]), 0, 1)
    assert record["blocked_run"] == 29 and record["failure"] == "timeout_other"
    # an env without "moved" in its info: the run is unknown
    record = run_episode(_Corridor(max_steps=60, moved=False), _Script([]), 0, 1)
    assert record["blocked_run"] is None and record["failure"] == "timeout_unknown"
    # wrong objects: the target seen before the commit, never seen, no visibility labels
    seen = run_episode(_Corridor(60, seen_at=5, commit_at=20), _Script([0] * 30), 0, 1)
    assert seen["outcome"] == "wrong_object" and seen["failure"] == "wrong_object_seen"
    assert seen["target_seen"] is True and seen["blocked_run"] == 0
    unseen = run_episode(_Corridor(60, commit_at=20), _Script([0] * 30), 0, 1)
    assert unseen["failure"] == "wrong_object_unseen" and unseen["target_seen"] is False
    unknown = run_episode(_Corridor(60, commit_at=20, seen=False), _Script([0] * 30), 0, 1)
    assert unknown["failure"] == "wrong_object_unknown" and unknown["target_seen"] is None


def test_rollout_result_counts_failures() -> None:
    result = run_episodes(_Corridor(max_steps=60), _Script([]), [1, 2])
    assert result.failures["timeout_stuck"] == 2 and result.failures["success"] == 0
