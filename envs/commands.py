"""``miniground envs`` (list the tasks) and ``miniground bench envs`` (simulation speed).

The benchmark runs each measurement in its own spawned process (one MiniWorld env per process,
as rendering requires), one after another, alternating the three kinds over several rounds so
that load changes hit all of them alike; it reports medians and their ratios.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import time
from typing import Any

from envs.registration import DEFAULT_TASK, TASKS, check_task

RAW_ID = "MiniWorld-PickupObjects-v0"
"""Built-in room with five boxes, balls and keys: the same scene load as GoToObject."""


def list_main(argv: list[str] | None = None) -> int:
    """Print every task id with its description."""
    parser = argparse.ArgumentParser(prog="miniground envs", description="List the task ids.")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps({k: v.description for k, v in TASKS.items()}, indent=2))
        return 0
    width = max(len(k) for k in TASKS)
    for task_id, spec in TASKS.items():
        print(f"{task_id:<{width}}  {spec.description}")
    return 0


def _measure(kind: str, task: str, seconds: float, seed: int, queue: Any) -> None:
    """Step one env for ``seconds`` in this (spawned) process; put steps/s on ``queue``."""
    import gymnasium as gym
    import numpy as np

    import envs

    if kind == "raw":
        import miniworld  # noqa: F401 - registers the MiniWorld ids

        from envs.rendering import quiet_stdout

        with quiet_stdout():
            env = gym.make(RAW_ID)
    else:
        env = envs.make(task)
    policy = None
    if kind == "expert":
        from policies.expert import Expert

        policy = Expert(env)
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    for _ in range(50):  # warm-up: meshes, textures, caches
        _, _, term, trunc, _ = env.step(int(rng.integers(3)))
        if term or trunc:
            env.reset()
    steps, episode = 0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        action = policy() if policy is not None else int(rng.integers(3))
        _, _, term, trunc, _ = env.step(action)
        steps += 1
        if term or trunc:
            episode += 1
            env.reset(seed=seed + episode)
    queue.put(steps / (time.perf_counter() - start))
    env.close()


def bench_envs(task: str = DEFAULT_TASK, seconds: float = 5.0, rounds: int = 3) -> dict[str, Any]:
    """Measure raw MiniWorld, our env (random actions) and expert-driven steps/s, side by side."""
    check_task(task)
    ctx = mp.get_context("spawn")
    results: dict[str, list[float]] = {"raw": [], "env": [], "expert": []}
    for r in range(rounds):
        for kind in results:
            queue = ctx.Queue()
            proc = ctx.Process(target=_measure, args=(kind, task, seconds, r, queue))
            proc.start()
            proc.join()
            if proc.exitcode != 0:
                raise RuntimeError(f"benchmark process for {kind!r} failed (exit {proc.exitcode})")
            results[kind].append(queue.get(timeout=5))
    med = {k: statistics.median(v) for k, v in results.items()}
    return {
        "task": task,
        "raw_env": RAW_ID,
        "observation": "80x60 RGB",
        "seconds_per_measurement": seconds,
        "rounds": rounds,
        "steps_per_second": med,
        "all_runs": results,
        "ratio_env_vs_raw": med["env"] / med["raw"],
        "ratio_expert_vs_raw": med["expert"] / med["raw"],
        "targets": {"ratio_env_vs_raw": 0.9, "ratio_expert_vs_raw": 0.8},
    }


def bench_main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print a table or JSON."""
    parser = argparse.ArgumentParser(prog="miniground bench envs", description=__doc__)
    parser.add_argument("--task", default=DEFAULT_TASK, help="MiniGround id to measure")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    report = bench_envs(args.task, args.seconds, args.rounds)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    sps = report["steps_per_second"]
    print(f"{'measurement':<40} {'steps/s':>9}")
    print(f"{'raw MiniWorld (' + RAW_ID + ')':<40} {sps['raw']:>9.0f}")
    print(f"{args.task + ' (random actions)':<40} {sps['env']:>9.0f}")
    print(f"{args.task + ' (expert-driven)':<40} {sps['expert']:>9.0f}")
    print(f"ratio env/raw    {report['ratio_env_vs_raw']:.2f}  (target >= 0.90)")
    print(f"ratio expert/raw {report['ratio_expert_vs_raw']:.2f}  (target >= 0.80)")
    return 0
