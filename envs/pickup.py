"""PickupObject: "pick up the blue key".

The task's documentation (Minigrid's sections) is its env class's docstring.
"""

from __future__ import annotations

from miniworld.entity import Entity

from envs.goto import GoToObjectEnv


class PickupObjectEnv(GoToObjectEnv):
    """Pick up the named object.

    ## Description

    One 8x8 m room with the named object and 4 distractors. The agent must face the named object
    at pickup range and pick it up. Walking into objects is harmless here (the move is blocked).

    ## Mission space

    "pick up the {color} {shape}" (also "grab the ..."), with ``{color}`` in blue, green, grey,
    purple, red, yellow and ``{shape}`` in
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

    1. the agent picks up the named object (``outcome = "success"``);
    2. the agent picks up any other object (``outcome = "wrong_object"``: a grounding error);
    3. ``max_steps`` (200 by default) are used up (truncated, ``outcome = "timeout"``).

    ## Registered configurations

    - ``MiniGround/PickupObject-v0``: 4 distractors, 8 m room, 200 steps.
    - ``MiniGround/PickupObject-v1``: the same with the camera pitched down (``cam_pitch=-20``)
      and ``proprioception=True``.

    Keyword arguments: ``split`` (``train`` | ``heldout_combos`` | ``paraphrase``),
    ``num_distractors``, ``room_size``, ``obs_width``, ``obs_height``, ``max_steps``,
    ``domain_rand``, ``labels`` (``exact`` | ``geometric`` | ``seen`` | ``none``), ``cam_pitch``
    (degrees, 0 by default; randomised +- 5 with ``domain_rand``), ``proprioception``.
    """

    family = "pickup"
    action_names = ("turn_left", "turn_right", "move_forward", "pickup")

    def _on_bump(self, ent: Entity) -> str | None:
        return None

    def _on_pickup(self, ent: Entity) -> str | None:
        self.reached = ent
        return "success" if ent is self.target else "wrong_object"
