"""Occupancy grid and geodesic distance fields over a MiniWorld floor plan.

The grid covers the floor plan's bounding box at ``resolution`` metres per cell. A cell is free when
an agent disc (radius inflated by a margin) centred on it touches no wall and no obstacle. Shortest
paths come from a distance field: an 8-connected Dijkstra run as a vectorised wavefront (numpy),
computed once per goal and then read in O(1) per step by the expert.

Carrying (put-next) is planned over agent poses instead (:class:`CarryPlanner`): the carried object
sits a metre ahead of the agent and sweeps with every turn, which a 2-D grid cannot represent.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

SQRT2 = math.sqrt(2.0)


def _segment_distance(px: np.ndarray, pz: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """Distance from points (N,) to the nearest of the segments (S, 2, 2) in the x-z plane."""
    best = np.full(px.shape, np.inf)
    for (ax, az), (bx, bz) in np.asarray(segs, dtype=np.float64):
        abx, abz = bx - ax, bz - az
        dx, dz = px - ax, pz - az
        t = np.clip((dx * abx + dz * abz) / max(abx * abx + abz * abz, 1e-12), 0.0, 1.0)
        np.minimum(best, np.hypot(dx - t * abx, dz - t * abz), out=best)
    return best


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
    xs, zs, inside, wall_d = _floor_plan(bounds, rooms, wall_segs, resolution)
    free = inside & (wall_d > agent_radius + wall_margin)
    for ox, oz, orad in obstacles:
        free &= (xs - ox) ** 2 + (zs - oz) ** 2 > (agent_radius + orad + obstacle_margin) ** 2
    return Grid(free, (bounds[0], bounds[2]), resolution)


_FLOOR_PLANS: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}


def _floor_plan(
    bounds: tuple[float, float, float, float],
    rooms: list[tuple[float, float, float, float]],
    wall_segs: np.ndarray,
    resolution: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cell centres (x, z), inside-a-room mask and wall distance of a grid (cached per plan).

    The walls of a task family rarely change between episodes, so this is computed about once.
    """
    segs = np.ascontiguousarray(wall_segs, dtype=np.float64).reshape(-1, 2, 3)
    key = (tuple(float(b) for b in bounds), tuple(map(tuple, rooms)), segs.tobytes(), resolution)
    cached = _FLOOR_PLANS.get(key)
    if cached is None:
        min_x, max_x, min_z, max_z = bounds
        cols = max(1, int(math.ceil((max_x - min_x) / resolution)))
        rows = max(1, int(math.ceil((max_z - min_z) / resolution)))
        xs, zs = np.meshgrid(
            min_x + (np.arange(cols) + 0.5) * resolution,
            min_z + (np.arange(rows) + 0.5) * resolution,
        )
        inside = np.zeros((rows, cols), dtype=bool)
        for rx0, rx1, rz0, rz1 in rooms:
            inside |= (xs >= rx0) & (xs <= rx1) & (zs >= rz0) & (zs <= rz1)
        wall_d = _segment_distance(xs.ravel(), zs.ravel(), segs[:, :, [0, 2]]).reshape(rows, cols)
        cached = (xs, zs, inside, wall_d)
        for arr in cached:
            arr.flags.writeable = False
        if len(_FLOOR_PLANS) >= 16:
            _FLOOR_PLANS.pop(next(iter(_FLOOR_PLANS)))
        _FLOOR_PLANS[key] = cached
    return cached


def disc_cells(grid: Grid, x: float, z: float, radius: float) -> np.ndarray:
    """Boolean mask of the cells whose centre lies within ``radius`` of (x, z)."""
    xs, zs = grid.centers()
    return (xs - x) ** 2 + (zs - z) ** 2 <= radius**2


