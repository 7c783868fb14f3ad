"""Perception: a vision encoder that keeps a spatial grid, a text module, and their fusion.

Fusion modes (``AgentConfig.fusion``), each returning one state vector and a (B, h, w) map over
the CNN's grid for visualisation:

- ``concat``: flattened image features concatenated with the instruction vector (map: feature norm).
- ``film``: FiLM-conditioned residual conv blocks, as in BabyAI (map: feature norm after FiLM).
- ``gated``: gated attention (Chaplot et al., 2018), a sigmoid channel gate from the instruction
  (the gate has no spatial extent; map: norm of the gated features per cell).
- ``cross_attention``: instruction tokens attend over image cells (map: attention weights averaged
  over tokens and heads).
- ``compositional``: per-cell colour and shape heads matched to the instruction's colour and shape
  queries (:mod:`agent.model.compose`; map: the target map).

Vision (``AgentConfig.vision``): ``shared``, one CNN on RGB (:class:`VisionEncoder`), or
``factored``, a shape-blind colour pathway beside a colour-blind shape CNN
(:mod:`agent.model.factored`); with the compositional fusion each head then reads its own pathway.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from agent.model.cnn import conv_stack
from agent.model.compose import CompositionalFusion
from agent.model.config import AgentConfig
from agent.model.factored import FactoredFusion, FactoredVision
from agent.model.text import TextEncoding, TextModule, masked_mean


class PerceptionOutput(NamedTuple):
    """Fused state and the spatial map that produced it."""

    state: torch.Tensor
    """(B, state_size) fused state."""
    attention: torch.Tensor
    """(B, h, w) spatial gate/attention map over the CNN grid."""
    dense: dict[str, torch.Tensor] | None = None
    """Per-cell predictions and instruction queries (compositional fusion only)."""


class VisionEncoder(nn.Module):
    """Small CNN for egocentric frames (80x60 by default) that keeps a spatial feature grid."""

    def __init__(self, config: AgentConfig) -> None:
        super().__init__()
        self.net, self.out_channels, self.grid_shape = conv_stack(config, 3)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) floats in [0, 1] -> (B, C, h, w)."""
        return self.net(images - 0.5)


def feature_norm_map(grid: torch.Tensor) -> torch.Tensor:
    """(B, C, h, w) -> (B, h, w) L2 norm of the features of each cell."""
    return grid.norm(dim=1)


class ConcatFusion(nn.Module):
    """Flattened image features concatenated with the instruction vector, then an MLP layer."""

    def __init__(self, channels: int, grid: tuple[int, int], config: AgentConfig) -> None:
        super().__init__()
        flat = channels * grid[0] * grid[1]
        self.out = nn.Sequential(nn.Linear(flat + config.text_size, config.state_size), nn.ReLU())

    def forward(self, grid: torch.Tensor, text: TextEncoding) -> PerceptionOutput:
        """Fuse (B, C, h, w) image features with the instruction."""
        state = self.out(torch.cat([grid.flatten(1), text.pooled], dim=1))
        return PerceptionOutput(state, feature_norm_map(grid))


class GatedFusion(nn.Module):
    """Gated attention: image channels multiplied by a sigmoid gate computed from the text."""

    def __init__(self, channels: int, grid: tuple[int, int], config: AgentConfig) -> None:
        super().__init__()
        self.gate = nn.Linear(config.text_size, channels)
        self.out = nn.Sequential(
            nn.Linear(channels * grid[0] * grid[1], config.state_size), nn.ReLU()
        )

    def forward(self, grid: torch.Tensor, text: TextEncoding) -> PerceptionOutput:
        """Gate (B, C, h, w) image features by the instruction."""
        gated = grid * torch.sigmoid(self.gate(text.pooled))[:, :, None, None]
        return PerceptionOutput(self.out(gated.flatten(1)), feature_norm_map(gated))


