"""``miniground bench ppo``: raw and PPO env-steps/s from one vector env."""

from __future__ import annotations

import pytest
from fakes import tiny_ppo_config


def test_bench_ppo_reports_both_rates_from_one_vector_env() -> None:
    from agent.bench.ppo import format_report, run

    cfg = tiny_ppo_config(task="MiniGround/GoToObject-v0", num_envs=2, num_steps=8, seq_len=4,
                          num_minibatches=2, update_epochs=1, max_steps=20)  # fmt: skip
    result = run(cfg, raw_steps=16, iterations=1)
    assert result["raw_steps_per_second"] > 0 and result["ppo_steps_per_second"] > 0
    ratio = result["ppo_steps_per_second"] / result["raw_steps_per_second"]
    assert result["ratio"] == pytest.approx(ratio)
    assert "ratio PPO / raw" in format_report(result)
