"""Rollouts: GAE by hand, SAME_STEP autoreset masking, memory resets, vector-env plumbing.

The fake envs (no MiniWorld) live in ``tests/agent/fakes.py``: env worker processes import them.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import pytest
import torch
from fakes import COLORS, ChoiceEnv, CountEnv, sync_envs
from gymnasium.vector import SyncVectorEnv

from agent.rollout.collector import RolloutCollector
from agent.rollout.storage import compute_gae
from agent.rollout.vector_env import EnvWorkerError, close_envs, make_vector_env


@pytest.fixture
def tiny_agent(make_config) -> Any:
    from agent.model.agent import Agent  # not at import: workers import this module for its envs

    return Agent(make_config(num_actions=3, aux_heads=False))


# ------------------------------------------------------------------------------------ GAE
def test_gae_matches_hand_computation() -> None:
    # One env, 3 steps; the episode ends with step 1 (index 1). gamma 0.5, lambda 0.5.
    rewards = torch.tensor([[1.0], [2.0], [3.0]])
    values = torch.tensor([[0.5], [1.0], [2.0]])
    dones = torch.tensor([[False], [True], [False]])
    last_value = torch.tensor([4.0])
    adv, ret = compute_gae(rewards, values, dones, last_value, gamma=0.5, gae_lambda=0.5)
    # t=2: delta = 3 + 0.5*4 - 2 = 3;            A2 = 3
    # t=1: delta = 2 + 0 - 1 = 1 (episode ends);  A1 = 1 (nothing flows back across the end)
    # t=0: delta = 1 + 0.5*1.0 - 0.5 = 1;         A0 = 1 + 0.25 * 1 = 1.25
    assert torch.allclose(adv[:, 0], torch.tensor([1.25, 1.0, 3.0]))
    assert torch.allclose(ret, adv + values)


def test_gae_lambda_one_is_discounted_return_minus_value() -> None:
    rewards = torch.tensor([[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]])
    values = torch.tensor([[0.2, 0.3], [0.4, 0.5], [0.6, 0.7]])
    dones = torch.tensor([[False, True], [False, False], [True, False]])
    adv, ret = compute_gae(rewards, values, dones, torch.tensor([9.0, 2.0]), 0.9, 1.0)
    # env 0: one episode ending at t=2 -> returns 0.81, 0.9, 1 (no bootstrap from 9.0)
    assert torch.allclose(ret[:, 0], torch.tensor([0.81, 0.9, 1.0]))
    # env 1: episode ends at t=0 (return 1), then t=1..2 bootstrap from 2.0
    assert torch.allclose(ret[:, 1], torch.tensor([1.0, 0.9 * 0.9 * 2.0, 0.9 * 2.0]))


# ----------------------------------------------------------------------- autoreset masking
def test_episode_boundaries_are_masked(tiny_agent: Any) -> None:
    envs = sync_envs([lambda: CountEnv(3), lambda: CountEnv(2)])
    collector = RolloutCollector(envs, num_steps=7)
    collector.reset([0, 1])
    rollout, episodes = collector.collect(tiny_agent)
    t_in_episode = rollout.images[:, :, 0, 0, 0].long()
    episode_id = rollout.images[:, :, 0, 0, 1].long()
    for b, length in enumerate((3, 2)):
        # every stored observation is the one acted on: steps 0..length-1 of each episode
        assert t_in_episode[:, b].tolist() == [t % length for t in range(7)]
        assert episode_id[:, b].tolist() == [t // length for t in range(7)]
        ends = [(t + 1) % length == 0 for t in range(7)]
        assert rollout.dones[:, b].tolist() == ends
        assert rollout.rewards[:, b].tolist() == [float(e) for e in ends]
        assert rollout.episode_starts[:, b].tolist() == [t % length == 0 for t in range(7)]
        # the mission changes with the episode, and only there
        assert [m[b] for m in rollout.missions] == [
            f"episode {'abcdefghij'[t // length]}" for t in range(7)
        ]
    assert len(episodes) == 2 + 3 and all(e["is_success"] for e in episodes)
    assert sorted(e["length"] for e in episodes) == [2, 2, 2, 3, 3]
    adv, _ = compute_gae(
        rollout.rewards, rollout.values, rollout.dones, rollout.last_value, 0.99, 0.95
    )
    # at an episode's last step the advantage is r - V: nothing leaks from the next episode
    last = rollout.dones
    assert torch.allclose(adv[last], (rollout.rewards - rollout.values)[last])
    envs.close()


def test_labels_describe_the_observation_acted_on(tiny_agent: Any) -> None:
    envs = sync_envs([lambda: CountEnv(3), lambda: CountEnv(2)])
    collector = RolloutCollector(envs, num_steps=7, label_keys=("phase",))
    collector.reset([0, 1])
    rollout, _ = collector.collect(tiny_agent)
    assert torch.equal(rollout.labels["phase"], rollout.images[:, :, 0, 0, 0].float())
    with pytest.raises(KeyError, match="nothing"):
        RolloutCollector(envs, num_steps=2, label_keys=("nothing",)).reset([0, 1])
    envs.close()


def test_memory_resets_at_episode_starts(tiny_agent: Any) -> None:
    """Re-scoring the rollout as sequences (which reset memory at episode starts) reproduces
    the acting log-probs and values, from the start and from any stored memory."""
    envs = sync_envs([lambda: CountEnv(3), lambda: CountEnv(5)])
    collector = RolloutCollector(envs, num_steps=8)
    collector.reset([0, 1])
    collector.collect(tiny_agent)  # the second rollout starts mid-episode with carried memory
    rollout, _ = collector.collect(tiny_agent)
    assert rollout.memories[0].abs().sum() > 0
    with torch.no_grad():
        for start in (0, 4):
            out = tiny_agent.evaluate_sequence(
                rollout.images[start:],
                rollout.missions[start:],
                rollout.actions[start:],
                rollout.episode_starts[start:],
                rollout.memories[start],
            )
            assert torch.allclose(out.log_prob, rollout.log_probs[start:], atol=1e-5)
            assert torch.allclose(out.value, rollout.values[start:], atol=1e-5)
        # without the resets the scores differ: the resets are what makes them match
        out = tiny_agent.evaluate_sequence(
            rollout.images,
            rollout.missions,
            rollout.actions,
            torch.zeros_like(rollout.episode_starts),
            rollout.memories[0],
        )
        assert not torch.allclose(out.value, rollout.values, atol=1e-5)
    envs.close()


def test_collector_refuses_next_step_autoreset() -> None:
    envs = SyncVectorEnv([lambda: CountEnv(2)])
    with pytest.raises(ValueError, match="SAME_STEP"):
        RolloutCollector(envs, num_steps=4)
    envs.close()


# ------------------------------------------------------------------- subprocess vector envs
def test_async_envs_pass_missions_as_str(tiny_agent: Any) -> None:
    envs = make_vector_env("", 2, env_fn=ChoiceEnv, context="forkserver")
    try:
        collector = RolloutCollector(envs, num_steps=6)
        collector.reset([3, 4])
        rollout, episodes = collector.collect(tiny_agent)
        assert all(isinstance(m, str) for row in rollout.missions for m in row)
        for t in range(6):
            for b in range(2):
                color = rollout.missions[t][b].split()[3]
                assert tuple(rollout.images[t, b, 0, 0].tolist()) == COLORS[color]
        assert {e["outcome"] for e in episodes} <= {"success", "wrong_object", "timeout"}
    finally:
        close_envs(envs)


def test_dead_worker_raises_an_error_naming_it(tiny_agent: Any) -> None:
    envs = make_vector_env("", 2, env_fn=ChoiceEnv, context="forkserver")
    try:
        collector = RolloutCollector(envs, num_steps=4, step_timeout=30)
        collector.reset([0, 1])
        os.kill(envs.processes[1].pid, signal.SIGKILL)
        with pytest.raises(EnvWorkerError, match=r"worker 1 \(pid \d+, exit code -9\) died"):
            collector.collect(tiny_agent)
    finally:
        close_envs(envs, failed=True)
    assert not any(p.is_alive() for p in envs.processes)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_worker_exception_raises_an_error_naming_it(tiny_agent: Any) -> None:
    import functools

    envs = make_vector_env("", 1, env_fn=functools.partial(ChoiceEnv, crash_at=2))
    try:
        collector = RolloutCollector(envs, num_steps=4)
        collector.reset([0])
        with pytest.raises(EnvWorkerError, match="env worker 0 raised RuntimeError.*on purpose"):
            collector.collect(tiny_agent)
    finally:
        close_envs(envs, failed=True)


def test_hung_worker_raises_instead_of_waiting_forever(tiny_agent: Any) -> None:
    import functools

    envs = make_vector_env("", 2, env_fn=functools.partial(ChoiceEnv, hang_at=2))
    try:
        collector = RolloutCollector(envs, num_steps=4, step_timeout=1.0)
        collector.reset([0, 1])
        start = time.monotonic()
        with pytest.raises(EnvWorkerError, match=r"env worker 0 \(pid \d+\) did not answer"):
            collector.collect(tiny_agent)
        assert time.monotonic() - start < 30
    finally:
        close_envs(envs, failed=True)
    assert not any(p.is_alive() for p in envs.processes)
