"""The privileged expert's figures on a task (``miniground expert``): success, path efficiency."""

from __future__ import annotations

import collections
import time
from typing import Any

import numpy as np
from tqdm import tqdm

from agent.rollout.episode import TeacherPolicy, make_env, run_episodes


def run_expert(task: str, episodes: int, seed: int = 0, **env_kwargs: Any) -> dict[str, Any]:
    """Run ``episodes`` seeded expert episodes (seeds seed..seed+N-1) and aggregate them."""
    if episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {episodes}")
    split = env_kwargs.pop("split", "train")
    env = make_env(task, split, **env_kwargs)
    seeds = [seed + ep for ep in range(episodes)]
    start = time.perf_counter()
    with tqdm(total=episodes, desc=f"expert {task}", unit="ep", leave=False) as bar:
        records = run_episodes(env, TeacherPolicy(env), seeds, progress=bar).records
    elapsed = time.perf_counter() - start
    env.close()
    outcomes = collections.Counter(r["outcome"] for r in records)
    ratios = [  # taken / shortest over the successes whose shortest path is known
        r["path_length"] / max(r["shortest_path_length"], 1e-6)
        for r in records
        if r["is_success"] and r["shortest_path_length"] is not None
    ]
    return {
        "task": task,
        "episodes": episodes,
        "seed": seed,
        "success_rate": outcomes["success"] / episodes,
        "outcomes": dict(outcomes),
        "mean_steps": float(np.mean([r["steps"] for r in records])),
        "path_length_ratio": float(np.mean(ratios)) if ratios else None,
        "steps_per_second": sum(r["steps"] for r in records) / elapsed,
        "failed_seeds": [r["seed"] for r in records if not r["is_success"]][:50],
    }
