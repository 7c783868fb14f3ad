"""Occupancy grid and geodesic distance fields over a MiniWorld floor plan.

The grid covers the floor plan's bounding box at ``resolution`` metres per cell. A cell is free when
an agent disc (radius inflated by a margin) centred on it touches no wall and no obstacle. Shortest
paths come from a distance field: an 8-connected Dijkstra run as a vectorised wavefront (numpy),
computed once per goal and then read in O(1) per step by the expert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SQRT2 = math.sqrt(2.0)
_NEIGHBOURS: tuple[tuple[int, int, float], ...] = (
    (-1, 0, 1.0),
    (1, 0, 1.0),
    (0, -1, 1.0),
    (0, 1, 1.0),
    (-1, -1, SQRT2),
    (-1, 1, SQRT2),
    (1, -1, SQRT2),
    (1, 1, SQRT2),
)


def _segment_distance(px: np.ndarray, pz: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """Distance from points (N,) to the nearest of the segments (S, 2, 2) in the x-z plane."""
    if len(segs) == 0:
        return np.full(px.shape, np.inf)
    a = segs[:, 0][None, :, :]  # (1, S, 2)
    b = segs[:, 1][None, :, :]
    p = np.stack([px, pz], axis=-1)[:, None, :]  # (N, 1, 2)
    ab = b - a
    denom = np.maximum((ab * ab).sum(-1), 1e-12)
    t = np.clip(((p - a) * ab).sum(-1) / denom, 0.0, 1.0)
    closest = a + t[..., None] * ab
    return np.sqrt(((p - closest) ** 2).sum(-1)).min(axis=1)


@dataclass
class Grid:
    """A boolean occupancy grid over the x-z plane: ``free[i, j]`` is cell (row=z, col=x)."""

    free: np.ndarray
    origin: tuple[float, float]
    resolution: float

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of the grid."""
        return self.free.shape  # type: ignore[return-value]

    def centers(self) -> tuple[np.ndarray, np.ndarray]:
        """World x and z of every cell centre, each of the grid's shape."""
        rows, cols = self.shape
        xs = self.origin[0] + (np.arange(cols) + 0.5) * self.resolution
        zs = self.origin[1] + (np.arange(rows) + 0.5) * self.resolution
        return np.meshgrid(xs, zs)

    def cell(self, x: float, z: float) -> tuple[int, int]:
        """Index (row, col) of the cell holding world point (x, z), clipped to the grid."""
        rows, cols = self.shape
        j = int((x - self.origin[0]) / self.resolution)
        i = int((z - self.origin[1]) / self.resolution)
        return min(max(i, 0), rows - 1), min(max(j, 0), cols - 1)

    def point(self, i: int, j: int) -> tuple[float, float]:
        """World (x, z) of the centre of cell (i, j)."""
        return (
            self.origin[0] + (j + 0.5) * self.resolution,
            self.origin[1] + (i + 0.5) * self.resolution,
        )


def build_grid(
    bounds: tuple[float, float, float, float],
    rooms: list[tuple[float, float, float, float]],
    wall_segs: np.ndarray,
    obstacles: list[tuple[float, float, float]],
    agent_radius: float,
    resolution: float = 0.1,
    wall_margin: float = 0.15,
    obstacle_margin: float = 0.1,
) -> Grid:
    """Build the occupancy grid of where the agent's centre may stand.

    Args:
        bounds: (min_x, max_x, min_z, max_z) of the floor plan.
        rooms: rectangles (min_x, max_x, min_z, max_z); a cell outside all of them is blocked.
        wall_segs: MiniWorld wall segments, shape (S, 2, 3).
        obstacles: (x, z, radius) discs the agent must not touch.
        agent_radius: radius of the agent disc.
        resolution: metres per cell.
        wall_margin: extra clearance from walls.
        obstacle_margin: extra clearance from obstacles (so the agent never grazes one).
    """
    min_x, max_x, min_z, max_z = bounds
    cols = max(1, int(math.ceil((max_x - min_x) / resolution)))
    rows = max(1, int(math.ceil((max_z - min_z) / resolution)))
    grid = Grid(np.zeros((rows, cols), dtype=bool), (min_x, min_z), resolution)
    xs, zs = grid.centers()
    inside = np.zeros((rows, cols), dtype=bool)
    for rx0, rx1, rz0, rz1 in rooms:
        inside |= (xs >= rx0) & (xs <= rx1) & (zs >= rz0) & (zs <= rz1)
    segs2d = np.asarray(wall_segs, dtype=np.float64).reshape(-1, 2, 3)[:, :, [0, 2]]
    wall_d = _segment_distance(xs.ravel(), zs.ravel(), segs2d).reshape(rows, cols)
    free = inside & (wall_d > agent_radius + wall_margin)
    for ox, oz, orad in obstacles:
        free &= (xs - ox) ** 2 + (zs - oz) ** 2 > (agent_radius + orad + obstacle_margin) ** 2
    grid.free = free
    return grid


