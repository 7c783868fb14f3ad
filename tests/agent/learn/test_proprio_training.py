"""Proprioception through every trainer and policy adapter: BC, PPO's collection and update, the
learner and evaluation policies; and the inventory the trainers write into new agents."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from fakes import TINY_AGENT, ChoiceEnv, sync_envs, tiny_ppo_config
from gymnasium import spaces

from agent.data.episodes import EpisodeBuilder, Episodes, proprio_of
from agent.eval.policies import AgentPolicy, check_policy
from agent.learn.bc import BCConfig, BCTrainer
from agent.learn.inventory import resolve_agent_config
from agent.learn.ppo import PPOTrainer, build_agent
from agent.model.agent import Agent
from agent.model.config import AgentConfig
from agent.rollout.collector import RolloutCollector
from agent.rollout.learner import LearnerPolicy
from envs.language import COLORS, SHAPES, vocabulary

H, W = 6, 8
MANIFEST = {"task": "MiniGround/GoToObject-v1", "env_kwargs": {"split": "train"},
            "teacher": "expert"}  # fmt: skip


def _episodes(proprio: bool, n: int = 3, length: int = 5) -> Episodes:
    builder = EpisodeBuilder()
    rng = np.random.default_rng(0)
    for e in range(n):
        prev = 3
        for t in range(length):
            obs: dict[str, Any] = {"image": rng.integers(0, 255, (H, W, 3), dtype=np.uint8)}
            if proprio:
                obs.update(prev_action=prev, moved=t % 2)
            info = {"target_visible": True, "target_seen": True, "target_bearing": 0.0,
                    "target_distance": 1.0, "visible_colors": [0.0] * 6,
                    "visible_shapes": [0.0] * 3, "target_code": 1}  # fmt: skip
            prev = int(rng.integers(3))
            builder.add_step(obs["image"], info, prev, 0.0, proprio_of(obs))
        builder.end_episode("go to the red ball", "success", e)
    return builder.build()


def _bc_config(tmp_path: Path, **agent: Any) -> BCConfig:
    fields = {**TINY_AGENT, "obs_height": H, "obs_width": W, **agent}
    return BCConfig(out=str(tmp_path / "run"), agent=AgentConfig(**fields), batch_episodes=2,
                    bptt=3, eval_episodes=0, aux_weight=0.0, dense_weight=0.0)  # fmt: skip


def test_bc_turns_proprioception_on_for_demos_that_carry_it(tmp_path: Path) -> None:
    config = _bc_config(tmp_path)
    trainer = BCTrainer(config, _episodes(proprio=True), MANIFEST)
    agent_cfg = trainer.agent.config
    assert agent_cfg.proprioception is True and config.agent.proprioception is True
    assert agent_cfg.vocab == tuple(vocabulary("train"))
    assert (agent_cfg.colors, agent_cfg.shapes) == (COLORS, SHAPES)
    logs = trainer.loss(trainer.sampler.sample(hflip=0.5))
    assert np.isfinite(logs["policy"])
    assert trainer.agent.proprio.prev_action.weight.grad.abs().sum() > 0


def test_bc_keeps_an_explicit_choice_and_refuses_what_the_demos_lack(tmp_path: Path) -> None:
    off = BCTrainer(_bc_config(tmp_path, proprioception=False), _episodes(True), MANIFEST)
    assert off.agent.proprio is None and np.isfinite(off.loss(off.sampler.sample())["policy"])
    with pytest.raises(ValueError, match="-v1 task"):
        BCTrainer(_bc_config(tmp_path, proprioception=True), _episodes(False), MANIFEST)
    on = BCTrainer(_bc_config(tmp_path), _episodes(True), MANIFEST)
    with pytest.raises(ValueError, match="-v1 task"):
        on.set_episodes(_episodes(False))  # e.g. DAgger data from a -v0 env
    plain = BCTrainer(_bc_config(tmp_path), _episodes(False), MANIFEST)
    assert plain.agent.config.proprioception is False


def test_resolve_agent_config_keeps_a_given_vocabulary() -> None:
    config = AgentConfig(vocab=("go", "red"), colors=("red",), shapes=("ball",))
    resolved = resolve_agent_config(config, "paraphrase", proprioception=False)
    assert resolved.vocab == ("go", "red") and resolved.colors == COLORS
    assert resolved.proprioception is False
    fresh = resolve_agent_config(AgentConfig(), "paraphrase", proprioception=True)
    assert fresh.vocab == tuple(vocabulary("paraphrase")) and fresh.proprioception is True


# ----------------------------------------------------------------------------- policies
def _obs(proprio: bool) -> dict[str, Any]:
    obs: dict[str, Any] = {"image": np.zeros((60, 80, 3), np.uint8), "mission": "go to the box"}
    if proprio:
        obs.update(prev_action=3, moved=0)
    return obs


def test_learner_and_eval_policies_read_proprioception(make_config) -> None:
    agent = Agent(make_config(proprioception=True))
    for policy in (LearnerPolicy(agent), AgentPolicy(agent)):
        policy.reset(0)
        assert policy.act(_obs(True)) in (0, 1, 2)
        policy.reset(1)
        with pytest.raises(ValueError, match="use a -v1 task"):
            policy.act(_obs(False))
    plain = LearnerPolicy(Agent(make_config()))
    assert plain.act(_obs(False)) in (0, 1, 2) and plain.act(_obs(True)) in (0, 1, 2)


def test_check_policy_refuses_a_proprioceptive_agent_on_a_v0_task(make_config, tmp_path) -> None:
    path = Agent(make_config(proprioception=True)).save_pretrained(tmp_path / "ckpt")
    assert check_policy(path, "MiniGround/GoToObject-v1") is not None
    with pytest.raises(ValueError, match="use a -v1 task"):
        check_policy(path, "MiniGround/GoToObject-v0")


# ----------------------------------------------------------------------------- PPO
class ProprioChoiceEnv(ChoiceEnv):
    """:class:`ChoiceEnv` with ``prev_action`` and ``moved`` in its observations."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.observation_space = spaces.Dict({
            **self.observation_space.spaces,
            "prev_action": spaces.Discrete(4), "moved": spaces.Discrete(2),
        })  # fmt: skip
        self.prev = 3

    def reset(self, **kwargs: Any):
        self.prev = 3
        return super().reset(**kwargs)

    def step(self, action: Any):
        self.prev = int(action)
        return super().step(action)

    def _obs(self) -> dict[str, Any]:
        return {**super()._obs(), "prev_action": self.prev, "moved": int(self.prev == 2)}