def distance_field(grid: Grid, goal: np.ndarray, cost: np.ndarray | None = None) -> np.ndarray:
    """Geodesic distance (metres) from every free cell to the nearest goal cell; inf elsewhere.

    With ``cost`` (grid-shaped), reaching goal cell g costs ``cost[g]`` more: the field then
    leads to the goal cell with the least path + cost.
    """
    free = grid.free
    rows, cols = free.shape
    start = goal & free
    if not start.any():
        return np.full(free.shape, np.inf)
    res = grid.resolution
    padded = np.full((rows + 2, cols + 2), np.inf)
    dist = padded[1:-1, 1:-1]
    dist[start] = 0.0 if cost is None else cost[start]
    blocked = ~free
    up, down = padded[:-2, 1:-1], padded[2:, 1:-1]
    side = np.empty((rows + 2, cols))
    straight = np.empty_like(dist)
    diagonal = np.empty_like(dist)
    new = np.empty_like(dist)
    while True:  # one wavefront step per pass, in place (no allocation in the loop)
        np.minimum(padded[:, :-2], padded[:, 2:], out=side)  # left/right neighbours, every row
        np.minimum(side[1:-1], up, out=straight)
        np.minimum(straight, down, out=straight)
        straight += res
        np.minimum(side[:-2], side[2:], out=diagonal)  # the rows above/below: the diagonals
        diagonal += SQRT2 * res
        np.minimum(straight, diagonal, out=new)
        np.minimum(new, dist, out=new)
        np.copyto(new, np.inf, where=blocked)
        if not (new < dist).any():
            return dist.copy()
        np.copyto(dist, new)


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


# ----------------------------------------------------------------- carrying: a pose-lattice planner
CLEARANCE_RESOLUTION = 0.05
"""Metres per cell of the clearance grids the carry planner reads."""
HEURISTIC_MARGIN = 0.05
"""Clearance added to the carry heuristic's lane (negative: optimistic about tight gaps)."""
_BAND = CLEARANCE_RESOLUTION * 0.75
"""A cell's clearance is within this of the clearance anywhere in the cell (Lipschitz bound)."""

Disc = tuple[float, float, float]
"""(x, z, radius) of an obstacle."""


@dataclass
class Clearance:
    """Signed clearance (metres) of a disc centred on each cell of a fine grid: > 0 is free.

    ``flat`` is a row-major Python list because the planner reads it one cell at a time.
    """

    grid: np.ndarray
    flat: list[float]
    origin: tuple[float, float]
    resolution: float

    def at(self, x: float, z: float) -> float:
        """Clearance of the cell holding (x, z); -1 outside the grid."""
        fx = (x - self.origin[0]) / self.resolution
        fz = (z - self.origin[1]) / self.resolution
        rows, cols = self.grid.shape
        if 0.0 <= fx < cols and 0.0 <= fz < rows:
            return self.flat[int(fz) * cols + int(fx)]
        return -1.0


def clearance_grid(
    bounds: tuple[float, float, float, float],
    rooms: list[tuple[float, float, float, float]],
    wall_segs: np.ndarray,
    obstacles: list[Disc],
    radius: float,
    resolution: float = CLEARANCE_RESOLUTION,
) -> Clearance:
    """Clearance of a disc of ``radius`` from walls and obstacle discs at every cell centre."""
    xs, zs, inside, wall_d = _floor_plan(bounds, rooms, wall_segs, resolution)
    val = wall_d - radius
    for ox, oz, orad in obstacles:
        np.minimum(val, np.sqrt((xs - ox) ** 2 + (zs - oz) ** 2) - orad - radius, out=val)
    val[~inside] = -1.0
    return Clearance(val, val.ravel().tolist(), (bounds[0], bounds[2]), resolution)


def exact_clearance(
    x: float,
    z: float,
    radius: float,
    segs: list[tuple[float, float, float, float]],
    obstacles: list[Disc],
) -> float:
    """Exact clearance of a disc at (x, z) from segments (ax, az, bx, bz) and discs."""
    best = math.inf
    for ax, az, bx, bz in segs:
        abx, abz = bx - ax, bz - az
        t = ((x - ax) * abx + (z - az) * abz) / max(abx * abx + abz * abz, 1e-12)
        t = min(max(t, 0.0), 1.0)
        best = min(best, math.hypot(x - ax - t * abx, z - az - t * abz))
    best -= radius
    for ox, oz, orad in obstacles:
        best = min(best, math.hypot(x - ox, z - oz) - orad - radius)
    return best


