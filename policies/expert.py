"""Privileged expert: reads the env's true state and returns a primitive action.

Every call looks at the current pose, the current subgoal and a geodesic distance field to it
(cached per goal by the env), so the expert recovers from any state a learner leads it into
(DAgger labels). Go-to and pickup head for the end of the shortest path when it is in straight
sight, else for the farthest point of the path in sight; a step that would touch anything is
replaced by the free heading that lands lowest on the field. Near a go-to target the expert walks
along a heading whose straight line bumps the target before anything else.

Put-next walks to the side of the object that makes walk + carry shortest, then plans the carry
over agent poses (x, z, heading) with the carried object's sweep checked exactly
(:class:`envs.navigation.CarryPlanner`). The plan is memoised and replayed while the agent
stands on it, and replanned from wherever it does not; other caches are per layout. So the label
is a function of the env's state (up to ties between plans).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from envs import navigation
from envs.world import SPL_RESOLUTION, MiniGroundEnv

RESOLUTION = SPL_RESOLUTION
"""Grid of the go-to fields: the env's shortest-path grid, so reset has already built them."""
LOOKAHEAD_M = 3.0
"""How far along the shortest path the expert looks for a point in straight-line sight."""
APPROACH_TURN_M = 0.6
"""Put-next: metres of carrying that picking the object up facing away from the goal costs."""
LONG_SEARCH = 60000
"""Put-next: pose expansions of the carry planner's second try, when its first one gives up."""
TIGHT = {"obstacle_margin": 0.02, "wall_margin": 0.01}
"""Grid margins used when the agent stands off the normal (safe) grid."""
_WINDOW = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 0), (0, 1), (1, -1), (1, 0), (1, 1))


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def _seg_dist(x: float, z: float, seg: tuple[float, float, float, float]) -> float:
    ax, az, bx, bz = seg
    abx, abz = bx - ax, bz - az
    t = ((x - ax) * abx + (z - az) * abz) / max(abx * abx + abz * abz, 1e-12)
    t = min(max(t, 0.0), 1.0)
    return math.hypot(x - ax - t * abx, z - az - t * abz)


