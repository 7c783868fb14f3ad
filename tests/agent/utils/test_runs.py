"""Run directories: one helper makes them all, under ``$MINIGROUND_RUNS``."""

from __future__ import annotations

from pathlib import Path

from agent.scripts.eval import main as eval_main
from agent.utils.runs import make_run_dir


def test_run_dirs_go_under_miniground_runs_and_never_collide(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MINIGROUND_RUNS", str(tmp_path / "root"))
    first = make_run_dir("bc", seed=3)
    second = make_run_dir("bc", seed=3)
    assert first.parent == second.parent == tmp_path / "root"
    assert first.is_dir() and second.is_dir() and first != second
    assert first.name.startswith("bc__3__")
    assert make_run_dir("eval").name.startswith("eval__")


def test_eval_default_output_uses_the_same_helper(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MINIGROUND_RUNS", str(tmp_path))
    argv = ["--policy", "random", "--episodes", "1", "--workers", "1", "--quiet"]
    assert eval_main(argv) == 0
    (out,) = tmp_path.glob("eval__*")
    assert (out / "eval_info.json").is_file()
