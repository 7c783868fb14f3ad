"""Generating expert demonstrations: the expert (or the scanning teacher) in worker processes.

Each job runs :func:`agent.rollout.episode.run_episode` with a hook that records every step, and
returns one whole encoded shard (format: :mod:`agent.data.demos`), which this process writes.
Shard ``i`` always holds episodes ``i*S .. i*S+S-1`` with env seeds ``seed + episode``, so the
same seed gives the same dataset (byte for byte) whatever the number of workers, the backend
(local processes or Ray tasks, :mod:`agent.backend`) or the number of nodes; re-running finishes
the missing shards.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tqdm import tqdm

from agent.backend import Backend, LocalBackend, WorkerError
from agent.data.demos import encode_shard, shard_done, worker_env, write_shard_data
from agent.data.episodes import DatasetError, EpisodeBuilder, Episodes
from agent.rollout.episode import RecordSteps, TeacherPolicy, run_episodes
from agent.utils.configs import Teacher, check_bounds
from agent.utils.io import atomic_write_json
from agent.utils.versions import versions


@dataclass
class DemosConfig:
    """Demonstration generation."""

    episodes: int = 2000
    """Expert episodes."""
    workers: int = 2
    """Worker processes (one env each)."""
    teacher: Teacher = "scan"
    """'expert' (privileged planner) or 'scan' (scans until the target was seen)."""
    episodes_per_shard: int = 50
    """Episodes per shard file."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "episodes": ">=1", "workers": ">=1", "episodes_per_shard": ">=1",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        check_bounds(self)


def expert_episodes(env: Any, seeds: list[int], teacher: str = "expert") -> Episodes:
    """Run the expert (or the scanning teacher) on each seed in ``env``; record every step."""
    builder = EpisodeBuilder()
    run_episodes(env, TeacherPolicy(env, teacher), seeds, hook=RecordSteps(builder))
    return builder.build()


def _make_shard(_shared: Any, spec: dict[str, Any]) -> tuple[bytes, dict[str, Any]]:
    """Generate one shard (a backend job, in a worker process); return its bytes and counts."""
    env = worker_env(spec["task"], spec["env_kwargs"])
    episodes = expert_episodes(env, spec["seeds"], spec["teacher"])
    return encode_shard(episodes, spec["seeds"])


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
    backend: Backend | None = None,
) -> dict[str, Any]:
    """Write (or finish) an expert dataset and return its manifest.

    ``backend`` runs one job per missing shard (default: ``workers`` local processes); with Ray,
    each shard is a task in a fresh worker process, retried if that process or its node is lost.
    """
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
        try:
            old = json.loads(manifest_path.read_text())
            same = (
                old["task"], old["seed"], old["env_kwargs"], old["episodes_per_shard"],
                old.get("teacher", "expert"),
            ) == (task, seed, kwargs, episodes_per_shard, teacher)  # fmt: skip
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DatasetError(
                f"{manifest_path} is malformed ({type(exc).__name__}: {exc}): it cannot say "
                f"whether {out_dir} holds this dataset. If its shards are this dataset's, delete "
                "the manifest and re-run (intact shards are kept); otherwise choose another --out"
            ) from exc
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
        bar.set_postfix(frames_per_s=f"{frames / (time.perf_counter() - start):.0f}", refresh=False)
        bar.update(1)

    backend = backend or LocalBackend(workers)
    try:
        for i, (data, counts) in backend.run(_make_shard, todo, what="demonstration",
                                             fresh_process=True):  # fmt: skip
            finish(write_shard_data(todo[i]["path"], data, counts), todo[i]["path"])
    except WorkerError as exc:
        raise RuntimeError(
            f"{exc}\n(killed or out of memory?) finished shards are kept in {out_dir}: re-run the "
            "same command to resume"
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