@dataclass
class CarryPlanner:
    """A* over agent poses (x, z, heading) for an agent carrying a disc ``carry`` metres ahead.

    Moves and turns follow MiniWorld: a move is dropped when the agent or the carried disc would
    touch anything, a turn when the carried disc would. The goal is any pose whose carried disc
    lies within (``touch``, ``near``) of the reference's centre, so that a drop there puts it
    next to the reference. Poses are deduplicated on a 5 cm x 5 cm x one-turn lattice but kept
    exact, so a plan replays exactly under deterministic motion. The heuristic is the geodesic
    distance of the agent's centre to the ring of drop positions from which the carried disc
    would fit against the reference.
    """

    agent: Clearance
    held: Clearance
    segs: list[tuple[float, float, float, float]]
    agent_obstacles: list[Disc]
    held_obstacles: list[Disc]
    agent_radius: float
    held_radius: float
    ref: Disc
    near: float
    carry: float
    step: float
    turn: float
    heuristic: Grid
    field: np.ndarray
    descent_field: np.ndarray
    turn_cost: float = 0.02
    back_cost: float = 2.0
    tight_cost: float = 0.05
    tight: float = 0.08
    weight: float = 1.5

    def __post_init__(self) -> None:
        self.cost_to_go: list[float] = self.field.ravel().tolist()
        self.descent: list[float] = self.descent_field.ravel().tolist()

    @property
    def touch(self) -> float:
        """Centre distance at which the carried disc touches the reference."""
        return self.held_radius + self.ref[2]

    def _clear(self, grid: Clearance, x: float, z: float, radius: float, obs: list[Disc]) -> float:
        v = grid.at(x, z)
        if v > _BAND or v < -_BAND:
            return v
        return exact_clearance(x, z, radius, self.segs, obs)

    def agent_clearance(self, x: float, z: float) -> float:
        """Clearance of the agent's disc at (x, z); <= 0 is blocked."""
        return self._clear(self.agent, x, z, self.agent_radius, self.agent_obstacles)

    def held_clearance(self, ox: float, oz: float) -> float:
        """Clearance of the carried disc at (ox, oz), reference included; <= 0 is blocked."""
        v = self._clear(self.held, ox, oz, self.held_radius, self.held_obstacles)
        return min(v, math.hypot(ox - self.ref[0], oz - self.ref[1]) - self.touch)

    def at_goal(self, ox: float, oz: float) -> bool:
        """Whether dropping the carried disc at (ox, oz) puts it next to the reference."""
        d = math.hypot(ox - self.ref[0], oz - self.ref[1])
        return self.touch + 1e-3 < d < self.near - 0.01

    def h(self, x: float, z: float, heading: float) -> float:
        """Geodesic distance of the agent to a drop pose, plus the turns to face down it."""
        grid = self.heuristic
        rows, cols = grid.shape
        j = min(max(int((x - grid.origin[0]) / grid.resolution), 0), cols - 1)
        i = min(max(int((z - grid.origin[1]) / grid.resolution), 0), rows - 1)
        v = self.cost_to_go[i * cols + j]
        if v == math.inf:
            return max(0.0, math.hypot(x - self.ref[0], z - self.ref[1]) - self.carry) + 2.0
        off = abs((self.descent[i * cols + j] - heading + math.pi) % (2 * math.pi) - math.pi)
        return v + self.turn_cost * int(off / self.turn)

    def plan(
        self, x: float, z: float, heading: float, max_expansions: int = 6000
    ) -> list[tuple[str, float, float, float]] | None:
        """Actions from pose (x, z, heading) to a drop pose, each with the pose it is taken at."""
        n_dir = max(4, round(2 * math.pi / self.turn))
        cos_k = [math.cos(heading + k * self.turn) for k in range(n_dir)]
        sin_k = [math.sin(heading + k * self.turn) for k in range(n_dir)]
        carry, step, w = self.carry, self.step, self.weight
        start = (round(x * 20.0), round(z * 20.0), 0)
        nodes: dict[tuple[int, int, int], tuple[float, float, float, int, Any, str]] = {}
        nodes[start] = (0.0, x, z, 0, None, "")
        closed: set[tuple[int, int, int]] = set()
        heap: list[tuple[float, int, tuple[int, int, int]]] = [(0.0, 0, start)]
        counter = 0
        goal = start if self.at_goal(x + carry * cos_k[0], z - carry * sin_k[0]) else None
        moves = (("move_forward", 0, step), ("turn_left", 1, 0.0), ("turn_right", -1, 0.0))
        moves += (("move_back", 0, -step),)
        while heap and goal is None and len(closed) < max_expansions:
            node = heapq.heappop(heap)[2]
            if node in closed:
                continue
            closed.add(node)
            g, ax, az, k, _, _ = nodes[node]
            for name, dk, s in moves:
                nk = (k + dk) % n_dir
                nx, nz = ax + s * cos_k[k], az - s * sin_k[k]
                nkey = (round(nx * 20.0), round(nz * 20.0), nk)
                if nkey in closed:
                    continue
                ox, oz = nx + carry * cos_k[nk], nz - carry * sin_k[nk]
                clear = self.held_clearance(ox, oz)
                if clear > 0.0 and dk == 0:
                    clear = min(clear, self.agent_clearance(nx, nz))
                if clear <= 0.0:
                    continue
                ng = g + (self.turn_cost if dk else step if s > 0 else self.back_cost * step)
                if clear < self.tight:
                    ng += self.tight_cost
                old = nodes.get(nkey)
                if old is not None and old[0] <= ng:
                    continue
                nodes[nkey] = (ng, nx, nz, nk, node, name)
                if self.at_goal(ox, oz):
                    goal = nkey
                    break
                counter += 1
                f = ng + w * self.h(nx, nz, heading + nk * self.turn)
                heapq.heappush(heap, (f, counter, nkey))
        if goal is None:
            return None
        steps: list[tuple[str, float, float, float]] = []
        node = goal
        while nodes[node][4] is not None:
            _, _, _, _, parent, name = nodes[node]
            _, px, pz, pk, _, _ = nodes[parent]
            steps.append((name, px, pz, heading + pk * self.turn))
            node = parent
        steps.reverse()
        return steps


