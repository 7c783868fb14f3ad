"""How an agent's episodes end on a task: outcome, blocked moves, rooms visited, sub-goals.

Usage: ``python experiments/diagnostics/blocked_steps.py AGENT_DIR TASK EPISODES FIRST_SEED``
(validation seeds, e.g. 1000000). A *blocked* step is a ``move_forward`` that left the agent where
it was (it pressed into a wall or an object). ``stage`` is the env's sub-goal counter at the end
(Sequence: named objects reached in order; PutNext: 1 while the first is carried; always 0 in the
single-target tasks); ``reached`` says what ended the episode: ``named1``,
``named2`` (the first or second named object) or ``other``. Prints one line per episode and a
tally; writes nothing.
"""

from __future__ import annotations

import collections
import sys
from typing import Any

from _setup import agent_and_env


def _room(world: Any, pos: Any) -> int:
    """Index of the MiniWorld room holding ``pos`` (-1 outside every room, e.g. in a doorway)."""
    return next((i for i, room in enumerate(world.rooms) if room.point_inside(pos)), -1)


def _reached(info: dict[str, Any]) -> str:
    """What the step's ``info`` says the agent last walked into: ``named1``, ``named2``, ..."""
    if info["reached_color"] is None:
        return "nothing"
    pair = (info["reached_color"], info["reached_shape"])
    return next(
        (f"named{i + 1}" for i, t in enumerate(info["targets"]) if tuple(t) == pair), "other"
    )


def main(agent_dir: str, task: str, episodes: int, first_seed: int) -> None:
    """Greedy episodes of the agent in ``agent_dir`` on ``task``'s ``train`` split."""
    policy, env = agent_and_env(agent_dir, task)
    endings: collections.Counter[tuple[str, int, str]] = collections.Counter()
    stuck_at_end = 0
    for seed in range(first_seed, first_seed + episodes):
        obs, info = env.reset(seed=seed)
        policy.reset(seed)
        world = env.unwrapped
        rooms = {_room(world, world.agent.pos)}
        blocked = run = longest = 0
        done = False
        while not done:
            action = policy.act(obs)
            before = info["agent_pos"]
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            rooms.add(_room(world, world.agent.pos))
            if world.action_names[action] == "move_forward" and info["agent_pos"] == before:
                blocked += 1
                run += 1
                longest = max(longest, run)
            else:
                run = 0
        outcome, stage, reached = str(info["outcome"]), info["stage"], _reached(info)
        endings[(outcome, stage, reached)] += 1
        stuck_at_end += outcome == "timeout" and run >= 100
        rooms.discard(-1)
        print(
            seed,
            outcome,
            f"steps={info['step']}",
            f"blocked={blocked}",
            f"longest_blocked_run={longest}",
            f"blocked_run_at_end={run}",
            f"rooms_visited={len(rooms)}",
            f"stage={stage}",
            f"reached={reached}",
            flush=True,
        )
    outcomes: collections.Counter[str] = collections.Counter()
    for (outcome, _, _), n in endings.items():
        outcomes[outcome] += n
    print(dict(outcomes), f"timeouts ending in >=100 blocked moves: {stuck_at_end}")
    print({f"{o} stage={st} reached={r}": n for (o, st, r), n in endings.items()})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
