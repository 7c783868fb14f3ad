"""``miniground bench backend``: local vs Ray throughput, with the outputs compared."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_bench_backend_times_both_and_finds_the_same_outputs(capsys) -> None:
    pytest.importorskip("ray")
    from agent.bench.backend import main

    argv = ["--demos", "2", "--episodes-per-shard", "1", "--eval-episodes", "2", "--workers", "1",
            "--max-steps", "8"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "outputs identical: demos True, eval records True" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("local ", "ray  "))]
    assert [row[0] for row in rows] == ["local", "ray"] and all(len(row) == 5 for row in rows)
    import ray

    assert not ray.is_initialized()  # the bench shut down the instance it started