def carry_planner(
    bounds: tuple[float, float, float, float],
    rooms: list[tuple[float, float, float, float]],
    wall_segs: np.ndarray,
    obstacles: list[Disc],
    ref: Disc,
    agent_radius: float,
    held_radius: float,
    carry: float,
    near_slack: float,
    step: float,
    turn: float,
) -> CarryPlanner:
    """Build the planner for carrying a disc of ``held_radius`` next to ``ref``.

    Args:
        obstacles: every object but the carried one and the reference.
        ref: the reference disc; the drop succeeds within ``near_slack`` of touching it.
        carry: centre distance from the agent to the carried disc.
        step: forward step (metres); turn: turn step (radians).
    """
    held = clearance_grid(bounds, rooms, wall_segs, obstacles, held_radius)
    agent = clearance_grid(bounds, rooms, wall_segs, [*obstacles, ref], agent_radius)
    # Heuristic: a coarse agent grid (no margins, slightly optimistic) and the ring of agent
    # positions from which the carried disc, pointed at the reference, would fit against it.
    # Moving straight, agent and carried disc sweep one lane as wide as the wider of the two.
    lane = max(agent_radius, held_radius) + HEURISTIC_MARGIN
    grid = build_grid(bounds, rooms, wall_segs, [*obstacles, ref], lane, 0.1, 0.0, 0.0)
    xs, zs = grid.centers()
    rx, rz, rr = ref
    d = np.hypot(xs - rx, zs - rz)
    touch = held_radius + rr
    ring = (d > carry + touch - 0.05) & (d < carry + touch + near_slack + 0.05) & grid.free
    ux, uz = (rx - xs) / np.maximum(d, 1e-9), (rz - zs) / np.maximum(d, 1e-9)
    gap = touch + 0.5 * near_slack
    for i, j in zip(*np.nonzero(ring), strict=True):
        ox, oz = rx - gap * ux[i, j], rz - gap * uz[i, j]
        if held.at(ox, oz) <= -_BAND:
            ring[i, j] = False
    dist = distance_field(grid, ring)
    finite = np.where(np.isfinite(dist), dist, np.nanmax(np.where(np.isfinite(dist), dist, 0)) + 1)
    gz, gx = np.gradient(finite)
    descent = np.arctan2(gz, -gx)  # heading of steepest descent: dir_vec = (cos, -sin)
    segs = [
        (float(a[0]), float(a[2]), float(b[0]), float(b[2]))
        for a, b in np.asarray(wall_segs, dtype=np.float64).reshape(-1, 2, 3)
    ]
    return CarryPlanner(
        agent=agent,
        held=held,
        segs=segs,
        agent_obstacles=[*obstacles, ref],
        held_obstacles=list(obstacles),
        agent_radius=agent_radius,
        held_radius=held_radius,
        ref=ref,
        near=touch + near_slack,
        carry=carry,
        step=step,
        turn=turn,
        heuristic=grid,
        field=dist,
        descent_field=descent,
    )


