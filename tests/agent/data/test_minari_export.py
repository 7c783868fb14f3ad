"""Minari export: a demos directory round-trips through minari.load_dataset, exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

minari = pytest.importorskip("minari")

from agent.cli import main as cli_main  # noqa: E402
from agent.data import minari_export  # noqa: E402
from agent.data.demos import load_demos  # noqa: E402
from agent.data.episodes import DatasetError  # noqa: E402
from agent.rollout.demos import generate_demos  # noqa: E402

TASK = "MiniGround/PutNext-v0"


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demos") / "putnext"
    generate_demos(TASK, 3, out, seed=40, workers=1, episodes_per_shard=2, progress=False)
    return out


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    return tmp_path / "minari"


def test_round_trip_is_exact(demos: Path, root: Path) -> None:
    dataset = minari_export.export_minari(demos, root=root)
    assert dataset.spec.dataset_id == "miniground/putnext/expert-train-v0"
    loaded = minari.load_dataset("miniground/putnext/expert-train-v0")
    stored = load_demos(demos)
    assert loaded.total_episodes == 3 and loaded.total_steps == stored.num_frames
    assert loaded.spec.env_spec.id == TASK and loaded.spec.env_spec.max_episode_steps == 400
    for e, episode in enumerate(loaded.iterate_episodes()):
        start, length = int(stored.starts[e]), int(stored.lengths[e])
        images = episode.observations["image"]
        assert images.dtype == np.uint8 and images.shape == (length + 1, 60, 80, 3)
        assert np.array_equal(images[:-1], stored.images[start : start + length])  # lossless
        assert not np.array_equal(images[-1], images[-2])  # the final frame, which shards lack
        assert list(episode.observations["mission"]) == [str(stored.missions[e])] * (length + 1)
        assert np.array_equal(episode.actions, stored.actions[start : start + length])
        assert np.allclose(episode.rewards, stored.rewards[start : start + length])
        outcome = stored.outcomes[e]
        assert bool(episode.terminations[-1]) == (outcome != "timeout")
        assert not episode.terminations[:-1].any() and not episode.truncations[:-1].any()
        infos = episode.infos
        assert {"is_success", "outcome", "target_code", "semantic_map", "target_visible",
                "target_bearing", "visible_colors", "stage"} <= set(infos)  # fmt: skip
        last = infos["outcome"][-1]
        assert (last.decode() if isinstance(last, bytes) else last) == outcome
        assert bool(infos["is_success"][-1]) == (outcome == "success")
        assert not infos["is_success"][:-1].any()
        assert infos["semantic_map"].shape == (length + 1, 60, 80)
        for key in ("target_visible", "target_code", "semantic_map"):
            assert np.array_equal(infos[key][:-1], stored.labels[key][start : start + length])
    env = loaded.recover_environment()
    assert env.unwrapped.task_id == TASK
    env.close()


def test_replay_mismatch_and_existing_ids_are_clear_errors(
    demos: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = minari_export.iter_shards

    def tampered(path):
        for shard in real(path):
            shard.images[3] = 255 - shard.images[3]
            yield shard

    monkeypatch.setattr(minari_export, "iter_shards", tampered)
    with pytest.raises(DatasetError, match="frame 3 differs"):
        minari_export.export_minari(demos, "miniground/test/bad-v0", root=root)
    monkeypatch.setattr(minari_export, "iter_shards", real)
    argv = ["export", "minari", str(demos), "--dataset-id", "miniground/test/cli-v0"]
    assert cli_main([*argv, "--root", str(root)]) == 0
    assert "miniground/test/cli-v0" in minari.list_local_datasets()
    with pytest.raises(FileExistsError, match="--overwrite"):
        minari_export.export_minari(demos, "miniground/test/cli-v0", root=root)
    assert cli_main([*argv, "--root", str(root), "--overwrite"]) == 0
    with pytest.raises(DatasetError, match="does not exist"):
        minari_export.export_minari(root / "nowhere", root=root)


def test_v1_observations_carry_proprioception(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    demos = tmp_path / "v1"
    generate_demos("MiniGround/GoToObject-v1", 1, demos, seed=3, workers=1, progress=False)
    dataset = minari_export.export_minari(demos, "miniground/test/v1-v0", root=root)
    assert {"prev_action", "moved"} <= set(dataset.spec.observation_space.spaces)
    stored = load_demos(demos)
    episode = next(iter(dataset.iterate_episodes()))
    length = int(stored.lengths[0])
    for column, key in enumerate(("prev_action", "moved")):
        values = episode.observations[key]
        assert values.shape == (length + 1,)
        assert np.array_equal(values[:-1], stored.proprio[:, column])
    real = minari_export.iter_shards

    def tampered(path):
        for shard in real(path):
            shard.proprio[2, 1] = 1 - shard.proprio[2, 1]
            yield shard

    monkeypatch.setattr(minari_export, "iter_shards", tampered)
    with pytest.raises(DatasetError, match="step 2: the replayed proprioception"):
        minari_export.export_minari(demos, "miniground/test/v1-bad-v0", root=root)
