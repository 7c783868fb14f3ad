"""Proprioception: the previous action and the bump sensor in the observation and in ``info``."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gymnasium import spaces

import envs
from envs.tokens import MissionTokens
from envs.wrappers import FixedMission


def _put(base, x: float, z: float, heading: float) -> None:
    base.agent.pos = np.array([x, 0.0, z])
    base.agent.dir = heading


def _clear_floor(base) -> None:
    for ent in base.objects:
        ent.pos = ent.pos + np.array([500.0, 0.0, 0.0])


def test_v1_observation_space_and_reset() -> None:
    env = envs.make("MiniGround/PutNext-v1")
    space = env.observation_space
    assert space["prev_action"] == spaces.Discrete(7)  # 6 actions + "none"
    assert space["moved"] == spaces.Discrete(2)
    obs, info = env.reset(seed=0)
    assert space.contains(obs)
    assert (obs["prev_action"], obs["moved"]) == (6, 0)
    assert info["moved"] is False and info["last_action"] is None
    env.close()


def test_turns_and_free_moves_move_blocked_moves_do_not() -> None:
    env = envs.make("MiniGround/PutNext-v1")
    base = env.unwrapped
    env.reset(seed=1)
    _clear_floor(base)
    _put(base, 4.0, 4.0, 0.0)
    for action in (0, 1, 2, 5):  # turn left, turn right, forward, back: all free
        obs, _, _, _, info = env.step(action)
        assert (obs["prev_action"], obs["moved"]) == (action, 1)
        assert info["moved"] is True and info["last_action"] == action
    _put(base, base.room_size - base.agent.radius - 0.05, 4.0, 0.0)  # facing the east wall
    obs, _, _, _, info = env.step(2)
    assert (obs["prev_action"], obs["moved"]) == (2, 0) and info["moved"] is False
    assert env.observation_space.contains(obs)
    obs, _, _, _, info = env.step(5)  # backing away is free
    assert obs["moved"] == 1
    env.close()


def test_bumping_an_object_pickup_and_drop_do_not_move() -> None:
    env = envs.make("MiniGround/PutNext-v1")
    base = env.unwrapped
    env.reset(seed=2)
    moved, ref = base.named
    for ent in base.objects:
        if ent is not moved:
            ent.pos = ent.pos + np.array([500.0, 0.0, 0.0])
    moved.pos = np.array([4.0, 0.0, 4.0])
    _put(base, 4.0 - base.agent.radius - moved.radius - 0.05, 4.0, 0.0)  # facing it, touching
    obs, _, _, _, info = env.step(2)
    assert obs["moved"] == 0 and info["moved"] is False  # blocked by the object
    obs, _, term, _, info = env.step(3)
    assert base.agent.carrying is moved and not term
    assert (obs["prev_action"], obs["moved"]) == (3, 0)
    obs, _, _, _, info = env.step(4)
    assert base.agent.carrying is None
    assert (obs["prev_action"], obs["moved"]) == (4, 0) and info["last_action"] == 4
    env.close()


def test_v0_info_has_the_bump_sensor_but_not_the_observation() -> None:
    env = envs.make("MiniGround/GoToObject-v0")
    obs, info = env.reset(seed=0)
    assert info["moved"] is False and info["last_action"] is None
    obs, _, _, _, info = env.step(1)
    assert set(obs) == {"image", "mission"}
    assert info["moved"] is True and info["last_action"] == 1
    env.close()


def test_wrappers_pass_the_new_keys_through() -> None:
    env = MissionTokens(FixedMission(envs.make("MiniGround/GoToObject-v1")))
    space = env.observation_space
    assert space["prev_action"] == spaces.Discrete(4) and space["moved"] == spaces.Discrete(2)
    obs, _ = env.reset(seed=3)
    assert obs["prev_action"] == 3 and space.contains(obs)
    obs, _, _, _, _ = env.step(0)
    assert (obs["prev_action"], obs["moved"]) == (0, 1) and space.contains(obs)
    env.close()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cam_pitch": 95.0}, "cam_pitch"),
        ({"cam_pitch": math.nan}, "cam_pitch"),
        ({"cam_pitch": "down"}, "cam_pitch"),
        ({"proprioception": 1}, "proprioception"),
    ],
)
def test_bad_sensor_kwargs_are_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        envs.make("MiniGround/GoToObject-v1", **kwargs)
