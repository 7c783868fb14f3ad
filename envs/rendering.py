"""Headless rendering set-up, done before miniworld is first imported.

MiniWorld 2.1.0 ignores its documented ``PYOPENGL_PLATFORM=egl`` switch (its entity module imports
``pyglet.gl`` first), so we turn on pyglet's headless (EGL) mode instead. A user with a display
who wants a window sets ``MINIGROUND_WINDOW=1`` before importing ``envs``.
"""

from __future__ import annotations

import os
import sys

DEBIAN_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglu1-mesa"

RENDER_HELP = (
    "MiniWorld could not open an OpenGL context. miniground renders headless through EGL "
    f"(Mesa's llvmpipe works on a CPU-only machine). On Debian/Ubuntu install: "
    f"`sudo apt-get install {DEBIAN_PACKAGES}`. Alternatively run with a virtual X display: "
    "`MINIGROUND_WINDOW=1 xvfb-run -a -s '-screen 0 1024x768x24' miniground ...`."
)


class RenderingUnavailableError(RuntimeError):
    """Raised when no OpenGL context can be created (no EGL, no display)."""


def window_requested() -> bool:
    """True when the user asked for an on-screen window (``MINIGROUND_WINDOW=1``)."""
    return os.environ.get("MINIGROUND_WINDOW", "0").lower() in ("1", "true", "yes")


def configure_headless() -> None:
    """Set pyglet's headless mode unless a window was requested; must precede miniworld."""
    if window_requested():
        return
    if "miniworld" in sys.modules and os.environ.get("PYGLET_HEADLESS") != "true":
        # Too late to switch: pyglet already chose its platform. Keep going; errors surface
        # as RenderingUnavailableError when the first env is built.
        return
    os.environ["PYGLET_HEADLESS"] = "true"
    try:
        import pyglet

        pyglet.options["headless"] = True
    except ImportError:  # pragma: no cover - pyglet is a hard dependency
        pass


def import_miniworld():
    """Import miniworld with rendering configured; raise a clear error when GL is missing."""
    configure_headless()
    try:
        import miniworld.miniworld as mw
    except Exception as exc:  # noqa: BLE001 - pyglet raises many kinds here
        raise RenderingUnavailableError(f"{RENDER_HELP} (cause: {exc!r})") from exc
    return mw
