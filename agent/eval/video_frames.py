"""Frame composition for rollout videos: pure numpy + Pillow, no env and no rendering here.

A frame is, side by side: the egocentric view (upscaled), optionally the same view under the
policy's gate/attention heat-map, and the top-down map with the trajectory and the target circled;
a caption bar with the instruction above, a status bar (step, action) below, and an outcome banner
on the final frames. Every size is even (libx264 with yuv420p needs it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CAPTION_H = 28
STATUS_H = 24
BACKGROUND = (24, 24, 28)
TEXT = (235, 235, 235)
TRAJECTORY = (255, 0, 255)
TARGET = (255, 255, 255)
WRONG = (255, 60, 60)
WALL = (40, 40, 50)
BANNERS: dict[str, tuple[str, tuple[int, int, int]]] = {
    "success": ("SUCCESS", (30, 150, 60)),
    "wrong_object": ("WRONG OBJECT", (190, 40, 40)),
    "timeout": ("TIMEOUT", (200, 120, 20)),
}
"""Outcome -> (banner text, banner colour)."""


@lru_cache(maxsize=8)
def font(size: int = 15) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` px (the bitmap default on Pillow < 10.1)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - old Pillow
        return ImageFont.load_default()


def even(n: float) -> int:
    """``n`` rounded down to an even integer (at least 2)."""
    return max(2, int(n) // 2 * 2)


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour upscaling of an (H, W, C) image by an integer factor."""
    return image.repeat(factor, axis=0).repeat(factor, axis=1)


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear resize of a uint8 (H, W, 3) image."""
    if image.shape[:2] == (height, width):
        return image
    return np.asarray(Image.fromarray(image).resize((width, height), Image.BILINEAR))


def jet(values: np.ndarray) -> np.ndarray:
    """A jet-like colour map of values in [0, 1] -> uint8 RGB."""
    v = np.clip(values, 0.0, 1.0)[..., None]
    rgb = np.clip(1.5 - np.abs(4.0 * v - np.array([3.0, 2.0, 1.0])), 0.0, 1.0)
    return (255 * rgb).astype(np.uint8)


def heatmap_overlay(image: np.ndarray, attention: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend an (h, w) attention map (min-max normalised, bilinear upsampled) over ``image``."""
    att = np.asarray(attention, dtype=np.float32)
    span = float(att.max() - att.min())
    att = (att - att.min()) / span if span > 1e-8 else np.zeros_like(att)
    height, width = image.shape[:2]
    up = Image.fromarray(att).resize((width, height), Image.BILINEAR)
    heat = jet(np.asarray(up))
    return (image * (1 - alpha) + heat * alpha).astype(np.uint8)


def draw_map(
    top: np.ndarray,
    scale: dict[str, float],
    trajectory: Sequence[tuple[float, float]],
    target: tuple[float, float, float] | None,
    wrong: tuple[float, float, float] | None = None,
    walls: np.ndarray | None = None,
) -> np.ndarray:
    """The top-down image with walls, the trajectory and circles (x, z, radius in metres).

    ``scale`` maps world (x, z) to pixels: px = x * x_scale + x_offset, py = z * z_scale + z_offset.
    ``walls``: (N, 2, 3) wall segments as MiniWorld's ``wall_segs`` (its top view omits them).
    """
    im = Image.fromarray(np.ascontiguousarray(top))
    draw = ImageDraw.Draw(im)

    def px(x: float, z: float) -> tuple[float, float]:
        return (x * scale["x_scale"] + scale["x_offset"], z * scale["z_scale"] + scale["z_offset"])

    for a, b in np.asarray(walls if walls is not None else np.zeros((0, 2, 3))):
        draw.line([px(a[0], a[2]), px(b[0], b[2])], fill=WALL, width=4)

    points = [px(x, z) for x, z in trajectory]
    if len(points) > 1:
        draw.line(points, fill=TRAJECTORY, width=2, joint="curve")
    if points:
        sx, sy = points[0]
        draw.ellipse([sx - 3, sy - 3, sx + 3, sy + 3], fill=TRAJECTORY)
    for circle, colour in ((target, TARGET), (wrong, WRONG)):
        if circle is not None:
            cx, cy = px(circle[0], circle[1])
            r = circle[2] * scale["x_scale"] + 5
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=colour, width=3)
    return np.asarray(im)


