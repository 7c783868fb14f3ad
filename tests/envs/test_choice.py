"""Gymnasium conventions: reset options choose the mission; every id has max_episode_steps."""

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import envs
from envs import choice
from envs import language as L
from envs.registration import TASKS

TASK_IDS = list(TASKS)
TWO_NAMED = ("MiniGround/PutNext-v0", "MiniGround/Sequence-v0")


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_spec_max_episode_steps_is_the_env_step_limit(task_id: str) -> None:
    env = gym.make(task_id)
    assert env.spec.max_episode_steps == env.unwrapped.default_max_steps
    assert env.spec.max_episode_steps == env.unwrapped.max_episode_steps
    env.close()


def test_make_keeps_the_time_limit_and_the_env_limit_equal() -> None:
    env = envs.make("MiniGround/GoToObject-v0", max_steps=7, num_distractors=0)
    assert env.spec.max_episode_steps == 7 == env.unwrapped.max_episode_steps
    env.reset(seed=0)
    for step in range(1, 8):
        _, _, terminated, truncated, info = env.step(0)  # turning never ends an episode
        assert not terminated
        assert truncated == (step == 7)
    assert info["outcome"] == "timeout"
    env.close()
    env = envs.make("MiniGround/GoToObject-v0", max_episode_steps=300)
    assert env.unwrapped.max_episode_steps == 300 == env.spec.max_episode_steps
    env.close()
    with pytest.raises(ValueError, match="disagree"):
        envs.make("MiniGround/GoToObject-v0", max_steps=5, max_episode_steps=6)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_check_env_with_render(task_id: str) -> None:
    env = gym.make(task_id, render_mode="rgb_array")
    check_env(env.unwrapped)  # the render check included
    env.reset(seed=0)
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.std() > 0
    env.close()


@pytest.fixture(scope="module")
def goto() -> gym.Env:
    env = envs.make("MiniGround/GoToObject-v0")
    yield env
    env.close()


@pytest.mark.parametrize("pair", L.TRAIN_COMBOS[:4])
def test_reset_target_option_chooses_the_target(goto: gym.Env, pair: tuple[str, str]) -> None:
    for seed in range(3):
        obs, info = goto.reset(seed=seed, options={"target": pair})
        assert (info["target_color"], info["target_shape"]) == pair
        assert L.tokenize(obs["mission"])[-2:] == list(pair)
        assert sum((e.color, e.shape) == pair for e in goto.unwrapped.objects) == 1


def test_reset_mission_option_sets_the_text_and_target(goto: gym.Env) -> None:
    obs, info = goto.reset(seed=4, options={"mission": "Reach the  GREY box"})
    assert obs["mission"] == "reach the grey box" == info["mission"]
    assert info["targets"] == [("grey", "box")]
    # The choice lasts one episode: the next plain reset draws again, as the seed says.
    plain, _ = goto.reset(seed=4)
    fresh = envs.make("MiniGround/GoToObject-v0")
    again, _ = fresh.reset(seed=4)
    fresh.close()
    assert plain["mission"] == again["mission"]


def test_reset_options_keep_the_layout_seeded(goto: gym.Env) -> None:
    goto.reset(seed=11, options={"target": ("grey", "ball")})
    first = [(e.color, e.shape, tuple(e.pos.round(6))) for e in goto.unwrapped.objects]
    goto.reset(seed=11, options={"target": ("grey", "ball")})
    second = [(e.color, e.shape, tuple(e.pos.round(6))) for e in goto.unwrapped.objects]
    assert first == second


@pytest.mark.parametrize("task_id", TWO_NAMED)
def test_two_named_tasks_take_one_or_both_targets(task_id: str) -> None:
    env = envs.make(task_id)
    _, info = env.reset(seed=0, options={"target": ("red", "box")})
    assert info["targets"][0] == ("red", "box") and info["targets"][1] != ("red", "box")
    both = [("grey", "key"), ("blue", "ball")]
    obs, info = env.reset(seed=0, options={"targets": both})
    assert info["targets"] == both
    words = L.tokenize(obs["mission"])
    assert words.index("grey") < words.index("blue")
    env.close()


def test_paraphrase_mission_on_the_paraphrase_split() -> None:
    env = envs.make("MiniGround/Sequence-v0", split="paraphrase")
    text = "go to the blue key after you go to the red box"
    _, info = env.reset(seed=0, options={"mission": text})
    assert info["mission"] == text
    assert info["targets"] == [("red", "box"), ("blue", "key")]  # the order the words mean
    env.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"target": ("red", "ball")}, "split='heldout_combos'"),
        ({"target": ("pink", "ball")}, "unknown colour 'pink'"),
        ({"target": ("red", "cone")}, "unknown shape 'cone'"),
        ({"target": "red ball"}, "pair of strings"),
        ({"targets": [("red", "box"), ("grey", "key")]}, "1 to 1"),
        ({"mission": "go to the red box", "target": ("grey", "key")}, "disagree"),
        ({"mission": "walk over to the red cube"}, "split='paraphrase'"),
        ({"mission": "fly to the moon"}, "not a goto instruction"),
        ({"mission": 3}, "must be a string"),
        ({"seed": 3}, "unknown reset option"),
    ],
)
def test_impossible_choices_are_clear_errors(goto: gym.Env, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        goto.reset(seed=0, options=options)


def test_heldout_target_on_its_own_split() -> None:
    env = envs.make("MiniGround/GoToObjectHard-v0", split="heldout_combos")
    _, info = env.reset(seed=0, options={"target": ("red", "ball")})
    assert info["targets"] == [("red", "ball")]
    others = [(e.color, e.shape) for e in env.unwrapped.objects[1:]]
    assert all((c == "red") != (s == "ball") for c, s in others)  # hard negatives still hold
    env.close()
    with pytest.raises(ValueError, match="must differ"):
        choice.resolve({"targets": [("red", "box")] * 2}, "putnext", "train", 2)


@pytest.mark.parametrize("family", L.FAMILIES)
@pytest.mark.parametrize("split", ["train", "paraphrase"])
def test_every_template_parses_back_to_its_objects(family: str, split: str) -> None:
    objects = (("purple", "box"), ("grey", "ball"))
    for template in L.templates(family, split):
        text = L.render(template, objects)
        named = 2 if "{c2}" in template else 1
        parsed, found, group = choice.parse_mission(family, text)
        assert parsed == objects[:named]
        assert found == template and group == split
