"""Evaluation metrics: pure functions over per-episode records (plain dicts).

A record holds at least ``outcome`` ("success" | "wrong_object" | "timeout"), ``is_success``,
``steps``, ``path_length``, ``shortest_path_length``, ``target`` ([colour, shape]) and ``reached``
([colour, shape] of the object committed to, or None), and how it ended (``failure``, see
:mod:`agent.rollout.failures`; classified from ``blocked_run`` and ``target_seen`` when absent).
:func:`agent.eval.evaluation.evaluate` makes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from agent.rollout.episode import is_success, spl_term
from agent.rollout.failures import failure_counts

OUTCOMES: tuple[str, ...] = ("success", "wrong_object", "timeout")
"""Episode outcomes, in table order."""

CONFUSIONS: tuple[str, ...] = ("same_color", "same_shape", "neither")
"""What a wrong object shares with the target: its colour only, its shape only, or nothing."""

Record = dict[str, Any]


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (95% for z=1.96).

    Returns (0.0, 1.0) when ``n`` is 0 (no information).
    """
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


_success = is_success


def spl(records: Sequence[Record]) -> float:
    """Success weighted by path length (Anderson et al. 2018): the mean of each episode's
    :func:`~agent.rollout.episode.spl_term` (NaN for no records)."""
    if not records:
        return math.nan
    return sum(spl_term(r) for r in records) / len(records)


def outcome_counts(records: Sequence[Record]) -> dict[str, int]:
    """Episodes per outcome (every key of :data:`OUTCOMES`, plus any other outcome seen)."""
    counts = dict.fromkeys(OUTCOMES, 0)
    for r in records:
        key = str(r["outcome"])
        counts[key] = counts.get(key, 0) + 1
    return counts


def grounding_accuracy(records: Sequence[Record]) -> float | None:
    """Successes / (successes + wrong_object): of the objects committed to, the right ones.

    None when the agent committed to no object at all (only timeouts).
    """
    counts = outcome_counts(records)
    committed = counts["success"] + counts["wrong_object"]
    return counts["success"] / committed if committed else None


def confusion_kind(target: Sequence[str], reached: Sequence[str] | None) -> str:
    """Classify a wrong object against the target: a key of :data:`CONFUSIONS` or "unknown"."""
    if reached is None:
        return "unknown"
    same_color, same_shape = reached[0] == target[0], reached[1] == target[1]
    if same_color and not same_shape:
        return "same_color"
    if same_shape and not same_color:
        return "same_shape"
    return "neither" if not (same_color or same_shape) else "unknown"


def confusion(records: Sequence[Record]) -> dict[str, int]:
    """What the agent went to instead, over ``wrong_object`` episodes.

    Keys: same_color, same_shape, neither (and "unknown" only when a record lacks ``reached``).
    """
    counts = dict.fromkeys(CONFUSIONS, 0)
    for r in records:
        if r["outcome"] != "wrong_object":
            continue
        kind = confusion_kind(r["target"], r.get("reached"))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def per_target(records: Sequence[Record], z: float = 1.96) -> dict[str, dict[str, Any]]:
    """Success per named target ("red ball": episodes, successes, rate, Wilson interval, and
    wrong-object commits), sorted by name."""
    groups: dict[str, list[Record]] = {}
    for r in records:
        groups.setdefault(" ".join(r["target"]), []).append(r)
    out = {}
    for name in sorted(groups):
        rows = groups[name]
        wins = sum(_success(r) for r in rows)
        out[name] = {
            "episodes": len(rows),
            "successes": wins,
            "success_rate": wins / len(rows),
            "success_ci95": list(wilson_interval(wins, len(rows), z)),
            "wrong_object": sum(r["outcome"] == "wrong_object" for r in rows),
        }
    return out


def aggregate(records: Sequence[Record], z: float = 1.96) -> dict[str, Any]:
    """Every summary metric of a list of records, JSON-ready.

    Keys: episodes, successes, success_rate, success_ci95 ([low, high], Wilson), spl, outcomes
    (counts), outcome_rates, wrong_object_rate, grounding_accuracy, confusion (counts),
    failures (counts per kind of ending, every kind of ``FAILURE_KINDS``), failure_rates,
    mean_steps, mean_path_length, mean_shortest_path_length, per_target (success per named
    colour-shape pair); for a learned agent, episodes_with_unknown_words and unknown_words.
    """
    n = len(records)
    counts = outcome_counts(records)
    failures = failure_counts(records)
    successes = sum(_success(r) for r in records)
    low, high = wilson_interval(successes, n, z)

    def mean(key: str) -> float | None:
        values = [float(r[key]) for r in records if r[key] is not None]
        return sum(values) / len(values) if values else None

    return {
        "episodes": n,
        "successes": successes,
        "success_rate": successes / n if n else None,
        "success_ci95": [low, high],
        "spl": spl(records) if n else None,
        "outcomes": counts,
        "outcome_rates": {k: (v / n if n else None) for k, v in counts.items()},
        "wrong_object_rate": counts["wrong_object"] / n if n else None,
        "grounding_accuracy": grounding_accuracy(records),
        "confusion": confusion(records),
        "failures": failures,
        "failure_rates": {k: (v / n if n else None) for k, v in failures.items()},
        "mean_steps": mean("steps"),
        "mean_path_length": mean("path_length"),
        "mean_shortest_path_length": mean("shortest_path_length"),
        "per_target": per_target(records, z),
        **unknown_word_counts(records),
    }


def unknown_word_counts(records: Sequence[Record]) -> dict[str, Any]:
    """Episodes whose instruction held words the agent does not know, and those words' count
    (empty for records without ``unknown_words``: baselines read no words)."""
    counts = [int(r["unknown_words"]) for r in records if r.get("unknown_words") is not None]
    if not counts:
        return {}
    return {
        "episodes_with_unknown_words": sum(c > 0 for c in counts),
        "unknown_words": sum(counts),
    }
