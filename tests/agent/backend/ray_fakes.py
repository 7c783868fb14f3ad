"""Job wrappers for the Ray tests, importable on Ray's workers (kept free of test imports)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any


class KillOnce:
    """A job function that kills its own worker process (SIGKILL) the first time it runs job
    ``victim``, then behaves as ``fn``: a worker lost mid-task. ``marker`` records the kill."""

    def __init__(self, fn: Any, victim: int, marker: str, key: Any = None) -> None:
        self.fn, self.victim, self.marker, self.key = fn, victim, marker, key

    def __call__(self, shared: Any, job: Any) -> Any:
        index = self.key(job) if self.key else job
        if index == self.victim and not Path(self.marker).exists():
            Path(self.marker).write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return self.fn(shared, job)


def first_seed(spec: dict[str, Any]) -> int:
    """The first env seed of a demo shard spec."""
    return spec["seeds"][0]


def first_episode(chunk: Any) -> int:
    """The first episode index of an evaluation chunk."""
    return chunk.indices[0]
