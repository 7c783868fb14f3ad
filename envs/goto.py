"""GoToObject: "go to the red ball" in one room with distractors (Gated-Attention's 5 objects).

Actions: 0 turn_left, 1 turn_right, 2 move_forward. Walking into the named object succeeds;
walking into any other object ends the episode as ``wrong_object``.
"""

from __future__ import annotations

from envs.language import COLORS, SHAPES, target_combos
from envs.world import MiniGroundEnv


class GoToObjectEnv(MiniGroundEnv):
    """Go to the named object; distractors are any other colour-shape pairs."""

    family = "goto"
    hard_negatives = False

    def _max_distractors(self) -> int:
        if self.hard_negatives:
            return len(COLORS) - 1 + len(SHAPES) - 1
        return super()._max_distractors()

    def _choose_objects(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
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
