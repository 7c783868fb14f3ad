"""report.html: the page's content, its videos, and a real headless browser loading it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from agent.eval.browser import BrowserUnavailableError, check_page, find_browser
from agent.eval.html_report import pick_episodes, render_html
from agent.eval.metrics import aggregate
from agent.eval.video import open_writer
from agent.scripts.eval import main as eval_main


def record(seed: int, outcome: str, target: tuple[str, str], reached=None) -> dict:
    return {
        "episode": seed, "seed": seed, "split": "train", "mission": f"go to the {' '.join(target)}",
        "target": list(target), "outcome": outcome, "is_success": outcome == "success",
        "steps": 20, "return": 0.9 if outcome == "success" else 0.0, "path_length": 3.0,
        "shortest_path_length": 2.5, "reached": list(reached) if reached else None,
    }  # fmt: skip


def result(label: str, records: list[dict], control: bool = False) -> dict:
    return {"policy": "ckpt", "label": label, "split": "train", "control": control,
            "aggregated": aggregate(records), "per_episode": records}  # fmt: skip


AGENT = [
    record(0, "success", ("red", "box")),
    record(1, "wrong_object", ("red", "box"), ("red", "key")),
    record(2, "success", ("grey", "ball")),
    record(3, "timeout", ("blue", "key")),
]
CONTROL = [
    record(0, "wrong_object", ("red", "box"), ("blue", "ball")),
    record(1, "wrong_object", ("red", "box"), ("green", "box")),
    record(2, "success", ("grey", "ball")),
    record(3, "timeout", ("blue", "key")),
]
INFO = {
    "task": "MiniGround/GoToObject-v0", "episodes": 4, "seed": 0, "seed_range": "training",
    "command": "miniground eval --checkpoint <ckpt>", "created": "now",
    "results": [result("agent", AGENT), result("agent [control]", CONTROL, control=True)],
}  # fmt: skip


def tiny_mp4(path: Path, frames: int = 12) -> Path:
    with open_writer(path) as writer:
        for t in range(frames):
            frame = np.zeros((48, 64, 3), np.uint8)
            frame[:, : 4 * (t + 1)] = (40, 160, 90)
            writer.append_data(frame)
    return path


def test_page_holds_every_section(tmp_path: Path) -> None:
    videos = [
        {"path": tiny_mp4(tmp_path / "a.mp4"), "seed": 0, "outcome": "success", "success": True,
         "mission": "go to the <red> box", "label": "agent", "split": "train"},
        {"path": tiny_mp4(tmp_path / "b.mp4"), "seed": 1, "outcome": "wrong_object",
         "success": False, "mission": "go to the red box", "label": "agent", "split": "train"},
    ]  # fmt: skip
    page = render_html(INFO, videos)
    assert page.count("<video") == 2 and page.count("data:video/mp4;base64,") == 2
    assert "&lt;red&gt;" in page and "<red>" not in page  # text is escaped
    assert "data:image/png;base64," in page  # the plot, inline
    assert not re.search(r"(src|href)=['\"](?!data:)", page)  # nothing loaded from elsewhere
    for title in ("Summary", "Instruction-free control", "How episodes ended",
                  "Success per target pair", "Attribute confusion", "Rollouts"):  # fmt: skip
        assert f"<h2>{title}</h2>" in page
    # Agent 50.0% [15.0, 85.0] vs control 25.0%: the instruction buys +25.0 points.
    assert "<b>50.0</b>" in page and "[15.0, 85.0]" in page and "<b>+25.0</b>" in page
    # Two 6x3 colour-by-shape grids; red box: 1 of 2 for the agent, 0 of 2 for its control.
    assert page.count("<table class=grid>") == 2
    assert "red box: 1/2" in page and "red box: 0/2" in page
    assert page.count("held") >= 2 * 5  # the five held-out pairs are marked in each grid
    assert "1 <span class=ci>(100.0%)" in page  # the agent's one wrong object shared the colour
    successes, failures = page.split("<h3>successes</h3>")[1].split("<h3>failures</h3>")
    assert "seed 0:" in successes and "seed 1:" in failures


def test_pick_episodes_takes_successes_and_failures_of_the_first_agent() -> None:
    picked_result, picked = pick_episodes(INFO, per_kind=1)
    assert picked_result["label"] == "agent"
    assert [(e["seed"], e["outcome"]) for e in picked] == [(0, "success"), (1, "wrong_object")]
    assert pick_episodes(INFO, per_kind=0)[1] == []
    with pytest.raises(ValueError, match="no results"):
        render_html({**INFO, "results": []})


def browser_or_skip() -> None:
    """Skip where no browser is installed, except in CI (.ci/run installs one)."""
    try:
        find_browser()
    except BrowserUnavailableError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def test_tiny_page_plays_in_chromium(tmp_path: Path) -> None:
    browser_or_skip()
    videos = [{"path": tiny_mp4(tmp_path / "a.mp4", 20), "seed": 0, "outcome": "success",
               "success": True, "mission": "m", "label": "agent", "split": "train"}]  # fmt: skip
    page = tmp_path / "report.html"
    page.write_text(render_html(INFO, videos))
    check = check_page(page)
    assert check.ok, check
    assert check.title.startswith("miniground evaluation")
    assert len(check.videos) == 1 and check.videos[0]["duration"] == pytest.approx(2.0, abs=0.2)
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>undefinedFunction()</script>"
                      "<video src='data:video/mp4;base64,AAAA'></video></body></html>")  # fmt: skip
    bad = check_page(broken, timeout=5)
    assert not bad.ok and bad.console_errors  # the check can fail


@pytest.mark.slow
def test_eval_writes_a_report_that_chromium_renders(tmp_path: Path) -> None:
    browser_or_skip()
    out = tmp_path / "run"
    argv = ["--policy", "expert", "--policy", "random", "--episodes", "3", "--workers", "1",
            "--max-steps", "40", "--report-videos", "1", "--out", str(out), "--quiet"]  # fmt: skip
    assert eval_main(argv) == 0
    page = (out / "report.html").read_text()
    assert page.count("<video") == 1  # the expert's success; it has no failure to show
    assert "No failures among the evaluated episodes" in page
    check = check_page(out / "report.html", screenshot=tmp_path / "shot.png")
    assert check.ok, check
    assert check.videos[0]["duration"] > 1.0
    assert (tmp_path / "shot.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
