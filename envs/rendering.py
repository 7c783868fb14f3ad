"""Headless rendering set-up, done before miniworld is first imported.

MiniWorld 2.1.0 ignores its documented ``PYOPENGL_PLATFORM=egl`` switch (its entity module imports
``pyglet.gl`` first), so we turn on pyglet's headless (EGL) mode instead. A user with a display
who wants a window sets ``MINIGROUND_WINDOW=1`` before importing ``envs``.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator

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
    if os.environ.get("MINIGROUND_SLOW_TEXTURES", "0") != "1":
        install_fast_texture_loader()
    return mw


def _fast_texture_load(tex_path: str):  # pragma: no cover - exercised through every env
    """Load a texture like ``miniworld.opengl.Texture.load``, without pyglet's slow conversion.

    MiniWorld defect worked around: ``Texture.load`` converts each PNG to RGBA through pyglet 1.5's
    pure-Python regex swizzle, which costs about 6 s of start-up in every process. Decoding with
    imageio gives the same bytes in milliseconds.
    """
    import imageio.v3 as iio
    import numpy as np
    import pyglet
    from pyglet import gl

    pixels = np.asarray(iio.imread(tex_path))
    if pixels.ndim == 2:
        pixels = np.stack([pixels] * 3, axis=-1)
    if pixels.shape[2] == 3:
        alpha = np.full(pixels.shape[:2] + (1,), 255, dtype=np.uint8)
        pixels = np.concatenate([pixels, alpha], axis=-1)
    pixels = np.ascontiguousarray(pixels[::-1].astype(np.uint8))  # pyglet rows run bottom-up
    height, width = pixels.shape[:2]
    data = pixels.tobytes()
    img = pyglet.image.ImageData(width, height, "RGBA", data)
    tex = img.get_texture()
    gl.glEnable(tex.target)
    gl.glBindTexture(tex.target, tex.id)
    gl.glTexImage2D(
        gl.GL_TEXTURE_2D, 0, gl.GL_RGB, width, height, 0, gl.GL_RGBA, gl.GL_UNSIGNED_BYTE, data
    )
    gl.glHint(gl.GL_GENERATE_MIPMAP_HINT, gl.GL_NICEST)
    gl.glGenerateMipmap(gl.GL_TEXTURE_2D)
    gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MAG_FILTER, gl.GL_LINEAR)
    gl.glTexParameteri(gl.GL_TEXTURE_2D, gl.GL_TEXTURE_MIN_FILTER, gl.GL_LINEAR_MIPMAP_LINEAR)
    gl.glBindTexture(gl.GL_TEXTURE_2D, 0)
    return tex


def install_fast_texture_loader() -> None:
    """Swap MiniWorld's texture loader for :func:`_fast_texture_load` (same pixels)."""
    from miniworld import opengl

    opengl.Texture.load = classmethod(lambda cls, path: _fast_texture_load(path))


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Keep MiniWorld's frame-buffer chatter ("Falling back to num_samples=4") off stdout.

    MiniWorld prints it with ``print`` while building frame buffers, which corrupts ``--json``
    output; anything else printed meanwhile is passed on to stderr.
    """
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        yield
    rest = [
        line for line in buffer.getvalue().splitlines() if "Falling back to num_samples" not in line
    ]
    if rest:
        print("\n".join(rest), file=sys.stderr)
