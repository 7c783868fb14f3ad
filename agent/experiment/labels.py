"""The order of stages and splits in RESULTS.md, and how a row's stage is named."""

from __future__ import annotations

from typing import Any

STAGES: tuple[str, ...] = ("bc", "dagger", "ppo")
SPLITS: tuple[str, ...] = ("train", "heldout_combos", "paraphrase")


def split_key(split: str) -> int:
    """Sort key: the known splits in their order, any other after them."""
    return SPLITS.index(split) if split in SPLITS else len(SPLITS)


def stage_label(row: dict[str, Any]) -> str:
    """The stage a row was evaluated after, saying when DAgger's round was dropped."""
    if row["stage"] == "dagger" and row.get("kept") == "bc":
        return "dagger (BC kept)"
    return str(row["stage"])
