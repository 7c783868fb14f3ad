"""PPO's parallelism chosen from the machine's cores."""

from __future__ import annotations

from agent.learn.ppo_config import PPOConfig
from agent.utils.machine import cpu_cores, ppo_parallelism


def test_parallelism_follows_the_cores() -> None:
    assert ppo_parallelism(1) == (4, 1)
    assert ppo_parallelism(2) == (4, 1)  # this project's CI machine: as measured before
    assert ppo_parallelism(8) == (8, 8)
    assert ppo_parallelism(64) == (16, 8)


def test_config_zero_means_chosen_from_the_machine_and_explicit_values_stay() -> None:
    envs, threads = ppo_parallelism(cpu_cores())
    cfg = PPOConfig()
    assert (cfg.num_envs, cfg.update_threads) == (envs, threads)
    cfg = PPOConfig(num_envs=2, update_threads=3)
    assert (cfg.num_envs, cfg.update_threads) == (2, 3)
