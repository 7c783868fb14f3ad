"""The console script's dispatcher."""

from __future__ import annotations

import os

import pytest

from agent.cli import main


def test_a_redirected_run_gets_sparse_progress_lines(monkeypatch, capsys) -> None:
    for name in ("TQDM_MININTERVAL", "TQDM_MAXINTERVAL"):
        monkeypatch.setenv(name, "")  # so that teardown restores the original
        monkeypatch.delenv(name)
    with pytest.raises(SystemExit):  # --help of a command exits after printing
        main(["demos", "--help"])
    # pytest captures stderr, as a log file would: progress bars redraw at most every 30 s
    assert os.environ["TQDM_MININTERVAL"] == os.environ["TQDM_MAXINTERVAL"] == "30"
    assert "demos" in capsys.readouterr().out


def test_unknown_command_is_named(capsys) -> None:
    assert main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err
