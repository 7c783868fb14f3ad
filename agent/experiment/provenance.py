"""Provenance of a record: the hash of the code that matters, the git commit, the machine."""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
"""The repository (or install) root holding agent/, envs/ and policies/."""
CODE_DIRS: tuple[str, ...] = ("agent", "envs", "policies")
"""Source trees whose content decides a run's figures."""
NOT_CODE: tuple[str, ...] = ("agent/bench/", "agent/scripts/", "agent/cli.py", "agent/experiment/")
"""Files under CODE_DIRS that cannot change a figure (benchmarks, argument parsing, the
experiment machinery: a recipe's every setting is in the config hash) ..."""
CODE_TOO: tuple[str, ...] = ("agent/experiment/stages.py",)
"""... except the module that chains the stages."""


def _git(*args: str, root: Path = ROOT) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                             timeout=30, check=True)  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout


def code_files(root: Path = ROOT) -> list[str]:
    """The source files that matter, relative to ``root``: git's tracked files when ``root`` is a
    checkout, else every ``*.py`` / ``*.toml`` under CODE_DIRS."""
    listed = _git("ls-files", "-z", *CODE_DIRS, root=root)
    if listed is not None and listed:
        files = [f for f in listed.split("\0") if f]
    else:
        files = [str(p.relative_to(root)) for d in CODE_DIRS for p in (root / d).rglob("*")
                 if p.suffix in (".py", ".toml") and "__pycache__" not in p.parts]  # fmt: skip
    return sorted(
        f for f in files if (f in CODE_TOO or not f.startswith(NOT_CODE)) and (root / f).is_file()
    )


def code_hash(root: Path = ROOT) -> str:
    """SHA-256 (16 hex digits) over the paths and contents of :func:`code_files` as on disk, so a
    README edit leaves it alone and an uncommitted source edit changes it."""
    digest = hashlib.sha256()
    for name in code_files(root):
        digest.update(name.encode() + b"\0")
        digest.update((root / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def git_commit(root: Path = ROOT) -> dict[str, Any]:
    """HEAD's commit and whether the code that matters (:func:`code_files`) has uncommitted
    changes."""
    head = _git("rev-parse", "HEAD", root=root)
    status = _git("status", "--porcelain", "--", *code_files(root), root=root)
    return {
        "head": head.strip() if head else None,
        "dirty": bool(status.strip()) if status is not None else None,
    }


def machine() -> dict[str, Any]:
    """Cores, CPU model, memory and GPU of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages * size / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    gpu = "none"
    try:
        import torch

        if torch.cuda.is_available():
            gpu = torch.cuda.get_device_name(0)
    except ImportError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cores": cores, "cpu": cpu, "memory_gib": memory_gib, "gpu": gpu,
            "system": platform.platform()}  # fmt: skip