class _FieldView:
    """O(1) reads of one distance field: steepest-descent successors and sight targets per cell."""

    def __init__(self, grid: navigation.Grid, dist: np.ndarray) -> None:
        self.grid, self.dist = grid, dist
        rows, cols = dist.shape
        self.cols = cols
        self.flat: list[float] = dist.ravel().tolist()
        padded = np.pad(dist, 1, constant_values=np.inf)
        window = np.stack([padded[1 + a : 1 + a + rows, 1 + b : 1 + b + cols] for a, b in _WINDOW])
        best = np.argmin(window, axis=0)
        di = np.array([a for a, _ in _WINDOW])[best]
        dj = np.array([b for _, b in _WINDOW])[best]
        succ = (np.arange(rows)[:, None] + di) * cols + np.arange(cols)[None, :] + dj
        succ[~(window.min(axis=0) < dist)] = -1
        self.succ: list[int] = succ.ravel().tolist()
        self.targets: dict[int, tuple[tuple[float, float], bool] | None] = {}

    def value(self, x: float, z: float) -> float:
        """Field value of the cell holding (x, z)."""
        i, j = self.grid.cell(x, z)
        return self.flat[i * self.cols + j]

    def finite(self, cell: tuple[int, int]) -> bool:
        return self.flat[cell[0] * self.cols + cell[1]] < math.inf

    def _centre(self, k: int) -> tuple[float, float]:
        return self.grid.point(k // self.cols, k % self.cols)

    def _sight(self, a: tuple[float, float], b: tuple[float, float]) -> bool:
        grid, flat, cols = self.grid, self.flat, self.cols
        res = grid.resolution
        n = max(2, int(math.hypot(b[0] - a[0], b[1] - a[1]) / (0.75 * res)) + 1)
        for t in range(n):
            f = t / (n - 1)
            j = int((a[0] + f * (b[0] - a[0]) - grid.origin[0]) / res)
            i = int((a[1] + f * (b[1] - a[1]) - grid.origin[1]) / res)
            if flat[i * cols + j] == math.inf:
                return False
        return True

    def rejoin(self, x: float, z: float, cells: int = 4) -> tuple[int, int] | None:
        """The safe cell within ``cells`` of (x, z) that minimises distance to it + to the goal."""
        grid = self.grid
        i, j = grid.cell(x, z)
        rows, cols = self.dist.shape
        i0, i1, j0, j1 = (
            max(i - cells, 0),
            min(i + cells + 1, rows),
            max(j - cells, 0),
            min(j + cells + 1, cols),
        )
        window = self.dist[i0:i1, j0:j1]
        if not np.isfinite(window).any():
            return None
        res = grid.resolution
        xs = grid.origin[0] + (np.arange(j0, j1) + 0.5) * res
        zs = grid.origin[1] + (np.arange(i0, i1) + 0.5) * res
        cost = window + np.hypot(xs[None, :] - x, zs[:, None] - z)
        k = int(np.argmin(cost))
        return i0 + k // (j1 - j0), j0 + k % (j1 - j0)

    def end(self, cell: tuple[int, int]) -> tuple[float, float]:
        """Centre of the cell where steepest descent from ``cell`` ends."""
        k = cell[0] * self.cols + cell[1]
        for _ in range(len(self.flat)):
            if self.succ[k] < 0:
                break
            k = self.succ[k]
        return self._centre(k)

    def target(self, cell: tuple[int, int]) -> tuple[tuple[float, float], bool] | None:
        """Where to head from the cell: (point, whether it is the path's end).

        The end of the path if it is in straight-line sight of the cell's centre (a grid path
        is 8-connected; walking straight at its end is shorter), else the farthest point of the
        path within the lookahead in sight. None at the path's end.
        """
        k0 = cell[0] * self.cols + cell[1]
        if k0 in self.targets:
            return self.targets[k0]
        path = [k0]
        for _ in range(len(self.flat)):
            nxt = self.succ[path[-1]]
            if nxt < 0:
                break
            path.append(nxt)
        found = None
        if len(path) > 1:
            origin = self._centre(k0)
            if self._sight(origin, self._centre(path[-1])):
                found = (self._centre(path[-1]), True)
            else:
                found = (self._centre(path[1]), False)
                ahead = path[2 : round(LOOKAHEAD_M / self.grid.resolution) + 1]
                for k in reversed(ahead):
                    if self._sight(origin, self._centre(k)):
                        found = (self._centre(k), False)
                        break
        self.targets[k0] = found
        return found


class Expert:
    """Expert for any MiniGround env; call it (optionally with the observation) to get an action."""

    def __init__(self, env: Any) -> None:
        base = env.unwrapped
        if not isinstance(base, MiniGroundEnv):
            raise TypeError(f"the expert needs a MiniGround env, got {type(base).__name__}")
        self.env: MiniGroundEnv = base
        self.actions = {name: i for i, name in enumerate(base.action_names)}
        # Memoised functions of the env's state (never of the expert's history).
        self._views: dict[int, _FieldView] = {}
        self._segs_of: Any = None
        self._seg_list: list[tuple[float, float, float, float]] = []
        self._carry_sig: tuple[Any, ...] | None = None
        self._planner: navigation.CarryPlanner | None = None
        self._plan: list[tuple[str, float, float, float]] = []
        self._plan_at = 0
        self._failed: set[tuple[float, float, float]] = set()
        self._approach_key: Any = None
        self._approach_view: _FieldView | None = None

    def reset(self) -> None:
        """Nothing to reset: the expert is stateless (kept for a uniform policy API)."""

    def __call__(self, obs: Any = None) -> int:
        return self.act()

    # ----------------------------------------------------------------- policy
    def _subgoal(self) -> tuple[Any, float, str]:
        """(entity to approach, reach in metres, what to do on arrival)."""
        env = self.env
        if env.family == "putnext":
            moved = env.named[0]
            return moved, env.contact_reach(moved), "pickup"
        if env.family == "pickup":
            return env.target, env.contact_reach(env.target), "pickup"
        return env.target, env.contact_reach(env.target), "bump"

    def act(self) -> int:
        """The expert's action in the env's current state."""
        env = self.env
        carrying = env.agent.carrying
        if carrying is not None:
            if env.family == "putnext" and carrying is env.named[0]:
                return self._carry(*env.named)
            return self.actions.get("drop", self.actions["turn_left"])
        goal, reach, mode = self._subgoal()
        tol = self._turn_tolerance()
        if env.family == "putnext":
            action = self._approach(*env.named, reach, tol)
            if action is not None:
                return action
        x, z = float(env.agent.pos[0]), float(env.agent.pos[2])
        gx, gz = float(goal.pos[0]), float(goal.pos[2])
        if math.hypot(gx - x, gz - z) <= reach + 0.05:
            if mode == "bump":
                return self._bump(goal, tol)
            error = self._heading_error(gx, gz)
            if abs(error) > tol:
                return self._turn(error)
            return self._arrive(goal, tol)
        return self._navigate(goal, reach, tol)

    def _arrive(self, goal: Any, tol: float) -> int:
        """Facing the object to pick up, within reach: pick it up, or step closer."""
        if self.env._pickup_candidate() is goal:
            return self.actions["pickup"]
        blocker = self._forward_blocker()
        if blocker is None or blocker is goal:
            return self.actions["move_forward"]
        return self._navigate(goal, float(goal.radius), tol, exclude=(goal,))

    def _navigate(self, goal: Any, reach: float, tol: float, exclude: tuple[Any, ...] = ()) -> int:
        """Steer toward the farthest point of the shortest path in straight-line sight."""
        env = self.env
        x, z = float(env.agent.pos[0]), float(env.agent.pos[2])
        view = self._view(*env.goal_field(goal, reach, exclude=exclude, resolution=RESOLUTION))
        cell = view.grid.cell(x, z)
        safe = view.finite(cell)
        rejoin = None
        if not safe:
            # Off the safe grid (a learner's mistake, a tight corner, a start by a wall): head
            # for the best safe cell close by; failing that, plan on a grid without safety
            # margins, where the agent's own cell is free.
            rejoin = view.rejoin(x, z)
            if rejoin is None:
                view = self._view(*env.goal_field(goal, reach, exclude=exclude, **TIGHT))
                cell = view.grid.cell(x, z)
        centre = (float(goal.pos[0]), float(goal.pos[2]))
        if rejoin is not None:
            target = view.grid.point(*rejoin)
            ahead = view.target(rejoin)
            if math.hypot(target[0] - x, target[1] - z) < 0.15:
                target = centre if ahead is None or ahead[1] else ahead[0]
        elif view.finite(cell):
            ahead = view.target(cell)
            target = centre if ahead is None or ahead[1] else ahead[0]
        else:
            near = navigation.nearest_reachable(view.grid, view.dist, x, z)
            target = (goal.pos[0], goal.pos[2]) if near is None else view.grid.point(*near)
        if not safe and abs(self._heading_error(*target)) <= math.pi / 2:
            blocker = self._forward_blocker()
            if blocker is None or blocker is goal:
                # Off the safe grid: any move roughly toward the path frees the agent.
                return self.actions["move_forward"]
        return self._steer(target, goal, view, tol)

    def _steer(self, target: tuple[float, float], goal: Any, view: _FieldView, tol: float) -> int:
        """Face ``target`` and walk; if that heading's step is blocked, take the free heading
        whose step lands lowest on the field instead.

        The choice depends on the position only (not on the current heading), so turning toward
        it never flips back: no left-right dithering at a doorway post or an object's flank.
        """
        env = self.env
        turn = math.radians(float(env.params.sample(None, "turn_step")))
        error = self._heading_error(*target)
        k0 = 0 if abs(error) <= tol else (round(error / turn) or (1 if error > 0 else -1))
        heading = float(env.agent.dir)
        blocker = self._forward_blocker(heading + k0 * turn)
        if blocker is None or blocker is goal:
            return self.actions["move_forward"] if k0 == 0 else self._turn(k0)
        step = float(env.params.sample(None, "forward_step"))
        x, z = float(env.agent.pos[0]), float(env.agent.pos[2])
        best, best_cost = None, (math.inf, math.inf)
        n = round(math.pi / turn)
        for k in range(-n + 1, n + 1):
            h = heading + k * turn
            blocker = self._forward_blocker(h)
            if blocker is not None and blocker is not goal:
                continue
            cost = (view.value(x + step * math.cos(h), z - step * math.sin(h)), abs(k - k0))
            if cost < best_cost:
                best, best_cost = k, cost
        if best is None:  # boxed in: back out if possible
            return self.actions.get("move_back", self._turn(k0))
        return self.actions["move_forward"] if best == 0 else self._turn(best)

    def _view(self, grid: navigation.Grid, dist: np.ndarray) -> _FieldView:
        view = self._views.get(id(dist))
        if view is None or view.dist is not dist:
            if len(self._views) > 64:
                self._views.clear()
            view = self._views[id(dist)] = _FieldView(grid, dist)
        return view

    # ----------------------------------------------------------------- geometry
    def _turn_tolerance(self) -> float:
        env = self.env
        step = (
            env.params.get_max("turn_step")
            if env.domain_rand
            else env.params.sample(None, "turn_step")
        )
        return math.radians(0.5 * float(step) + 0.5)

    def _heading_error(self, x: float, z: float) -> float:
        agent = self.env.agent
        desired = math.atan2(-(z - agent.pos[2]), x - agent.pos[0])
        return _wrap(desired - float(agent.dir))

    def _segs(self) -> list[tuple[float, float, float, float]]:
        """The walls as (ax, az, bx, bz) tuples (cached per floor plan)."""
        env = self.env
        if self._segs_of is not env.wall_segs:
            self._segs_of = env.wall_segs
            self._seg_list = [
                (float(a[0]), float(a[2]), float(b[0]), float(b[2]))
                for a, b in np.asarray(env.wall_segs, dtype=np.float64).reshape(-1, 2, 3)
            ]
        return self._seg_list

    def _hit(self, ent: Any, x: float, z: float, radius: float) -> Any:
        """``env.intersect`` in plain Python: True for a wall, else the first entity touched."""
        for seg in self._segs():
            if _seg_dist(x, z, seg) < radius:
                return True
        for other in self.env.entities:
            if other is not ent:
                pos = other.pos
                if math.hypot(float(pos[0]) - x, float(pos[2]) - z) < radius + other.radius:
                    return other
        return None

    def _forward_blocker(self, heading: float | None = None) -> Any:
        """What a forward step (along ``heading``, default the agent's) would hit: an entity,
        True for a wall, or None."""
        env = self.env
        agent = env.agent
        step = float(env.params.sample(None, "forward_step"))
        heading = float(agent.dir) if heading is None else heading
        dx, dz = math.cos(heading), -math.sin(heading)
        nx, nz = float(agent.pos[0]) + step * dx, float(agent.pos[2]) + step * dz
        hit = self._hit(agent, nx, nz, float(agent.radius))
        carried = agent.carrying
        if env.domain_rand and (hit is None or hit is carried):
            # Randomised steps and drift: an object any variant of the step would touch blocks.
            drift = float(env.params.get_max("forward_drift"))
            x0, z0 = float(agent.pos[0]), float(agent.pos[2])
            for s in (float(env.params.get_max("forward_step")), step):
                for d in (-drift, drift):
                    vx, vz = x0 + s * dx - d * dz, z0 + s * dz + d * dx
                    other = self._hit(agent, vx, vz, float(agent.radius))
                    if other is not None and other is not True and other is not carried:
                        return other
        if hit is not None and hit is not carried:
            return hit
        if carried is not None:
            c = 1.05 * (float(agent.radius) + float(carried.radius) + float(env.max_forward_step))
            return self._hit(carried, nx + c * dx, nz + c * dz, float(carried.radius))
        return None

    def _bump(self, goal: Any, tol: float) -> int:
        """Close to the target: walk into it along a heading whose straight line reaches it."""
        env = self.env
        heading = float(env.agent.dir)
        turn = math.radians(float(env.params.sample(None, "turn_step")))
        error = self._heading_error(float(goal.pos[0]), float(goal.pos[2]))
        # Reachable headings, the one nearest the target's centre first.
        n = round(math.pi / 2 / turn)
        for k in sorted(range(-n, n + 1), key=lambda k: (abs(error - k * turn), -k * error)):
            if abs(error - k * turn) < math.pi / 2 and self._ray_hits(goal, heading + k * turn):
                if k == 0:
                    return self.actions["move_forward"]
                return self._turn(k)
        # Nothing reaches it in a straight line (a doorway post in the way): walk the shortest
        # path into the target itself (excluded from the obstacles).
        return self._navigate(goal, float(goal.radius), tol, exclude=(goal,))

    def _ray_hits(self, goal: Any, heading: float) -> bool:
        """Whether walking straight along ``heading`` bumps into ``goal`` before anything else."""
        env = self.env
        agent = env.agent
        x, z, ra = float(agent.pos[0]), float(agent.pos[2]), float(agent.radius)
        gx, gz = float(goal.pos[0]), float(goal.pos[2])
        ux, uz = math.cos(heading), -math.sin(heading)
        along = (gx - x) * ux + (gz - z) * uz
        contact = ra + float(goal.radius)
        if along <= 0.0 or abs((gx - x) * uz - (gz - z) * ux) >= contact:
            return False
        reach = math.hypot(gx - x, gz - z) + 0.05
        segs = [s for s in self._segs() if _seg_dist(x, z, s) < reach + ra]
        obstacles = [
            (float(e.pos[0]), float(e.pos[2]), float(e.radius))
            for e in env.objects
            if e is not goal and math.hypot(e.pos[0] - x, e.pos[2] - z) < reach + ra + e.radius
        ]
        step = float(env.params.get_max("forward_step"))
        pad = float(env.params.get_max("forward_drift")) if env.domain_rand else 0.0
        t, hit_at = 0.0, None
        while hit_at is None or t <= hit_at + step:
            px, pz = x + t * ux, z + t * uz
            if hit_at is None and math.hypot(px - gx, pz - gz) < contact:
                hit_at = t
            if navigation.exact_clearance(px, pz, ra, segs, obstacles) <= pad:
                return False
            t += 0.05
        return True

    def _turn(self, error: float) -> int:
        return self.actions["turn_left" if error > 0 else "turn_right"]

    # ----------------------------------------------------------------- carrying
    def _carry_planner(self, moved: Any, ref: Any) -> navigation.CarryPlanner:
        """The pose planner for carrying ``moved`` next to ``ref`` (rebuilt when objects move)."""
        env = self.env
        others = [e for e in env.objects if e is not moved and e is not ref]
        sig = (
            id(moved),
            id(ref),
            id(env.wall_segs),
            tuple((float(e.pos[0]), float(e.pos[2])) for e in [ref, *others]),
        )
        if sig == self._carry_sig and self._planner is not None:
            return self._planner
        ra, rm = float(env.agent.radius), float(moved.radius)
        self._planner = navigation.carry_planner(
            (env.min_x, env.max_x, env.min_z, env.max_z),
            env._room_rects(),
            env.wall_segs,
            [(float(e.pos[0]), float(e.pos[2]), float(e.radius)) for e in others],
            (float(ref.pos[0]), float(ref.pos[2]), float(ref.radius)),
            agent_radius=ra,
            held_radius=rm,
            carry=1.05 * (ra + rm + float(env.max_forward_step)),
            near_slack=1.1 * float(env.max_forward_step),
            step=float(env.params.sample(None, "forward_step")),
            turn=math.radians(float(env.params.sample(None, "turn_step"))),
        )
        self._carry_sig = sig
        self._plan = []
        self._failed = set()
        return self._planner

    def _approach(self, moved: Any, ref: Any, reach: float, tol: float) -> int | None:
        """Walk to the side of ``moved`` that makes walk + carry shortest (None: not on its grid).

        Once at the chosen pick-up cell (the end of the field's descent), the caller's usual
        arrival (face the object, pick it up) takes over.
        """
        env = self.env
        planner = self._carry_planner(moved, ref)
        key = (self._carry_sig, float(moved.pos[0]), float(moved.pos[2]))
        if self._approach_key != key:
            obstacles = [(float(e.pos[0]), float(e.pos[2]), float(e.radius)) for e in env.objects]
            grid = navigation.build_grid(
                (env.min_x, env.max_x, env.min_z, env.max_z),
                env._room_rects(),
                env.wall_segs,
                obstacles,
                float(env.agent.radius),
            )
            held = (float(moved.pos[0]), float(moved.pos[2]), float(moved.radius))
            inner = float(env.agent.radius) + held[2] + 0.1
            dist = navigation.approach_field(grid, planner, held, (inner, reach), APPROACH_TURN_M)
            self._approach_key, self._approach_view = key, _FieldView(grid, dist)
        view = self._approach_view
        x, z = float(env.agent.pos[0]), float(env.agent.pos[2])
        cell = view.grid.cell(x, z)
        if not view.finite(cell):
            return None
        end = view.end(cell)
        gx, gz = float(moved.pos[0]), float(moved.pos[2])
        if math.hypot(gx - x, gz - z) <= reach + 0.05 and math.hypot(end[0] - x, end[1] - z) < 0.2:
            return None  # arrived: face it and pick it up
        ahead = view.target(cell)
        return self._steer(end if ahead is None else ahead[0], None, view, tol)

    def _follow_plan(self, x: float, z: float, heading: float) -> str | None:
        """The memoised plan's action if the agent stands on one of its next poses.

        Exactly on it under deterministic motion; within a few centimetres and degrees under
        domain randomisation (where the action is re-checked from the actual pose).
        """
        env = self.env
        pos_tol, ang_tol = (0.08, math.radians(8.0)) if env.domain_rand else (1e-3, 1e-3)
        for i in range(self._plan_at, min(self._plan_at + 4, len(self._plan))):
            name, px, pz, ph = self._plan[i]
            if (
                abs(px - x) < pos_tol
                and abs(pz - z) < pos_tol
                and abs(_wrap(ph - heading)) < ang_tol
            ):
                if env.domain_rand and not self._carry_feasible(name, x, z, heading):
                    return None
                self._plan_at = i + 1
                return name
        return None

    def _carry_feasible(self, name: str, x: float, z: float, heading: float) -> bool:
        """Whether a carry action from this pose keeps clear of everything, with a margin."""
        planner = self._planner
        assert planner is not None
        margin = float(self.env.params.get_max("forward_drift")) + 0.02
        if name in ("turn_left", "turn_right"):
            heading += (1 if name == "turn_left" else -1) * math.radians(
                float(self.env.params.get_max("turn_step"))
            )
        else:
            s = float(self.env.params.get_max("forward_step"))
            s = s if name == "move_forward" else -s
            x, z = x + s * math.cos(heading), z - s * math.sin(heading)
            if planner.agent_clearance(x, z) <= margin:
                return False
        ox = x + planner.carry * math.cos(heading)
        oz = z - planner.carry * math.sin(heading)
        return planner.held_clearance(ox, oz) > margin

    def _carry(self, moved: Any, ref: Any) -> int:
        """Carry ``moved`` until it is next to ``ref``, then drop it."""
        env = self.env
        planner = self._carry_planner(moved, ref)
        if planner.at_goal(float(moved.pos[0]), float(moved.pos[2])):
            return self.actions["drop"]
        x, z, heading = float(env.agent.pos[0]), float(env.agent.pos[2]), float(env.agent.dir)
        name = self._follow_plan(x, z, heading)
        if name is not None:
            return self.actions[name]
        pose = (round(x, 3), round(z, 3), round(heading % (2 * math.pi), 3))
        plan = None if pose in self._failed else planner.plan(x, z, heading)
        if plan is None and not self._failed:
            # A tight spot the heuristic misjudged: search longer, once per layout.
            plan = planner.plan(x, z, heading, max_expansions=LONG_SEARCH)
        if plan is None:
            # No way found from here: back out if possible, else put the object down (the
            # expert then picks it up again, from wherever it lies).
            self._failed.add(pose)
            bx, bz = x - planner.step * math.cos(heading), z + planner.step * math.sin(heading)
            cx, cz = bx + planner.carry * math.cos(heading), bz - planner.carry * math.sin(heading)
            if planner.agent_clearance(bx, bz) > 0 and planner.held_clearance(cx, cz) > 0:
                return self.actions["move_back"]
            return self.actions["drop"]
        self._plan, self._plan_at = plan, 1
        return self.actions[plan[0][0]]
