"""Learning-rate schedules of the trainers (each returns the rate at one step)."""

from __future__ import annotations

import math


def warmup_cosine(step: int, total: int, peak: float, warmup: int, final_ratio: float) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay from ``peak`` to
    ``peak * final_ratio`` at step ``total`` (behaviour cloning, DAgger rounds)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    floor = peak * final_ratio
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * progress))


def cosine_to_tenth(step: int, total: int, peak: float) -> float:
    """Cosine decay from ``peak`` to a tenth of it over ``total`` steps (grounding pretraining)."""
    progress = step / max(1, total)
    return peak * (0.1 + 0.45 * (1 + math.cos(math.pi * progress)))


def linear_to_zero(step: int, total: int, peak: float) -> float:
    """Linear decay from ``peak`` at step 0 to 0 at step ``total`` (PPO's annealing)."""
    return (1.0 - step / total) * peak
