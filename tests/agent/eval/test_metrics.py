"""Evaluation metrics on synthetic episode records, against hand-computed values."""

from __future__ import annotations

import math

import pytest

from agent.eval.metrics import (
    aggregate,
    confusion,
    confusion_kind,
    grounding_accuracy,
    outcome_counts,
    spl,
    wilson_interval,
)
from agent.rollout.failures import FAILURE_KINDS


def rec(outcome: str, shortest: float | None = 2.0, taken: float = 2.0, reached=None, steps=10):
    """A synthetic record; the target is always the red ball."""
    return {
        "outcome": outcome,
        "is_success": outcome == "success",
        "steps": steps,
        "path_length": taken,
        "shortest_path_length": shortest,
        "target": ["red", "ball"],
        "reached": reached,
    }


@pytest.mark.parametrize(
    ("successes", "n", "expected"),
    [
        (8, 10, (0.4902, 0.9433)),  # p=0.8: centre 0.99208/1.38416, half 0.31362/1.38416
        (0, 10, (0.0, 0.2775)),
        (10, 10, (0.7225, 1.0)),
        (50, 100, (0.4038, 0.5962)),
    ],
)
def test_wilson_interval_hand_computed(successes, n, expected) -> None:
    low, high = wilson_interval(successes, n)
    assert low == pytest.approx(expected[0], abs=1e-4)
    assert high == pytest.approx(expected[1], abs=1e-4)


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(3, 3)[1] == 1.0 and wilson_interval(0, 3)[0] == 0.0
    low99, high99 = wilson_interval(8, 10, z=2.576)
    low95, high95 = wilson_interval(8, 10)
    assert low99 < low95 and high99 > high95
    for bad in ((4, 3), (-1, 3), (0, -1)):
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(*bad)


def test_spl_hand_computed() -> None:
    records = [
        rec("success", shortest=2.0, taken=4.0),  # 2 / 4 = 0.5
        rec("success", shortest=3.0, taken=3.0),  # 1
        rec("success", shortest=2.0, taken=1.0),  # shorter than the grid's shortest: 2 / 2 = 1
        rec("wrong_object", shortest=2.0, taken=1.0),  # 0
    ]
    assert spl(records) == pytest.approx((0.5 + 1 + 1 + 0) / 4)
    assert spl([rec("success", shortest=0.0, taken=0.0)]) == 1.0
    assert spl([rec("success", shortest=None, taken=5.0)]) == 1.0
    assert spl([rec("timeout")]) == 0.0
    assert math.isnan(spl([]))


def test_grounding_accuracy_and_outcomes() -> None:
    records = [rec("success")] * 3 + [rec("wrong_object", reached=["red", "box"])] * 2
    records += [rec("timeout")] * 5
    assert grounding_accuracy(records) == pytest.approx(3 / 5)
    assert outcome_counts(records) == {"success": 3, "wrong_object": 2, "timeout": 5}
    assert grounding_accuracy([rec("timeout")] * 4) is None


def test_confusion_table() -> None:
    assert confusion_kind(["red", "ball"], ["red", "box"]) == "same_color"
    assert confusion_kind(["red", "ball"], ["blue", "ball"]) == "same_shape"
    assert confusion_kind(["red", "ball"], ["green", "key"]) == "neither"
    assert confusion_kind(["red", "ball"], None) == "unknown"
    records = [
        rec("wrong_object", reached=["red", "box"]),
        rec("wrong_object", reached=["red", "key"]),
        rec("wrong_object", reached=["blue", "ball"]),
        rec("wrong_object", reached=["green", "key"]),
        rec("success", reached=["red", "ball"]),
        rec("timeout"),
    ]
    assert confusion(records) == {"same_color": 2, "same_shape": 1, "neither": 1}
    assert confusion([rec("wrong_object")])["unknown"] == 1


def test_aggregate_hand_computed() -> None:
    records = [
        rec("success", shortest=2.0, taken=4.0, reached=["red", "ball"], steps=20),
        rec("success", shortest=3.0, taken=3.0, reached=["red", "ball"], steps=10),
        rec("wrong_object", shortest=2.0, taken=1.0, reached=["blue", "ball"], steps=6),
        rec("timeout", shortest=1.0, taken=8.0, steps=200),
    ]
    agg = aggregate(records)
    assert agg["episodes"] == 4 and agg["successes"] == 2
    assert agg["success_rate"] == 0.5
    assert agg["success_ci95"] == pytest.approx(list(wilson_interval(2, 4)))
    assert agg["spl"] == pytest.approx((0.5 + 1.0) / 4)
    assert agg["outcomes"] == {"success": 2, "wrong_object": 1, "timeout": 1}
    assert agg["outcome_rates"]["timeout"] == 0.25
    assert agg["wrong_object_rate"] == 0.25
    assert agg["grounding_accuracy"] == pytest.approx(2 / 3)
    assert agg["confusion"] == {"same_color": 0, "same_shape": 1, "neither": 0}
    assert agg["mean_steps"] == pytest.approx(59.0)
    assert agg["mean_path_length"] == pytest.approx(4.0)
    assert agg["mean_shortest_path_length"] == pytest.approx(2.0)
    empty = aggregate([])
    assert empty["episodes"] == 0 and empty["success_rate"] is None and empty["spl"] is None


def test_aggregate_failure_taxonomy() -> None:
    records = [
        rec("success"),
        {**rec("timeout"), "blocked_run": 50, "target_seen": True},
        {**rec("timeout"), "blocked_run": 49, "target_seen": True},
        {**rec("wrong_object"), "blocked_run": 0, "target_seen": True},
        {**rec("wrong_object"), "failure": "wrong_object_unseen"},
        rec("timeout"),  # no blocked_run: unknown
    ]
    agg = aggregate(records)
    assert list(agg["failures"]) == list(FAILURE_KINDS)  # every kind, in table order
    assert agg["failures"] == {
        "success": 1, "timeout_stuck": 1, "timeout_other": 1, "timeout_unknown": 1,
        "wrong_object_seen": 1, "wrong_object_unseen": 1, "wrong_object_unknown": 0,
    }  # fmt: skip
    assert agg["failure_rates"]["timeout_stuck"] == pytest.approx(1 / 6)
    assert sum(agg["failure_rates"].values()) == pytest.approx(1.0)
    assert agg["outcomes"] == {"success": 1, "wrong_object": 2, "timeout": 3}  # kept as they were
    empty = aggregate([])
    assert empty["failures"] == dict.fromkeys(FAILURE_KINDS, 0)
    assert set(empty["failure_rates"].values()) == {None}
