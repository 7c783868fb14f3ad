"""The privileged expert: success on every task, recovery from perturbed states, DAgger labels.

Several envs share this process: fine for expert-only checks (no image is compared).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import envs
from envs.registration import TASKS
from policies.expert import Expert

TASK_IDS = [t for t in TASKS if t.endswith("-v1")]
"""One id per family: the expert reads no sensor, and -v0 has the same dynamics (tests/envs)."""


@pytest.fixture(scope="module")
def made() -> Iterator[dict[str, gym.Env]]:
    """One env per task id for the module."""
    out = {tid: envs.make(tid) for tid in TASK_IDS}
    yield out
    for env in out.values():
        env.close()


def _finish(env: gym.Env, expert: Expert) -> dict[str, Any]:
    """Let the expert act until the episode ends; return the last info."""
    while True:
        _, _, terminated, truncated, info = env.step(expert())
        if terminated or truncated:
            return info


def _face(env: gym.Env, x: float, z: float, offset: float = 0.0) -> None:
    agent = env.unwrapped.agent
    agent.dir = math.atan2(-(z - agent.pos[2]), x - agent.pos[0]) + offset


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_expert_succeeds_on_seeded_episodes(task_id: str, made: dict[str, gym.Env]) -> None:
    env = made[task_id]
    expert = Expert(env)
    for seed in range(5):
        env.reset(seed=seed)
        info = _finish(env, expert)
        assert info["outcome"] == "success", f"seed {seed}: {info['outcome']}"
        assert info["path_length"] <= 2.5 * info["shortest_path_length"] + 1.0, f"seed {seed}"


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_expert_recovers_after_random_actions(task_id: str, made: dict[str, gym.Env]) -> None:
    env = made[task_id]
    expert = Expert(env)
    rng = np.random.default_rng(0)
    seed, trials, successes = 100, 0, 0
    while trials < 4:
        env.reset(seed=seed)
        seed += 1
        for _ in range(int(rng.integers(10, 26))):
            _, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
            if terminated or truncated:
                break
        else:
            trials += 1
            successes += _finish(env, expert)["outcome"] == "success"
    assert successes >= 3


def test_putnext_expert_recovers_while_carrying(made: dict[str, gym.Env]) -> None:
    env = made["MiniGround/PutNext-v1"]
    base = env.unwrapped
    expert = Expert(env)
    rng = np.random.default_rng(1)
    moves = [base.action_names.index(a) for a in ("turn_left", "turn_right", "move_forward")]
    moves.append(base.action_names.index("move_back"))
    for seed in range(3):
        env.reset(seed=seed)
        while base.agent.carrying is None:
            env.step(expert())
        for _ in range(15):  # a learner's detour with the object in hand
            env.step(int(rng.choice(moves)))
        assert base.agent.carrying is base.named[0]
        assert _finish(env, expert)["outcome"] == "success", f"seed {seed}"


def test_expert_recovers_from_a_corner(made: dict[str, gym.Env]) -> None:
    """Placed tight in a corner, facing the walls (off the planner's safe grid)."""
    env = made["MiniGround/GoToObject-v1"]
    base = env.unwrapped
    expert = Expert(env)
    done = 0
    for seed in range(10):
        env.reset(seed=seed)
        pos = np.array([base.min_x + 0.42, 0.0, base.min_z + 0.42])
        if base.intersect(base.agent, pos, base.agent.radius):
            continue  # an object stands in that corner
        base.agent.pos = pos
        _face(env, base.min_x, base.min_z)
        assert _finish(env, expert)["outcome"] == "success", f"seed {seed}"
        done += 1
    assert done >= 3


def test_label_at_forced_off_path_states() -> None:
    env = envs.make("MiniGround/GoToObject-v1", num_distractors=0)
    names = env.unwrapped.action_names
    expert = Expert(env)
    for seed in range(3):
        env.reset(seed=seed)
        target = env.unwrapped.target
        tx, tz = float(target.pos[0]), float(target.pos[2])
        _face(env, tx, tz, offset=math.pi)  # facing straight away from the target
        assert names[expert()] in ("turn_left", "turn_right")
        _face(env, tx, tz, offset=-math.pi / 2)  # turned right of it: target on the left
        assert names[expert()] == "turn_left"
        _face(env, tx, tz, offset=math.pi / 2)  # turned left of it: target on the right
        assert names[expert()] == "turn_right"
        _face(env, tx, tz)  # facing it, nothing in between
        assert names[expert()] == "move_forward"
    env.close()


def test_label_depends_on_the_state_only(made: dict[str, gym.Env]) -> None:
    env = made["MiniGround/Sequence-v1"]
    used = Expert(env)
    env.reset(seed=3)
    for _ in range(8):
        env.step(used())
    left, right = env.unwrapped.action_names.index("turn_left"), 1
    env.step(left)
    env.step(right)  # back in the same state by another history
    assert Expert(env)() == used() == used()


def test_expert_under_domain_randomisation() -> None:
    env = envs.make("MiniGround/PutNext-v1", domain_rand=True)
    expert = Expert(env)
    for seed in range(3):
        env.reset(seed=seed)
        assert _finish(env, expert)["outcome"] == "success", f"seed {seed}"
    env.close()


def test_expert_rejects_other_envs() -> None:
    with pytest.raises(TypeError, match="MiniGround"):
        Expert(gym.make("CartPole-v1"))
