"""Records (skip-if-done, reuse across experiments) and RESULTS.md built from records alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent.eval.metrics import wilson_interval
from agent.experiment.plan import PlannedRun, plan_runs
from agent.experiment.progress import Progress
from agent.experiment.records import find_done, load_records, reuse, summarize, write_record
from agent.experiment.report import build_results, write_results
from agent.experiment.spec import load_experiment
from agent.scripts.experiment import report_main

BARS = """title = "Bars"
order = 1
description = "two fusions"
seeds = 2
[recipe]
stages = ["bc"]
eval = { splits = ["train", "heldout_combos"] }
[[variants]]
name = "film"
set = { bc = { agent = { fusion = "film" } } }
[[variants]]
name = "gated"
set = { bc = { agent = { fusion = "gated" } } }
"""
CURVE = """title = "Curve"
order = 2
plot = "curve"
x_label = "demos"
baselines = []
[recipe]
stages = ["bc"]
eval = { splits = ["train"] }
[[variants]]
name = "d100"
x = 100
set = { demos = { episodes = 100 } }
[[variants]]
name = "d200"
x = 200
set = { demos = { episodes = 200 } }
"""


def result(label: str, split: str, successes: int, n: int, control: bool = False) -> dict:
    """A ``run_eval`` result dict with made-up figures."""
    wrong = (n - successes) // 2
    agg = {
        "episodes": n, "successes": successes, "success_rate": successes / n,
        "success_ci95": list(wilson_interval(successes, n)), "spl": 0.5 * successes / n,
        "outcomes": {"success": successes, "wrong_object": wrong,
                     "timeout": n - successes - wrong},
        "grounding_accuracy": None, "confusion": {"same_color": 1, "same_shape": 0, "neither": 0},
        "mean_steps": 40.0, "per_target": {"red box": {"successes": 1, "episodes": 2}},
    }  # fmt: skip
    return {"label": label, "split": split, "control": control, "aggregated": agg}


def body(run: PlannedRun, successes: int) -> dict[str, Any]:
    """A record body as ``execute`` returns it, with made-up figures."""
    figures = []
    for split in run.config.eval.splits:
        if run.kind == "baseline":
            figures.append(summarize(result(run.policy, split, 190, 200), "baseline"))
            continue
        figures.append({**summarize(result("bc", split, successes, 200), "bc"), "policy": "agent"})
        control = result("bc [control]", split, 40, 200, control=True)
        figures.append({**summarize(control, "bc"), "policy": "control"})
    return {
        "figures": figures,
        "seed_ranges": {"eval": [2_000_000, 2_000_199], "eval_range": "final evaluation",
                        "demos": [run.seed * 100_000, run.seed * 100_000 + 99]},
        "timings_s": {"bc": 100.0, "eval": 50.0, "total": 150.0},
        "code": {"hash": "c0de", "head": "abc123", "dirty": False},
        "machine": {"cores": 2, "cpu": "test CPU", "gpu": "none"},
        "command": "miniground experiment run x.toml",
    }  # fmt: skip


@pytest.fixture
def suite(tmp_path: Path) -> tuple[Path, Path]:
    """An experiments directory with two experiments and a results directory of full records."""
    exp_dir, results = tmp_path / "experiments", tmp_path / "results"
    exp_dir.mkdir()
    (exp_dir / "bars.toml").write_text(BARS)
    (exp_dir / "curve.toml").write_text(CURVE)
    (exp_dir / "not_an_experiment.toml").write_text("task = 'x'\n")  # a train ppo config
    for name, rates in (("bars", [120, 130, 150, 170]), ("curve", [80, 140])):
        runs = plan_runs(load_experiment(exp_dir / f"{name}.toml"))
        agent_runs = [r for r in runs if r.kind == "agent"]
        for run, successes in zip(agent_runs, rates, strict=True):
            write_record(results, run, "c0de", body(run, successes))
        for run in runs:
            if run.kind == "baseline":
                write_record(results, run, "c0de", body(run, 0))
    return exp_dir, results


def test_skip_if_done_stale_and_reuse(suite: tuple[Path, Path], tmp_path: Path) -> None:
    exp_dir, results = suite
    runs = plan_runs(load_experiment(exp_dir / "bars.toml"))
    assert [find_done(results, r, "c0de")[0] for r in runs] == ["done"] * len(runs)
    assert {find_done(results, r, "other")[0] for r in runs} == {"stale"}  # new code: redo
    bigger = plan_runs(load_experiment(exp_dir / "bars.toml"), seeds=3)
    assert [find_done(results, r, "c0de")[0] for r in bigger].count("todo") == 2
    # the same work under another experiment's name is found and copied, not redone
    (exp_dir / "copy.toml").write_text(BARS.replace('title = "Bars"', 'title = "Copy"'))
    copy_runs = plan_runs(load_experiment(exp_dir / "copy.toml"))
    state, where = find_done(results, copy_runs[0], "c0de")
    assert state == "elsewhere" and where is not None and where.parent.name == "bars"
    out = reuse(where, copy_runs[0], results, "cmd")
    record = json.loads(out.read_text())
    assert record["experiment"]["title"] == "Copy" and record["reused_from"].startswith("bars/")
    assert find_done(results, copy_runs[0], "c0de")[0] == "done"
    tracker = Progress("bars", "full", bigger, [find_done(results, r, "c0de")[0] for r in bigger])
    line = tracker.line()
    assert "8 runs: 6 done, 2 left" in line and "film__seed2" in line


def test_smoke_records_never_reach_the_report(suite: tuple[Path, Path]) -> None:
    exp_dir, results = suite
    run = plan_runs(load_experiment(exp_dir / "bars.toml"), budget="smoke")[0]
    write_record(results / "smoke", run, "c0de", body(run, 1))
    assert "smoke" not in load_records(results)
    assert load_records(results / "smoke") == {}


def test_results_md_from_records(suite: tuple[Path, Path]) -> None:
    exp_dir, results = suite
    text, images = build_results(results, exp_dir)
    assert text.index("## Bars") < text.index("## Curve")
    assert "Status: 8 of 8 planned runs recorded" in text and "records 0.33 h." in text
    assert "Records: 6 of 6 planned runs (2 training seeds)." in text
    # every figure: success, its Wilson interval and n; the control and the baselines beside it
    assert "| film | 0 | bc | train | 60.0 [53.1, 66.5] n=200 | 20.0 [15.0, 26.1] n=200 |" in text
    assert "95.0 [91.0, 97.3] n=200" in text  # the expert baseline
    assert (
        "| MiniGround/GoToObject-v0 | random | heldout_combos | 95.0 [91.0, 97.3] n=200 |" in text
    )
    assert "2,000,000..2,000,199" in text and "0..99, 100,000..100,099" in text
    # seed spread: film seeds 0, 1 scored 60% and 75%
    assert "| film | bc | train | 0,1 | 67.5 | 10.6 | 60.0..75.0 |" in text
    assert "Machine time of these records: 0.25 h (900 s" in text
    assert set(images) == {"bars/bars.png", "curve/curve.png"}
    assert all(png.startswith(b"\x89PNG") for png in images.values())
    assert "not_an_experiment" not in text


def test_missing_runs_and_notes(suite: tuple[Path, Path]) -> None:
    exp_dir, results = suite
    (results / "curve" / "d200__seed0.json").unlink()
    (results / "curve" / "notes.md").write_text("**Headline:** more demos help.\n")
    text, _ = build_results(results, exp_dir)
    assert "Records: 1 of 2 planned runs" in text
    assert "Missing (1): d200__seed0" in text
    assert "**Headline:** more demos help." in text


def test_report_check_fails_when_results_md_is_stale(suite: tuple[Path, Path], capsys) -> None:
    exp_dir, results = suite
    args = ["--results", str(results), "--experiments", str(exp_dir)]
    assert report_main([*args, "--check"]) == 1  # not written yet
    assert report_main(args) == 0
    assert (results / "bars" / "bars.png").is_file()
    assert report_main([*args, "--check"]) == 0
    path = results / "RESULTS.md"
    path.write_text(path.read_text().replace("60.0 [53.1, 66.5]", "99.0 [53.1, 66.5]"))
    assert report_main([*args, "--check"]) == 1
    assert "not what the records give" in capsys.readouterr().err
    assert write_results(results, exp_dir) is True
    assert report_main([*args, "--check"]) == 0


def test_dropped_dagger_round_is_named_in_the_table() -> None:
    from agent.experiment.report import _agent_table

    fig = {**summarize(result("dagger", "train", 90, 200), "dagger"), "policy": "agent"}
    record = {
        "kind": "agent",
        "variant": "hard",
        "variant_index": 0,
        "seed": 0,
        "task": "MiniGround/GoToObjectHard-v0",
        "policy": "agent",
        "figures": [fig],
    }
    kept_bc = "\n".join(_agent_table([{**record, "kept": "bc"}]))
    kept_dagger = "\n".join(_agent_table([{**record, "kept": "dagger"}]))
    assert "| hard | 0 | dagger (BC kept) | train | 45.0" in kept_bc
    assert "| hard | 0 | dagger | train | 45.0" in kept_dagger


def test_success_per_target_pair_beside_the_control(suite: tuple[Path, Path]) -> None:
    exp_dir, results = suite
    text, _ = build_results(results, exp_dir)
    section = text[text.index("## Bars") : text.index("## Curve")]
    assert "<details><summary>Success per target pair" in section
    # one table per split, a column per variant and seed (two seeds here), control in brackets
    assert "| target | film s0 | film s1 | gated s0 | gated s1 |" in section
    assert "`heldout_combos`:" in section
    assert "| red box | 1/2 (1/2) | 1/2 (1/2) | 1/2 (1/2) | 1/2 (1/2) |" in section


def test_curve_draws_control_and_baselines_per_split() -> None:
    from agent.experiment.plots import curve, curve_axes

    def row(split: str, x: int, rate: float, control: bool) -> dict[str, Any]:
        lo, hi = wilson_interval(int(rate * 100), 100)
        return {"split": split, "x": x, "seed": 0, "control": control, "success_rate": rate,
                "success_ci95": [lo, hi]}  # fmt: skip

    points = ((250, 0.4), (500, 0.5))
    rows = [row(s, x, r, c) for s in ("train", "heldout_combos") for x, r in points
            for c in (False, True)]  # fmt: skip
    bases = [{**row(s, 0, r, False), "policy": p} for s in ("train", "heldout_combos")
             for p, r in (("expert", 1.0), ("random", 0.15))]  # fmt: skip
    ax = curve_axes(rows, ["train", "heldout_combos"], "demos", "t", bases)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for split in ("train", "heldout_combos"):
        assert {split, f"{split}: control", f"{split}: expert", f"{split}: random"} <= set(labels)
    styles = {line.get_label(): line.get_linestyle() for line in ax.get_lines()}
    assert styles["train: expert"] != styles["train: random"]
    assert styles["train: random"] == styles["heldout_combos: random"]
    control = next(line for line in ax.get_lines() if line.get_label() == "train: control")
    assert list(control.get_ydata()) == [0.4, 0.5] and control.get_linestyle() == "--"
    assert curve(rows, ["train"], "demos", "t").startswith(b"\x89PNG")
