"""``miniground bench agent``: one configuration measured, and the report table."""

from __future__ import annotations

import torch


def test_bench_measures_a_configuration(make_config) -> None:
    from agent.bench.agent import format_report, measure_agent

    row = measure_agent(make_config(), torch.device("cpu"), repeats=2)
    assert row["params"] == row["trainable_params"] > 0
    assert row["batch1_ms"] > 0 and row["batch16_per_env_ms"] == row["batch16_ms"] / 16
    report = {
        "device": "cpu",
        "torch_threads": 2,
        "cpu_count": 2,
        "load_average_1min": 0.5,
        "combinations": [{**row, "default": True}],
        "skipped": [{"fusion": "film", "text_encoder": "pretrained:minilm", "reason": "absent"}],
        "env": {"id": "X-v0", "step_ms": 1.0, "steps": 3},
        "default": {"fusion": "film", "text_encoder": "transformer"},
        "ratio": 0.2,
        "ratio_batch1": 0.9,
        "target_ratio": 0.5,
    }
    text = format_report(report)
    assert "skipped: absent" in text and "0.200" in text and "X-v0" in text