def approach_field(
    grid: Grid, planner: CarryPlanner, held: Disc, reach: tuple[float, float], turn_weight: float
) -> np.ndarray:
    """Distance field to the poses from which to pick ``held`` up, facing it.

    Each pick-up cell starts at the planner's estimate of the carry that follows: the agent's
    geodesic distance to a drop pose, plus ``turn_weight`` metres for facing the wrong way (a
    long carried object is costly to turn round). So the agent walks to the side of the object
    that makes walk + carry shortest, rather than to the nearest side.

    Args:
        grid: the agent's grid (same bounds and resolution as ``planner.heuristic``).
        reach: (min, max) centre distances from ``held`` at which to pick it up.
    """
    xs, zs = grid.centers()
    hx, hz, _ = held
    d = np.hypot(xs - hx, zs - hz)
    ring = grid.free & (d >= reach[0]) & (d <= reach[1]) & np.isfinite(planner.field)
    if not ring.any():
        return distance_field(grid, grid.free & (d >= reach[0]) & (d <= reach[1]))
    x, z = xs[ring], zs[ring]
    rx, rz = planner.ref[0], planner.ref[1]
    theta = np.arctan2(-(hz - z), hx - x)  # heading that faces the object
    field = planner.field[ring]
    # Heading wanted after the pick-up: down the carry field, or at the reference when there.
    want = np.where(field < 0.2, np.arctan2(-(rz - z), rx - x), planner.descent_field[ring])
    swing = (want - theta + np.pi) % (2 * np.pi) - np.pi
    held_grid = planner.held
    rows, cols = held_grid.grid.shape

    def held_at(angle: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ox, oz = x + planner.carry * np.cos(angle), z - planner.carry * np.sin(angle)
        j = np.clip(((ox - held_grid.origin[0]) / held_grid.resolution).astype(int), 0, cols - 1)
        i = np.clip(((oz - held_grid.origin[1]) / held_grid.resolution).astype(int), 0, rows - 1)
        return held_grid.grid[i, j], ox, oz

    # Picked up, the object jumps to the carry pose: where it overlaps something the carry
    # starts wedged. Turning to the wanted heading swings it, free of charge if nothing is in
    # the way (the reference may stop the swing: the drop succeeds there).
    clear, ox, oz = held_at(theta)
    wedged = (clear < _BAND) | (np.hypot(ox - rx, oz - rz) < planner.touch)
    blocked = wedged.copy()
    for k in range(1, int(np.ceil(np.abs(swing).max() / planner.turn)) + 1):
        frac = np.minimum(k * planner.turn / np.maximum(np.abs(swing), 1e-9), 1.0)
        blocked |= held_at(theta + frac * swing)[0] < _BAND
    cost = np.full(d.shape, np.inf)
    cost[ring] = field + np.where(blocked, turn_weight, 0.0) + np.where(wedged, 1.0, 0.0)
    return distance_field(grid, ring, cost)
