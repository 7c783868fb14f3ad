"""Expert demonstrations: determinism across workers, resume, corruption, manifest."""

import json
from pathlib import Path

import numpy as np
import pytest

from agent.data.demos import load_demos, read_manifest
from agent.data.episodes import DatasetError
from agent.rollout.demos import generate_demos
from agent.utils.io import sha256_file

TASK = "MiniGround/GoToObject-v0"


@pytest.fixture(scope="module")
def demos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demos")
    generate_demos(TASK, 6, out, seed=0, workers=1, episodes_per_shard=2, progress=False)
    return out


def test_manifest_matches_shards(demos_dir: Path) -> None:
    manifest = read_manifest(demos_dir)
    assert manifest["episodes"] == 6 and len(manifest["shards"]) == 3
    episodes = load_demos(demos_dir)
    assert episodes.num_episodes == 6
    assert episodes.num_frames == manifest["frames"] == int(episodes.lengths.sum())
    for shard in manifest["shards"]:
        assert sha256_file(demos_dir / shard["file"]) == shard["sha256"]
    assert list(episodes.seeds) == list(range(6))
    assert set(episodes.outcomes) == {"success"}
    assert episodes.images.shape[1:] == (60, 80, 3)
    for key in ("target_visible", "target_bearing", "visible_colors"):
        assert len(episodes.labels[key]) == episodes.num_frames


@pytest.mark.slow
def test_same_seed_same_dataset_whatever_the_workers(demos_dir: Path, tmp_path: Path) -> None:
    generate_demos(TASK, 6, tmp_path, seed=0, workers=2, episodes_per_shard=2, progress=False)
    a = [s["sha256"] for s in read_manifest(demos_dir)["shards"]]
    b = [s["sha256"] for s in read_manifest(tmp_path)["shards"]]
    assert a == b


def test_resume_finishes_missing_shards_only(tmp_path: Path) -> None:
    generate_demos(TASK, 4, tmp_path, seed=1, episodes_per_shard=2, progress=False)
    first = tmp_path / "shard_00000.npz"
    second = tmp_path / "shard_00001.npz"
    mtime = first.stat().st_mtime_ns
    digest = sha256_file(second)
    second.unlink()
    (tmp_path / "manifest.json").unlink()
    manifest = generate_demos(TASK, 4, tmp_path, seed=1, episodes_per_shard=2, progress=False)
    assert first.stat().st_mtime_ns == mtime  # left alone
    assert sha256_file(second) == digest  # regenerated identically
    assert manifest["episodes"] == 4


def test_corrupt_shard_is_detected(demos_dir: Path, tmp_path: Path) -> None:
    for f in demos_dir.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    shard = tmp_path / "shard_00001.npz"
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match="shard_00001.npz.*corrupt"):
        load_demos(tmp_path)


def test_missing_and_malformed_datasets(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_demos(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no manifest"):
        load_demos(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match="malformed"):
        load_demos(tmp_path)


def test_refuses_to_mix_datasets(demos_dir: Path, tmp_path: Path) -> None:
    for f in demos_dir.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    with pytest.raises(DatasetError, match="different dataset"):
        generate_demos(TASK, 6, tmp_path, seed=99, episodes_per_shard=2, progress=False)


def test_a_malformed_earlier_manifest_is_named_not_a_traceback(tmp_path: Path) -> None:
    for text in ("{not json", '{"task": "x"}', "[]"):
        (tmp_path / "manifest.json").write_text(text)
        with pytest.raises(DatasetError, match="manifest.json is malformed.*another --out"):
            generate_demos(TASK, 2, tmp_path, episodes_per_shard=2, progress=False)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown task"):
        generate_demos("MiniGround/Nope-v0", 2, tmp_path, progress=False)
    with pytest.raises(ValueError, match="episodes"):
        generate_demos(TASK, 0, tmp_path, progress=False)


def test_scan_teacher_turns_left_until_target_seen(tmp_path: Path) -> None:
    generate_demos(TASK, 4, tmp_path, seed=3, teacher="scan", progress=False)
    episodes = load_demos(tmp_path)
    seen = episodes.labels["target_seen"]
    unseen = ~seen
    assert unseen.any()
    assert np.all(episodes.actions[unseen] == 0)
    assert json.loads((tmp_path / "manifest.json").read_text())["teacher"] == "scan"
