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


@pytest.mark.slow
def test_bench_ppo_against_sb3_runs_both_with_the_same_settings() -> None:
    pytest.importorskip("stable_baselines3")  # in the test extra: CI runs this
    from agent.bench.ppo import format_report, run
    from agent.learn.sb3_baseline import make_sb3

    cfg = tiny_ppo_config(task="MiniGround/GoToObject-v0", num_envs=2, num_steps=8, seq_len=4,
                          num_minibatches=2, update_epochs=1, max_steps=20)  # fmt: skip
    result = run(cfg, raw_steps=16, iterations=1, against="sb3", rounds=1)
    sb3 = result["sb3"]
    assert sb3["steps_per_second"] > 0 and sb3["num_parameters"] > 0
    assert sb3["flops_per_frame"] > 0 and result["flops_per_frame"] > 0
    assert result["ratio_vs_sb3"] == pytest.approx(
        result["ppo_steps_per_second"] / sb3["steps_per_second"]
    )
    assert result["learner_samples_per_second"] > 0 and result["bare_samples_per_second"] > 0
    assert "ratio ours / SB3" in format_report(result)
    venv, model = make_sb3(cfg)  # the settings that make the comparison fair
    try:
        assert venv.num_envs == cfg.num_envs and model.n_steps == cfg.num_steps
        assert model.batch_size == cfg.batch_steps // cfg.num_minibatches
        assert model.n_epochs == cfg.update_epochs and model.gamma == cfg.gamma
        assert model.observation_space["mission"].shape == (16,)
    finally:
        venv.close()


def test_against_sb3_without_it_says_how_to_install(monkeypatch) -> None:
    import sys

    from agent.learn.sb3_baseline import require_sb3

    monkeypatch.setitem(sys.modules, "stable_baselines3", None)
    with pytest.raises(ImportError, match=r"miniground\[sb3\]"):
        require_sb3()
