"""Dense per-cell labels: the env's semantic map reduced to the CNN's feature grid.

The env's exact semantic map (:mod:`envs.masks`: per pixel 0 or ``1 + colour * 3 + shape``) is
reduced to the grid once, when a dataset is loaded: each cell takes the code covering most of its
pixels (0 when no object shows there). Cell ``j`` of a CNN whose strides multiply to ``S`` is
centred near pixel ``j * S``, so its window is ``[j * S - S / 2, j * S + S / 2)``. Mirrored frames
get their own cell codes (computed from the mirrored map), since the windows are not symmetric.
"""

from __future__ import annotations

import numpy as np

from envs.masks import NUM_CODES


def cell_codes(
    semantic: np.ndarray, grid: tuple[int, int], stride: int, chunk: int = 1024
) -> np.ndarray:
    """(N, H, W) uint8 semantic maps -> (N, h, w) uint8 code of the object filling each cell most.

    Args:
        semantic: per-pixel codes (0 = no object).
        grid: (h, w) of the CNN's feature grid.
        stride: the product of the CNN's strides (pixels per cell).
        chunk: frames reduced at a time (bounds memory).
    """
    n, height, width = semantic.shape
    h, w = grid
    half = stride // 2
    rows, cols = min(height, h * stride - half), min(width, w * stride - half)
    out = np.zeros((n, h, w), dtype=np.uint8)
    for lo in range(0, n, chunk):
        m = min(chunk, n - lo)
        part = np.zeros((m, h * stride, w * stride), dtype=np.int64)
        part[:, half : half + rows, half : half + cols] = semantic[lo : lo + m, :rows, :cols]
        blocks = part.reshape(m * h, stride, w, stride).transpose(0, 2, 1, 3).reshape(-1, stride**2)
        cell = np.arange(len(blocks))[:, None] * NUM_CODES
        counts = np.bincount((cell + blocks).ravel(), minlength=len(blocks) * NUM_CODES)
        counts = counts.reshape(-1, NUM_CODES)
        counts[:, 0] = 0
        best = counts.argmax(1)  # 0 where no object pixel: every count is 0 then
        out[lo : lo + m] = best.reshape(m, h, w).astype(np.uint8)
    return out


def cell_codes_and_mirrored(
    semantic: np.ndarray, grid: tuple[int, int], stride: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cell_codes` of the maps and of the horizontally mirrored maps (flipped frames)."""
    mirrored = np.ascontiguousarray(semantic[:, :, ::-1])
    return cell_codes(semantic, grid, stride), cell_codes(mirrored, grid, stride)
