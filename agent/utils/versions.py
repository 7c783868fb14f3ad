"""Provenance: versions of the interpreter and the main dependencies."""

from __future__ import annotations

import platform


def versions() -> dict[str, str]:
    """Versions of the interpreter and the main dependencies, for provenance records."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("miniground", "torch", "gymnasium", "miniworld", "numpy", "transformers"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
