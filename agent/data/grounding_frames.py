"""Simulator-captioned frames for grounding: capture them, then pair them with instructions.

For random poses in random layouts (half of them near an object and roughly facing it, as the
agent is on its way to a target), every object's colour, shape, visibility, bearing and distance is
known. :class:`GroundingBatcher` pairs each frame with an instruction naming an object in view, an
object in the room but out of view, or a colour-shape pair absent from the room, with the labels
the auxiliary heads are trained on (:mod:`agent.learn.grounding`) and probed with
(:mod:`agent.eval.grounding_probe`). No expert is involved. Queries name only ``train``-split
targets; held-out pairs measure zero-shot grounding.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from agent.utils.configs import check_bounds
from agent.utils.lifeline import tie_to_parent
from envs.language import COLORS, SHAPES, sample_instruction, target_combos

FRAME_KEYS = ("images", "color", "shape", "visible", "bearing", "distance", "semantic")


@dataclass
class GroundingConfig:
    """Grounding pretraining (0 steps turns it off)."""

    layouts: int = 600
    """Random layouts (env resets) to capture frames in."""
    poses_per_layout: int = 20
    """Frames captured per layout."""
    near_fraction: float = 0.5
    """Share of poses placed 0.3-2.5 m from an object, roughly facing it."""
    workers: int = 2
    """Capture worker processes (one env each)."""
    steps: int = 0
    """Gradient steps of pretraining before behaviour cloning."""
    batch: int = 64
    """Frames (each with one instruction) per step."""
    lr: float = 1e-3
    """Peak learning rate (Adam, cosine decay to a tenth)."""
    hflip: float = 0.5
    """Probability of mirroring a frame (the bearing changes sign)."""
    seed: int = 3_000_000
    """First layout seed (disjoint from demo, validation and evaluation seeds)."""
    probe_layouts: int = 60
    """Layouts (10 frames each, fresh seeds) per split for the final grounding probe (0: none)."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "layouts": ">=1", "poses_per_layout": ">=1", "near_fraction": "0..1", "workers": ">=1",
        "steps": ">=0", "batch": ">=1", "lr": ">0", "hflip": "0..1", "seed": ">=0",
        "probe_layouts": ">=0",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        check_bounds(self)


