"""Grounding losses and pretraining: teach perception to find the object an instruction names.

On simulator-captioned frames (:mod:`agent.data.grounding_frames`), each paired with an instruction
naming an object in view, out of view, or absent, the agent's auxiliary heads (target in view, its
bearing and distance; colours and shapes in view) are trained through the fused state, so the
instruction has to change what the state says. No expert is involved. :func:`grounding_losses` is
also the joint grounding loss of behaviour cloning (``BCConfig.ground_weight``).
"""

from __future__ import annotations

import numpy as np
import torch

from agent.data.grounding_frames import GroundingBatcher, GroundingConfig
from agent.learn.schedules import cosine_to_tenth
from agent.model.agent import Agent
from agent.model.aux import aux_losses, aux_of_frames
from agent.model.dense import DENSE_KEYS, dense_losses


def grounding_losses(
    agent: Agent, images: torch.Tensor, missions: list[str], labels: dict
) -> dict[str, torch.Tensor]:
    """The auxiliary losses of ``agent`` on one grounding batch (with grad); with the
    compositional fusion and per-cell labels, also its dense losses (every object in the frames,
    held-out pairs included, teaches the colour and shape heads)."""
    dev = agent.device
    aux = aux_of_frames(agent, images, missions)
    labels = {k: v.to(dev) for k, v in labels.items()}
    mask = torch.ones(len(missions), dtype=torch.bool, device=dev)
    losses = aux_losses(aux, labels, mask) if agent.aux is not None else {}
    if "cell_colors" in aux and "cell_codes" in labels:  # compositional fusion: dense losses
        dense = {k: v.unsqueeze(0) for k, v in aux.items() if k in DENSE_KEYS}
        cells = {k: labels[k].unsqueeze(0) for k in ("cell_codes", "target_code")}
        for name, value in dense_losses(dense, cells, mask.unsqueeze(0)).items():
            losses[f"dense_{name}"] = value
    return losses


def pretrain(
    agent: Agent, frames: dict[str, np.ndarray], settings: GroundingConfig, progress: bool = True
) -> list[dict[str, float]]:
    """Train ``agent``'s perception and auxiliary heads on grounding batches; return logs."""
    from tqdm import tqdm

    if agent.aux is None:
        raise ValueError("grounding pretraining needs the auxiliary heads (agent.aux_heads=true)")
    cells = None
    if agent.config.fusion == "compositional":
        cells = (agent.perception.grid_shape, agent.config.total_stride)
    batcher = GroundingBatcher(frames, "train", np.random.default_rng(settings.seed), cells=cells)
    params = [p for n, p in agent.named_parameters() if not n.startswith("policy.")]
    optimizer = torch.optim.Adam(params, lr=settings.lr)
    agent.train()
    logs: list[dict[str, float]] = []
    bar = tqdm(range(settings.steps), desc="grounding", unit="step", disable=not progress)
    for step in bar:
        for group in optimizer.param_groups:
            group["lr"] = cosine_to_tenth(step, settings.steps, settings.lr)
        losses = grounding_losses(agent, *batcher.sample(settings.batch, settings.hflip))
        loss = sum(losses.values())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        logs.append({k: float(v.detach()) for k, v in losses.items()})
        if step % 25 == 0:
            bar.set_postfix(visible=f"{logs[-1]['target_visible']:.3f}", refresh=False)
    return logs
