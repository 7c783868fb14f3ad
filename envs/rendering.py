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
import types
from collections.abc import Iterator

DEBIAN_PACKAGES = "libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglu1-mesa"

RENDER_HELP = (
    "MiniWorld could not open an OpenGL context. miniground renders headless through EGL "
    f"(Mesa's llvmpipe works on a CPU-only machine). On Debian/Ubuntu install: "
    f"`sudo apt-get install {DEBIAN_PACKAGES}`. Alternatively run with a virtual X display: "
    "`MINIGROUND_WINDOW=1 xvfb-run -a -s '-screen 0 1024x768x24' miniground ...`."
)


USER_LP_NUM_THREADS: str | None = "unset"
"""``LP_NUM_THREADS`` as the user left it before :func:`configure_headless` (``None``: unset)."""


class RenderingUnavailableError(RuntimeError):
    """Raised when no OpenGL context can be created (no EGL, no display)."""


def window_requested() -> bool:
    """True when the user asked for an on-screen window (``MINIGROUND_WINDOW=1``)."""
    return os.environ.get("MINIGROUND_WINDOW", "0").lower() in ("1", "true", "yes")


def gl_debug_requested() -> bool:
    """True when ``MINIGROUND_GL_DEBUG=1`` asks pyglet to check ``glGetError`` after every call.

    Off by default: pyglet's check doubles the number of GL calls per frame (about a million
    ``errcheck`` calls per 6,000 frames), and MiniWorld's fixed pipeline does not need it.
    """
    return os.environ.get("MINIGROUND_GL_DEBUG", "0").lower() in ("1", "true", "yes")


def configure_headless() -> None:
    """Set pyglet's headless mode unless a window was requested; must precede miniworld."""
    if window_requested():
        return
    if "miniworld" in sys.modules and os.environ.get("PYGLET_HEADLESS") != "true":
        # Too late to switch: pyglet already chose its platform. Keep going; errors surface
        # as RenderingUnavailableError when the first env is built.
        return
    os.environ["PYGLET_HEADLESS"] = "true"
    # llvmpipe rasterises in the calling thread: for 80x60 frames its worker threads cost more in
    # hand-offs than they save, and they compete with torch and the other env processes.
    # Pixels are identical; a user can still set LP_NUM_THREADS.
    global USER_LP_NUM_THREADS
    if USER_LP_NUM_THREADS == "unset":
        USER_LP_NUM_THREADS = os.environ.get("LP_NUM_THREADS")
    os.environ.setdefault("LP_NUM_THREADS", "0")
    try:
        import pyglet

        pyglet.options["headless"] = True
        pyglet.options["debug_gl"] = gl_debug_requested()
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
    install_mesh_display_lists()
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


def _resolve_color_only(fb):  # pragma: no cover - exercised through every env
    """``FrameBuffer.resolve`` without the depth blit: same RGB pixels, about 0.7 ms less a frame.

    MiniWorld defect worked around: ``resolve`` also blits the multisampled depth buffer on every
    frame, which llvmpipe does on the CPU, although only ``get_depth_map`` reads it.
    """
    from ctypes import POINTER

    import numpy as np
    from pyglet import gl

    gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, fb.multi_fbo)
    gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, fb.final_fbo)
    w, h = fb.width, fb.height
    gl.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h, gl.GL_COLOR_BUFFER_BIT, gl.GL_LINEAR)
    gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, fb.final_fbo)
    gl.glPixelStorei(gl.GL_PACK_ALIGNMENT, 1)
    gl.glReadPixels(
        0, 0, w, h, gl.GL_RGB, gl.GL_UNSIGNED_BYTE, fb.img_array.ctypes.data_as(POINTER(gl.GLubyte))
    )
    gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
    return np.ascontiguousarray(np.flip(fb.img_array, axis=0))


def _depth_map_on_demand(fb, z_near: float = 0.04, z_far: float = 1.0):  # pragma: no cover
    """Blit the depth buffer that :func:`_resolve_color_only` skipped, then read it."""
    from pyglet import gl

    gl.glBindFramebuffer(gl.GL_READ_FRAMEBUFFER, fb.multi_fbo)
    gl.glBindFramebuffer(gl.GL_DRAW_FRAMEBUFFER, fb.final_fbo)
    w, h = fb.width, fb.height
    gl.glBlitFramebuffer(0, 0, w, h, 0, 0, w, h, gl.GL_DEPTH_BUFFER_BIT, gl.GL_NEAREST)
    gl.glBindFramebuffer(gl.GL_FRAMEBUFFER, 0)
    return type(fb).get_depth_map(fb, z_near, z_far)


