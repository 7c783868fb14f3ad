"""Run the privileged expert and report success and path efficiency (``miniground expert``)."""

from __future__ import annotations

import collections
import time
from typing import Any

import numpy as np
from tqdm import tqdm

import envs
from policies.expert import Expert


def run_expert(task: str, episodes: int, seed: int = 0, **env_kwargs: Any) -> dict[str, Any]:
    """Run ``episodes`` seeded expert episodes (seeds seed..seed+N-1) and aggregate them."""
    if episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {episodes}")
    env = envs.make(task, **env_kwargs)
    expert = Expert(env)
    outcomes: collections.Counter[str] = collections.Counter()
    steps, ratios, failed = [], [], []
    start = time.perf_counter()
    total_steps = 0
    for ep in tqdm(range(episodes), desc=f"expert {task}", unit="ep", leave=False):
        env.reset(seed=seed + ep)
        done, info = False, {}
        while not done:
            _, _, terminated, truncated, info = env.step(expert())
            done = terminated or truncated
        total_steps += info["step"]
        outcomes[info["outcome"]] += 1
        steps.append(info["step"])
        if info["is_success"]:
            ratios.append(info["path_length"] / max(info["shortest_path_length"], 1e-6))
        else:
            failed.append(seed + ep)
    elapsed = time.perf_counter() - start
    env.close()
    return {
        "task": task,
        "episodes": episodes,
        "seed": seed,
        "success_rate": outcomes["success"] / episodes,
        "outcomes": dict(outcomes),
        "mean_steps": float(np.mean(steps)),
        "path_length_ratio": float(np.mean(ratios)) if ratios else None,
        "steps_per_second": total_steps / elapsed,
        "failed_seeds": failed[:50],
    }


def format_report(report: dict[str, Any]) -> str:
    ratio = report["path_length_ratio"]
    outcomes = ", ".join(f"{k}={v}" for k, v in sorted(report["outcomes"].items()))
    return "\n".join(
        [
            f"task              {report['task']}",
            f"episodes          {report['episodes']} (seeds {report['seed']}..)",
            f"success rate      {100 * report['success_rate']:.1f}%",
            f"outcomes          {outcomes}",
            f"mean steps        {report['mean_steps']:.1f}",
            f"path-length ratio {'n/a' if ratio is None else f'{ratio:.3f}'} (taken / shortest)",
            f"steps/s           {report['steps_per_second']:.0f}",
        ]
    )
