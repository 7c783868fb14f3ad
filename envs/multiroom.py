"""GoToObject across four rooms: the target may start out of view, so the agent must explore.

Four square rooms in a 2x2 block, each joined to its two neighbours by a doorway. Actions and
outcomes are those of GoToObject (0 turn_left, 1 turn_right, 2 move_forward).
"""

from __future__ import annotations

import numpy as np

from envs.goto import GoToObjectEnv

DOOR_WIDTH = 1.6
DOOR_CLEARANCE = 1.0
"""Minimum gap (metres) between an object's disc and a doorway's centre, so no door is blocked."""
WALL_TEXTURES = ("brick_wall", "wood", "concrete", "marble")


class MultiRoomGoToEnv(GoToObjectEnv):
    """Go to the named object somewhere in a 2x2 block of rooms."""

    default_room_size = 5.0
    default_max_steps = 500

    def _room_rects(self) -> list[tuple[float, float, float, float]]:
        s = self.room_size
        return [(0.0, s, 0.0, s), (s, 2 * s, 0.0, s), (0.0, s, s, 2 * s), (s, 2 * s, s, 2 * s)]

    def _door_centres(self) -> list[tuple[float, float]]:
        s, mid = self.room_size, self.room_size / 2
        return [(s, mid), (s, s + mid), (mid, s), (s + mid, s)]

    def _placement_ok(self, pos: np.ndarray, radius: float) -> bool:
        return all(
            np.hypot(pos[0] - x, pos[2] - z) >= radius + DOOR_CLEARANCE
            for x, z in self._door_centres()
        )

    def _build_rooms(self) -> None:
        rooms = [
            self.add_rect_room(min_x=x0, max_x=x1, min_z=z0, max_z=z1, wall_tex=tex)
            for (x0, x1, z0, z1), tex in zip(self._room_rects(), WALL_TEXTURES, strict=True)
        ]
        s, half = self.room_size, DOOR_WIDTH / 2
        mid = s / 2
        # 0 | 1 on the top row, 2 | 3 below; doors in the middle of each shared wall.
        self.connect_rooms(rooms[0], rooms[1], min_z=mid - half, max_z=mid + half)
        self.connect_rooms(rooms[2], rooms[3], min_z=s + mid - half, max_z=s + mid + half)
        self.connect_rooms(rooms[0], rooms[2], min_x=mid - half, max_x=mid + half)
        self.connect_rooms(rooms[1], rooms[3], min_x=s + mid - half, max_x=s + mid + half)
