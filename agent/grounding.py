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

import numpy as np
import torch

from agent.data.grounding_frames import GroundingBatcher, GroundingSettings
from agent.model.agent import Agent
from agent.model.aux import aux_losses, aux_of_frames


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
