"""The conv stack shared by the vision encoders: padding ``kernel // 2`` and an in-place ReLU
after each convolution (a convolution's backward pass does not read its output)."""

from __future__ import annotations

from torch import nn

from agent.model.config import AgentConfig


def conv_out(size: int, kernel: int, stride: int) -> int:
    """Output length of a conv with padding kernel // 2."""
    return (size + 2 * (kernel // 2) - kernel) // stride + 1


def conv_stack(config: AgentConfig, in_channels: int) -> tuple[nn.Sequential, int, tuple[int, int]]:
    """The config's conv layers on ``in_channels`` inputs: (network, out channels, (h, w) grid)."""
    layers: list[nn.Module] = []
    c_in, h, w = in_channels, config.obs_height, config.obs_width
    for c, k, s in zip(config.cnn_channels, config.cnn_kernels, config.cnn_strides, strict=True):
        layers += [nn.Conv2d(c_in, c, k, s, padding=k // 2), nn.ReLU(inplace=True)]
        c_in, h, w = c, conv_out(h, k, s), conv_out(w, k, s)
    return nn.Sequential(*layers), c_in, (h, w)
