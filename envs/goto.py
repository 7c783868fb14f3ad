"""GoToObject: "go to the red ball" in one room with distractors (Gated-Attention's 5 objects).

The task's documentation (Minigrid's sections) is its env class's docstring.
"""

from __future__ import annotations

from envs.language import COLORS, SHAPES, target_combos
from envs.world import MiniGroundEnv


class GoToObjectEnv(MiniGroundEnv):
    """Go to the named object; distractors are any other colour-shape pairs.

    ## Description

    One 8x8 m room with the object the instruction names and 4 distractors (Gated-Attention's
    five objects). The agent must walk into the named object. In the ``Hard`` variant every
    distractor shares the target's colour or its shape, so neither word alone is enough.

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
    3. ``max_steps`` (200 by default) are used up (truncated, ``outcome = "timeout"``).

    Passing near an object never ends the episode.

    ## Registered configurations

    - ``MiniGround/GoToObject-v0``: 4 distractors, 8 m room, 200 steps.
    - ``MiniGround/GoToObjectHard-v0``: the same with hard negatives (``GoToObjectHardEnv``).
    - ``MiniGround/GoToObject-v1``, ``MiniGround/GoToObjectHard-v1``: the same with the camera
      pitched down (``cam_pitch=-20``) and ``proprioception=True``.

    Keyword arguments: ``split`` (``train`` | ``heldout_combos`` | ``paraphrase``),
    ``num_distractors``, ``room_size``, ``obs_width``, ``obs_height``, ``max_steps``,
    ``domain_rand``, ``labels`` (``exact`` | ``geometric`` | ``seen`` | ``none``), ``cam_pitch``
    (degrees, 0 by default; randomised +- 5 with ``domain_rand``), ``proprioception``.
    """

    family = "goto"
    hard_negatives = False

    def _max_distractors(self) -> int:
        if self.hard_negatives:
            return len(COLORS) - 1 + len(SHAPES) - 1
        return super()._max_distractors()

    def _choose_objects(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        if self._choice is not None:
            target = self._choice.objects[0]
        else:
            combos = target_combos(self.split)
            target = combos[int(self.np_random.integers(len(combos)))]
        candidates = None
        if self.hard_negatives:
            candidates = [
                (c, s)
                for c in COLORS
                for s in SHAPES
                if (c == target[0]) != (s == target[1])  # shares exactly one attribute
            ]
        return [target], self._sample_distractors([target], candidates)


class GoToObjectHardEnv(GoToObjectEnv):
    """GoToObject where every distractor shares the target's colour or its shape."""

    hard_negatives = True
