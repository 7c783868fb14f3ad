"""Every registered task: API conformance, determinism, instructions, commits and bad input."""

import importlib
import math

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs
from envs import language as L
from envs.registration import TASKS

TASK_IDS = list(TASKS)


@pytest.fixture(scope="module")
def made() -> dict[str, gym.Env]:
    """One env per task id for the module (rendering is re-initialised at each reset)."""
    out = {tid: envs.make(tid) for tid in TASK_IDS}
    yield out
    for env in out.values():
        env.close()


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_check_env(task_id: str, made: dict[str, gym.Env]) -> None:
    check_env(made[task_id].unwrapped, skip_render_check=True)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_seeded_reset_reproduces_layout_instruction_and_image(
    task_id: str, made: dict[str, gym.Env]
) -> None:
    env = made[task_id]
    obs1, info1 = env.reset(seed=123)
    pos1 = [tuple(np.round(e.pos, 6)) for e in env.unwrapped.objects]
    env.reset(seed=7)
    obs2, info2 = env.reset(seed=123)
    pos2 = [tuple(np.round(e.pos, 6)) for e in env.unwrapped.objects]
    assert obs1["mission"] == obs2["mission"]
    assert np.array_equal(obs1["image"], obs2["image"])
    assert pos1 == pos2
    assert info1["shortest_path_length"] == info2["shortest_path_length"]


@pytest.mark.parametrize("task_id", TASK_IDS)
@pytest.mark.parametrize("split", L.SPLITS)
def test_instruction_names_the_target(task_id: str, split: str) -> None:
    env = envs.make(task_id, split=split)
    combos = set(L.target_combos(split))
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        words = L.tokenize(obs["mission"])
        for color, shape in info["targets"]:
            assert (color, shape) in combos
            assert color in words
            assert shape in words or L.SHAPE_SYNONYMS[shape] in words
        base = env.unwrapped
        assert (info["target_color"], info["target_shape"]) == (
            base.target.color,
            base.target.shape,
        )
        assert info["split"] == split and info["task"] == task_id
        assert len({(o.color, o.shape) for o in base.objects}) == len(base.objects)
    env.close()


def test_observation_and_info_contents(made: dict[str, gym.Env]) -> None:
    env = made["MiniGround/GoToObject-v0"]
    obs, info = env.reset(seed=0)
    assert obs["image"].shape == (60, 80, 3) and obs["image"].dtype == np.uint8
    for key in (
        "is_success",
        "outcome",
        "target_color",
        "target_shape",
        "reached_color",
        "path_length",
        "shortest_path_length",
        "task",
        "split",
        "target_visible",
        "target_bearing",
        "target_distance",
        "visible_colors",
        "visible_shapes",
    ):
        assert key in info
    assert info["visible_colors"].shape == (6,) and info["visible_shapes"].shape == (3,)
    assert info["shortest_path_length"] > 0


def _face(env: gym.Env, ent, offset: float = 0.0, gap: float = 0.1) -> None:
    """Put the agent ``gap`` metres outside contact with ``ent``, facing it (+ ``offset`` rad)."""
    base = env.unwrapped
    agent = base.agent
    for angle in np.linspace(0, 2 * math.pi, 16, endpoint=False):
        d = agent.radius + ent.radius + gap
        pos = ent.pos + np.array([math.cos(angle) * d, 0, -math.sin(angle) * d])
        agent.pos = pos
        agent.dir = angle + math.pi + offset
        inside = all(agent.radius < pos[i] < base.room_size - agent.radius for i in (0, 2))
        if inside and not base.intersect(agent, pos, agent.radius):
            return
    pytest.skip("no free pose next to the object")


def test_walking_into_target_succeeds_with_reward(made: dict[str, gym.Env]) -> None:
    env = made["MiniGround/GoToObject-v0"]
    env.reset(seed=1)
    _face(env, env.unwrapped.target)
    for _ in range(3):
        _, reward, terminated, _, info = env.step(2)
        if terminated:
            break
    assert info["outcome"] == "success" and info["is_success"]
    steps = info["step"]
    assert reward == pytest.approx(1 - 0.9 * steps / env.unwrapped.max_episode_steps)


def test_walking_into_distractor_is_wrong_object(made: dict[str, gym.Env]) -> None:
    env = made["MiniGround/GoToObject-v0"]
    env.reset(seed=2)
    base = env.unwrapped
    distractor = next(o for o in base.objects if o is not base.target)
    _face(env, distractor)
    for _ in range(3):
        _, reward, terminated, _, info = env.step(2)
        if terminated:
            break
    assert info["outcome"] == "wrong_object" and reward == 0.0
    assert (info["reached_color"], info["reached_shape"]) == (distractor.color, distractor.shape)


