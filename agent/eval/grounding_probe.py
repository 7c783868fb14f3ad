"""The grounding probe: does the agent's state say whether (and where) the named object is in view?

Measured on fresh frames the simulator captions itself (:mod:`agent.data.grounding_frames`), through
the auxiliary heads, for training and held-out colour-shape pairs: balanced target-in-view accuracy
(chance 0.5) and the bearing error of objects in view.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np
import torch

from agent.data.grounding_frames import GroundingBatcher, GroundingConfig, generate_frames
from agent.model.agent import Agent
from agent.model.aux import aux_of_frames


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


def grounding_probe(
    agent: Agent, task: str, ground: GroundingConfig, splits: Sequence[str]
) -> dict[str, dict[str, float]]:
    """:func:`grounding_accuracy` on fresh captioned frames (seeds after the pretraining ones,
    ``ground.probe_layouts`` layouts of 10 frames) for each split but ``paraphrase``."""
    settings = copy.deepcopy(ground)
    settings.layouts, settings.poses_per_layout = ground.probe_layouts, 10
    settings.seed = ground.seed + 500_000
    probe = {}
    for split in splits:
        if split == "paraphrase":
            continue
        frames = generate_frames(task, settings, split=split)
        probe[split] = grounding_accuracy(agent, frames, split)
    return probe
