"""Expert demonstrations: sharded, compressed, checksummed, resumable.

A dataset directory holds ``shard_00000.npz`` ... (numpy archives, no pickle) and ``manifest.json``
(task, split, env kwargs, seeds, counts, per-shard SHA-256). Shard ``i`` always holds episodes
``i*S .. i*S+S-1`` with env seeds ``seed + episode``, so the same seed gives the same dataset
whatever the number of workers. A finished shard has a sidecar ``shard_00000.json`` with its
checksum; re-running finishes the missing shards and leaves finished ones alone.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from agent.data.episodes import DatasetError, EpisodeBuilder, Episodes
from agent.utils.io import atomic_write_bytes, atomic_write_json, sha256_file
from agent.utils.versions import versions

# --------------------------------------------------------------------------- generation
_WORKER_ENV: dict[str, Any] = {}


def worker_env(task: str, env_kwargs: dict[str, Any]) -> Any:
    """One env per worker process, reused across the shards it generates."""
    key = json.dumps([task, env_kwargs], sort_keys=True)
    if _WORKER_ENV.get("key") != key:
        import envs

        if "env" in _WORKER_ENV:
            _WORKER_ENV["env"].close()
        _WORKER_ENV["env"] = envs.make(task, **env_kwargs)
        _WORKER_ENV["key"] = key
    return _WORKER_ENV["env"]


def expert_episodes(env: Any, seeds: list[int], teacher: str = "expert") -> Episodes:
    """Run the expert (or the scanning teacher) on each seed in ``env``; record every step."""
    from policies.teacher import make_teacher

    expert = make_teacher(env, teacher)
    builder = EpisodeBuilder()
    for seed in seeds:
        obs, info = env.reset(seed=int(seed))
        done = False
        while not done:
            action = expert()
            image = obs["image"]
            obs, reward, terminated, truncated, next_info = env.step(action)
            builder.add_step(image, info, action, reward)
            info, done = next_info, terminated or truncated
        builder.end_episode(obs["mission"], info["outcome"], seed)
    return builder.build()


def _make_shard(spec: dict[str, Any]) -> dict[str, Any]:
    """Generate and write one shard (runs in a worker process); return its sidecar record."""
    env = worker_env(spec["task"], spec["env_kwargs"])
    episodes = expert_episodes(env, spec["seeds"], spec["teacher"])
    out = Path(spec["path"])
    import io

    buffer = io.BytesIO()
    np.savez_compressed(buffer, **episodes.to_arrays())
    atomic_write_bytes(out, buffer.getvalue())
    record = {
        "file": out.name,
        "sha256": sha256_file(out),
        "episodes": episodes.num_episodes,
        "frames": episodes.num_frames,
        "seeds": [int(spec["seeds"][0]), int(spec["seeds"][-1]) + 1],
        "successes": int((episodes.outcomes == "success").sum()),
    }
    atomic_write_json(out.with_suffix(".json"), record)
    return record


def _shard_done(path: Path) -> dict[str, Any] | None:
    """The sidecar record of a finished, intact shard, else None."""
    sidecar = path.with_suffix(".json")
    if not path.exists() or not sidecar.exists():
        return None
    try:
        record = json.loads(sidecar.read_text())
    except json.JSONDecodeError:
        return None
    return record if record.get("sha256") == sha256_file(path) else None


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
        done = _shard_done(Path(spec["path"]))
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

        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
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


# --------------------------------------------------------------------------- loading
def read_manifest(path: str | os.PathLike) -> dict[str, Any]:
    """The manifest of a dataset directory, with a clear error when it is missing or malformed."""
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"demonstrations directory {root} does not exist")
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        raise DatasetError(
            f"{root} has no manifest.json: generation did not finish; re-run `miniground demos` "
            "with the same arguments to complete it"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
        manifest["shards"]  # noqa: B018 - presence check
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"{manifest_path} is malformed: {exc}") from exc
    return manifest


def iter_shards(path: str | os.PathLike, verify: bool = True) -> Iterator[Episodes]:
    """Yield each shard's episodes, verifying its checksum against the manifest first."""
    root = Path(path)
    manifest = read_manifest(root)
    for shard in manifest["shards"]:
        file = root / shard["file"]
        if not file.exists():
            raise DatasetError(f"shard {file} listed in the manifest is missing")
        if verify and sha256_file(file) != shard["sha256"]:
            raise DatasetError(
                f"shard {file} is corrupt or truncated (checksum mismatch); delete it and re-run "
                "`miniground demos` with the same arguments to regenerate it"
            )
        try:
            with np.load(file, allow_pickle=False) as data:
                episodes = Episodes.from_arrays({k: data[k] for k in data.files})
        except Exception as exc:  # noqa: BLE001 - zip/npz errors vary
            raise DatasetError(f"shard {file} cannot be read: {exc}") from exc
        if episodes.num_episodes != shard["episodes"] or episodes.num_frames != shard["frames"]:
            raise DatasetError(f"shard {file} does not match its manifest entry")
        yield episodes


def load_demos(path: str | os.PathLike, verify: bool = True) -> Episodes:
    """All episodes of a dataset directory, checksums verified."""
    return Episodes.concatenate(list(iter_shards(path, verify=verify)))
