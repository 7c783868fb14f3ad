"""Configs and the command line: tyro help from field docstrings, TOML tables, strict checks."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import pytest

from agent.cli import main as cli_main
from agent.learn.bc import BCConfig
from agent.learn.dagger import DAggerTrainConfig
from agent.learn.ppo_config import PPOConfig
from agent.model.config import FUSIONS, AgentConfig, Fusion
from agent.utils.configs import Split, from_values, parse_train_command


def _help(capsys, *command: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli_main([*command, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def _docstring_start(cls: type, name: str) -> str:
    """The first words of the docstring under field ``name`` (as tyro shows them)."""
    import tyro._docstrings as docs

    text = docs.get_field_docstring(cls, name, ())
    return " ".join(text.split()[:3]) if text else ""


@pytest.mark.parametrize(
    ("command", "cls"),
    [(("train", "bc"), BCConfig), (("train", "dagger"), DAggerTrainConfig),
     (("train", "ppo"), PPOConfig)],
)  # fmt: skip
def test_help_lists_every_field_with_type_default_and_docstring(capsys, command, cls) -> None:
    text = " ".join(_help(capsys, *command).replace("│", " ").split())
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            for g in dataclasses.fields(hints[f.name]):
                assert f"--{f.name}.{g.name}" in text
            continue
        assert f"--{f.name}" in text, f.name
        assert "(default: " in text
        words = _docstring_start(cls, f.name)
        assert words and words in text, (f.name, words)
    assert "--config FILE.toml" in text
    assert "{concat,film,gated,cross_attention,compositional}" in text.replace(" ", "")


def test_dagger_help_describes_dagger(capsys) -> None:
    text = _help(capsys, "train", "dagger")
    assert "DAgger" in text.split("╭")[0]
    assert "Behaviour cloning:" not in text
    assert "--rounds" in text and "--updates" in text


def test_literals_follow_the_sources_of_truth() -> None:
    from envs.language import SPLITS

    assert typing.get_args(Split) == SPLITS
    assert typing.get_args(Fusion) == FUSIONS


def test_train_config_from_tables(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_text("task = 'x'\n[bc]\nupdates = 5\n[dagger]\nrounds = 3\n")
    config, resume = parse_train_command(
        DAggerTrainConfig, ["--config", str(path), "--lr", "0.5"], "p", None, ("bc", "dagger")
    )
    assert (config.updates, config.rounds, config.lr, config.name, resume) == (
        5,
        3,
        0.5,
        "dagger",
        None,
    )
    bc, _ = parse_train_command(BCConfig, ["--config", str(path)], "p", None, ("bc",))
    assert bc.updates == 5
    path.write_text("[bc]\nrounds = 3\n")
    with pytest.raises(ValueError, match="unknown config field.*rounds"):
        parse_train_command(BCConfig, ["--config", str(path)], "p", None, ("bc",))
    path.write_text("updates = 3\n")
    with pytest.raises(ValueError, match=r"has no \[bc\] table"):
        parse_train_command(BCConfig, ["--config", str(path)], "p", None, ("bc",))


def test_experiment_tomls_use_the_unified_names() -> None:
    root = Path(__file__).resolve().parents[3] / "experiments"
    for path in root.glob("*.toml"):
        text = path.read_text()
        for old in ("learning_rate", "max_grad_norm", "torch_threads", "run_dir"):
            assert f"{old} =" not in text, (path.name, old)


def test_from_values_is_strict() -> None:
    assert from_values(AgentConfig, {"cnn_channels": [8, 8, 8]}).cnn_channels == (8, 8, 8)
    assert from_values(BCConfig, {"lr": 1}).lr == 1.0  # TOML ints are fine as floats
    with pytest.raises(ValueError, match="'lr' has the wrong type"):
        from_values(BCConfig, {"lr": "fast"})
    with pytest.raises(ValueError, match="'updates' has the wrong type"):
        from_values(BCConfig, {"updates": 1.5})
    with pytest.raises(ValueError, match="agent.memory"):
        from_values(BCConfig, {"agent": {"memory": "rnn"}})