class FiLMFusion(nn.Module):
    """FiLM (BabyAI): residual conv blocks whose features are scaled and shifted by the text."""

    def __init__(self, channels: int, grid: tuple[int, int], config: AgentConfig) -> None:
        super().__init__()
        n = config.film_layers
        self.convs = nn.ModuleList(nn.Conv2d(channels, channels, 3, padding=1) for _ in range(n))
        self.film = nn.ModuleList(nn.Linear(config.text_size, 2 * channels) for _ in range(n))
        self.out = nn.Sequential(
            nn.Linear(channels * grid[0] * grid[1], config.state_size), nn.ReLU()
        )

    def forward(self, grid: torch.Tensor, text: TextEncoding) -> PerceptionOutput:
        """Condition (B, C, h, w) image features on the instruction."""
        x = grid
        for conv, film in zip(self.convs, self.film, strict=True):
            gamma, beta = film(text.pooled)[:, :, None, None].chunk(2, dim=1)
            x = x + torch.relu(conv(x) * (1.0 + gamma) + beta)
        return PerceptionOutput(self.out(x.flatten(1)), feature_norm_map(x))


class CrossAttentionFusion(nn.Module):
    """Instruction tokens (queries) attend over image cells (keys/values, with positions)."""

    def __init__(self, channels: int, grid: tuple[int, int], config: AgentConfig) -> None:
        super().__init__()
        d = config.text_size
        self.grid_shape = grid
        self.cells = nn.Linear(channels, d)
        self.pos = nn.Parameter(torch.randn(grid[0] * grid[1], d) * 0.02)
        self.attn = nn.MultiheadAttention(d, config.text_heads, batch_first=True)
        flat = channels * grid[0] * grid[1]
        self.out = nn.Sequential(nn.Linear(flat + 2 * d, config.state_size), nn.ReLU())

    def forward(self, grid: torch.Tensor, text: TextEncoding) -> PerceptionOutput:
        """Attend from the instruction's tokens to the (B, C, h, w) grid's cells."""
        cells = self.cells(grid.flatten(2).transpose(1, 2)) + self.pos  # (B, hw, d)
        attended, weights = self.attn(text.tokens, cells, cells, need_weights=True)
        pooled = masked_mean(attended, text.mask)
        weights = masked_mean(weights, text.mask)  # (B, hw), averaged over heads and tokens
        state = self.out(torch.cat([grid.flatten(1), pooled, text.pooled], dim=1))
        return PerceptionOutput(state, weights.view(-1, *self.grid_shape))


FUSION_CLASSES: dict[str, type[nn.Module]] = {
    "concat": ConcatFusion,
    "film": FiLMFusion,
    "gated": GatedFusion,
    "cross_attention": CrossAttentionFusion,
    "compositional": CompositionalFusion,
}


class Perception(nn.Module):
    """Vision encoder + text module + fusion -> one state vector per observation."""

    def __init__(
        self, config: AgentConfig, tokenizer=None, vocab: Sequence[str] | None = None
    ) -> None:
        super().__init__()
        self.config = config
        factored = config.vision == "factored"
        self.vision = FactoredVision(config) if factored else VisionEncoder(config)
        self.text = TextModule(config, tokenizer, vocab)
        fusion = FUSION_CLASSES[config.fusion]
        if factored and fusion is CompositionalFusion:
            fusion = FactoredFusion
        self.fusion = fusion(self.vision.out_channels, self.vision.grid_shape, config)
        self.needs_tokens = config.fusion in ("cross_attention", "compositional")

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(h, w) of the CNN feature grid and of the attention maps."""
        return self.vision.grid_shape

    def preprocess(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(..., H, W, 3) pixels (uint8) -> (N, 3, H, W) float / 255 on the module's device."""
        device = next(self.vision.parameters()).device
        x = torch.as_tensor(images).to(device, non_blocking=True)
        h, w = self.config.obs_height, self.config.obs_width
        if x.ndim < 4 or tuple(x.shape[-3:]) != (h, w, 3):
            raise ValueError(
                f"expected images of shape (..., {h}, {w}, 3) (obs_height={h}, obs_width={w}), "
                f"got {tuple(x.shape)}"
            )
        return x.reshape(-1, h, w, 3).permute(0, 3, 1, 2).float() / 255.0

    def forward(self, images: torch.Tensor, text: TextEncoding) -> PerceptionOutput:
        """Fuse preprocessed images (N, 3, H, W) with N encoded instructions."""
        return PerceptionOutput(*self.fusion(self.vision(images), text))

    def encode_text(self, missions: Sequence[str], cached: bool) -> TextEncoding:
        """Encode instructions; ``cached`` uses the no-grad LRU cache (rollouts)."""
        if cached:
            return self.text.encode_cached(missions, with_tokens=self.needs_tokens)
        return self.text(missions)
