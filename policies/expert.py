"""Privileged expert: reads the env's true state and returns a primitive action.

It holds no plan between calls: every call looks at the current pose, the current subgoal and a
cached geodesic distance field to it, so it recovers from any state a learner leads it into
(DAgger labels). It handles go-to (walk into the target), pickup, and put-next (pick, carry, drop).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from envs import navigation
from envs.world import MiniGroundEnv

LOOKAHEAD_M = 3.0
"""How far along the shortest path the expert looks for a point in straight-line sight."""
CARRY_MARGIN = 0.5
"""Extra clearance from obstacles while carrying (the carried object sweeps ahead)."""


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


class Expert:
    """Expert for any MiniGround env; call it (optionally with the observation) to get an action."""

    def __init__(self, env: Any) -> None:
        base = env.unwrapped
        if not isinstance(base, MiniGroundEnv):
            raise TypeError(f"the expert needs a MiniGround env, got {type(base).__name__}")
        self.env: MiniGroundEnv = base
        self.actions = {name: i for i, name in enumerate(base.action_names)}

    def reset(self) -> None:
        """Nothing to reset: the expert is stateless (kept for a uniform policy API)."""

    def __call__(self, obs: Any = None) -> int:
        return self.act()

    # ----------------------------------------------------------------- helpers
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

    def _forward_blocker(self) -> Any:
        """What a forward step would hit now: an entity, True for a wall, or None."""
        env = self.env
        agent = env.agent
        step = env.params.sample(None, "forward_step")
        nxt = agent.pos + agent.dir_vec * step
        hit = env.intersect(agent, nxt, agent.radius)
        if hit is not None and hit is not agent.carrying:
            return hit
        carried = agent.carrying
        if carried is not None:
            carry = env._get_carry_pos(nxt, carried)
            return env.intersect(carried, carry, carried.radius)
        return None

    # ----------------------------------------------------------------- policy
    def _subgoal(self) -> tuple[Any, float, str]:
        """(entity to approach, reach in metres, what to do on arrival)."""
        env = self.env
        if env.family == "putnext":
            moved, ref = env.named
            if env.agent.carrying is moved:
                return ref, env.place_reach(), "place"
            return moved, env.contact_reach(moved), "pickup"
        if env.family == "pickup":
            return env.target, env.contact_reach(env.target), "pickup"
        return env.target, env.contact_reach(env.target), "bump"

    def act(self) -> int:
        """The expert's action in the env's current state."""
        env = self.env
        if env.agent.carrying is not None and env.family != "putnext":
            return self.actions.get("drop", self.actions["turn_left"])
        goal, reach, mode = self._subgoal()
        agent = env.agent
        x, z = float(agent.pos[0]), float(agent.pos[2])
        gx, gz = float(goal.pos[0]), float(goal.pos[2])
        tol = self._turn_tolerance()
        if math.hypot(gx - x, gz - z) <= reach + 0.05:
            error = self._heading_error(gx, gz)
            if abs(error) > tol:
                return self._turn(error)
            return self._arrive(goal, mode, error)
        return self._navigate(goal, reach, tol)

    def _arrive(self, goal: Any, mode: str, error: float) -> int:
        env = self.env
        if mode == "pickup" and env._pickup_candidate() is goal:
            return self.actions["pickup"]
        blocker = self._forward_blocker()
        if mode == "place" and blocker is not None:
            return self.actions["drop"]
        if mode == "bump" and blocker is not None and blocker is not goal:
            return self._turn_away(blocker, error)
        return self.actions["move_forward"]

    def _navigate(self, goal: Any, reach: float, tol: float) -> int:
        """Steer toward the farthest point of the shortest path in straight-line sight."""
        env = self.env
        margin = CARRY_MARGIN if env.agent.carrying is not None else 0.1
        x, z = float(env.agent.pos[0]), float(env.agent.pos[2])
        grid, dist = env.goal_field(goal, reach, obstacle_margin=margin)
        cell = grid.cell(x, z)
        safe = bool(np.isfinite(dist[cell]))
        if not safe:
            # Off the safe grid (after a learner's mistake or a tight corner): plan on a grid
            # without safety margins, where the agent's own cell is free.
            grid, dist = env.goal_field(goal, reach, obstacle_margin=0.02, wall_margin=0.01)
            cell = grid.cell(x, z)
        if np.isfinite(dist[cell]):
            path = navigation.descend(dist, cell, round(LOOKAHEAD_M / grid.resolution))
            cx, cz = navigation.farthest_in_sight(grid, dist, (x, z), path)
            if len(path) == 1:
                cx, cz = float(goal.pos[0]), float(goal.pos[2])
        else:
            near = navigation.nearest_reachable(grid, dist, x, z)
            cx, cz = (goal.pos[0], goal.pos[2]) if near is None else grid.point(*near)
        error = self._heading_error(cx, cz)
        blocker = self._forward_blocker()
        free = blocker is None or blocker is goal
        if not safe and free and abs(error) <= math.pi / 2:
            # Near a corner, off the safe grid: any move roughly toward the path frees the agent.
            return self.actions["move_forward"]
        if abs(error) > tol:
            return self._turn(error)
        if free:
            return self.actions["move_forward"]
        return self._turn_away(blocker, error)

    def _next_cell_free(self, grid: navigation.Grid, dist: np.ndarray) -> bool:
        agent = self.env.agent
        nxt = agent.pos + agent.dir_vec * self.env.params.sample(None, "forward_step")
        return bool(np.isfinite(dist[grid.cell(float(nxt[0]), float(nxt[2]))]))

    def _turn_ok(self, sign: float) -> bool:
        """Whether a turn (left when sign > 0) is possible with the carried object, if any."""
        env = self.env
        carried = env.agent.carrying
        if carried is None:
            return True
        turn = math.radians(env.params.sample(None, "turn_step"))
        old = env.agent.dir
        env.agent.dir = old + (turn if sign > 0 else -turn)
        try:
            pos = env._get_carry_pos(env.agent.pos, carried)
            return not env.intersect(carried, pos, carried.radius)
        finally:
            env.agent.dir = old

    def _turn(self, error: float) -> int:
        if self._turn_ok(error):
            return self.actions["turn_left" if error > 0 else "turn_right"]
        if abs(error) < math.pi / 2 and self._forward_blocker() is None:
            return self.actions["move_forward"]
        if "move_back" in self.actions:  # the carried object is wedged: back out
            return self.actions["move_back"]
        return self.actions["turn_right" if error > 0 else "turn_left"]

    def _turn_away(self, blocker: Any, error: float) -> int:
        """Turn away from what blocks the way (walls: their nearest point), else toward error."""
        env = self.env
        x, z = float(env.agent.pos[0]), float(env.agent.pos[2])
        if blocker is None:
            return self._turn(error if error != 0 else 1.0)
        if blocker is True:
            segs = np.asarray(env.wall_segs, dtype=np.float64)[:, :, [0, 2]]
            a, b = segs[:, 0], segs[:, 1]
            ab = b - a
            p = np.array([x, z])
            t = np.clip(((p - a) * ab).sum(1) / np.maximum((ab * ab).sum(1), 1e-12), 0, 1)
            closest = a + t[:, None] * ab
            k = int(np.argmin(((closest - p) ** 2).sum(1)))
            bx, bz = closest[k]
        else:
            bx, bz = float(blocker.pos[0]), float(blocker.pos[2])
        side = self._heading_error(bx, bz)
        return self._turn(-1.0 if side > 0 else 1.0)
