"""PutNext: "put the red ball next to the green box".

Actions: 0 turn_left, 1 turn_right, 2 move_forward, 3 pickup, 4 drop, 5 move_back (a carried
object can wedge the agent against a wall or an object; backing out frees it). Picking up the
object to move advances to the placing stage; picking up any other object is ``wrong_object``.
Dropping the object next to the reference object (MiniWorld's ``near`` test) succeeds; dropping it
elsewhere returns to the first stage (pick it up again). Walking into objects is harmless.
"""

from __future__ import annotations

from miniworld.entity import Entity

from envs import navigation
from envs.world import CONTACT, SPL_RESOLUTION, MiniGroundEnv


def carry_distance(env: MiniGroundEnv, ent: Entity) -> float:
    """Distance from the agent's centre to a carried object's centre (MiniWorld's carry pose)."""
    return 1.05 * (env.agent.radius + ent.radius + env.max_forward_step)


class PutNextEnv(MiniGroundEnv):
    """Carry the first named object next to the second."""

    family = "putnext"
    action_names = ("turn_left", "turn_right", "move_forward", "pickup", "drop", "move_back")
    num_named = 2
    default_distractors = 3
    default_max_steps = 400

    def _choose_objects(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        return self._two_named()

    def _on_bump(self, ent: Entity) -> str | None:
        return None

    def _on_pickup(self, ent: Entity) -> str | None:
        if ent is self.named[0]:
            self.stage = 1
            return None
        self.reached = ent
        return "wrong_object"

    def _on_drop(self, ent: Entity) -> str | None:
        self.stage = 0
        if ent is self.named[0] and self.near(ent, self.named[1]):
            self.reached = self.named[1]
            self.stage = 1
            return "success"
        return None

    def place_reach(self) -> float:
        """Agent-centre distance to the reference at which the carried object touches it."""
        moved, ref = self.named
        return carry_distance(self, moved) + moved.radius + ref.radius + CONTACT

    def _shortest_path_length(self) -> float:
        """Start -> contact with the object -> carrying it into contact with the reference."""
        moved, ref = self.named
        grid, d1 = self.goal_field(moved, self.contact_reach(moved), resolution=SPL_RESOLUTION)
        first = navigation.path_length_to(grid, d1, self.start_pos[0], self.start_pos[2])
        grid2, d2 = self.goal_field(
            ref, self.place_reach(), exclude=(moved,), resolution=SPL_RESOLUTION
        )
        second = navigation.path_length_to(grid2, d2, moved.pos[0], moved.pos[2])
        return first + max(second - carry_distance(self, moved), 0.0)
