"""Grounding pretraining: teach perception to find the object an instruction names.

The simulator captions its own frames. For random poses in random layouts (half of them near an
object and roughly facing it, as the agent is on its way to a target), every object's colour, shape,
visibility, bearing and distance is known. A batch pairs each frame with an instruction naming an
object in view, an object in the room but out of view, or a colour-shape pair absent from the room,
and trains the agent's auxiliary heads (target in view, its bearing and distance; colours and shapes
in view) through the fused state, so the instruction has to change what the state says. No expert
is involved. Queries name only ``train``-split targets; held-out pairs measure zero-shot grounding.
"""

from __future__ import annotations

import math
import multiprocessing as mp
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from agent.model.agent import Agent
from agent.model.aux import aux_losses, aux_of_frames
from envs.language import COLORS, SHAPES, sample_instruction, target_combos

FRAME_KEYS = ("images", "color", "shape", "visible", "bearing", "distance")


@dataclass
class GroundingSettings:
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
    from agent.demos import _worker_env
    from envs import labels

    env = _worker_env(task, env_kwargs)
    base = env.unwrapped
    out: dict[str, list] = {k: [] for k in FRAME_KEYS}
    for seed in seeds:
        env.reset(seed=int(seed))
        rng = np.random.default_rng([int(seed), 7])
        for _ in range(poses):
            pos, heading = _sample_pose(base, rng, bool(rng.random() < near_fraction))
            base.agent.pos, base.agent.dir = pos, heading
            out["images"].append(base.render_obs())
            vis = labels.visible_objects(base)
            rel = [(e.pos[0] - pos[0], e.pos[2] - pos[2]) for e in base.objects]
            out["color"].append([COLORS.index(e.color) for e in base.objects])
            out["shape"].append([SHAPES.index(e.shape) for e in base.objects])
            out["visible"].append(vis)
            out["bearing"].append([_wrap(math.atan2(-dz, dx) - heading) for dx, dz in rel])
            out["distance"].append([math.hypot(dx, dz) for dx, dz in rel])
    dtypes = {"images": np.uint8, "color": np.int8, "shape": np.int8, "visible": bool}
    return {k: np.asarray(v, dtype=dtypes.get(k, np.float32)) for k, v in out.items()}


def _capture_job(args: tuple) -> dict[str, np.ndarray]:
    return capture_frames(*args)


def generate_frames(
    task: str,
    settings: GroundingSettings,
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
        with mp.get_context("spawn").Pool(settings.workers) as pool:
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
    ) -> None:
        self.frames = frames
        self.split = split
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
        """(B, H, W, 3) uint8 frames, B instructions, and aux-loss labels of B."""
        f = self.frames
        idx = self.rng.integers(len(f["images"]), size=batch)
        flips = self.rng.random(batch) < hflip
        images = f["images"][idx].copy()
        images[flips] = images[flips, :, ::-1]
        missions, visible, bearing, distance = [], [], [], []
        colors = np.zeros((batch, len(COLORS)), np.float32)
        shapes = np.zeros((batch, len(SHAPES)), np.float32)
        for j, i in enumerate(idx):
            c, s, k = self._query(int(i))
            text = sample_instruction("goto", self.split, self.rng, ((COLORS[c], SHAPES[s]),))
            missions.append(text.text)
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
        return torch.from_numpy(np.ascontiguousarray(images)), missions, labels


def grounding_losses(
    agent: Agent, images: torch.Tensor, missions: list[str], labels: dict
) -> dict[str, torch.Tensor]:
    """The auxiliary losses of ``agent`` on one grounding batch (with grad)."""
    dev = agent.device
    aux = aux_of_frames(agent, images, missions)
    labels = {k: v.to(dev) for k, v in labels.items()}
    mask = torch.ones(len(missions), dtype=torch.bool, device=dev)
    return aux_losses(aux, labels, mask)


def pretrain(
    agent: Agent, frames: dict[str, np.ndarray], settings: GroundingSettings, progress: bool = True
) -> list[dict[str, float]]:
    """Train ``agent``'s perception and auxiliary heads on grounding batches; return logs."""
    from tqdm import tqdm

    if agent.aux is None:
        raise ValueError("grounding pretraining needs the auxiliary heads (agent.aux_heads=true)")
    batcher = GroundingBatcher(frames, "train", np.random.default_rng(settings.seed))
    params = [p for n, p in agent.named_parameters() if not n.startswith("policy.")]
    optimizer = torch.optim.Adam(params, lr=settings.lr)
    agent.train()
    logs: list[dict[str, float]] = []
    bar = tqdm(range(settings.steps), desc="grounding", unit="step", disable=not progress)
    for step in bar:
        progress_frac = step / max(1, settings.steps)
        for group in optimizer.param_groups:
            group["lr"] = settings.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * progress_frac)))
        losses = grounding_losses(agent, *batcher.sample(settings.batch, settings.hflip))
        loss = sum(losses.values())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        logs.append({k: float(v.detach()) for k, v in losses.items()})
        if step % 25 == 0:
            bar.set_postfix(visible=f"{logs[-1]['target_visible']:.3f}")
    return logs


@torch.no_grad()
def grounding_accuracy(
    agent: Agent, frames: dict[str, np.ndarray], split: str, queries: int = 512, seed: int = 0
) -> dict[str, float]:
    """Balanced target-in-view accuracy (chance 0.5) and mean bearing error (degrees, objects in
    view) of instructions naming ``split``'s colour-shape pairs in ``frames``."""
    batcher = GroundingBatcher(frames, split, np.random.default_rng(seed))
    images, missions, labels = batcher.sample(queries)
    agent.eval()
    aux = aux_of_frames(agent, images, missions)
    visible = labels["target_visible"].to(agent.device)
    pred = aux["target_visible"] > 0
    sc = aux["target_bearing"][visible]
    est = torch.atan2(sc[:, 0], sc[:, 1])
    true = labels["target_bearing"].to(agent.device)[visible]
    err = torch.remainder(est - true + math.pi, 2 * math.pi) - math.pi
    hit = (pred & visible).float().sum() / visible.float().sum().clamp(min=1)
    reject = (~pred & ~visible).float().sum() / (~visible).float().sum().clamp(min=1)
    return {
        "balanced_accuracy": float((hit + reject) / 2),
        "in_view_share": float(visible.float().mean()),
        "bearing_error_deg": float(torch.rad2deg(err.abs()).mean()) if len(sc) else 0.0,
    }
