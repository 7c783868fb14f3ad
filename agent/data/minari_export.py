"""Demonstrations as a Minari dataset, the shared offline-RL format (``pip install
"miniground[minari]"``, Python 3.11+).

Our npz shards stay the fast path for training; this writes a copy that ``minari.load_dataset``
opens. Each episode is replayed in the env from its seed with its recorded actions, which gives
what a shard does not keep (the final observation, terminations, truncations, per-step infos) and
checks that every replayed frame equals the stored one bit for bit, so the export is exact.

Per episode of T steps: ``observations`` {"image": (T+1, H, W, 3) uint8, stored raw (no JPEG),
"mission": T+1 strings, and on ``-v1`` tasks the proprioception "prev_action" and "moved": (T+1,)
ints, checked against the shard's}, ``actions`` (T,), ``rewards``, ``terminations``,
``truncations``, and
``infos`` (T+1 entries): ``is_success``, ``outcome`` ("" until the episode ends), ``step``,
``stage``, ``target_code``, ``path_length``, ``shortest_path_length`` and the numeric privileged
labels (``target_visible``, ``target_seen``, ``target_bearing``, ``target_distance``,
``visible_colors``, ``visible_shapes``, and ``semantic_map`` with exact labels). The episode's env
seed is its Minari seed.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from agent.data.demos import iter_shards, read_manifest
from agent.data.episodes import LABEL_KEYS, DatasetError, proprio_of

MINARI_EXTRA = 'pip install "miniground[minari]" (Minari needs Python 3.11+)'
INFO_KEYS: tuple[str, ...] = (
    "is_success", "step", "stage", "path_length", "shortest_path_length", *LABEL_KEYS,
)  # fmt: skip
"""Numeric info fields exported per step (``outcome`` is added as a string)."""


def _minari() -> Any:
    try:
        import minari
    except ImportError as exc:
        raise ImportError(f"the Minari export needs the minari package: {MINARI_EXTRA}") from exc
    return minari


def default_dataset_id(manifest: dict[str, Any]) -> str:
    """``miniground/<task>/<teacher>-<split>-v0``, e.g. miniground/gotoobject/expert-train-v0."""
    name = str(manifest["task"]).split("/")[-1].rsplit("-v", 1)[0].lower()
    return f"miniground/{name}/{manifest.get('teacher', 'expert')}-{manifest['split']}-v0"


def _step_info(info: dict[str, Any]) -> dict[str, Any]:
    out = {k: np.asarray(info[k]) for k in INFO_KEYS if k in info}
    out["outcome"] = info["outcome"] or ""
    return out


def replay_episodes(demos_dir: str | os.PathLike) -> Iterator[dict[str, Any]]:
    """Each episode of a demos directory as a Minari buffer dict, replayed and checked.

    Raises:
        DatasetError: a replay does not reproduce the stored mission, frames, rewards or outcome.
    """
    import envs

    manifest = read_manifest(demos_dir)
    env = envs.make(manifest["task"], **manifest["env_kwargs"])
    episode_id = 0
    try:
        for shard in iter_shards(demos_dir):
            for e in range(shard.num_episodes):
                start, length = int(shard.starts[e]), int(shard.lengths[e])
                seed = int(shard.seeds[e])
                actions = shard.actions[start : start + length]
                obs, info = env.reset(seed=seed)
                where = f"episode {episode_id} (env seed {seed})"
                if obs["mission"] != str(shard.missions[e]):
                    raise DatasetError(f"{where}: replay gave mission {obs['mission']!r}, the "
                                       f"shard has {str(shard.missions[e])!r}")  # fmt: skip
                observations = {k: [obs[k]] for k in obs}
                infos = [_step_info(info)]
                rewards, terms, truncs = [], [], []
                for t, action in enumerate(actions):
                    if not np.array_equal(obs["image"], shard.images[start + t]):
                        raise DatasetError(
                            f"{where}: the replayed frame {t} differs from the stored one (the "
                            "env or the renderer changed since the demos were made)"
                        )
                    _check_proprio(shard, start + t, obs, f"{where}, step {t}")
                    obs, reward, terminated, truncated, info = env.step(int(action))
                    for k in observations:
                        observations[k].append(obs[k])
                    infos.append(_step_info(info))
                    rewards.append(float(reward))
                    terms.append(bool(terminated))
                    truncs.append(bool(truncated))
                stored = shard.rewards[start : start + length]
                if not np.allclose(rewards, stored) or (info["outcome"] or "") != str(
                    shard.outcomes[e]
                ):
                    raise DatasetError(f"{where}: replay ended {info['outcome']!r} with other "
                                       f"rewards than stored ({shard.outcomes[e]!r})")  # fmt: skip
                yield {
                    "id": episode_id,
                    "seed": seed,
                    "observations": {
                        k: v if k == "mission" else np.asarray(v) for k, v in observations.items()
                    },
                    "actions": np.asarray(actions, dtype=np.int64),
                    "rewards": rewards,
                    "terminations": terms,
                    "truncations": truncs,
                    "infos": {k: _stack([i[k] for i in infos]) for k in infos[0]},
                }
                episode_id += 1
    finally:
        env.close()


def _check_proprio(shard: Any, frame: int, obs: dict[str, Any], where: str) -> None:
    """DatasetError when the replayed proprioception differs from the shard's (or only one of
    them has any)."""
    replayed = proprio_of(obs)
    if (replayed is None) != (shard.proprio is None):
        raise DatasetError(
            f"{where}: the env and the shard disagree on proprioception (one has prev_action "
            "and moved, the other not): export with the demos' own task"
        )
    if replayed is not None and not np.array_equal(replayed, shard.proprio[frame]):
        raise DatasetError(
            f"{where}: the replayed proprioception {replayed.tolist()} differs from the stored "
            f"{shard.proprio[frame].tolist()}"
        )


def _stack(values: list[Any]) -> Any:
    return values if isinstance(values[0], str) else np.stack(values)


def export_minari(
    demos_dir: str | os.PathLike,
    dataset_id: str | None = None,
    root: str | os.PathLike | None = None,
    overwrite: bool = False,
) -> Any:
    """Write a demos directory as Minari dataset ``dataset_id``; return the ``MinariDataset``.

    Args:
        demos_dir: a ``miniground demos`` output directory.
        dataset_id: Minari id (default: :func:`default_dataset_id`).
        root: the Minari datasets folder (sets ``MINARI_DATASETS_PATH``; default Minari's own,
            ``~/.minari/datasets``). ``minari.load_dataset`` must see the same folder.
        overwrite: replace an existing dataset of that id.
    """
    minari = _minari()
    from minari.data_collector.episode_buffer import EpisodeBuffer

    import envs

    manifest = read_manifest(demos_dir)
    dataset_id = dataset_id or default_dataset_id(manifest)
    if root is not None:
        os.environ["MINARI_DATASETS_PATH"] = str(Path(root).resolve())
    if dataset_id in minari.list_local_datasets():
        if not overwrite:
            raise FileExistsError(f"Minari dataset {dataset_id!r} exists; pass overwrite=True "
                                  "(--overwrite) or choose another id")  # fmt: skip
        minari.delete_dataset(dataset_id)
    buffers = [EpisodeBuffer(**episode) for episode in replay_episodes(demos_dir)]
    if not buffers:
        raise DatasetError(f"{demos_dir} holds no episodes")
    first = int(manifest["seed"])
    last = first + int(manifest["episodes"]) - 1
    env = envs.make(manifest["task"], **manifest["env_kwargs"])
    teacher = manifest.get("teacher", "expert")
    description = (
        f"{manifest['task']} ({manifest['split']} split) demonstrations by the {teacher} "
        f"teacher, env seeds {first}..{last}; frames stored losslessly; infos carry is_success, "
        "outcome and the privileged labels. Exported from a miniground demos directory."
    )
    try:
        with warnings.catch_warnings():
            # Minari asks for a versioned code link and a contact e-mail; a local export has
            # neither.
            warnings.filterwarnings(
                "ignore", message=r"`(code_permalink|author_email)` is set to None"
            )
            return minari.create_dataset_from_buffers(
                dataset_id, buffers, env=env.spec, eval_env=env.spec,
                observation_space=env.observation_space, action_space=env.action_space,
                algorithm_name=f"miniground {teacher} teacher", author="miniground",
                description=description, requirements=["miniground", "miniworld==2.1.0"],
                jpeg_encoding=False,
            )  # fmt: skip
    finally:
        env.close()
