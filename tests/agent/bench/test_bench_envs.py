"""``miniground bench envs``: every spawned measurement and their ratios."""

import pytest


@pytest.mark.slow
def test_bench_envs_reports_every_kind_and_ratio() -> None:
    """The speed benchmark runs every spawned measurement and reports their ratios."""
    from agent.bench.envs import KINDS, bench_envs

    report = bench_envs(seconds=0.3, rounds=1)
    assert set(report["steps_per_second"]) == set(KINDS)
    assert all(v > 0 for v in report["steps_per_second"].values())
    sps = report["steps_per_second"]
    assert report["ratio_expert_vs_raw"] == pytest.approx(sps["expert"] / sps["raw"])
