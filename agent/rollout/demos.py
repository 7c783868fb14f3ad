"""Generating expert demonstrations: the expert (or the scanning teacher) in worker processes.

Each worker runs :func:`agent.rollout.episode.run_episode` with a hook that records every step,
and writes whole shards (format: :mod:`agent.data.demos`). Shard ``i`` always holds episodes
``i*S .. i*S+S-1`` with env seeds ``seed + episode``, so the same seed gives the same dataset
whatever the number of workers; re-running finishes the missing shards.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agent.data.demos import shard_done, worker_env, write_shard
from agent.data.episodes import DatasetError, EpisodeBuilder, Episodes
from agent.rollout.episode import RecordSteps, TeacherPolicy, run_episodes
from agent.utils.io import atomic_write_json
from agent.utils.lifeline import tie_to_parent
from agent.utils.versions import versions


def expert_episodes(env: Any, seeds: list[int], teacher: str = "expert") -> Episodes:
    """Run the expert (or the scanning teacher) on each seed in ``env``; record every step."""
    builder = EpisodeBuilder()
    run_episodes(env, TeacherPolicy(env, teacher), seeds, hook=RecordSteps(builder))
    return builder.build()


def _make_shard(spec: dict[str, Any]) -> dict[str, Any]:
    """Generate and write one shard (runs in a worker process); return its sidecar record."""
    env = worker_env(spec["task"], spec["env_kwargs"])
    episodes = expert_episodes(env, spec["seeds"], spec["teacher"])
    return write_shard(spec["path"], episodes, spec["seeds"])


def generate_demos(
    task: str,
    episodes: int,
    out: str | os.PathLike,
    seed: int = 0,
    workers: int = 1,
    split: str = "train",
    episodes_per_shard: int = 50,
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    teacher: str = "expert",
) -> dict[str, Any]:
    """Write (or finish) an expert dataset and return its manifest."""
    import envs
    from envs.language import check_split

    envs.registration.check_task(task)
    check_split(split)
    if episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {episodes}")
    if workers < 1 or episodes_per_shard < 1:
        raise ValueError("--workers and --episodes-per-shard must be >= 1")
    kwargs = {**(env_kwargs or {}), "split": split}
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "manifest.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        same = (
            old["task"], old["seed"], old["env_kwargs"], old["episodes_per_shard"],
            old.get("teacher", "expert"),
        ) == (task, seed, kwargs, episodes_per_shard, teacher)  # fmt: skip
        if not same:
            raise DatasetError(
                f"{out_dir} already holds a different dataset (task/seed/env kwargs/shard size); "
                "choose another --out"
            )
    specs = []
    for i, first in enumerate(range(0, episodes, episodes_per_shard)):
        count = min(episodes_per_shard, episodes - first)
        specs.append(
            {
                "task": task,
                "env_kwargs": kwargs,
                "seeds": [seed + first + k for k in range(count)],
                "path": str(out_dir / f"shard_{i:05d}.npz"),
                "teacher": teacher,
            }
        )
    records: dict[str, dict[str, Any]] = {}
    todo = []
    for spec in specs:
        done = shard_done(Path(spec["path"]))
        if done is not None and done["episodes"] == len(spec["seeds"]):
            records[spec["path"]] = done
        else:
            todo.append(spec)
    bar = tqdm(
        total=len(specs), initial=len(records), desc="demos", unit="shard", disable=not progress
    )
    start, frames = time.perf_counter(), 0

    def finish(record: dict[str, Any], path: str) -> None:
        nonlocal frames
        records[path] = record
        frames += record["frames"]
        bar.set_postfix(frames_per_s=f"{frames / (time.perf_counter() - start):.0f}")
        bar.update(1)

    if workers == 1 or len(todo) <= 1:
        for spec in todo:
            finish(_make_shard(spec), spec["path"])
    else:
        import multiprocessing as mp

        with ProcessPoolExecutor(
            max_workers=workers, mp_context=mp.get_context("spawn"), initializer=tie_to_parent
        ) as pool:
            futures = {pool.submit(_make_shard, spec): spec for spec in todo}
            try:
                for fut in as_completed(futures):
                    finish(fut.result(), futures[fut]["path"])
            except BrokenProcessPool as exc:
                raise RuntimeError(
                    "a demonstration worker process died (killed or out of memory); finished "
                    f"shards are kept in {out_dir}: re-run the same command to resume"
                ) from exc
    bar.close()
    shards = [records[spec["path"]] for spec in specs]
    manifest = {
        "format": "miniground-demos-v1",
        "task": task,
        "split": split,
        "env_kwargs": kwargs,
        "seed": seed,
        "episodes": episodes,
        "episodes_per_shard": episodes_per_shard,
        "teacher": teacher,
        "frames": sum(s["frames"] for s in shards),
        "successes": sum(s["successes"] for s in shards),
        "shards": shards,
        "versions": versions(),
    }
    atomic_write_json(manifest_path, manifest)
    return manifest