def crop_world(
    top: np.ndarray,
    scale: dict[str, float],
    bounds: tuple[float, float, float, float],
    margin: int = 8,
) -> np.ndarray:
    """Crop a top-down image to world ``bounds`` (min_x, max_x, min_z, max_z) plus ``margin`` px."""
    x0, x1, z0, z1 = bounds
    left = int(x0 * scale["x_scale"] + scale["x_offset"]) - margin
    right = int(x1 * scale["x_scale"] + scale["x_offset"]) + margin
    upper = int(z0 * scale["z_scale"] + scale["z_offset"]) - margin
    lower = int(z1 * scale["z_scale"] + scale["z_offset"]) + margin
    height, width = top.shape[:2]
    left, upper = max(0, left), max(0, upper)
    right, lower = min(width, right), min(height, lower)
    if right - left < 4 or lower - upper < 4:
        return top
    return top[upper:lower, left:right]


def text_bar(
    width: int,
    height: int,
    left: str,
    right: str = "",
    background: tuple[int, int, int] = BACKGROUND,
    size: int = 15,
) -> np.ndarray:
    """A (height, width, 3) bar with ``left`` text left-aligned and ``right`` right-aligned."""
    im = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(im)
    f = font(size)
    mid = height // 2
    draw.text((8, mid), left, fill=TEXT, font=f, anchor="lm")
    if right:
        draw.text((width - 8, mid), right, fill=TEXT, font=f, anchor="rm")
    return np.asarray(im)


def label_panel(panel: np.ndarray, label: str) -> np.ndarray:
    """Write a small label in the panel's top-left corner (on a dark box)."""
    im = Image.fromarray(np.ascontiguousarray(panel))
    draw = ImageDraw.Draw(im)
    f = font(12)
    box = draw.textbbox((4, 3), label, font=f)
    draw.rectangle([box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2], fill=BACKGROUND)
    draw.text((4, 3), label, fill=TEXT, font=f)
    return np.asarray(im)


def draw_banner(
    frame: np.ndarray, outcome: str, detail: str = "", position: float = 0.78
) -> np.ndarray:
    """A coloured outcome banner across ``frame``, centred at ``position`` of its height."""
    text, colour = BANNERS.get(outcome, (outcome.upper(), (90, 90, 90)))
    if detail:
        text = f"{text}: {detail}"
    im = Image.fromarray(np.ascontiguousarray(frame))
    draw = ImageDraw.Draw(im, "RGBA")
    width, height = im.size
    mid = int(height * position)
    draw.rectangle([0, mid - 20, width, mid + 20], fill=(*colour, 225))
    draw.text((width // 2, mid), text, fill=(255, 255, 255), font=font(24), anchor="mm")
    return np.asarray(im)


def compose_frame(
    ego: np.ndarray,
    top: np.ndarray,
    caption: str,
    status: str,
    status_right: str = "",
    attention: np.ndarray | None = None,
    ego_scale: int = 4,
    attention_panel: bool | None = None,
) -> np.ndarray:
    """One video frame (even height and width) from its parts.

    Args:
        ego: (h, w, 3) egocentric observation.
        top: top-down map, already annotated (see :func:`draw_map`); resized to the ego height.
        caption: text of the top bar (the instruction).
        status: left text of the bottom bar (step and action).
        status_right: right text of the bottom bar.
        attention: (h', w') map shown as a heat-map panel after the ego view.
        ego_scale: integer upscaling of the egocentric view.
        attention_panel: force the heat-map panel on or off (default: when ``attention`` is
            given); a panel without a map shows the plain view, so frame sizes stay constant.
    """
    view = upscale(ego, ego_scale)
    height, width = even(view.shape[0]), even(view.shape[1])
    view = resize(view, width, height)
    panels = [label_panel(view, "camera")]
    if attention_panel or (attention_panel is None and attention is not None):
        heat = view if attention is None else heatmap_overlay(view, attention)
        panels.append(label_panel(heat, "attention"))
    map_w = even(top.shape[1] * height / top.shape[0])
    panels.append(label_panel(resize(top, map_w, height), "map"))
    row = np.concatenate(panels, axis=1)
    total_w = row.shape[1]
    return np.concatenate(
        [
            text_bar(total_w, CAPTION_H, caption, size=17),
            row,
            text_bar(total_w, STATUS_H, status, status_right),
        ],
        axis=0,
    )


def tile(frames: Sequence[np.ndarray], columns: int = 2, shrink: int = 2) -> np.ndarray:
    """Tile equally sized frames (downscaled by ``shrink``) in a grid; blanks fill the last row."""
    height, width = frames[0].shape[:2]
    th, tw = even(height / shrink), even(width / shrink)
    small = [resize(f, tw, th) for f in frames]
    rows = -(-len(small) // columns)
    small += [np.zeros_like(small[0])] * (rows * columns - len(small))
    return np.concatenate(
        [np.concatenate(small[r * columns : (r + 1) * columns], axis=1) for r in range(rows)],
        axis=0,
    )
