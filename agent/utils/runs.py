"""Run directories: ``runs/<experiment>__<seed>__<timestamp>/``."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


def runs_root() -> Path:
    """Where runs go: ``$MINIGROUND_RUNS`` or ``./runs``."""
    return Path(os.environ.get("MINIGROUND_RUNS", "runs"))


def make_run_dir(name: str, seed: int | None = None) -> Path:
    """Create and return a fresh run directory (a numeric suffix avoids collisions)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = f"{name}__{seed}__{stamp}" if seed is not None else f"{name}__{stamp}"
    path = runs_root() / base
    k = 1
    while path.exists():
        k += 1
        path = runs_root() / f"{base}-{k}"
    path.mkdir(parents=True)
    return path


RUN_MARKERS: tuple[str, ...] = ("config.json", "checkpoints", "tb")
"""Entries that mark a folder as holding a training run already."""


def check_output_dir(path: str | os.PathLike, what: str = "--out") -> Path:
    """``path`` as a folder this process can create and write, checked before any work starts.

    Raises:
        UsageError: ``path`` is a file, lies under a file, or its folder is not writable.
    """
    from agent.utils.errors import UsageError

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{what} {out} is a file, not a folder; choose a folder path")
    parent = out
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{what} {out} cannot be created: {parent} is a file, not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".miniground_write_check_", dir=parent)
    except OSError as exc:
        raise UsageError(
            f"{what} {out} cannot be written: {parent} is not writable ({exc.strerror}); "
            "choose a folder you can write to"
        ) from exc
    os.close(fd)
    os.unlink(probe)
    return out


def check_fresh_run_dir(path: str | os.PathLike, what: str = "--out") -> Path:
    """:func:`check_output_dir`, and refuse a folder that already holds a run.

    A new run in an old run's folder would mix their checkpoints, configs and TensorBoard events.
    """
    from agent.utils.errors import UsageError

    out = check_output_dir(path, what)
    found = [name for name in RUN_MARKERS if (out / name).exists()]
    if found:
        raise UsageError(
            f"{what} {out} already holds a run ({', '.join(found)}); choose a new folder, or "
            f"continue that run with --resume {out}"
        )
    return out


def check_out(out: str | os.PathLike | None, fresh: bool = False) -> None:
    """Check a command's ``--out`` before its work starts (``fresh``: refuse an existing run);
    without one, check that the runs folder (``$MINIGROUND_RUNS``) is writable."""
    if out and fresh:
        check_fresh_run_dir(out)
    elif out:
        check_output_dir(out)
    else:
        check_output_dir(runs_root(), "the runs folder ($MINIGROUND_RUNS)")
