"""Headless rendering set-up and its error message."""

import builtins

import pytest

from envs import rendering


def test_render_help_names_packages_and_xvfb() -> None:
    for word in ("libegl1", "libegl-mesa0", "libgl1-mesa-dri", "libglu1-mesa", "xvfb-run"):
        assert word in rendering.RENDER_HELP


def test_import_failure_becomes_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def failing(name, *args, **kwargs):
        if name == "miniworld.miniworld":
            raise ImportError("libEGL.so.1: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing)
    with pytest.raises(rendering.RenderingUnavailableError, match="apt-get install"):
        rendering.import_miniworld()


def test_headless_is_configured_on_import() -> None:
    import os

    import envs  # noqa: F401

    assert os.environ.get("PYGLET_HEADLESS") == "true"
