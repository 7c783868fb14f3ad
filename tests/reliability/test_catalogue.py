"""Every kind of bad input in the catalogue gets its exit status and a message naming the problem
(no traceback); API cases raise or warn with that message."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from catalogue import CASES, Case, Paths, classify, run_api
from catalogue_fixtures import make_fixtures
from procs import ROOT


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory, tiny_demos: Path) -> Paths:
    return make_fixtures(tmp_path_factory.mktemp("catalogue"), tiny_demos)


def _run_cli(case: Case, paths: Paths, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """The command in this process (or a fresh one when it does real work): (status, output)."""
    assert case.args is not None
    if case.isolated:
        done = subprocess.run([sys.executable, "-m", "agent.cli", *case.args(paths)], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        return done.returncode, done.stdout + done.stderr
    from agent.cli import main

    try:
        code = main(case.args(paths))
    except SystemExit as exc:  # argparse and tyro exit themselves
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=[pytest.mark.slow] * c.isolated, id=c.name) for c in CASES]
)
def test_bad_input_gets_a_clear_error(
    case: Case, paths: Paths, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MINIGROUND_RUNS", str(paths.root / "runs"))
    monkeypatch.delenv("MINIGROUND_DEBUG", raising=False)
    if case.api is not None:
        output, code = run_api(case, paths), 0
    else:
        code, output = _run_cli(case, paths, capsys)
    assert classify(case, code, output) == "clear", (
        f"{case.name}: exit {code} (expected {case.code}), pattern {case.pattern!r}\n"
        f"{output[-3000:]}"
    )


def test_failed_checks_leave_no_run_directory(paths: Paths, monkeypatch) -> None:
    from agent.cli import main

    runs = paths.root / "runs_check"
    monkeypatch.setenv("MINIGROUND_RUNS", str(runs))
    for flag in ("--checkpoint_interval", "--batch_episodes", "--bptt", "--updates"):
        with pytest.raises(SystemExit):
            main(["train", "bc", "--demos", str(paths.demos), "--config", str(paths.toml), flag,
                  "0"])  # fmt: skip
    assert not runs.exists() or not any(runs.iterdir())


def test_debug_shows_the_traceback_and_default_hides_it(paths: Paths) -> None:
    command = [
        sys.executable,
        "-m",
        "agent.cli",
        "demos",
        "--episodes",
        "1",
        "--out",
        str(paths.file),
    ]
    plain = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    debug = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**__import__("os").environ, "MINIGROUND_DEBUG": "1"})  # fmt: skip
    assert plain.returncode == debug.returncode == 2
    assert "Traceback" not in plain.stderr and "is a file" in plain.stderr
    assert "Traceback (most recent call last)" in debug.stderr and "is a file" in debug.stderr
    assert len(re.findall(r"error:", plain.stderr)) == 1


def test_a_bug_keeps_its_traceback(monkeypatch) -> None:
    from agent import cli

    def broken(argv: list[str]) -> int:
        raise KeyError("a bug, not bad input")

    monkeypatch.setitem(cli.COMMANDS, "envs", ("agent.scripts.envs:main", "x"))
    monkeypatch.setattr("agent.scripts.envs.main", broken)
    with pytest.raises(KeyError):
        cli.main(["envs"])


def test_ranges_are_checked_for_every_training_config() -> None:
    from agent.data.grounding_frames import GroundingConfig
    from agent.learn.bc import BCConfig
    from agent.learn.dagger import DAggerTrainConfig
    from agent.learn.ppo_config import PPOConfig
    from agent.scripts.quickstart import DemosConfig, EvalConfig

    for cls, field, bad in [(BCConfig, "lr", 0.0), (BCConfig, "hflip", 1.5),
                            (DAggerTrainConfig, "rounds", -1), (DAggerTrainConfig, "bptt", 0),
                            (PPOConfig, "gae_lambda", -0.1), (PPOConfig, "target_kl", 0.0),
                            (GroundingConfig, "near_fraction", 2.0), (DemosConfig, "workers", 0),
                            (EvalConfig, "episodes", 0)]:  # fmt: skip
        with pytest.raises(ValueError, match=field):
            cls(**{field: bad})
    assert PPOConfig(target_kl=None).target_kl is None  # unset optional fields pass
