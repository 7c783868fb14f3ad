"""Acting in envs: the single-env episode loops, subprocess vector envs, rollout storage, GAE."""
