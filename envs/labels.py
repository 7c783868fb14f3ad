"""Privileged per-step labels for auxiliary losses (never a policy input).

Visibility is geometric, computed on the floor plane: an object is in view when its centre lies
inside the camera's horizontal field of view (widened by the object's angular radius) and the ray
from the camera to it crosses no wall and no nearer object's disc. This approximates MiniWorld's
occlusion queries at a fraction of their cost (no extra render per step).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from envs.language import COLORS, SHAPES

_COLOR_INDEX = {c: i for i, c in enumerate(COLORS)}
_SHAPE_INDEX = {s: i for i, s in enumerate(SHAPES)}


def horizontal_fov(env: Any) -> float:
    """Half of the camera's horizontal field of view, in radians."""
    fov_y = math.radians(env.agent.cam_fov_y)
    aspect = env.obs_fb.width / env.obs_fb.height
    return math.atan(math.tan(fov_y / 2) * aspect)


def _ray_hits_segments(origin: np.ndarray, ends: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """For rays origin->ends[k] (K, 2), whether each crosses any segment (S, 2, 2)."""
    if len(segs) == 0:
        return np.zeros(len(ends), dtype=bool)
    d = ends - origin  # (K, 2)
    a = segs[:, 0]  # (S, 2)
    e = segs[:, 1] - a  # (S, 2)
    denom = d[:, None, 0] * e[None, :, 1] - d[:, None, 1] * e[None, :, 0]  # (K, S)
    diff = a[None, :, :] - origin[None, None, :]  # (1, S, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (diff[..., 0] * e[None, :, 1] - diff[..., 1] * e[None, :, 0]) / denom
        u = (diff[..., 0] * d[:, None, 1] - diff[..., 1] * d[:, None, 0]) / denom
    hit = (np.abs(denom) > 1e-12) & (t > 1e-6) & (t < 1 - 1e-6) & (u >= 0) & (u <= 1)
    return hit.any(axis=1)


def visible_objects(env: Any) -> np.ndarray:
    """Boolean mask over ``env.objects``: which are in the agent's view now."""
    objects = env.objects
    n = len(objects)
    pos = np.array([[e.pos[0], e.pos[2]] for e in objects], dtype=np.float64)
    rad = np.array([e.radius for e in objects], dtype=np.float64)
    origin = np.array([env.agent.pos[0], env.agent.pos[2]], dtype=np.float64)
    rel = pos - origin
    dist = np.maximum(np.hypot(rel[:, 0], rel[:, 1]), 1e-6)
    bearing = np.arctan2(-rel[:, 1], rel[:, 0]) - env.agent.dir
    bearing = (bearing + np.pi) % (2 * np.pi) - np.pi
    half = np.arcsin(np.clip(rad / dist, 0.0, 1.0))
    in_fov = np.abs(bearing) < horizontal_fov(env) + half
    carried = env.agent.carrying
    if not in_fov.any():
        return in_fov
    segs = env._wall_segs_2d if hasattr(env, "_wall_segs_2d") else None
    if segs is None or len(segs) != len(env.wall_segs):
        segs = np.asarray(env.wall_segs, dtype=np.float64)[:, :, [0, 2]]
        env._wall_segs_2d = segs
    visible = in_fov & ~_ray_hits_segments(origin, pos, segs)
    # Occlusion by nearer objects: the ray to object k passes through the disc of object m.
    unit = rel / dist[:, None]
    proj = unit @ rel.T  # (k, m): distance along ray k of object m's centre
    perp2 = (rel**2).sum(1)[None, :] - proj**2
    blocks = (proj > 0) & (proj < dist[:, None] - rad[:, None]) & (perp2 < (rad**2)[None, :])
    np.fill_diagonal(blocks, False)
    if carried is not None:
        idx = next(i for i, e in enumerate(objects) if e is carried)
        blocks[:, idx] = False
    visible &= ~blocks.any(axis=1)
    return visible[:n]


def privileged_labels(env: Any, target: Any) -> dict[str, Any]:
    """Target in view, its bearing (rad, + is left) and distance, colours and shapes in view."""
    visible = visible_objects(env)
    colors = np.zeros(len(COLORS), dtype=np.float32)
    shapes = np.zeros(len(SHAPES), dtype=np.float32)
    target_visible = False
    for ent, vis in zip(env.objects, visible, strict=True):
        if vis:
            colors[_COLOR_INDEX[ent.color]] = 1.0
            shapes[_SHAPE_INDEX[ent.shape]] = 1.0
            target_visible |= ent is target
    dx = float(target.pos[0] - env.agent.pos[0])
    dz = float(target.pos[2] - env.agent.pos[2])
    bearing = math.atan2(-dz, dx) - float(env.agent.dir)
    bearing = (bearing + math.pi) % (2 * math.pi) - math.pi
    return {
        "target_visible": bool(target_visible),
        "target_bearing": bearing,
        "target_distance": math.hypot(dx, dz),
        "visible_colors": colors,
        "visible_shapes": shapes,
    }
