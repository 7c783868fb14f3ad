"""Losses of the compositional fusion on dense per-cell labels (:mod:`agent.data.cells`).

Each cell's colour and shape heads are trained on the object that fills the cell most (or none),
the instruction's queries on the colour and shape the env named, and the target map on the cells
that hold the named object.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from agent.model.aux import masked_mean

DENSE_KEYS = ("cell_colors", "cell_shapes", "query_color", "query_shape", "target_map")
"""The compositional fusion's outputs that the dense losses read."""


def code_to_attributes(
    codes: torch.Tensor, num_colors: int, num_shapes: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Codes -> (colour class, shape class), with code = 1 + colour * num_shapes + shape (the
    inventory's order, ``AgentConfig.colors``/``shapes``); code 0 maps to the 'none' classes
    (``num_colors`` and ``num_shapes``)."""
    codes = codes.long()
    index = (codes - 1).clamp(min=0)
    none = codes == 0
    color = (index // num_shapes).masked_fill(none, num_colors)
    return color, (index % num_shapes).masked_fill(none, num_shapes)


def _attributes(dense: dict[str, torch.Tensor], codes: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Colour and shape classes of ``codes``, the inventory read from the heads' widths."""
    num_colors = dense["cell_colors"].shape[2] - 1
    num_shapes = dense["cell_shapes"].shape[2] - 1
    return code_to_attributes(codes, num_colors, num_shapes)


def dense_losses(
    dense: dict[str, torch.Tensor], labels: dict[str, torch.Tensor], mask: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Per-cell colour/shape cross-entropy, query cross-entropy and target-map BCE.

    Args:
        dense: the fusion's outputs with leading dims (T, B): ``cell_colors`` (C + 1, h, w),
            ``cell_shapes`` (S + 1, h, w), ``query_color`` (C,), ``query_shape`` (S,),
            ``target_map`` (h, w), for C colours and S shapes (6 and 3 today).
        labels: ``cell_codes`` (T, B, h, w) and ``target_code`` (T, B).
        mask: (T, B) bool, the real steps.
    """
    cells = labels["cell_codes"].to(dense["cell_colors"].device).long()
    target = labels["target_code"].to(cells.device).long()
    cell_color, cell_shape = _attributes(dense, cells)
    t_color, t_shape = _attributes(dense, target)
    lead = cells.shape[:2]
    ce_color = F.cross_entropy(
        dense["cell_colors"].flatten(0, 1), cell_color.flatten(0, 1), reduction="none"
    ).view(*lead, -1)
    ce_shape = F.cross_entropy(
        dense["cell_shapes"].flatten(0, 1), cell_shape.flatten(0, 1), reduction="none"
    ).view(*lead, -1)
    q_color = F.cross_entropy(
        dense["query_color"].flatten(0, 1), t_color.flatten(), reduction="none"
    )
    q_shape = F.cross_entropy(
        dense["query_shape"].flatten(0, 1), t_shape.flatten(), reduction="none"
    )
    on_target = (cells == target[..., None, None]).float()
    prob = dense["target_map"].clamp(1e-5, 1 - 1e-5)
    bce = F.binary_cross_entropy(prob, on_target, reduction="none").flatten(2).mean(-1)
    return {
        "cell_attributes": masked_mean(ce_color.mean(-1) + ce_shape.mean(-1), mask),
        "queries": masked_mean((q_color + q_shape).view(lead), mask),
        "target_map": masked_mean(bce, mask),
    }


@torch.no_grad()
def cell_accuracy(
    dense: dict[str, torch.Tensor], labels: dict[str, torch.Tensor], mask: torch.Tensor
) -> dict[str, float]:
    """Accuracy of the cell colour and shape heads on cells that hold an object."""
    cells = labels["cell_codes"].to(dense["cell_colors"].device).long()
    cell_color, cell_shape = _attributes(dense, cells)
    obj = (cells > 0) & mask[..., None, None].to(cells.device)
    n = obj.sum().clamp(min=1)
    color_ok = (dense["cell_colors"].argmax(2) == cell_color) & obj
    shape_ok = (dense["cell_shapes"].argmax(2) == cell_shape) & obj
    return {
        "cell_color_acc": float(color_ok.sum() / n),
        "cell_shape_acc": float(shape_ok.sum() / n),
    }