def fast_readback(fb) -> None:
    """Give one MiniWorld frame buffer the colour-only ``resolve`` (depth read on demand).

    Per instance, so that a plain MiniWorld env in the same process (``bench envs``'s baseline)
    keeps MiniWorld's own code. ``MINIGROUND_DEPTH_BLIT=1`` turns it off.
    """
    if os.environ.get("MINIGROUND_DEPTH_BLIT", "0") == "1":
        return
    fb.resolve = types.MethodType(_resolve_color_only, fb)
    fb.get_depth_map = types.MethodType(_depth_map_on_demand, fb)


def render_world_cached(env, frame_buffer, render_agent: bool):  # pragma: no cover - every env
    """MiniWorld's ``_render_world`` with the movable objects kept in a display list.

    MiniWorld compiles only static entities into a display list and re-issues every movable
    object's GL calls each frame (its own TODO). Our objects move only when carried, so we compile
    them once and recompile when any of them moves; the pixels are the same (tested).
    ``env._object_list_key`` must be reset to ``None`` whenever the entities are rebuilt.
    """
    from pyglet import gl

    gl.glCallList(1)  # MiniWorld's static display list
    movable = [e for e in env.entities if not e.is_static and e is not env.agent]
    key = tuple(
        (id(e), float(e.pos[0]), float(e.pos[1]), float(e.pos[2]), float(e.dir)) for e in movable
    )
    if getattr(env, "_object_list", None) is None:
        env._object_list = gl.glGenLists(1)
    if key != getattr(env, "_object_list_key", None):
        for ent in movable:  # compile new meshes first: list compilation cannot nest
            if getattr(ent, "mesh", None) is not None and _PLAIN_MESH_RENDER is not None:
                _mesh_list(ent.mesh)
        gl.glNewList(env._object_list, gl.GL_COMPILE)
        for ent in movable:
            ent.render()
        gl.glEndList()
        env._object_list_key = key
    gl.glCallList(env._object_list)
    if render_agent:
        env.agent.render()
    return frame_buffer.resolve()


def _mesh_list(mesh) -> int | None:  # pragma: no cover - exercised through every env
    """The display list of ``mesh``, compiled on first use; ``None`` while another compiles."""
    from pyglet import gl

    dl = getattr(mesh, "_miniground_list", None)
    if dl is None:
        if _list_being_compiled():
            return None  # lists cannot nest their compilation: draw plainly this once
        dl = gl.glGenLists(1)
        gl.glNewList(dl, gl.GL_COMPILE)
        _PLAIN_MESH_RENDER(mesh)
        gl.glEndList()
        mesh._miniground_list = dl
    return dl


def _list_being_compiled() -> bool:  # pragma: no cover - exercised through every env
    """Whether a display list is being compiled now (``GL_LIST_INDEX`` is non-zero)."""
    from pyglet import gl

    index = gl.GLint(0)
    gl.glGetIntegerv(gl.GL_LIST_INDEX, index)
    return index.value != 0


def _mesh_render_cached(mesh) -> None:  # pragma: no cover - exercised through every env
    """``ObjMesh.render`` through the mesh's display list (the same GL commands)."""
    from pyglet import gl

    dl = _mesh_list(mesh)
    if dl is None:
        _PLAIN_MESH_RENDER(mesh)
    else:
        gl.glCallList(dl)


_PLAIN_MESH_RENDER = None


def install_mesh_display_lists() -> None:
    """Render MiniWorld's meshes (keys, balls, ...) from per-mesh display lists.

    MiniWorld re-issues a mesh's vertex lists from Python on every draw; recording a mesh's
    commands once makes recompiling the per-episode object list cheap. Meshes are cached per
    process by MiniWorld and GL contexts share objects, so one list per mesh serves every env.
    """
    global _PLAIN_MESH_RENDER
    from miniworld.objmesh import ObjMesh

    if _PLAIN_MESH_RENDER is None:
        _PLAIN_MESH_RENDER = ObjMesh.render
        ObjMesh.render = _mesh_render_cached
