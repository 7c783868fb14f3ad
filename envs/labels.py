"""Privileged per-step labels for auxiliary losses (never a policy input).

Visibility comes from the pixels by default: :mod:`envs.masks` renders the view once more in
object ids, and an object is in view when it shows on a few pixels. The geometric test below
(``labels="geometric"``) needs no extra render but is only an approximation, computed on the
floor plane: an object is in view when its centre lies inside the camera's horizontal field of
view (widened by its angular radius) and the ray to it crosses no wall and no nearer object's
disc. It disagrees with the pixels on 7.9% of object-frames (`miniground bench labels`; a flat
key counts as a full-height disc and hides a box behind it, for one), so training data should not
use it.

:func:`step_labels` gives each ``labels=`` mode's entries of ``info``: ``"exact"`` and
``"geometric"`` every label; ``"seen"`` only what keeps ``target_seen`` exact (the id pass runs
only while the current target has not been seen and :func:`envs.camera.may_be_in_view` allows it);
``"none"`` no visibility at all. The target's bearing and distance (plain geometry) come in every
mode.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from envs import camera, masks
from envs.language import COLORS, SHAPES

_COLOR_INDEX = {c: i for i, c in enumerate(COLORS)}
_SHAPE_INDEX = {s: i for i, s in enumerate(SHAPES)}


def horizontal_fov(env: Any) -> float:
    """Half of the camera's horizontal field of view, in radians."""
    fov_y = math.radians(float(env.agent.cam_fov_y))
    aspect = env.obs_fb.width / env.obs_fb.height
    return math.atan(math.tan(fov_y / 2) * aspect)


def _crosses_wall(ox: float, oz: float, px: float, pz: float, segs: list) -> bool:
    """Whether the segment (ox, oz)->(px, pz) crosses any wall segment (ax, az, ex, ez)."""
    dx, dz = px - ox, pz - oz
    for ax, az, ex, ez in segs:
        denom = dx * ez - dz * ex
        if abs(denom) < 1e-12:
            continue
        qx, qz = ax - ox, az - oz
        t = (qx * ez - qz * ex) / denom
        if 1e-6 < t < 1 - 1e-6:
            u = (qx * dz - qz * dx) / denom
            if 0.0 <= u <= 1.0:
                return True
    return False


def _wall_list(env: Any) -> list[tuple[float, float, float, float]]:
    """Wall segments as (ax, az, ex, ez) tuples, cached on the env per floor plan."""
    cached = getattr(env, "_label_walls", None)
    if cached is not None and cached[0] is env.wall_segs:
        return cached[1]
    segs = [
        (float(a[0]), float(a[2]), float(b[0] - a[0]), float(b[2] - a[2]))
        for a, b in np.asarray(env.wall_segs, dtype=np.float64)
    ]
    env._label_walls = (env.wall_segs, segs)
    return segs


def visible_objects(env: Any) -> list[bool]:
    """Which of ``env.objects`` are in the agent's view now (pure Python: 5-10 objects)."""
    agent = env.agent
    ox, oz, heading = float(agent.pos[0]), float(agent.pos[2]), float(agent.dir)
    fov = horizontal_fov(env)
    carried = agent.carrying
    rel = []
    for ent in env.objects:
        dx, dz = float(ent.pos[0]) - ox, float(ent.pos[2]) - oz
        rel.append((dx, dz, max(math.hypot(dx, dz), 1e-6), float(ent.radius)))
    walls = None
    visible = []
    for k, (dx, dz, dist, rad) in enumerate(rel):
        bearing = (math.atan2(-dz, dx) - heading + math.pi) % (2 * math.pi) - math.pi
        if abs(bearing) >= fov + math.asin(min(rad / dist, 1.0)):
            visible.append(False)
            continue
        occluded = False
        for m, (mx, mz, mdist, mrad) in enumerate(rel):
            if m == k or env.objects[m] is carried:
                continue
            proj = (dx * mx + dz * mz) / dist
            if 0.0 < proj < dist - rad and mdist * mdist - proj * proj < mrad * mrad:
                occluded = True
                break
        if not occluded:
            walls = _wall_list(env) if walls is None else walls
            occluded = _crosses_wall(ox, oz, ox + dx, oz + dz, walls)
        visible.append(not occluded)
    return visible


def privileged_labels(env: Any, target: Any, visible: list[bool] | None = None) -> dict[str, Any]:
    """Target in view, its bearing (rad, + is left) and distance, colours and shapes in view.

    ``visible`` (one flag per object of ``env.objects``) defaults to the geometric test.
    """
    if visible is None:
        visible = visible_objects(env)
    colors = np.zeros(len(COLORS), dtype=np.float32)
    shapes = np.zeros(len(SHAPES), dtype=np.float32)
    target_visible = False
    for ent, vis in zip(env.objects, visible, strict=True):
        if vis:
            colors[_COLOR_INDEX[ent.color]] = 1.0
            shapes[_SHAPE_INDEX[ent.shape]] = 1.0
            target_visible |= ent is target
    return {
        "target_visible": bool(target_visible),
        **target_geometry(env, target),
        "visible_colors": colors,
        "visible_shapes": shapes,
    }


def target_geometry(env: Any, target: Any) -> dict[str, float]:
    """The target's bearing from the agent's heading (rad, + is left) and its distance (m)."""
    dx = float(target.pos[0] - env.agent.pos[0])
    dz = float(target.pos[2] - env.agent.pos[2])
    bearing = math.atan2(-dz, dx) - float(env.agent.dir)
    bearing = (bearing + math.pi) % (2 * math.pi) - math.pi
    return {"target_bearing": bearing, "target_distance": math.hypot(dx, dz)}


def step_labels(env: Any, target: Any, mode: str, seen: bool) -> tuple[dict[str, Any], bool]:
    """(``info`` entries of labels ``mode``, whether the target is in view now).

    Call it right after ``env.render_obs()`` (the id pass reads that frame). ``seen``: the target
    was already in view this episode. In ``"seen"`` mode the second value is exact while the
    target is unseen (afterwards False: nothing is computed); in ``"none"`` it is always False.
    """
    if mode == "exact":
        ids = masks.object_id_map(env)
        out = privileged_labels(env, target, masks.visible_from_ids(ids, len(env.objects)))
        out["semantic_map"] = masks.semantic_map(env, ids)
        return out, out["target_visible"]
    if mode == "geometric":
        out = privileged_labels(env, target)
        return out, out["target_visible"]
    out = target_geometry(env, target)
    if mode == "seen" and not seen and camera.may_be_in_view(env, target):
        index = next(k for k, ent in enumerate(env.objects) if ent is target)
        ids = masks.object_id_map(env)
        return out, masks.visible_from_ids(ids, len(env.objects))[index]
    return out, False
