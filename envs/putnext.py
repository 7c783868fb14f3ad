"""PutNext: "put the red ball next to the green box".

The task's documentation (Minigrid's sections) is its env class's docstring.
"""

from __future__ import annotations

from miniworld.entity import Entity

from envs import navigation
from envs.world import CONTACT, SPL_RESOLUTION, MiniGroundEnv


def carry_distance(env: MiniGroundEnv, ent: Entity) -> float:
    """Distance from the agent's centre to a carried object's centre (MiniWorld's carry pose)."""
    return 1.05 * (env.agent.radius + ent.radius + env.max_forward_step)


class PutNextEnv(MiniGroundEnv):
    """Carry the first named object next to the second.

    ## Description

    One 8x8 m room with two named objects and 3 distractors. The agent must pick up the first
    named object, carry it and drop it next to the second (MiniWorld's ``near`` test). Dropping it
    elsewhere returns to the first stage (pick it up again). A carried object can wedge the agent
    against a wall or an object: backing out frees it. Walking into objects is harmless.

    ## Mission space

    "put the {color} {shape} next to the {color2} {shape2}" (also "place the ..."), with ``{color}``
    in blue, green, grey, purple, red, yellow and ``{shape}`` in
    ball, box, key. The ``train`` split names 13 colour-shape pairs as targets with its templates;
    ``heldout_combos`` names only the other 5 (red ball, green key, blue box, yellow key, purple
    ball); ``paraphrase`` uses phrasings never used in ``train``.

    ## Action space

    | Num | Name         | Action                                        |
    |-----|--------------|-----------------------------------------------|
    | 0   | turn_left    | turn left 15 degrees                          |
    | 1   | turn_right   | turn right 15 degrees                         |
    | 2   | move_forward | move 0.15 m forward (if not blocked)          |
    | 3   | pickup       | pick up the object in front of the agent      |
    | 4   | drop         | drop the carried object                       |
    | 5   | move_back    | move back 0.15 m                              |

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

    1. the agent drops the first named object next to the second (``outcome = "success"``);
    2. the agent picks up an object other than the first named one (``outcome = "wrong_object"``: a
       grounding error);
    3. ``max_steps`` (400 by default) are used up (truncated, ``outcome = "timeout"``).

    ## Registered configurations

    - ``MiniGround/PutNext-v0``: 3 distractors, 8 m room, 400 steps.
    - ``MiniGround/PutNext-v1``: the same with the camera pitched down (``cam_pitch=-20``) and
      ``proprioception=True``.

    Keyword arguments: ``split`` (``train`` | ``heldout_combos`` | ``paraphrase``),
    ``num_distractors``, ``room_size``, ``obs_width``, ``obs_height``, ``max_steps``,
    ``domain_rand``, ``labels`` (``exact`` | ``geometric`` | ``seen`` | ``none``), ``cam_pitch``
    (degrees, 0 by default; randomised +- 5 with ``domain_rand``), ``proprioception``.
    """

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
