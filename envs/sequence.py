"""Sequence: "go to the red ball, then go to the blue key" (ordered).

Actions: 0 turn_left, 1 turn_right, 2 move_forward. Walking into the current subgoal advances
the stage (the episode goes on); the last subgoal succeeds. Walking into an object that is not the
current subgoal (including the second one too early) is ``wrong_object``; bumping a subgoal that was
already reached is harmless.
"""

from __future__ import annotations

import numpy as np
from miniworld.entity import Entity

from envs import navigation
from envs.world import SPL_RESOLUTION, MiniGroundEnv


class SequenceEnv(MiniGroundEnv):
    """Visit two named objects in order."""

    family = "sequence"
    num_named = 2
    default_distractors = 3
    default_max_steps = 400

    def _choose_objects(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        return self._two_named()

    def _on_bump(self, ent: Entity) -> str | None:
        if any(ent is e for e in self.named[: self.stage]):
            return None
        self.reached = ent
        if ent is not self.target:
            return "wrong_object"
        self.stage += 1
        return "success" if self.stage == len(self.named) else None

    def _shortest_path_length(self) -> float:
        """Start -> contact with the first subgoal -> contact with the second (geodesic)."""
        first, second = self.named
        grid, d1 = self.goal_field(first, self.contact_reach(first), resolution=SPL_RESOLUTION)
        _, d2 = self.goal_field(second, self.contact_reach(second), resolution=SPL_RESOLUTION)
        i, j = grid.cell(self.start_pos[0], self.start_pos[2])
        start = np.zeros(grid.shape, dtype=bool)
        start[i, j] = True
        d0 = navigation.distance_field(grid, start)
        via = navigation.disc_cells(grid, first.pos[0], first.pos[2], self.contact_reach(first))
        total = np.where(via, d0 + d2, np.inf)
        best = float(total.min())
        if not np.isfinite(best):
            return navigation.path_length_to(grid, d1, self.start_pos[0], self.start_pos[2])
        return best
