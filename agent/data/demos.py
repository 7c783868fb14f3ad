"""Expert demonstrations on disk: sharded, compressed, checksummed, resumable.

A dataset directory holds ``shard_00000.npz`` ... (numpy archives, no pickle) and ``manifest.json``
(task, split, env kwargs, seeds, counts, per-shard SHA-256). Shard ``i`` always holds episodes
``i*S .. i*S+S-1`` with env seeds ``seed + episode``, so the same seed gives the same dataset
whatever the number of workers. A finished shard has a sidecar ``shard_00000.json`` with its
checksum; re-running finishes the missing shards and leaves finished ones alone. Shards of a
``-v1`` task also hold each frame's proprioception (``proprio``); shards without it (``-v0``
tasks, or written before it existed) load with ``Episodes.proprio`` None.

Generation (running the expert in worker processes) is :mod:`agent.rollout.demos`; this module
holds the format: writing and checking a shard, reading the manifest, loading the episodes.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from agent.data.episodes import DatasetError, Episodes
from agent.utils.io import atomic_write_bytes, atomic_write_json, sha256_file

# --------------------------------------------------------------------------- writing
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


def encode_shard(episodes: Episodes, seeds: Sequence[int]) -> tuple[bytes, dict[str, Any]]:
    """A shard's file contents and its counts (what :func:`write_shard_data` needs)."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **episodes.to_arrays())
    counts = {
        "episodes": episodes.num_episodes,
        "frames": episodes.num_frames,
        "seeds": [int(seeds[0]), int(seeds[-1]) + 1],
        "successes": int((episodes.outcomes == "success").sum()),
    }
    return buffer.getvalue(), counts


def write_shard_data(
    path: str | os.PathLike, data: bytes, counts: dict[str, Any]
) -> dict[str, Any]:
    """Write an encoded shard and its checksummed sidecar; return the sidecar record."""
    out = Path(path)
    atomic_write_bytes(out, data)
    record = {"file": out.name, "sha256": sha256_file(out), **counts}
    atomic_write_json(out.with_suffix(".json"), record)
    return record


def write_shard(
    path: str | os.PathLike, episodes: Episodes, seeds: Sequence[int]
) -> dict[str, Any]:
    """Write one shard and its checksummed sidecar; return the sidecar record."""
    return write_shard_data(path, *encode_shard(episodes, seeds))


def shard_done(path: Path) -> dict[str, Any] | None:
    """The sidecar record of a finished, intact shard, else None."""
    sidecar = path.with_suffix(".json")
    if not path.exists() or not sidecar.exists():
        return None
    try:
        record = json.loads(sidecar.read_text())
    except json.JSONDecodeError:
        return None
    return record if record.get("sha256") == sha256_file(path) else None


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
        if verify and (digest := sha256_file(file)) != shard["sha256"]:
            if (shard_done(file) or {}).get("sha256") == digest:  # intact by its own sidecar
                raise DatasetError(
                    f"{root / 'manifest.json'} does not describe the shards beside it: {file.name} "
                    "is intact (it matches its own checksum record) but the manifest lists another "
                    "checksum: the manifest comes from another dataset (copied, or the shards "
                    "were regenerated). Delete the manifest and re-run `miniground demos` with "
                    f"--out {root} and this dataset's arguments (intact shards are kept)"
                )
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
