"""``miniground bench openmp`` measures both policies in fresh processes, with competing load."""

from __future__ import annotations

import pytest

from agent.bench.openmp import bench_openmp, main


@pytest.mark.slow
def test_both_policies_are_measured_under_load() -> None:
    report = bench_openmp(threads=[1], loads=[1], updates=1, rounds=1)
    (row,) = report["rows"]
    assert row["load"] == 1 and row["threads"] == 1
    assert set(row["samples_per_s"]) == {"default", "PASSIVE", "spin10k"}
    assert all(v > 0 for v in row["samples_per_s"].values())
    assert row["over_default"]["PASSIVE"] == pytest.approx(
        row["samples_per_s"]["PASSIVE"] / row["samples_per_s"]["default"]
    )


def test_bad_arguments_are_rejected(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--threads", "0"])
    assert "--threads must be >= 1" in capsys.readouterr().err
