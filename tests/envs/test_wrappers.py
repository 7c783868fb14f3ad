"""The instruction-free control changes the mission the agent reads, and nothing else."""

from __future__ import annotations

import numpy as np
import pytest

import envs
from envs.wrappers import CONTROL_MISSION, FixedMission


def test_control_mission_changes_only_the_mission() -> None:
    plain = envs.make("MiniGround/GoToObject-v0")
    control = FixedMission(envs.make("MiniGround/GoToObject-v0"))
    try:
        for seed in (0, 7):
            obs_a, info_a = plain.reset(seed=seed)
            obs_b, info_b = control.reset(seed=seed)
            assert obs_b["mission"] == CONTROL_MISSION != obs_a["mission"]
            assert info_b["mission"] == obs_a["mission"]  # the env's own, for the record
            for action in (0, 2, 2, 1, 2):
                np.testing.assert_array_equal(obs_a["image"], obs_b["image"])
                assert info_a["target_code"] == info_b["target_code"]
                assert info_a["agent_pos"] == info_b["agent_pos"]
                obs_a, r_a, *_, info_a = plain.step(action)
                obs_b, r_b, *_, info_b = control.step(action)
                assert r_a == r_b and obs_b["mission"] == CONTROL_MISSION
    finally:
        plain.close()
        control.close()


def test_control_mission_names_no_colour_or_shape() -> None:
    from envs.language import COLORS, SHAPES, tokenize

    assert not set(tokenize(CONTROL_MISSION)) & (set(COLORS) | set(SHAPES))
    with pytest.raises(ValueError):
        FixedMission(envs.make("MiniGround/GoToObject-v0"), mission=3)  # type: ignore[arg-type]
