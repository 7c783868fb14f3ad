"""The agent's camera: its pitch as a task parameter, and a conservative in-view pre-test.

MiniWorld samples ``agent.cam_pitch`` (degrees, negative looks down) from the env's ``params`` at
every reset: the default without domain randomisation, uniform in ``[min, max]`` with it. Each
MiniGround env gets its own copy of those params (MiniWorld's ``DEFAULT_PARAMS`` is a shared module
global) whose ``cam_pitch`` default is the task's, randomised +- :data:`PITCH_RANGE` degrees.

:func:`may_be_in_view` is a necessary condition for an object to show in the frame, from the
camera's frustum projected on the floor plane; the ``"seen"`` labels skip the id render pass when
it fails.
"""

from __future__ import annotations

import math
from typing import Any

from envs.rendering import import_miniworld

PITCH_RANGE = 5.0
"""Domain randomisation of the pitch: uniform in ``cam_pitch +- PITCH_RANGE`` degrees."""
MAX_PITCH = 60.0
"""Largest ``|cam_pitch|`` accepted (MiniWorld's look-at camera degenerates at 90 degrees)."""
VIEW_MARGIN = math.radians(10.0)
"""Slack (radians) added to the frustum's widest floor-plane bearing by :func:`may_be_in_view`."""


def camera_params(cam_pitch: float) -> Any:
    """A private copy of MiniWorld's default params with the pitch's default and range set.

    ``cam_pitch=0`` gives exactly MiniWorld's defaults (pitch 0, range -5 .. 5). Returns a
    ``miniworld.params.DomainParams``.
    """
    number = isinstance(cam_pitch, (int, float)) and not isinstance(cam_pitch, bool)
    if not number or not math.isfinite(cam_pitch) or abs(cam_pitch) > MAX_PITCH:
        raise ValueError(
            f"cam_pitch must be degrees in [-{MAX_PITCH:g}, {MAX_PITCH:g}], got {cam_pitch!r}"
        )
    pitch = float(cam_pitch)
    params = import_miniworld().DEFAULT_PARAMS.copy()
    params.set("cam_pitch", pitch, pitch - PITCH_RANGE, pitch + PITCH_RANGE)
    return params


def max_bearing(agent: Any, aspect: float) -> float:
    """Widest floor-plane bearing (radians, from the camera's heading) of any ray in the frame.

    A ray through image coordinates ``(a, b)`` (``|a| <= tan(fov_x / 2)``, ``|b| <= tan(fov_y /
    2)``) of a camera pitched by ``p`` has a horizontal bearing ``atan(a / (cos p + b sin p))``;
    the widest is at the image's lower (looking down) or upper (looking up) corners. Returns pi
    when the frame reaches straight down or up (any bearing then).
    """
    half_y = math.tan(math.radians(float(agent.cam_fov_y)) / 2)
    half_x = half_y * aspect
    pitch = math.radians(float(agent.cam_pitch))
    forward = math.cos(pitch) - half_y * abs(math.sin(pitch))
    if forward <= 1e-3:
        return math.pi
    return math.atan(half_x / forward)


def may_be_in_view(env: Any, ent: Any, margin: float = VIEW_MARGIN) -> bool:
    """False only when no part of ``ent`` can be inside the camera's field of view.

    Every point of an object lies within its (floor-plane) ``radius`` of its centre, so its
    bearing from the camera lies within ``asin(radius / distance)`` of the centre's. The test
    ignores walls and other objects (they only hide things) and adds ``margin``; when the camera
    stands within the object's radius it answers True.
    """
    agent = env.agent
    cam = agent.cam_pos
    dx, dz = float(ent.pos[0] - cam[0]), float(ent.pos[2] - cam[2])
    dist = math.hypot(dx, dz)
    radius = float(ent.radius)
    if dist <= radius + 0.05:
        return True
    widest = max_bearing(agent, env.obs_fb.width / env.obs_fb.height)
    if widest >= math.pi / 2:
        return True
    bearing = (math.atan2(-dz, dx) - float(agent.dir) + math.pi) % (2 * math.pi) - math.pi
    return abs(bearing) <= widest + math.asin(radius / dist) + margin
