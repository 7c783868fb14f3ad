"""An imitable teacher: the expert, but it only uses what the learner could have seen.

The privileged expert turns toward a target it cannot see (the shorter way round), a decision no
camera-based learner can copy: from pixels it looks like a coin flip. The teacher instead scans
(turns left) until the current target has been in view at least once this episode, then hands over
to the expert, whose plan from then on is predictable from what was seen (with memory). When a
full turn did not reveal the target (it is hidden behind another object), the expert takes over.
"""

from __future__ import annotations

import math
from typing import Any

from policies.expert import Expert


class ScanningTeacher(Expert):
    """Scan left until the current target has been seen this episode; then act as the expert.

    It reads ``env.seen_ids``, which every ``labels`` mode but ``"none"`` keeps exact (``"seen"``
    is the cheapest that does).
    """

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        if self.env.label_mode == "none":
            raise ValueError(
                "the scanning teacher needs to know when the target was seen: make the env with "
                "labels='seen' (cheapest), 'exact' or 'geometric', not labels='none'"
            )

    def act(self) -> int:
        """The teacher's action in the env's current state."""
        env = self.env
        turn = env.params.params["turn_step"]
        full_turn = math.ceil(360 / float(turn.min if env.domain_rand else turn.default))
        if id(env.target) not in env.seen_ids and env.step_count < full_turn + 1:
            return self._turn(1.0)
        return super().act()


def make_teacher(env: Any, kind: str = "expert") -> Expert:
    """``expert`` (privileged planner) or ``scan`` (scans until the target was seen)."""
    if kind == "expert":
        return Expert(env)
    if kind == "scan":
        return ScanningTeacher(env)
    raise ValueError(f"unknown teacher {kind!r}; choose 'expert' or 'scan'")
