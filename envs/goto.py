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
    uint8 (``(60, 80, 3)`` by default), and ``"mission"``, the instruction (a string).
    ``info`` carries ``is_success``, ``outcome``, the target, what was reached, path length and
    shortest path (for SPL), and privileged labels for auxiliary losses (``target_code``,
    ``semantic_map`` among them).

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

    Keyword arguments: ``split`` (``train`` | ``heldout_combos`` | ``paraphrase``),
    ``num_distractors``, ``room_size``, ``obs_width``, ``obs_height``, ``max_steps``,
    ``domain_rand``, ``labels`` (``exact``, from an id render pass, or ``geometric``).
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
