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

from _setup import agent_and_env


def _room(world: object, pos: object) -> int:
    """Index of the room rectangle holding ``pos`` (-1 outside every room, e.g. in a doorway)."""
    rects = getattr(world, "_room_rects", lambda: [])()
    for i, (x0, x1, z0, z1) in enumerate(rects):
        if x0 <= pos[0] <= x1 and z0 <= pos[2] <= z1:
            return i
    return -1


def _reached(world: object) -> str:
    """What the agent last walked into: ``named1``, ``named2``, ``other`` or ``nothing``."""
    ent = getattr(world, "reached", None)
    if ent is None:
        return "nothing"
    for i, named in enumerate(getattr(world, "named", [])):
        if ent is named:
            return f"named{i + 1}"
    return "other"


def main(agent_dir: str, task: str, episodes: int, first_seed: int) -> None:
    """Greedy episodes of the agent in ``agent_dir`` on ``task``'s ``train`` split."""
    import numpy as np

    policy, env = agent_and_env(agent_dir, task)
    outcomes: collections.Counter[str] = collections.Counter()
    endings: collections.Counter[str] = collections.Counter()
    stuck_at_end = 0
    for seed in range(first_seed, first_seed + episodes):
        obs, info = env.reset(seed=seed)
        policy.reset(seed)
        world = env.unwrapped
        rooms = {_room(world, world.agent.pos)}
        blocked = run = longest = steps = 0
        done = False
        while not done:
            action = policy.act(obs)
            before = np.array(world.agent.pos)
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            steps += 1
            rooms.add(_room(world, world.agent.pos))
            forward = world.action_names[action] == "move_forward"
            if forward and np.allclose(before, world.agent.pos):
                blocked += 1
                run += 1
                longest = max(longest, run)
            else:
                run = 0
        outcome = str(info.get("outcome"))
        outcomes[outcome] += 1
        stage, reached = getattr(world, "stage", 0), _reached(world)
        endings[f"{outcome} stage={stage} reached={reached}"] += 1
        stuck_at_end += outcome == "timeout" and run >= 100
        rooms.discard(-1)
        print(
            seed,
            outcome,
            f"steps={steps}",
            f"blocked={blocked}",
            f"longest_blocked_run={longest}",
            f"blocked_run_at_end={run}",
            f"rooms_visited={len(rooms)}",
            f"stage={stage}",
            f"reached={reached}",
            flush=True,
        )
    print(dict(outcomes), f"timeouts ending in >=100 blocked moves: {stuck_at_end}")
    print(dict(endings))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