# --------------------------------------------------------------------------- capture
def _wrap(angle: float) -> float:
    """Angle wrapped to [-pi, pi)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _sample_pose(base: Any, rng: np.random.Generator, near: bool) -> tuple[np.ndarray, float]:
    """A collision-free agent pose: uniform in the room, or near an object facing it."""
    radius = base.agent.radius
    for _ in range(200):
        if near:
            obj = base.objects[int(rng.integers(len(base.objects)))]
            angle = rng.uniform(-math.pi, math.pi)
            dist = rng.uniform(radius + obj.radius + 0.3, 2.5)
            pos = obj.pos + dist * np.array([math.cos(angle), 0.0, -math.sin(angle)])
            heading = angle + math.pi + rng.normal(0.0, 0.5)  # look back at the object
        else:
            pos = base._sample_point(radius + 0.1)
            heading = rng.uniform(-math.pi, math.pi)
        if not base.intersect(base.agent, pos, radius):
            return pos, float(heading)
    return base.agent.pos.copy(), float(base.agent.dir)


def capture_frames(
    task: str, env_kwargs: dict[str, Any], seeds: list[int], poses: int, near_fraction: float
) -> dict[str, np.ndarray]:
    """Frames and per-object captions from ``poses`` poses in each seeded layout."""
    from agent.data.demos import worker_env
    from envs import masks

    env = worker_env(task, env_kwargs)
    base = env.unwrapped
    out: dict[str, list] = {k: [] for k in FRAME_KEYS}
    for seed in seeds:
        env.reset(seed=int(seed))
        rng = np.random.default_rng([int(seed), 7])
        for _ in range(poses):
            pos, heading = _sample_pose(base, rng, bool(rng.random() < near_fraction))
            base.agent.pos, base.agent.dir = pos, heading
            out["images"].append(base.render_obs())
            ids = masks.object_id_map(base)
            vis = masks.visible_from_ids(ids, len(base.objects))
            out["semantic"].append(masks.semantic_map(base, ids))
            rel = [(e.pos[0] - pos[0], e.pos[2] - pos[2]) for e in base.objects]
            out["color"].append([COLORS.index(e.color) for e in base.objects])
            out["shape"].append([SHAPES.index(e.shape) for e in base.objects])
            out["visible"].append(vis)
            out["bearing"].append([_wrap(math.atan2(-dz, dx) - heading) for dx, dz in rel])
            out["distance"].append([math.hypot(dx, dz) for dx, dz in rel])
    dtypes = {"images": np.uint8, "color": np.int8, "shape": np.int8, "visible": bool,
              "semantic": np.uint8}  # fmt: skip
    return {k: np.asarray(v, dtype=dtypes.get(k, np.float32)) for k, v in out.items()}


def _capture_job(args: tuple) -> dict[str, np.ndarray]:
    return capture_frames(*args)


def generate_frames(
    task: str,
    settings: GroundingConfig,
    env_kwargs: dict[str, Any] | None = None,
    split: str = "train",
) -> dict[str, np.ndarray]:
    """Capture ``layouts * poses_per_layout`` captioned frames in worker processes.

    The result depends only on the settings (each layout has its own seed), not on ``workers``.
    ``split`` picks the layouts' targets: ``heldout_combos`` layouts always hold a held-out pair
    (for measuring zero-shot grounding; pretraining uses ``train``).
    """
    kwargs = {**(env_kwargs or {}), "split": split}
    seeds = [settings.seed + i for i in range(settings.layouts)]
    chunks = [list(c) for c in np.array_split(seeds, max(1, min(settings.workers * 4, len(seeds))))]
    jobs = [(task, kwargs, c, settings.poses_per_layout, settings.near_fraction) for c in chunks]
    if settings.workers <= 1:
        parts = [_capture_job(j) for j in jobs]
    else:
        with mp.get_context("spawn").Pool(settings.workers, initializer=tie_to_parent) as pool:
            parts = pool.map(_capture_job, jobs)
    return {k: np.concatenate([p[k] for p in parts]) for k in FRAME_KEYS}


# --------------------------------------------------------------------------- batches
class GroundingBatcher:
    """Frames paired with instructions naming an object in view, out of view, or absent.

    Instructions use the ``goto`` family's templates whatever the task (the words that ground,
    colour and shape, are the same in every family).
    """

    def __init__(
        self,
        frames: dict[str, np.ndarray],
        split: str = "train",
        rng: np.random.Generator | None = None,
        cells: tuple[tuple[int, int], int] | None = None,
    ) -> None:
        self.frames = frames
        self.split = split
        self.cells: tuple[np.ndarray, np.ndarray] | None = None
        if cells is not None and "semantic" in frames:
            from agent.data.cells import cell_codes_and_mirrored

            self.cells = cell_codes_and_mirrored(frames["semantic"], *cells)
        self.combos = [(COLORS.index(c), SHAPES.index(s)) for c, s in target_combos(split)]
        self.rng = rng or np.random.default_rng(0)

    def _query(self, i: int) -> tuple[int, int, int]:
        """(colour, shape, object index or -1 when absent) for frame ``i``."""
        f = self.frames
        present = list(zip(f["color"][i].tolist(), f["shape"][i].tolist(), strict=True))
        allowed = [k for k, cs in enumerate(present) if cs in self.combos]
        seen = [k for k in allowed if f["visible"][i][k]]
        unseen = [k for k in allowed if not f["visible"][i][k]]
        absent = [cs for cs in self.combos if cs not in present]
        r = self.rng.random()
        if seen and (r < 0.5 or not (unseen or absent)):
            k = seen[int(self.rng.integers(len(seen)))]
        elif unseen and (r < 0.75 or not absent):
            k = unseen[int(self.rng.integers(len(unseen)))]
        else:
            c, s = absent[int(self.rng.integers(len(absent)))]
            return c, s, -1
        return present[k][0], present[k][1], k

    def sample(self, batch: int, hflip: float = 0.0) -> tuple[torch.Tensor, list[str], dict]:
        """(B, H, W, 3) uint8 frames, B instructions, and aux-loss labels of B (with ``cells``,
        also the frames' per-cell codes and the code each instruction names)."""
        f = self.frames
        idx = self.rng.integers(len(f["images"]), size=batch)
        flips = self.rng.random(batch) < hflip
        images = f["images"][idx].copy()
        images[flips] = images[flips, :, ::-1]
        missions, visible, bearing, distance, codes = [], [], [], [], []
        colors = np.zeros((batch, len(COLORS)), np.float32)
        shapes = np.zeros((batch, len(SHAPES)), np.float32)
        for j, i in enumerate(idx):
            c, s, k = self._query(int(i))
            text = sample_instruction("goto", self.split, self.rng, ((COLORS[c], SHAPES[s]),))
            missions.append(text.text)
            codes.append(1 + c * len(SHAPES) + s)
            visible.append(k >= 0 and bool(f["visible"][i][k]))
            sign = -1.0 if flips[j] else 1.0
            bearing.append(sign * float(f["bearing"][i][k]) if k >= 0 else 0.0)
            distance.append(float(f["distance"][i][k]) if k >= 0 else 0.0)
            in_view = f["visible"][i]
            colors[j, f["color"][i][in_view]] = 1.0
            shapes[j, f["shape"][i][in_view]] = 1.0
        labels = {
            "target_visible": torch.tensor(visible),
            "target_bearing": torch.tensor(bearing),
            "target_distance": torch.tensor(distance),
            "visible_colors": torch.from_numpy(colors),
            "visible_shapes": torch.from_numpy(shapes),
        }
        if self.cells is not None:
            plain, mirrored = self.cells
            labels["cell_codes"] = torch.from_numpy(np.where(flips[:, None, None], mirrored[idx],
                                                             plain[idx]))  # fmt: skip
            labels["target_code"] = torch.tensor(codes)
        return torch.from_numpy(np.ascontiguousarray(images)), missions, labels
