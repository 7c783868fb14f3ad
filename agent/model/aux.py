"""Auxiliary heads on the fused state and their losses on privileged labels.

The heads predict, from the state alone, whether the instruction's target is in view, its bearing
and distance, and which colours and shapes are in view: the instruction has to change what the
state says. BC, PPO and grounding pretraining all use these losses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from agent.model.agent import Agent
    from agent.model.config import AgentConfig

AUX_HEADS: dict[str, int] = {
    "target_visible": 1,
    "target_bearing": 2,
    "target_distance": 1,
    "visible_colors": 6,
    "visible_shapes": 3,
}
"""Auxiliary predictions and their widths: a visibility logit, (sin, cos) of the target's bearing,
its distance, and per-colour / per-shape visibility logits. Width-1 heads come out squeezed."""


def aux_widths(config: AgentConfig) -> dict[str, int]:
    """:data:`AUX_HEADS` for ``config``'s inventory (one visibility logit per colour and shape)."""
    return {
        **AUX_HEADS, "visible_colors": len(config.colors), "visible_shapes": len(config.shapes),
    }  # fmt: skip


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``x`` over positions where ``mask`` holds (0 when none do)."""
    m = mask.to(x.dtype)
    return (x * m).sum() / m.sum().clamp(min=1.0)


def aux_losses(
    aux: dict[str, torch.Tensor], labels: dict[str, torch.Tensor], mask: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Auxiliary losses on privileged labels; bearing and distance only where the target shows."""
    if not aux:
        return {}
    visible = labels["target_visible"].bool()
    seen = mask & visible
    bearing = labels["target_bearing"].float()
    target_sc = torch.stack([torch.sin(bearing), torch.cos(bearing)], dim=-1)
    return {
        "target_visible": masked_mean(
            F.binary_cross_entropy_with_logits(
                aux["target_visible"], visible.float(), reduction="none"
            ),
            mask,
        ),
        "target_bearing": masked_mean(((aux["target_bearing"] - target_sc) ** 2).sum(-1), seen),
        "target_distance": masked_mean(
            (aux["target_distance"] - labels["target_distance"].float() / 4.0) ** 2, seen
        ),
        "visible_colors": masked_mean(
            F.binary_cross_entropy_with_logits(
                aux["visible_colors"], labels["visible_colors"].float(), reduction="none"
            ).mean(-1),
            mask,
        ),
        "visible_shapes": masked_mean(
            F.binary_cross_entropy_with_logits(
                aux["visible_shapes"], labels["visible_shapes"].float(), reduction="none"
            ).mean(-1),
            mask,
        ),
    }


def aux_of_frames(
    agent: Agent, images: torch.Tensor, missions: list[str]
) -> dict[str, torch.Tensor]:
    """The auxiliary heads' predictions for single frames, each with its own instruction (and
    the compositional fusion's dense outputs)."""
    text = agent.perception.encode_text(missions, cached=False)
    fused = agent.perception(agent.perception.preprocess(images), text)
    return {**agent.aux_predictions(fused.state), **(fused.dense or {})}
