"""Where a PutNext agent's episodes end: outcome, what it carries at the end, actions it chose.

Usage: ``python experiments/diagnostics/putnext_pickups.py AGENT_DIR EPISODES FIRST_SEED``
(validation seeds, e.g. 1000000). Prints one line per episode and a tally; writes nothing.
"""

from __future__ import annotations

import collections
import sys

from _setup import agent_and_env


def main(agent_dir: str, episodes: int, first_seed: int) -> None:
    """Greedy episodes of the agent in ``agent_dir`` on PutNext ``train``, one per seed."""
    policy, env = agent_and_env(agent_dir, "MiniGround/PutNext-v0")
    tally: collections.Counter[tuple[str, str]] = collections.Counter()
    for seed in range(first_seed, first_seed + episodes):
        obs, info = env.reset(seed=seed)
        policy.reset(seed)
        world = env.unwrapped
        actions: collections.Counter[str] = collections.Counter()
        done = False
        while not done:
            action = policy.act(obs)
            actions[world.action_names[action]] += 1
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        held = world.agent.carrying
        state = "nothing" if held is None else "first" if held is world.named[0] else "other"
        tally[(info.get("outcome"), state)] += 1
        print(seed, info.get("outcome"), f"carrying={state}", dict(actions), flush=True)
    print({f"{o} carrying={s}": k for (o, s), k in tally.items()})


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