def test_ppo_collects_and_trains_a_proprioceptive_agent() -> None:
    cfg = tiny_ppo_config(total_steps=4 * 16)
    envs = sync_envs([functools.partial(ProprioChoiceEnv, max_steps=4)] * cfg.num_envs)
    try:
        torch.manual_seed(0)
        agent, _ = build_agent(cfg, 3, proprioception=True)
        assert agent.config.proprioception and agent.config.vocab == tuple(vocabulary("train"))
        collector = RolloutCollector(envs, cfg.num_steps)
        collector.reset(list(range(cfg.num_envs)))
        rollout, _ = collector.collect(agent)
        assert rollout.proprio.shape == (cfg.num_steps, cfg.num_envs, 2)
        assert set(rollout.proprio[..., 0].unique().tolist()) <= {0, 1, 2, 3}
        first = agent.proprio.prev_action.weight.detach().clone()
        trainer = PPOTrainer(cfg, envs, agent)
        trainer.reset_envs()
        stats, _ = trainer.iteration()
        assert np.isfinite(stats["policy_loss"])
        assert not torch.equal(first, agent.proprio.prev_action.weight)
    finally:
        envs.close()


def test_ppo_refuses_a_proprioceptive_agent_on_envs_without_it() -> None:
    cfg = tiny_ppo_config()
    cfg = dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, proprioception=True))
    with pytest.raises(ValueError, match="use a -v1 task"):
        build_agent(cfg, 3, proprioception=False)
    agent, _ = build_agent(tiny_ppo_config(), 3, proprioception=True)
    envs = sync_envs([ChoiceEnv] * 2)
    try:
        collector = RolloutCollector(envs, 4)
        collector.reset([0, 1])
        with pytest.raises(ValueError, match="use a -v1 task"):
            collector.collect(agent)
    finally:
        envs.close()
