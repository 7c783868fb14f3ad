"""PickupObject: "pick up the blue key".

Actions: 0 turn_left, 1 turn_right, 2 move_forward, 3 pickup. Picking up the named object
succeeds; picking up another ends the episode as ``wrong_object``. Walking into objects is
harmless here (the move is blocked).
"""

from __future__ import annotations

from miniworld.entity import Entity

from envs.goto import GoToObjectEnv


class PickupObjectEnv(GoToObjectEnv):
    """Pick up the named object."""

    family = "pickup"
    action_names = ("turn_left", "turn_right", "move_forward", "pickup")

    def _on_bump(self, ent: Entity) -> str | None:
        return None

    def _on_pickup(self, ent: Entity) -> str | None:
        self.reached = ent
        return "success" if ent is self.target else "wrong_object"
