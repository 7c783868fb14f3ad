"""Task versions: every ``-v0`` id has a ``-v1`` twin with the new sensor; ``-v0`` is unchanged."""

from __future__ import annotations

import importlib

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces
from miniworld.params import DEFAULT_PARAMS

import envs
from envs.registration import DEFAULT_TASK, TASKS, V0_TASKS, V1_CAM_PITCH, V1_KWARGS
from envs.world import MISSION_CHARSET


def _params_table(params) -> dict:
    return {k: tuple(np.ravel(v).tolist() for v in p[:3]) for k, p in params.params.items()}


def test_every_v0_id_has_a_v1_twin_with_the_sensor() -> None:
    assert DEFAULT_TASK == "MiniGround/GoToObject-v1"
    assert V1_KWARGS == {"cam_pitch": V1_CAM_PITCH, "proprioception": True}
    for v0, spec in V0_TASKS.items():
        v1 = v0.replace("-v0", "-v1")
        assert TASKS[v0] == spec and not spec.kwargs
        assert TASKS[v1].entry_point == spec.entry_point
        assert TASKS[v1].max_steps == spec.max_steps
        assert TASKS[v1].kwargs == V1_KWARGS
        assert gym.spec(v1).kwargs == {"task_id": v1, **V1_KWARGS}
        assert gym.spec(v0).kwargs == {"task_id": v0}


@pytest.mark.parametrize("version", ["v0", "v1"])
def test_docstrings_name_the_version_and_its_sensor(version: str) -> None:
    for task_id, spec in TASKS.items():
        if not task_id.endswith(version):
            continue
        module, _, name = spec.entry_point.partition(":")
        doc = "\n".join(
            c.__doc__ or "" for c in getattr(importlib.import_module(module), name).__mro__
        )
        assert task_id in doc
        for word in ("prev_action", "moved", "last_action", f"cam_pitch={V1_CAM_PITCH:g}"):
            assert word in doc, (task_id, word)


def test_v0_spaces_and_camera_are_the_first_sensors() -> None:
    env = envs.make("MiniGround/PutNext-v0")
    base = env.unwrapped
    expected = spaces.Dict(
        {
            "image": spaces.Box(0, 255, (60, 80, 3), dtype=np.uint8),
            "mission": spaces.Text(max_length=200, charset=MISSION_CHARSET),
        }
    )
    assert base.observation_space == expected
    assert env.observation_space == expected
    obs, _ = env.reset(seed=0)
    assert set(obs) == {"image", "mission"}
    obs, _, _, _, info = env.step(2)
    assert set(obs) == {"image", "mission"}
    assert base.agent.cam_pitch == 0
    assert base.params is not DEFAULT_PARAMS
    assert _params_table(base.params) == _params_table(DEFAULT_PARAMS)
    env.close()


@pytest.mark.parametrize("domain_rand", [False, True])
def test_v0_frames_are_those_of_miniworlds_own_defaults(domain_rand: bool) -> None:
    """Seeded frames, poses and labels of -v0 equal those with MiniWorld's shared default params
    (what every -v0 record was made with), with and without domain randomisation."""
    env = envs.make("MiniGround/PickupObject-v0", domain_rand=domain_rand)
    base = env.unwrapped
    own = base.params
    runs = {}
    for name, params in (("own", own), ("miniworld", DEFAULT_PARAMS)):
        base.params = params
        frames, rng = [], np.random.default_rng(0)
        for seed in (0, 1, 2):
            obs, info = env.reset(seed=seed)
            frames.append(
                (obs["image"], obs["mission"], base.agent.cam_pitch, info["semantic_map"])
            )
            for _ in range(8):
                obs, _, term, trunc, info = env.step(int(rng.integers(4)))
                frames.append((obs["image"], info["agent_pos"], info["semantic_map"]))
                if term or trunc:
                    break
        runs[name] = frames
    base.params = own
    env.close()
    assert len(runs["own"]) == len(runs["miniworld"])
    for a, b in zip(runs["own"], runs["miniworld"], strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


def test_v1_changes_only_the_sensor() -> None:
    """Same layout, instruction and shortest path; another camera, two more observation keys."""
    seen = {}
    for task_id in ("MiniGround/Sequence-v0", "MiniGround/Sequence-v1"):
        env = envs.make(task_id)
        base = env.unwrapped
        obs, info = env.reset(seed=5)
        top, _ = base.top_view()
        seen[task_id] = (
            [tuple(np.round(e.pos, 6)) for e in base.objects],
            obs["mission"],
            info["shortest_path_length"],
            top,
            obs["image"],
            base.agent.cam_pitch,
            set(obs),
        )
        env.close()
    v0, v1 = seen["MiniGround/Sequence-v0"], seen["MiniGround/Sequence-v1"]
    assert v0[:3] == v1[:3]
    np.testing.assert_array_equal(v0[3], v1[3])  # the top view does not depend on the camera
    assert not np.array_equal(v0[4], v1[4])
    assert (v0[5], v1[5]) == (0, V1_CAM_PITCH)
    assert v1[6] - v0[6] == {"prev_action", "moved"}
