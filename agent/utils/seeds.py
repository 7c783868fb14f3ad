"""The three env-seed ranges, never mixed: training data, validation, final evaluation.

- training data: demos (``seed .. seed + episodes - 1``, from 0), DAgger rollouts, captioned
  grounding frames and PPO's env resets (from 3,000,000);
- validation, where every lever, default and hyper-parameter is chosen: 1,000,000 .. 1,999,999
  (DAgger's keep-or-drop check starts at 1,000,000; lever comparisons at 1,100,000);
- final evaluation, reported and never tuned on: 2,000,000 .. 2,999,999.
"""

from __future__ import annotations

import warnings

VALIDATION_SEEDS = range(1_000_000, 2_000_000)
"""Validation layouts: choose levers, defaults and hyper-parameters here."""
FINAL_EVAL_SEEDS = range(2_000_000, 3_000_000)
"""Final-evaluation layouts: report them, never tune on them."""
ONLINE_TRAINING_START = 3_000_000
"""First seed of env layouts generated while training (DAgger, grounding frames, PPO)."""
LEVER_SEED = 1_100_000
"""First validation seed of lever comparisons."""
DEFAULT_EVAL_SEED = FINAL_EVAL_SEEDS.start
"""``miniground eval``'s default first seed."""


def seed_range_name(first: int, count: int) -> str:
    """The range that seeds first .. first + count - 1 lie in ('mixed' when several)."""
    last = first + count - 1
    for name, rng in (("validation", VALIDATION_SEEDS), ("final evaluation", FINAL_EVAL_SEEDS)):
        if first in rng and last in rng:
            return name
    if last < VALIDATION_SEEDS.start or first >= ONLINE_TRAINING_START:
        return "training data"
    return "mixed"


def warn_if_training_seeds(first: int, count: int, demo_seeds: tuple[int, int] | None) -> bool:
    """Warn (and return True) when evaluation seeds overlap the demos' seeds ``[lo, hi)``."""
    if demo_seeds is None:
        return False
    lo, hi = demo_seeds
    if first < hi and lo < first + count:
        warnings.warn(
            f"evaluation seeds {first}..{first + count - 1} overlap the checkpoint's demo seeds "
            f"{lo}..{hi - 1}: these layouts were trained on; use --seed "
            f"{DEFAULT_EVAL_SEED} (final evaluation) or {LEVER_SEED} (validation)",
            stacklevel=2,
        )
        return True
    return False


def online_training_seed(x: int) -> int:
    """Map any non-negative integer into the training range above the other two (for PPO resets)."""
    return ONLINE_TRAINING_START + int(x) % (2**31 - ONLINE_TRAINING_START)
