"""The main job end to end on a tiny budget (slow: every stage runs for real)."""

import importlib.resources
import json
from pathlib import Path

import pytest

from agent.model.agent import Agent
from agent.scripts.quickstart import DEFAULT_CONFIG, QuickstartConfig, main
from agent.utils.configs import load_config, read_toml

TINY = [
    "--demos.episodes", "4", "--demos.workers", "1", "--demos.episodes_per_shard", "2",
    "--bc.updates", "2", "--bc.batch_episodes", "2", "--bc.threads", "1",
    "--bc.agent.cnn_channels", "8", "8", "8", "--bc.agent.state_size", "32",
    "--dagger.rounds", "1", "--dagger.episodes_per_round", "1", "--dagger.updates_per_round", "1",
    "--eval.episodes", "2", "--eval.workers", "1", "--eval.validation_episodes", "1",
    "--record.episodes", "1",
    "--ground.layouts", "2", "--ground.poses_per_layout", "4", "--ground.workers", "1",
    "--ground.steps", "2", "--ground.batch", "4", "--ground.probe_layouts", "2",
    "--bc.ground_weight", "0.5", "--bc.ground_batch", "4",
]  # fmt: skip


def test_shipped_config_file_equals_the_dataclass_defaults() -> None:
    shipped = importlib.resources.files("agent") / "configs" / "quickstart.toml"
    assert shipped.is_file() and Path(str(shipped)) == DEFAULT_CONFIG
    config = load_config(QuickstartConfig, DEFAULT_CONFIG)
    assert config == QuickstartConfig()  # the defaults are the single source of truth
    assert config.task == "MiniGround/GoToObject-v1"
    assert config.bc.agent.num_actions == 3
    assert set(config.eval.splits) == {"train", "heldout_combos"}
    assert config.eval.episodes >= 200
    # and every field of the file is written out: the file documents all the defaults it changes
    assert read_toml(DEFAULT_CONFIG)["bc"]["updates"] == QuickstartConfig().bc.updates


def test_config_file_is_package_data() -> None:
    pyproject = read_toml(Path(__file__).resolve().parents[3] / "pyproject.toml")
    assert "configs/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["agent"]


def test_malformed_config_is_a_clear_error(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[bc]\nupdates = 'many'\n")
    with pytest.raises(ValueError, match="bc.updates"):
        load_config(QuickstartConfig, bad)
    bad.write_text("[bc.agent]\nfusionn = 'film'\n")
    with pytest.raises(ValueError, match="unknown config field.*bc.agent.fusionn"):
        load_config(QuickstartConfig, bad)
    bad.write_text("[bc.agent]\nfusion = 'sum'\n")
    with pytest.raises(ValueError, match="unknown bc.agent.fusion 'sum'"):
        load_config(QuickstartConfig, bad)
    bad.write_text("bc = 3\n")
    with pytest.raises(ValueError, match="'bc' must be a table"):
        load_config(QuickstartConfig, bad)
    with pytest.raises(SystemExit) as exit_info:
        load_config(QuickstartConfig, None, ["--bc.updatez", "3"])
    assert exit_info.value.code == 2
    assert "--bc.updatez" in capsys.readouterr().err


def test_flags_override_the_config_file(tmp_path: Path) -> None:
    path = tmp_path / "q.toml"
    path.write_text("seed = 4\n[bc]\nupdates = 7\n[bc.agent]\nfusion = 'gated'\n")
    config = load_config(QuickstartConfig, path, ["--bc.updates", "9", "--eval.splits", "train"])
    assert (config.seed, config.bc.updates, config.bc.agent.fusion) == (4, 9, "gated")
    assert config.eval.splits == ("train",)
    assert config.bc.eval_interval == 0  # untouched quickstart defaults stay


@pytest.mark.slow
def test_quickstart_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "qs"
    assert main(["--out", str(out), *TINY]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["results"]) == {"train", "heldout_combos"}
    assert summary["results"]["train"]["episodes"] == 2
    assert (out / "eval" / "eval_info.json").exists()
    assert list((out / "videos").glob("*.mp4"))
    assert "<h2>Rollouts</h2>" in (out / "report.html").read_text()
    assert (out / "agent" / "README.md").is_file()  # the model card
    probe = summary["grounding_probe"]
    assert set(probe) == {"train", "heldout_combos"}
    assert 0.0 <= probe["heldout_combos"]["balanced_accuracy"] <= 1.0
    assert {"ground_frames", "ground_pretrain", "bc"} <= set(summary["timings_s"])
    assert Agent.from_pretrained(out / "agent").config.num_actions == 3
