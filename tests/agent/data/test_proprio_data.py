"""Proprioception in recorded data: the builder, demo shards (new and old), joins and flips."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.data.demos import load_demos, write_shard
from agent.data.episodes import DatasetError, EpisodeBuilder, Episodes, proprio_of
from agent.data.sampler import TURN_LEFT, TURN_RIGHT, EpisodeSampler

NONE = 3
"""prev_action at reset for a 3-action task."""


def _info(t: int) -> dict[str, Any]:
    return {
        "target_visible": t % 2 == 0, "target_seen": t > 0, "target_bearing": 0.1 * t,
        "target_distance": 1.0, "visible_colors": [0.0] * 6, "visible_shapes": [0.0] * 3,
        "target_code": 1,
    }  # fmt: skip


def _episodes(actions: list[list[int]], proprio: bool = True) -> Episodes:
    """Episodes with these actions; each frame's prev_action is the previous action taken and
    ``moved`` is 1 after every action but turn_right."""
    builder = EpisodeBuilder()
    for e, acts in enumerate(actions):
        prev = NONE
        for t, a in enumerate(acts):
            obs = {"image": np.full((6, 8, 3), 10 * t + e, dtype=np.uint8), "mission": "go"}
            if proprio:
                obs.update(prev_action=prev, moved=int(prev not in (NONE, TURN_RIGHT)))
            builder.add_step(obs["image"], _info(t), a, 0.0, proprio_of(obs))
            prev = a
        builder.end_episode("go to the red ball", "success", seed=e)
    return builder.build()


def test_the_builder_records_each_frames_proprioception() -> None:
    episodes = _episodes([[2, 0, 1], [1, 2]])
    assert episodes.proprio.dtype == np.uint8 and episodes.proprio.shape == (5, 2)
    assert episodes.proprio[:, 0].tolist() == [NONE, 2, 0, NONE, 1]
    assert episodes.proprio[:, 1].tolist() == [0, 1, 1, 0, 0]
    assert _episodes([[2, 0]], proprio=False).proprio is None


def test_mixing_steps_with_and_without_proprioception_is_refused() -> None:
    builder = EpisodeBuilder()
    image = np.zeros((6, 8, 3), dtype=np.uint8)
    builder.add_step(image, _info(0), 0, 0.0, np.array([3, 0], dtype=np.uint8))
    builder.add_step(image, _info(1), 0, 0.0, None)
    builder.end_episode("go", "success", 0)
    with pytest.raises(DatasetError, match="proprioception"):
        builder.build()
    with pytest.raises(DatasetError, match="proprioception"):
        Episodes.concatenate([_episodes([[0]]), _episodes([[0]], proprio=False)])


def _write_dataset(root: Path, episodes: Episodes, drop_proprio: bool = False) -> None:
    root.mkdir(parents=True)
    if drop_proprio:  # a shard written before proprioception existed
        arrays = {k: v for k, v in episodes.to_arrays().items() if k != "proprio"}
        episodes = Episodes.from_arrays(arrays)
    record = write_shard(root / "shard_00000.npz", episodes, list(range(episodes.num_episodes)))
    (root / "manifest.json").write_text(json.dumps({"shards": [record]}))


def test_demo_shards_round_trip_proprioception(tmp_path: Path) -> None:
    episodes = _episodes([[2, 0, 1], [1, 2]])
    _write_dataset(tmp_path / "new", episodes)
    loaded = load_demos(tmp_path / "new")
    assert np.array_equal(loaded.proprio, episodes.proprio)
    joined = Episodes.concatenate([loaded, loaded])
    assert joined.proprio.shape == (10, 2)


def test_old_shards_without_proprioception_still_load(tmp_path: Path) -> None:
    episodes = _episodes([[2, 0, 1]])
    _write_dataset(tmp_path / "old", episodes, drop_proprio=True)
    with np.load(tmp_path / "old" / "shard_00000.npz") as data:
        assert "proprio" not in data.files
    loaded = load_demos(tmp_path / "old")
    assert loaded.proprio is None and np.array_equal(loaded.actions, episodes.actions)


@pytest.mark.parametrize("flip_scans", [True, False])
def test_flips_swap_the_turns_of_the_previous_action(flip_scans: bool) -> None:
    episodes = _episodes([[0, 1, 2, 0, 1]])
    sampler = EpisodeSampler(episodes, 1, np.random.default_rng(0), flip_scans=flip_scans)
    plain = sampler.gather(np.array([0]))
    flipped = sampler.gather(np.array([0]), flips=np.array([True]))
    assert plain.proprio.shape == (5, 1, 2)
    prev = plain.proprio[:, 0, 0].tolist()
    assert prev == [NONE, 0, 1, 2, 0]
    swap = {TURN_LEFT: TURN_RIGHT, TURN_RIGHT: TURN_LEFT}
    assert flipped.proprio[:, 0, 0].tolist() == [swap.get(a, a) for a in prev]
    assert flipped.proprio[:, 0, 1].tolist() == plain.proprio[:, 0, 1].tolist()  # moved stays
    # Flipping a batch leaves the sampler's own data alone.
    assert sampler.gather(np.array([0])).proprio[:, 0, 0].tolist() == prev


def test_batches_without_proprioception_have_none() -> None:
    sampler = EpisodeSampler(_episodes([[0, 1]], proprio=False), 1, np.random.default_rng(0))
    assert sampler.sample(hflip=1.0).proprio is None
