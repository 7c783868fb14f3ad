"""Compositional fusion: the instruction picks a colour and a shape, the image says where each is.

For every cell of the CNN's grid, two dense heads predict the colour (6 + none) and the shape
(3 + none) of the object there. The instruction gives a colour query and a shape query (softmaxes
over 6 and 3), read from its token features as a sum of per-token votes. The target map is, per
cell, P(colour = query) * P(shape = query): a colour-shape pair never named in training still
lights up wherever each attribute is recognised, because nothing in the map is learned per pair.

The policy's state is the target map, the map relative to its peak (``map / (peak + 0.05)``) and
the peak itself, and a narrow projection of the image features (for walls and obstacles), through
one linear layer; the instruction reaches the state only through the map. The relative map matters
for pairs never named in training: their attribute heads are less sure of them (the map peaks
lower on a held-out pair), yet the named object still outranks the others in the frame.
Dense heads and queries are trained with privileged labels (:mod:`agent.model.dense`).
"""

from __future__ import annotations

import torch
from torch import nn

from agent.model.config import AgentConfig
from agent.model.text import TextEncoding

RELATIVE_FLOOR = 0.05
"""Added to the map's peak before dividing: a frame with nothing target-like stays dim."""


class CompositionalFusion(nn.Module):
    """Per-cell colour and shape heads, instruction queries, target map = their product."""

    def __init__(self, channels: int, grid: tuple[int, int], config: AgentConfig) -> None:
        super().__init__()
        cells = grid[0] * grid[1]
        self.grid_shape = grid
        self.num_colors, self.num_shapes = len(config.colors), len(config.shapes)
        self.color_head = nn.Conv2d(channels, self.num_colors + 1, 1)
        self.shape_head = nn.Conv2d(channels, self.num_shapes + 1, 1)
        self.votes = nn.Linear(config.text_size, self.num_colors + self.num_shapes)
        self.reduce = nn.Conv2d(channels, config.compose_channels, 1)
        self.out = nn.Sequential(
            nn.Linear(cells * (2 + config.compose_channels) + 1, config.state_size), nn.ReLU()
        )

    def queries(self, text: TextEncoding) -> tuple[torch.Tensor, torch.Tensor]:
        """Colour (B, 6) and shape (B, 3) query logits: per-token votes summed over the tokens."""
        votes = self.votes(text.tokens) * text.mask.unsqueeze(-1).to(text.tokens.dtype)
        votes = votes.sum(1)
        return votes[:, : self.num_colors], votes[:, self.num_colors :]

    def forward(
        self, grid: torch.Tensor, text: TextEncoding
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Fuse (B, C, h, w) image features with the instruction: state, target map, dense."""
        color_logits = self.color_head(grid)
        shape_logits = self.shape_head(grid)
        q_color, q_shape = self.queries(text)
        p_color = torch.softmax(color_logits, 1)[:, : self.num_colors]
        p_shape = torch.softmax(shape_logits, 1)[:, : self.num_shapes]
        match_color = torch.einsum("bc,bchw->bhw", torch.softmax(q_color, -1), p_color)
        match_shape = torch.einsum("bs,bshw->bhw", torch.softmax(q_shape, -1), p_shape)
        target = match_color * match_shape
        peak = target.flatten(1).max(1).values[:, None]
        relative = target.flatten(1) / (peak + RELATIVE_FLOOR)
        feats = torch.relu(self.reduce(grid))
        state = self.out(torch.cat([target.flatten(1), relative, peak, feats.flatten(1)], dim=1))
        dense = {
            "cell_colors": color_logits,
            "cell_shapes": shape_logits,
            "query_color": q_color,
            "query_shape": q_shape,
            "target_map": target,
        }
        return state, target, dense
