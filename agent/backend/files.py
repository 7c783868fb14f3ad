"""Directories shipped to workers that do not share this machine's disk (a Ray cluster's nodes).

:func:`pack_dir` reads a directory's top-level files into a picklable dict; :func:`unpack_dir`
writes them once per worker process into a temporary directory named by their content hash, so a
checkpoint loads on any node exactly as it does from the original folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

_UNPACKED: dict[str, Path] = {}
"""Content hash -> directory already written in this process."""


def pack_dir(path: str | os.PathLike) -> dict[str, bytes]:
    """The top-level files of directory ``path`` (sub-directories, e.g. training state, skipped)."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"directory {str(root)!r} does not exist")
    return {f.name: f.read_bytes() for f in sorted(root.iterdir()) if f.is_file()}


def files_digest(files: dict[str, bytes]) -> str:
    """A SHA-256 over the names and contents of packed files."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def unpack_dir(files: dict[str, bytes]) -> Path:
    """A local directory holding ``files`` (written once per process and content)."""
    key = files_digest(files)
    if key in _UNPACKED and _UNPACKED[key].is_dir():
        return _UNPACKED[key]
    root = Path(tempfile.mkdtemp(prefix=f"miniground-{key[:12]}-"))
    for name, data in files.items():
        (root / Path(name).name).write_bytes(data)
    _UNPACKED[key] = root
    return root
