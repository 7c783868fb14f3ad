"""GoToObject across four rooms: the target may start out of view, so the agent must explore.

The task's documentation (Minigrid's sections) is its env class's docstring.
"""

from __future__ import annotations

import numpy as np

from envs.goto import GoToObjectEnv

DOOR_WIDTH = 1.6
DOOR_CLEARANCE = 1.0
"""Minimum gap (metres) between an object's disc and a doorway's centre, so no door is blocked."""
WALL_TEXTURES = ("brick_wall", "wood", "concrete", "marble")


class MultiRoomGoToEnv(GoToObjectEnv):
    """Go to the named object somewhere in a 2x2 block of rooms.

    ## Description

    Four square 5x5 m rooms in a 2x2 block, each joined to its two neighbours by a 1.6 m doorway
    (no object is placed in front of a door), with the named object and 4 distractors anywhere in
    them. The target may start out of view, so the agent must explore. Outcomes are those of
    GoToObject.

    ## Mission space

    "go to the {color} {shape}" (also "reach the ...", "get to the ..."), with ``{color}`` in blue,
    green, grey, purple, red, yellow and ``{shape}`` in
    ball, box, key. The ``train`` split names 13 colour-shape pairs as targets with its templates;
    ``heldout_combos`` names only the other 5 (red ball, green key, blue box, yellow key, purple
    ball); ``paraphrase`` uses phrasings never used in ``train``.

    ## Action space

    | Num | Name         | Action                                        |
    |-----|--------------|-----------------------------------------------|
    | 0   | turn_left    | turn left 15 degrees                          |
    | 1   | turn_right   | turn right 15 degrees                         |
    | 2   | move_forward | move 0.15 m forward (if not blocked)          |

    ## Observation

    A dict: ``"image"``, the agent's egocentric camera frame, ``(obs_height, obs_width, 3)``
    uint8 (``(60, 80, 3)`` by default; the camera is 1.5 m high with a 60 degree vertical field of
    view, pitched ``cam_pitch`` degrees: 0 level, negative down), and ``"mission"``, the
    instruction (a string). With ``proprioception=True`` (every ``-v1`` id) two more entries:
    ``"prev_action"``, the index of the last action taken (``Discrete(n + 1)`` for ``n`` actions;
    ``n``, "none", at reset), and ``"moved"`` (``Discrete(2)``), 1 when that action changed the
    agent's position or heading, 0 when it did not (a move blocked by a wall or an object, pickup,
    drop; 0 at reset): a bump sensor.
    ``info`` carries ``is_success``, ``outcome``, the target, what was reached, path length and
    shortest path (for SPL), ``moved`` (bool) and ``last_action`` (int, None at reset) in every
    version, and privileged labels for auxiliary losses as ``labels`` asks: ``exact`` (default,
    from an id render pass) and ``geometric`` give them all (``target_visible``, ``target_seen``,
    ``visible_colors``, ``visible_shapes``; ``semantic_map`` with ``exact`` only), ``seen`` only
    ``target_seen`` (exact and cheap), ``none`` no visibility label. ``target_code``,
    ``target_bearing`` and ``target_distance`` come in every mode.

    ## Rewards

    ``1 - 0.9 * (step_count / max_steps)`` on success, ``0`` otherwise.

    ## Termination

    The episode ends when:

    1. the agent walks into the named object (``outcome = "success"``);
    2. the agent walks into any other object (``outcome = "wrong_object"``: a grounding error);
    3. ``max_steps`` (500 by default) are used up (truncated, ``outcome = "timeout"``).

    ## Registered configurations

    - ``MiniGround/GoToObjectMultiRoom-v0``: 4 distractors, four 5 m rooms, 500 steps.
    - ``MiniGround/GoToObjectMultiRoom-v1``: the same with the camera pitched down
      (``cam_pitch=-20``) and ``proprioception=True``.

    Keyword arguments: ``split`` (``train`` | ``heldout_combos`` | ``paraphrase``),
    ``num_distractors``, ``room_size``, ``obs_width``, ``obs_height``, ``max_steps``,
    ``domain_rand``, ``labels`` (``exact`` | ``geometric`` | ``seen`` | ``none``), ``cam_pitch``
    (degrees, 0 by default; randomised +- 5 with ``domain_rand``), ``proprioception``.
    ``room_size`` is the side of each room.
    """

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