def test_passing_near_an_object_does_not_end_the_episode(made: dict[str, gym.Env]) -> None:
    env = made["MiniGround/GoToObject-v0"]
    env.reset(seed=3)
    base = env.unwrapped
    distractor = next(o for o in base.objects if o is not base.target)
    _face(env, distractor, offset=math.pi / 2)  # side-on, close enough for MiniWorld's near()
    assert base.near(distractor)
    _, _, terminated, truncated, info = env.step(2)
    assert not terminated and not truncated and info["outcome"] is None


def test_pickup_wrong_object_and_target() -> None:
    env = envs.make("MiniGround/PickupObject-v0")
    env.reset(seed=4)
    base = env.unwrapped
    _face(env, base.target)
    _, _, terminated, _, info = env.step(3)
    assert terminated and info["outcome"] == "success"
    env.reset(seed=4)
    distractor = next(o for o in base.objects if o is not base.target)
    _face(env, distractor)
    _, _, terminated, _, info = env.step(3)
    assert terminated and info["outcome"] == "wrong_object"
    env.close()


def test_timeout_is_truncation(made: dict[str, gym.Env]) -> None:
    env = envs.make("MiniGround/GoToObject-v0", max_steps=5)
    env.reset(seed=0)
    for _ in range(5):
        _, _, terminated, truncated, info = env.step(0)
    assert truncated and not terminated and info["outcome"] == "timeout"
    env.close()


def test_target_visible_label_when_facing_it(made: dict[str, gym.Env]) -> None:
    env = made["MiniGround/GoToObject-v0"]
    env.reset(seed=5)
    base = env.unwrapped
    for ent in base.objects:  # nothing may stand in the line of sight
        if ent is not base.target:
            ent.pos = ent.pos + np.array([500.0, 0.0, 0.0])
    # 2.5 m back: the camera (1.5 m up, 60 degrees of vertical view) sees the floor from 2.6 m
    # on, so a flat key any nearer is below the frame
    _face(env, base.target, gap=2.5)
    base.render_obs()  # labels come from the frame just rendered, as in step()
    info = base._info()
    assert info["target_visible"]
    assert abs(info["target_bearing"]) < 0.2
    _face(env, base.target, offset=math.pi)
    base.render_obs()
    info = base._info()
    assert not info["target_visible"]
    assert abs(abs(info["target_bearing"]) - math.pi) < 0.2


def test_hard_negatives_share_an_attribute() -> None:
    env = envs.make("MiniGround/GoToObjectHard-v0")
    for seed in range(5):
        env.reset(seed=seed)
        base = env.unwrapped
        t = base.target
        for o in base.objects:
            if o is not t:
                assert (o.color == t.color) != (o.shape == t.shape)
    env.close()


def test_unknown_task_id_lists_ids() -> None:
    with pytest.raises(ValueError, match="MiniGround/GoToObject-v0"):
        envs.make("MiniGround/Nope-v0")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_distractors": 40}, "num_distractors"),
        ({"num_distractors": 12, "room_size": 4.0}, "do not fit"),
        ({"split": "test"}, "unknown split"),
        ({"room_size": 1.0}, "room_size"),
        ({"max_steps": 0}, "max_steps"),
        ({"num_distractors": -1}, "num_distractors"),
    ],
)
def test_bad_kwargs_raise_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        envs.make("MiniGround/GoToObject-v0", **kwargs)


def test_hard_negative_distractor_limit() -> None:
    with pytest.raises(ValueError, match="distinct"):
        envs.make("MiniGround/GoToObjectHard-v0", num_distractors=8)


def test_custom_observation_size() -> None:
    env = envs.make("MiniGround/GoToObject-v0", obs_width=64, obs_height=48)
    obs, _ = env.reset(seed=0)
    assert obs["image"].shape == (48, 64, 3)
    env.close()


@pytest.mark.parametrize("task_id", list(TASKS))
def test_task_documents_itself_with_minigrid_sections(task_id: str) -> None:
    module, _, name = TASKS[task_id].entry_point.partition(":")
    cls = getattr(importlib.import_module(module), name)
    doc = "\n".join(c.__doc__ or "" for c in cls.__mro__)
    sections = ("Description", "Mission space", "Action space", "Observation", "Rewards")
    sections += ("Termination", "Registered configurations")
    for section in sections:
        assert f"## {section}" in doc, (task_id, section)
    assert task_id in doc
