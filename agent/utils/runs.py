"""Run directories: ``runs/<experiment>__<seed>__<timestamp>/``."""

from __future__ import annotations

import os
import time
from pathlib import Path


def runs_root() -> Path:
    """Where runs go: ``$MINIGROUND_RUNS`` or ``./runs``."""
    return Path(os.environ.get("MINIGROUND_RUNS", "runs"))


def make_run_dir(name: str, seed: int | None = None) -> Path:
    """Create and return a fresh run directory (a numeric suffix avoids collisions)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"{name}__{seed}__{stamp}" if seed is not None else f"{name}__{stamp}"
    path = runs_root() / base
    k = 1
    while path.exists():
        k += 1
        path = runs_root() / f"{base}-{k}"
    path.mkdir(parents=True)
    return path
