"""Sequence: "go to the red ball, then go to the blue key" (ordered).

The task's documentation (Minigrid's sections) is its env class's docstring.
"""

from __future__ import annotations

import numpy as np
from miniworld.entity import Entity

from envs import navigation
from envs.world import SPL_RESOLUTION, MiniGroundEnv


class SequenceEnv(MiniGroundEnv):
    """Visit two named objects in order.

    ## Description

    One 8x8 m room with two named objects and 3 distractors. The agent must walk into the first
    named object, then into the second. Walking into the current subgoal advances the stage (the
    episode goes on); bumping a subgoal already reached is harmless.

    ## Mission space

    "go to the {color} {shape}, then go to the {color2} {shape2}" (also "reach the ..., then reach
    the ..."), with ``{color}`` in blue, green, grey, purple, red, yellow and ``{shape}`` in
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
    The mission stays the whole instruction; ``info`` names the current subgoal as the target.

    ## Rewards

    ``1 - 0.9 * (step_count / max_steps)`` on success, ``0`` otherwise.

    ## Termination

    The episode ends when:

    1. the agent walks into the second named object after the first (``outcome = "success"``);
    2. the agent walks into an object that is not the current subgoal (the second one too early
       included) (``outcome = "wrong_object"``: a grounding error);
    3. ``max_steps`` (400 by default) are used up (truncated, ``outcome = "timeout"``).

    ## Registered configurations

    - ``MiniGround/Sequence-v0``: 3 distractors, 8 m room, 400 steps.
    - ``MiniGround/Sequence-v1``: the same with the camera pitched down (``cam_pitch=-20``) and
      ``proprioception=True``.

    Keyword arguments: ``split`` (``train`` | ``heldout_combos`` | ``paraphrase``),
    ``num_distractors``, ``room_size``, ``obs_width``, ``obs_height``, ``max_steps``,
    ``domain_rand``, ``labels`` (``exact`` | ``geometric`` | ``seen`` | ``none``), ``cam_pitch``
    (degrees, 0 by default; randomised +- 5 with ``domain_rand``), ``proprioception``.
    """

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
