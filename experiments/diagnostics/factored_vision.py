"""What factored vision buys: per-cell colour/shape heads of shared vs factored encoders.

Usage: ``python experiments/diagnostics/factored_vision.py OUT_DIR [--steps 400] [--task ID]``.

Captures simulator-captioned frames (:mod:`agent.data.grounding_frames`): training frames from
``train`` layouts at training seeds (3,000,000..), validation frames from ``train`` and
``heldout_combos`` layouts at validation seeds (1,100,000..), the latter also under MiniWorld's
domain randomisation. Trains each variant's perception on the dense losses only (cell colour and
shape heads, instruction queries, target map; instructions name ``train`` pairs only; per-cell
labels cover every object, held-out pairs included), then reports on validation frames:

- cell colour / shape accuracy on cells of objects whose pair is a ``train`` pair or a held-out
  pair;
- for one named object in view per frame (a ``train`` pair on ``train`` layouts, a held-out pair
  on ``heldout_combos`` layouts): ``top1``, the share of frames whose target-map argmax lies on
  it, and ``peak``, the mean of the map's maximum over its cells (also for objects within 2 m);
- the time of one forward+backward of a behaviour-cloning chunk (40 steps x 16 episodes).

Frames are cached in OUT_DIR; results go to OUT_DIR/results.json and the terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("PYGLET_HEADLESS", "true")

import numpy as np
import torch

from agent.data.cells import cell_codes, cell_codes_and_mirrored
from agent.data.grounding_frames import GroundingBatcher, capture_frames
from agent.model.agent import Agent
from agent.model.config import AgentConfig
from agent.model.dense import dense_losses
from agent.model.perception import Perception
from envs.language import COLORS, HELDOUT_COMBOS, SHAPES, sample_instruction

VARIANTS: dict[str, dict] = {
    "shared": {},
    "factored": {"vision": "factored"},
    "factored_c32": {"vision": "factored", "color_channels": 32},
    "factored_jitter0.1": {"vision": "factored", "vision_jitter": 0.1},
    "factored_jitter0.3": {"vision": "factored", "vision_jitter": 0.3},
}
HELDOUT_CODES = {1 + COLORS.index(c) * len(SHAPES) + SHAPES.index(s) for c, s in HELDOUT_COMBOS}
NEAR = 2.0
"""Metres: named objects closer than this count as 'near'."""


def frames(out: Path, name: str, task: str, split: str, seeds: list[int], dr: bool) -> dict:
    """Captioned frames (10 poses per layout, half near an object), cached in ``out``."""
    path = out / f"{name}.npz"
    if path.exists():
        return dict(np.load(path))
    kwargs = {"split": split, "domain_rand": dr}
    data = capture_frames(task, kwargs, seeds, poses=10, near_fraction=0.5)
    np.savez_compressed(path, **data)
    return data


def demo_frames(out: Path, task: str, episodes: int) -> dict:
    """Every frame of ``episodes`` scanning-teacher demos (``train`` split, seeds 0..), cached."""
    path = out / f"{task.split('/')[-1]}_demos{episodes}.npz"
    if path.exists():
        return dict(np.load(path))
    import envs
    from agent.rollout.demos import expert_episodes

    demos = expert_episodes(envs.make(task, split="train"), list(range(episodes)), "scan")
    data = {
        "images": demos.images,
        "semantic": demos.labels["semantic_map"],
        "missions": np.repeat(demos.missions, demos.lengths),
        "target_code": demos.labels["target_code"],
    }
    np.savez_compressed(path, **data)
    return data


class DemoBatcher:
    """Random demo frames with their episode's mission (the grounding batcher's interface)."""

    def __init__(self, data: dict, rng: np.random.Generator, cells: tuple) -> None:
        self.data, self.rng = data, rng
        self.cells = cell_codes_and_mirrored(data["semantic"], *cells)

    def sample(self, batch: int, hflip: float) -> tuple[torch.Tensor, list[str], dict]:
        """(B, H, W, 3) frames, B missions, per-cell codes and target codes."""
        idx = self.rng.integers(len(self.data["images"]), size=batch)
        flips = self.rng.random(batch) < hflip
        images = self.data["images"][idx].copy()
        images[flips] = images[flips, :, ::-1]
        codes = np.where(flips[:, None, None], self.cells[1][idx], self.cells[0][idx])
        target = self.data["target_code"][idx].astype(np.int64)
        labels = {"cell_codes": torch.from_numpy(codes), "target_code": torch.from_numpy(target)}
        missions = [str(m) for m in self.data["missions"][idx]]
        return torch.from_numpy(np.ascontiguousarray(images)), missions, labels


def config(variant: str) -> AgentConfig:
    """The quickstart's compositional agent (15x20 grid) with the variant's vision."""
    return AgentConfig(fusion="compositional", cnn_strides=(2, 2, 1), **VARIANTS[variant])


def train(variant: str, data: dict, steps: int, batch: int, seed: int) -> Perception:
    """Perception trained on the dense losses of ``train``-split captioned or demo frames."""
    torch.manual_seed(seed)
    perception = Perception(config(variant)).train()
    cells = (perception.grid_shape, perception.config.total_stride)
    rng = np.random.default_rng(seed)
    if "missions" in data:
        batcher = DemoBatcher(data, rng, cells)
    else:
        batcher = GroundingBatcher(data, "train", rng, cells=cells)
    opt = torch.optim.Adam(perception.parameters(), lr=1e-3)
    mask = torch.ones(1, batch, dtype=torch.bool)
    for _ in range(steps):
        images, missions, labels = batcher.sample(batch, hflip=0.5)
        text = perception.encode_text(missions, cached=False)
        dense = perception(perception.preprocess(images), text).dense
        dense = {k: v.unsqueeze(0) for k, v in dense.items()}
        labels = {k: labels[k].unsqueeze(0) for k in ("cell_codes", "target_code")}
        loss = sum(dense_losses(dense, labels, mask).values())
        opt.zero_grad()
        loss.backward()
        opt.step()
    return perception.eval()


def named_objects(data: dict, codes: np.ndarray, split: str, rng: np.random.Generator) -> list:
    """Per frame: (code, object index) of one nameable object that fills a cell, or None."""
    out = []
    for i in range(len(codes)):
        present = set(np.unique(codes[i]).tolist()) - {0}
        pairs = (1 + data["color"][i].astype(int) * len(SHAPES) + data["shape"][i]).tolist()
        ok = [k for k, code in enumerate(pairs) if code in present
              and (code in HELDOUT_CODES) == (split == "heldout_combos")]  # fmt: skip
        k = ok[int(rng.integers(len(ok)))] if ok else None
        out.append(None if k is None else (pairs[k], k))
    return out


@torch.no_grad()
def evaluate(perception: Perception, data: dict, split: str) -> dict[str, float]:
    """Cell accuracies (train-pair vs held-out-pair cells) and target-map scores of one set."""
    codes = cell_codes(data["semantic"], perception.grid_shape, perception.config.total_stride)
    named = named_objects(data, codes, split, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    missions = []
    for item in named:
        pair = ("red", "ball") if item is None else divmod(item[0] - 1, len(SHAPES))
        pair = pair if item is None else (COLORS[pair[0]], SHAPES[pair[1]])
        missions.append(sample_instruction("goto", split, rng, (pair,)).text)
    colors, shapes, maps = [], [], []
    for lo in range(0, len(codes), 256):
        sl = slice(lo, lo + 256)
        text = perception.encode_text(missions[sl], cached=False)
        dense = perception(perception.preprocess(data["images"][sl]), text).dense
        colors.append(dense["cell_colors"].argmax(1))
        shapes.append(dense["cell_shapes"].argmax(1))
        maps.append(dense["target_map"])
    color, shape, tmap = (torch.cat(x).numpy() for x in (colors, shapes, maps))
    idx = np.maximum(codes.astype(int) - 1, 0)
    obj = codes > 0
    held = np.isin(codes, list(HELDOUT_CODES))
    color_ok, shape_ok = color == idx // len(SHAPES), shape == idx % len(SHAPES)
    result = {}
    for name, where in (("train_pairs", obj & ~held), ("heldout_pairs", held)):
        result[f"color_{name}"] = float(color_ok[where].mean())
        result[f"shape_{name}"] = float(shape_ok[where].mean())
        result[f"cells_{name}"] = int(where.sum())
    top1, peak, near_top1, near_peak = [], [], [], []
    for i, item in enumerate(named):
        if item is None:
            continue
        on = codes[i] == item[0]
        hit = bool(on.flat[tmap[i].argmax()])
        value = float(tmap[i][on].max())
        top1.append(hit)
        peak.append(value)
        if data["distance"][i][item[1]] < NEAR:
            near_top1.append(hit)
            near_peak.append(value)
    result.update(top1=float(np.mean(top1)), peak=float(np.mean(peak)), named=len(top1),
                  near_top1=float(np.mean(near_top1)), near_peak=float(np.mean(near_peak)),
                  near_named=len(near_top1))  # fmt: skip
    return result


def bc_chunk_seconds(variant: str, reps: int = 3) -> float:
    """Median seconds of one forward+backward over 40 steps x 16 episodes (BC's bptt chunk)."""
    torch.manual_seed(0)
    agent = Agent(config(variant)).train()
    t_len, batch = 40, 16
    images = torch.randint(0, 256, (t_len, batch, 60, 80, 3), dtype=torch.uint8)
    actions = torch.randint(0, 3, (t_len, batch))
    starts = torch.zeros(t_len, batch, dtype=torch.bool)
    starts[0] = True
    missions = ["go to the red ball"] * batch
    times = []
    for _ in range(reps + 1):
        t0 = time.perf_counter()
        out = agent.evaluate_sequence(
            images, missions, actions, starts, agent.initial_memory(batch)
        )
        loss = -out.log_prob.mean() + sum(v.float().mean() for v in out.aux.values())
        agent.zero_grad()
        loss.backward()
        times.append(time.perf_counter() - t0)
    return float(np.median(times[1:]))


def main() -> None:
    """Capture, train each variant, evaluate, time; print a table and write results.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--task", default="MiniGround/GoToObject-v1")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--train_layouts", type=int, default=300)
    parser.add_argument("--demos", type=int, default=0, help="train on N demos' frames instead")
    parser.add_argument("--val_layouts", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0, help="training seed (init, batches)")
    parser.add_argument("--variants", default="shared,factored", help=", ".join(VARIANTS))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    tag = args.task.split("/")[-1]
    t0 = time.perf_counter()
    train_seeds = list(range(3_000_000, 3_000_000 + args.train_layouts))
    if args.demos:
        data = demo_frames(args.out, args.task, args.demos)
    else:
        data = frames(args.out, f"{tag}_train", args.task, "train", train_seeds, False)
    val_seeds = list(range(1_100_000, 1_100_000 + args.val_layouts))
    sets = {
        f"{split}{'_dr' if dr else ''}": (split, frames(args.out, f"{tag}_val_{split}_{int(dr)}",
                                                        args.task, split, val_seeds, dr))
        for dr in (False, True) for split in ("train", "heldout_combos")
    }  # fmt: skip
    held = np.isin(data["semantic"], list(HELDOUT_CODES)).sum() / (data["semantic"] > 0).sum()
    print(f"frames: {len(data['images'])} train, captured in {time.perf_counter() - t0:.0f} s; "
          f"held-out pairs cover {held:.1%} of their object pixels")  # fmt: skip
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "variants": {}}
    for variant in args.variants.split(","):
        t0 = time.perf_counter()
        perception = train(variant, data, args.steps, args.batch, args.seed)
        row = {
            "train_seconds": time.perf_counter() - t0,
            "bc_chunk_seconds": bc_chunk_seconds(variant),
        }
        row.update({name: evaluate(perception, d, split) for name, (split, d) in sets.items()})
        results["variants"][variant] = row
        print(f"\n{variant}: trained {args.steps} steps in {row['train_seconds']:.0f} s; "
              f"BC chunk fwd+bwd {row['bc_chunk_seconds']:.2f} s")  # fmt: skip
        print(f"  {'set':18s} colour train/held   shape train/held   top1  peak  near top1/peak")
        for name in sets:
            r = row[name]
            print(f"  {name:18s} {r['color_train_pairs']:.3f} / {r['color_heldout_pairs']:.3f}"
                  f"      {r['shape_train_pairs']:.3f} / {r['shape_heldout_pairs']:.3f}"
                  f"    {r['top1']:.2f}  {r['peak']:.2f}  {r['near_top1']:.2f} / "
                  f"{r['near_peak']:.2f}")  # fmt: skip
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
