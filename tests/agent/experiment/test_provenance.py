"""Provenance: the code hash follows the code that matters and nothing else; machine facts."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from agent.experiment.provenance import code_files, code_hash, git_commit, machine


def make_tree(root: Path) -> None:
    for rel, text in {
        "agent/learn/bc.py": "x = 1\n", "envs/goto.py": "y = 2\n", "policies/expert.py": "z\n",
        "agent/scripts/eval.py": "a\n", "agent/experiment/report.py": "b\n",
        "agent/experiment/stages.py": "c\n", "README.md": "readme\n",
        "experiments/results/r.json": "{}\n",
    }.items():  # fmt: skip
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def edit_changes_hash(root: Path, rel: str) -> bool:
    before = code_hash(root)
    path = root / rel
    path.write_text(path.read_text() + "# edited\n")
    return code_hash(root) != before


@pytest.mark.parametrize("use_git", [False, True])
def test_code_hash_follows_the_code_that_matters(tmp_path: Path, use_git: bool) -> None:
    make_tree(tmp_path)
    if use_git:
        if shutil.which("git") is None:
            pytest.skip("git is not installed")
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    files = code_files(tmp_path)
    assert "agent/learn/bc.py" in files and "envs/goto.py" in files
    assert "agent/experiment/stages.py" in files  # chains the stages: it matters
    assert "agent/scripts/eval.py" not in files and "agent/experiment/report.py" not in files
    for rel in ("README.md", "experiments/results/r.json", "agent/scripts/eval.py",
                "agent/experiment/report.py"):  # fmt: skip
        assert not edit_changes_hash(tmp_path, rel), rel
    for rel in ("agent/learn/bc.py", "envs/goto.py", "policies/expert.py",
                "agent/experiment/stages.py"):  # fmt: skip
        assert edit_changes_hash(tmp_path, rel), rel
    if use_git:  # dirty means: the code that matters differs from HEAD
        env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
               "GIT_COMMITTER_EMAIL": "t@t", "PATH": os.environ["PATH"]}  # fmt: skip
        subprocess.run(["git", "-C", str(tmp_path), "commit", "-qam", "x"], check=True, env=env)
        assert git_commit(tmp_path)["dirty"] is False
        (tmp_path / "agent/scripts/eval.py").write_text("edited\n")
        assert git_commit(tmp_path)["dirty"] is False
        (tmp_path / "envs/goto.py").write_text("edited\n")
        assert git_commit(tmp_path)["dirty"] is True


def test_code_hash_of_this_checkout_is_stable() -> None:
    assert code_hash() == code_hash()
    assert len(code_hash()) == 16


def test_machine_and_commit() -> None:
    info = machine()
    assert info["cores"] >= 1 and info["cpu"] and info["gpu"]
    commit = git_commit()
    assert set(commit) == {"head", "dirty"}