def disc_cells(grid: Grid, x: float, z: float, radius: float) -> np.ndarray:
    """Boolean mask of the cells whose centre lies within ``radius`` of (x, z)."""
    xs, zs = grid.centers()
    return (xs - x) ** 2 + (zs - z) ** 2 <= radius**2


def distance_field(grid: Grid, goal: np.ndarray) -> np.ndarray:
    """Geodesic distance (metres) from every free cell to the nearest goal cell; inf elsewhere."""
    free = grid.free
    dist = np.full(free.shape, np.inf)
    dist[goal & free] = 0.0
    if not (goal & free).any():
        return dist
    rows, cols = free.shape
    res = grid.resolution
    while True:
        padded = np.pad(dist, 1, constant_values=np.inf)
        new = dist.copy()
        for di, dj, cost in _NEIGHBOURS:
            shifted = padded[1 + di : 1 + di + rows, 1 + dj : 1 + dj + cols]
            np.minimum(new, shifted + cost * res, out=new)
        new[~free] = np.inf
        if np.array_equal(new, dist):
            return dist
        dist = new


def descend(dist: np.ndarray, start: tuple[int, int], max_cells: int) -> list[tuple[int, int]]:
    """Follow steepest descent of ``dist`` from ``start`` for up to ``max_cells`` cells."""
    rows, cols = dist.shape
    i, j = start
    path = [(i, j)]
    for _ in range(max_cells):
        if dist[i, j] == 0.0:
            break
        i0, i1 = max(i - 1, 0), min(i + 2, rows)
        j0, j1 = max(j - 1, 0), min(j + 2, cols)
        window = dist[i0:i1, j0:j1]
        k = int(np.argmin(window))
        ni, nj = i0 + k // window.shape[1], j0 + k % window.shape[1]
        if dist[ni, nj] >= dist[i, j]:
            break
        i, j = ni, nj
        path.append((i, j))
    return path


def nearest_reachable(grid: Grid, dist: np.ndarray, x: float, z: float) -> tuple[int, int] | None:
    """The cell with finite distance nearest in a straight line to (x, z), or None."""
    finite = np.isfinite(dist)
    if not finite.any():
        return None
    xs, zs = grid.centers()
    d2 = np.where(finite, (xs - x) ** 2 + (zs - z) ** 2, np.inf)
    k = int(np.argmin(d2))
    return k // d2.shape[1], k % d2.shape[1]


def path_length_to(grid: Grid, dist: np.ndarray, x: float, z: float) -> float:
    """Geodesic distance from (x, z) to the goal; from the nearest reachable cell if blocked."""
    i, j = grid.cell(x, z)
    if np.isfinite(dist[i, j]):
        return float(dist[i, j])
    cell = nearest_reachable(grid, dist, x, z)
    if cell is None:
        return float("inf")
    px, pz = grid.point(*cell)
    return float(dist[cell]) + math.hypot(px - x, pz - z)


def farthest_in_sight(
    grid: Grid, dist: np.ndarray, origin: tuple[float, float], path: list[tuple[int, int]]
) -> tuple[float, float]:
    """The farthest point of ``path`` reachable from ``origin`` in a straight line of free cells."""
    ox, oz = origin
    rows, cols = dist.shape
    for k in range(len(path) - 1, 0, -1):
        px, pz = grid.point(*path[k])
        n = max(2, int(math.hypot(px - ox, pz - oz) / (0.5 * grid.resolution)) + 1)
        t = np.linspace(0.0, 1.0, n)
        j = np.clip(((ox + t * (px - ox)) - grid.origin[0]) / grid.resolution, 0, cols - 1)
        i = np.clip(((oz + t * (pz - oz)) - grid.origin[1]) / grid.resolution, 0, rows - 1)
        if np.isfinite(dist[i.astype(int), j.astype(int)]).all():
            return px, pz
    return grid.point(*path[min(1, len(path) - 1)])
