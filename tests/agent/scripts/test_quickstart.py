"""The main job end to end on a tiny budget (slow: every stage runs for real)."""

import json
from pathlib import Path

import pytest

from agent.model.agent import Agent
from agent.scripts.quickstart import DEFAULT_CONFIG, QuickstartConfig, main
from agent.utils.configs import load_config

TINY = [
    "--demos.episodes", "4", "--demos.workers", "1", "--demos.episodes_per_shard", "2",
    "--bc.updates", "2", "--bc.batch_episodes", "2", "--bc.threads", "1",
    "--bc.agent.cnn_channels", "8,8,8", "--bc.agent.state_size", "32",
    "--dagger.rounds", "1", "--dagger.episodes_per_round", "1", "--dagger.updates_per_round", "1",
    "--eval.episodes", "2", "--eval.workers", "1", "--eval.validation_episodes", "1",
    "--record.episodes", "1",
    "--ground.layouts", "2", "--ground.poses_per_layout", "4", "--ground.workers", "1",
    "--ground.steps", "2", "--ground.batch", "4", "--ground.probe_layouts", "2",
    "--bc.ground_weight", "0.5", "--bc.ground_batch", "4",
]  # fmt: skip


def test_default_config_file_matches_dataclass() -> None:
    config = load_config(QuickstartConfig, DEFAULT_CONFIG)
    assert config.task == "MiniGround/GoToObject-v0"
    assert config.bc.agent.num_actions == 3
    assert set(config.eval.splits) == {"train", "heldout_combos"}
    assert config.eval.episodes >= 200


def test_malformed_config_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[bc]\nupdates = 'many'\n")
    with pytest.raises(ValueError, match="bc.updates"):
        load_config(QuickstartConfig, bad)
    with pytest.raises(ValueError, match="unknown config field"):
        load_config(QuickstartConfig, None, ["--bc.updatez", "3"])


@pytest.mark.slow
def test_quickstart_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "qs"
    assert main(["--out", str(out), *TINY]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["results"]) == {"train", "heldout_combos"}
    assert summary["results"]["train"]["episodes"] == 2
    assert (out / "eval" / "eval_info.json").exists()
    assert list((out / "videos").glob("*.mp4"))
    probe = summary["grounding_probe"]
    assert set(probe) == {"train", "heldout_combos"}
    assert 0.0 <= probe["heldout_combos"]["balanced_accuracy"] <= 1.0
    assert {"ground_frames", "ground_pretrain", "bc"} <= set(summary["timings_s"])
    assert Agent.from_pretrained(out / "agent").config.num_actions == 3
