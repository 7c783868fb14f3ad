"""Factored vision: colour evidence that cannot see shape, shape evidence that cannot see colour.

With one CNN on RGB under both heads (``AgentConfig.vision='shared'``), the colour head may use
shape and the shape head colour, so pairs only ever seen as distractors are recognised worse.
Here (``vision='factored'``) each attribute comes from a pathway blind to the other one:

- colour: fixed per-pixel features (the pixel's colour with its grey part removed, divided by
  its brightness, and the brightness), pooled per cell of the shape grid (mean and max over the
  cell's pixels, the windows of :mod:`agent.data.cells`), then a per-cell MLP: a cell's colour
  evidence does not change when its pixels are rearranged, and nothing is learned (or
  back-propagated) at full resolution;
- shape: the CNN on brightness ``max(r, g, b)`` (HSV value), standardised per image (mean 0,
  unit spread, so a dimmer or brighter light gives the same input), which a channel permutation
  or a hue rotation leaves unchanged; red, green, blue and yellow all have value 1.

:class:`FactoredVision` returns both as one grid: channels ``[0, C)`` from the shape CNN (``C =
cnn_channels[-1]``), the rest from the colour pathway. :class:`FactoredFusion` is the
compositional fusion (same queries, target map, relative map, peak and ``dense`` outputs) whose
heads say *which colour* from the colour channels only, *which shape* from the shape channels
only, and *whether any object is there* (each head's 'none' logit) from both; the narrow image
features for walls and obstacles come from the shape channels. In train mode an optional colour
jitter (``vision_jitter``) recolours each image like MiniWorld's domain randomisation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from agent.model.cnn import conv_stack
from agent.model.compose import CompositionalFusion
from agent.model.config import AgentConfig

BRIGHTNESS_FLOOR = 0.05
"""Added to the brightness before dividing by it: dark pixels get a weak, stable colour."""


def color_features(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [0, 1] -> (N, 4, H, W) per pixel: ``(rgb - min) / max`` and ``max``.

    The first three are the pixel's hue scaled by its saturation (0 for greys), unchanged when
    the light's intensity changes; all four are >= 0. The last, the brightness (HSV value), is
    also the shape CNN's input: a channel permutation or a hue rotation leaves it unchanged.
    """
    value = images.amax(1, keepdim=True)
    n, _, height, width = images.shape
    out = images.new_empty((n, 4, height, width))
    torch.sub(images, images.amin(1, keepdim=True), out=out[:, :3])
    out[:, :3].div_(value + BRIGHTNESS_FLOOR)
    out[:, 3:] = value
    return out


def standardize(brightness: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) -> zero mean and unit spread per image: the same shapes under any light."""
    mean = brightness.mean((2, 3), keepdim=True)
    return (brightness - mean) / (brightness.std((2, 3), keepdim=True) + BRIGHTNESS_FLOOR)


def jitter_colors(images: torch.Tensor, strength: float) -> torch.Tensor:
    """Recolour each image: per channel, gain ``1 +- strength`` and offset ``+- strength / 2``."""
    shape = (images.shape[0], 3, 1, 1)
    gain = 1.0 + strength * (2.0 * torch.rand(shape, device=images.device) - 1.0)
    offset = 0.5 * strength * (2.0 * torch.rand(shape, device=images.device) - 1.0)
    return (images * gain + offset).clamp(0.0, 1.0)


def pool_cells(features: torch.Tensor, grid: tuple[int, int], stride: int) -> torch.Tensor:
    """(N, C, H, W) -> (N, 2C, h, w): mean and max over each cell's pixels.

    Cell ``j`` covers pixels ``[j * stride - stride // 2, j * stride + stride // 2)`` (the windows
    of :func:`agent.data.cells.cell_codes`); pixels beyond the last cell are left out.
    """
    h, w = grid
    half = stride // 2
    mean = F.avg_pool2d(features, stride, stride, half, count_include_pad=False)
    peak = F.max_pool2d(features, stride, stride, half)
    return torch.cat([mean[..., :h, :w], peak[..., :h, :w]], 1)


class FactoredVision(nn.Module):
    """A colour-blind CNN and a shape-blind per-pixel colour pathway on the same (h, w) grid."""

    def __init__(self, config: AgentConfig) -> None:
        super().__init__()
        self.net, self.shape_channels, self.grid_shape = conv_stack(config, 1)
        cc = config.color_channels
        self.color_net = nn.Sequential(
            nn.Conv2d(8, cc, 1), nn.ReLU(), nn.Conv2d(cc, cc, 1), nn.ReLU()
        )
        self.out_channels = self.shape_channels + cc
        self.stride = config.total_stride
        # Train-mode colour jitter strength; a trainer may set it to 0 (PPO: the same frame
        # must give the same log-probability when collected and when updated).
        self.jitter = float(config.vision_jitter)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) floats in [0, 1] -> (B, C_shape + color_channels, h, w)."""
        if self.training and self.jitter > 0:
            images = jitter_colors(images, self.jitter)
        # Channels-last from the first conv's output on: the shared CNN gets it from preprocess's
        # permuted pixels, and oneDNN's convolutions are about 1.4x faster in it on a CPU.
        features = color_features(images)
        first = self.net[0](standardize(features[:, 3:]))
        shape = self.net[1:](first.contiguous(memory_format=torch.channels_last))
        cells = pool_cells(features, self.grid_shape, self.stride)
        color = self.color_net(cells.contiguous(memory_format=torch.channels_last))
        return torch.cat([shape, color], 1)


class MaskedConv(nn.Conv2d):
    """A 1x1 convolution whose output ``o`` reads only the input channels where ``mask[o]``.

    One convolution over the whole grid (no channel slices), so it costs what the shared
    fusion's heads cost; masked weights get no gradient and never act.
    """

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__(mask.shape[1], mask.shape[0], 1)
        self.register_buffer("mask", mask[:, :, None, None].float(), persistent=False)

    def forward(self, grid: torch.Tensor) -> torch.Tensor:
        """(B, in, h, w) -> (B, out, h, w)."""
        return F.conv2d(grid, self.weight * self.mask, self.bias)


def attribute_head(lo: int, hi: int, channels: int, classes: int) -> MaskedConv:
    """Per-cell logits: the ``classes`` from channels ``[lo, hi)``, then 'none' from all."""
    mask = torch.zeros(classes + 1, channels, dtype=torch.bool)
    mask[:classes, lo:hi] = True
    mask[classes] = True
    return MaskedConv(mask)


class FactoredFusion(CompositionalFusion):
    """The compositional fusion on :class:`FactoredVision`'s grid, each head on its own pathway."""

    def __init__(self, channels: int, grid: tuple[int, int], config: AgentConfig) -> None:
        super().__init__(channels, grid, config)
        shape = config.cnn_channels[-1]
        self.color_head = attribute_head(shape, channels, channels, self.num_colors)
        self.shape_head = attribute_head(0, shape, channels, self.num_shapes)
        reduce = torch.zeros(config.compose_channels, channels, dtype=torch.bool)
        reduce[:, :shape] = True
        self.reduce = MaskedConv(reduce)
