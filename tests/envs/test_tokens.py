"""MissionTokens: missions as fixed-length word ids in the project tokenizer's vocabulary."""

import gymnasium as gym
import numpy as np
import pytest

import envs
from agent.model.text import build_tokenizer
from envs import language as L
from envs.tokens import DEFAULT_MAX_WORDS, MissionTokens, longest_mission
from envs.wrappers import FixedMission


def test_ids_are_the_project_tokenizers() -> None:
    env = MissionTokens(envs.make("MiniGround/Sequence-v0", split="paraphrase"))
    tokenizer = build_tokenizer()
    assert {w: i for i, w in enumerate(env.vocab)} == tokenizer.get_vocab()
    for seed in range(5):
        obs, info = env.reset(seed=seed)
        ids = tokenizer(info["mission"])["input_ids"]
        assert obs["mission"].tolist() == ids + [0] * (DEFAULT_MAX_WORDS - len(ids))
        assert env.observation_space.contains(obs)
    text = "first walk over to the grey sphere and after that the red cube"
    obs, _ = env.reset(seed=0, options={"mission": text})
    assert env.decode(obs["mission"]) == (
        "[UNK] [UNK] [UNK] to the grey [UNK] [UNK] [UNK] [UNK] the red [UNK]"
    )  # paraphrase-only words are not in the train vocabulary
    env.close()


def test_space_and_step_observations() -> None:
    env = MissionTokens(envs.make("MiniGround/GoToObject-v0"), max_words=8)
    space = env.observation_space["mission"]
    assert space.shape == (8,) and space.dtype == np.int64
    assert space.low.min() == 0 and space.high.max() == len(env.vocab) - 1
    env.reset(seed=3)
    obs, _, _, _, info = env.step(0)
    assert env.decode(obs["mission"]) == " ".join(L.tokenize(info["mission"]))
    assert env.observation_space["image"] == env.env.observation_space["image"]
    env.close()


def test_composes_with_the_control_and_custom_vocab() -> None:
    env = MissionTokens(FixedMission(envs.make("MiniGround/GoToObject-v0")), vocab=L.VOCAB)
    obs, _ = env.reset(seed=0)
    assert env.decode(obs["mission"]) == "go to the [UNK]"  # "object" names nothing we place
    assert "walk" in env.vocab
    env.close()


def test_bad_arguments_are_clear_errors() -> None:
    env = envs.make("MiniGround/Sequence-v0")
    with pytest.raises(ValueError, match="longest sequence instruction"):
        MissionTokens(env, max_words=longest_mission("sequence") - 1)
    with pytest.raises(ValueError, match="positive integer"):
        MissionTokens(env, max_words=0)
    with pytest.raises(ValueError, match="Dict observation space"):
        MissionTokens(gym.make("CartPole-v1"))
    wrapper = MissionTokens(env, max_words=13)
    with pytest.raises(ValueError, match="more than max_words=13"):
        wrapper.encode("go " * 14)
    env.close()
