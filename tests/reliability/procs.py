"""Process helpers for the fault tests: run the real CLI, find its descendants in /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_cli(args: list[str], log: Path, **env: str) -> subprocess.Popen:
    """``python -m agent.cli ARGS`` in the repository root, stdout+stderr to ``log`` (progress
    bars redraw as on a terminal: the tests read progress from the log)."""
    environ = {**os.environ, "PYGLET_HEADLESS": "true", "MINIGROUND_RUNS": str(log.parent),
               "TQDM_MININTERVAL": "0.1", "TQDM_MAXINTERVAL": "10", **env}  # fmt: skip
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "agent.cli", *args], cwd=ROOT, stdout=out,
            stderr=subprocess.STDOUT, env=environ,
        )  # fmt: skip


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process from /proc, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], int(fields[1])


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, counts as gone)."""
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, grandchildren, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] not in "ZX":
            parents.setdefault(stat[1], []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_for(condition: Callable[[], bool], timeout: float, what: str, proc=None) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` (and the log) otherwise."""
    deadline = time.monotonic() + timeout
    while not condition():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the command exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def kill_and_check(proc: subprocess.Popen, min_children: int, within: float = 5.0) -> list[int]:
    """kill -9 the command; assert that none of its descendants outlives it by ``within`` s.

    Returns the descendants that were running at the kill (at least ``min_children``).
    """
    kids = descendants(proc.pid)
    assert len(kids) >= min_children, f"expected >= {min_children} worker processes, saw {kids}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + within
    while (left := [k for k in kids if alive(k)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:  # clean up before failing, so one failure does not leak into other tests
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes {left} survived kill -9 of their parent by {within} s"
    return kids
