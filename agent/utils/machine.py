"""What this machine offers the learner and its env workers: cores, and PPO's parallelism."""

from __future__ import annotations

import os

MIN_ENVS, MAX_ENVS = 4, 16
"""PPO env workers: at least 4 (a rollout of varied layouts), at most 16."""
MAX_UPDATE_THREADS = 8
"""Torch threads beyond this gain little for our model's minibatches."""


def cpu_cores() -> int:
    """Cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def ppo_parallelism(cores: int) -> tuple[int, int]:
    """(env workers, learner threads during the update) for a machine with ``cores`` cores.

    One env worker per core, between 4 and 16: each renders single-threaded (llvmpipe with
    ``LP_NUM_THREADS=0``), and while they step the learner keeps one thread. During the update the
    workers wait, so the learner may take every core (up to 8), but not on 2-3 cores, where a
    second thread made the update 15x slower once other work shared the machine.
    """
    envs = min(max(cores, MIN_ENVS), MAX_ENVS)
    update_threads = min(cores, MAX_UPDATE_THREADS) if cores >= 4 else 1
    return envs, update_threads
