"""``miniground bench envs``: simulation speed next to raw MiniWorld and the expert.

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
import types
from typing import Any

from envs import rendering
from envs.registration import DEFAULT_TASK, check_task

RAW_ID = "MiniWorld-PickupObjects-v0"
"""Built-in room with five boxes, balls and keys: the same scene load as GoToObject."""
WARMUP_RESETS = 40
"""Layouts visited before timing, so that mesh parsing falls outside every timed window."""


def _make_raw_stock(user_lp_threads: str | None) -> Any:
    """MiniWorld's own env exactly as pip ships it: headless, none of our rendering fixes.

    ``user_lp_threads`` is the user's own ``LP_NUM_THREADS`` (``None``: unset), which this
    spawned process restores before Mesa reads it.
    """
    import os

    import gymnasium as gym
    import pyglet

    from envs.rendering import quiet_stdout, window_requested

    if user_lp_threads is None:
        os.environ.pop("LP_NUM_THREADS", None)
    else:
        os.environ["LP_NUM_THREADS"] = user_lp_threads
    if not window_requested():
        os.environ["PYGLET_HEADLESS"] = "true"
        pyglet.options["headless"] = True
    import miniworld  # noqa: F401 - registers the MiniWorld ids

    with quiet_stdout():
        return gym.make(RAW_ID)


def _make_raw_fixed() -> Any:
    """MiniWorld's own env with the rendering fixes that ``envs`` applies to every task env."""
    import gymnasium as gym

    import envs  # noqa: F401 - headless set-up and GL options
    from envs.rendering import fast_readback, import_miniworld, quiet_stdout, render_world_cached

    import_miniworld()
    with quiet_stdout():
        env = gym.make(RAW_ID)
    base = env.unwrapped
    fast_readback(base.obs_fb)
    fast_readback(base.vis_fb)
    # New objects after a reset get new ids and positions, so the cache key changes with them.
    base._render_world = types.MethodType(render_world_cached, base)
    return env


def _measure(
    kind: str, task: str, seconds: float, seed: int, queue: Any, user_lp: str | None = None
) -> None:
    """Step one env for ``seconds`` in this (spawned) process; put steps/s on ``queue``."""
    import numpy as np

    if kind == "raw":
        env = _make_raw_stock(user_lp)
    elif kind == "raw_fixed":
        env = _make_raw_fixed()
    else:
        import envs

        env = envs.make(task, labels=LABELS.get(kind, "exact"))
    policy = None
    if kind == "expert":
        from policies.expert import Expert

        policy = Expert(env)
    rng = np.random.default_rng(seed)
    # Warm-up: MiniWorld parses each coloured mesh on first use (about 0.1 s each), so visit
    # enough layouts that no kind pays for that inside its timed window.
    for warm in range(WARMUP_RESETS):
        env.reset(seed=10_000 + seed * WARMUP_RESETS + warm)
        for _ in range(5):
            env.step(int(rng.integers(2)))  # turns only: nothing ends the episode
    env.reset(seed=seed)
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


KINDS = ("raw", "raw_fixed", "env", "env_geometric", "env_seen", "env_none", "expert")
"""raw: stock MiniWorld; raw_fixed: the same with our rendering fixes; env: our task with random
actions (exact labels: one id render pass per step); env_geometric: the same with the floor-plane
labels (no id pass); env_seen / env_none: the same with ``labels="seen"`` (an id pass only while
the target is unseen and may be in view: evaluation's mode) and ``labels="none"`` (label-free
PPO's); expert: our task driven by the privileged expert (short episodes, close-up views)."""
LABELS = {"env_geometric": "geometric", "env_seen": "seen", "env_none": "none"}
"""The ``labels`` mode of each env kind (``exact`` for the others)."""


def bench_envs(task: str = DEFAULT_TASK, seconds: float = 5.0, rounds: int = 3) -> dict[str, Any]:
    """Measure every kind in :data:`KINDS` side by side, alternating over ``rounds``."""
    check_task(task)
    ctx = mp.get_context("spawn")
    results: dict[str, list[float]] = {k: [] for k in KINDS}
    for r in range(rounds):
        for kind in KINDS:
            queue = ctx.Queue()
            args = (kind, task, seconds, r, queue, rendering.USER_LP_NUM_THREADS)
            proc = ctx.Process(target=_measure, args=args)
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
        "ratio_env_vs_raw_fixed": med["env"] / med["raw_fixed"],
        "ratio_expert_vs_raw_fixed": med["expert"] / med["raw_fixed"],
        "ratio_exact_vs_geometric_labels": med["env"] / med["env_geometric"],
        "ratio_exact_vs_seen_labels": med["env"] / med["env_seen"],
        "ratio_exact_vs_no_labels": med["env"] / med["env_none"],
        "targets": {"ratio_env_vs_raw": 0.9, "ratio_expert_vs_raw": 0.8},
    }


def main(argv: list[str] | None = None) -> int:
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
    rows = [
        (f"raw MiniWorld ({RAW_ID}), stock", sps["raw"]),
        ("raw MiniWorld + our rendering fixes", sps["raw_fixed"]),
        (f"{args.task} (random actions)", sps["env"]),
        (f"{args.task} (random actions, geometric labels)", sps["env_geometric"]),
        (f"{args.task} (random actions, labels='seen')", sps["env_seen"]),
        (f"{args.task} (random actions, labels='none')", sps["env_none"]),
        (f"{args.task} (expert-driven)", sps["expert"]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measurement':<{width}} {'steps/s':>9}")
    for name, value in rows:
        print(f"{name:<{width}} {value:>9.0f}")
    print(f"ratio env/raw    {report['ratio_env_vs_raw']:.2f}  (target >= 0.90)")
    print(f"ratio expert/raw {report['ratio_expert_vs_raw']:.2f}  (target >= 0.80)")
    print(
        f"same rendering code: env/raw {report['ratio_env_vs_raw_fixed']:.2f}, "
        f"expert/raw {report['ratio_expert_vs_raw_fixed']:.2f} (our own per-step overhead)"
    )
    print(
        f"exact labels (id render pass) vs geometric / seen / none: "
        f"{report['ratio_exact_vs_geometric_labels']:.2f} / "
        f"{report['ratio_exact_vs_seen_labels']:.2f} / {report['ratio_exact_vs_no_labels']:.2f} "
        "of the steps/s"
    )
    return 0
