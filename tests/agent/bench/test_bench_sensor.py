"""``miniground bench sensor``: commits, shares of the final approach in view, the CLI."""

from __future__ import annotations

import pytest

from agent.bench.sensor import bench_sensor, main, measure_episode
from agent.cli import COMMANDS


def _frame(visible: list[bool], stage: int = 0, target: int = 0, **kw) -> dict:
    distance = kw.get("distance", [3.0, 2.0])
    return {"visible": visible, "distance": distance, "target": target, "stage": stage,
            "carried": kw.get("carried"), "success": kw.get("success", False)}  # fmt: skip


def test_measure_episode_finds_commits_and_windows() -> None:
    """A put-next-like trace: pickup of object 0 at step 3, drop next to object 1 at step 5."""
    frames = [
        _frame([False, True]),
        _frame([True, True], distance=[2.5, 2.0]),
        _frame([True, False], distance=[1.2, 2.0]),
        _frame([False, False], stage=1, target=1, carried=0),
        _frame([True, True], stage=1, target=1, carried=0, distance=[1.0, 1.5]),
        _frame([True, False], stage=1, target=1, carried=0, success=True),
    ]
    out = measure_episode(frames, last=2)
    pickup, drop = out["commits"]
    assert (pickup["stage"], pickup["object"]) == (0, 0)
    assert pickup["share"] == 1.0 and pickup["closest"] == 1.2  # frames 1, 2
    assert (drop["stage"], drop["object"]) == (1, 1)
    assert drop["share"] == 0.5 and drop["closest"] == 1.5  # frames 3, 4
    assert not out["start_visible"] and out["found_in_scan"]
    assert out["first_seen_distance"] == 2.5
    assert (out["carried_frames"], out["carried_visible"]) == (3, 2)


def test_bench_sensor_on_a_few_episodes() -> None:
    report = bench_sensor("MiniGround/GoToObject-v1", -20.0, episodes=2, last=5, seed=1_100_000)
    assert report["success"] == 1.0 and report["pitch"] == -20.0
    assert report["rows"]["bump/all"]["n"] == 2
    assert 0.0 <= report["rows"]["bump/all"]["share_last"] <= 1.0
    assert report["carried_visible"] is None


def test_cli_prints_a_table_and_rejects_bad_input(capsys: pytest.CaptureFixture) -> None:
    assert COMMANDS["bench sensor"][0] == "agent.bench.sensor:main"
    assert main(["--episodes", "1", "--pitch", "0,-20", "--last", "3"]) == 0
    text = capsys.readouterr().out
    assert "bump/all" in text and "-20" in text and "found by the scan" in text
    with pytest.raises(ValueError, match="--pitch"):
        main(["--episodes", "1", "--pitch", "down"])
    with pytest.raises(ValueError, match="cam_pitch"):
        main(["--episodes", "1", "--pitch", "100"])
