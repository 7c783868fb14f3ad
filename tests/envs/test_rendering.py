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


def test_colour_only_readback_matches_miniworld() -> None:
    """The frame buffers' fast resolve gives MiniWorld's pixels, and depth still reads right."""
    import types

    import numpy as np

    import envs

    env = envs.make("MiniGround/GoToObject-v0")
    try:
        env.reset(seed=4)
        base = env.unwrapped
        for _ in range(3):
            base.step(2)
        fast = base.render_obs()
        fast_depth = base.obs_fb.get_depth_map()
        fb = base.obs_fb
        fb.resolve = types.MethodType(type(fb).resolve, fb)
        fb.get_depth_map = types.MethodType(type(fb).get_depth_map, fb)
        slow = base.render_obs()
        np.testing.assert_array_equal(fast, slow)
        np.testing.assert_allclose(fast_depth, fb.get_depth_map())
    finally:
        env.close()


def test_object_display_list_matches_miniworld_while_carrying() -> None:
    """Cached object rendering equals MiniWorld's per-frame rendering, also as objects move."""
    import types

    import numpy as np

    import envs
    from envs.world import mw
    from policies.expert import Expert

    env = envs.make("MiniGround/PutNext-v0")
    try:
        base = env.unwrapped
        expert = Expert(env)
        compared = 0
        for seed in (0, 1):
            env.reset(seed=seed)
            done = False
            while not done:
                _, _, term, trunc, _ = env.step(expert())
                done = term or trunc
                cached = base.render_obs()
                base._render_world = types.MethodType(mw.MiniWorldEnv._render_world, base)
                plain = base.render_obs()
                del base._render_world
                np.testing.assert_array_equal(cached, plain)
                compared += 1
        assert compared > 20
    finally:
        env.close()
