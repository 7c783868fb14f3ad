"""``miniground experiment run --budget smoke``: the real stages end to end, records, skipping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.cli import main as cli_main
from agent.experiment.provenance import code_hash
from agent.utils.seeds import FINAL_EVAL_SEEDS

ROOT = Path(__file__).resolve().parents[3]
EXPERIMENTS = ROOT / "experiments"


@pytest.mark.slow
def test_smoke_run_writes_records_then_skips_them(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MINIGROUND_RUNS", str(tmp_path / "runs"))
    results = tmp_path / "results"
    argv = ["experiment", "run", str(EXPERIMENTS / "imitation_rl.toml"), "--budget", "smoke",
            "--seeds", "1", "--results", str(results)]  # fmt: skip
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert "imitation_rl (smoke): 3 runs: 0 done, 3 left" in out
    assert "imitation_rl (smoke): 3 runs: 3 done, 0 left" in out
    files = sorted(p.name for p in (results / "imitation_rl").glob("*.json"))
    assert files == ["baseline__GoToObject__expert.json", "baseline__GoToObject__random.json",
                     "bc_dagger_ppo__seed0.json"]  # fmt: skip
    record = json.loads((results / "imitation_rl" / "bc_dagger_ppo__seed0.json").read_text())
    assert record["budget"] == "smoke" and record["key"]["code_hash"] == code_hash()
    # every stage's agent and its control, on every split, with n and an interval
    cells = {(f["stage"], f["policy"], f["split"]) for f in record["figures"]}
    assert cells == {(s, p, split) for s in ("bc", "dagger", "ppo") for p in ("agent", "control")
                     for split in ("train", "heldout_combos", "paraphrase")}  # fmt: skip
    for fig in record["figures"]:
        low, high = fig["success_ci95"]
        assert fig["n"] == 1 and 0 <= low <= fig["success_rate"] <= high <= 1
        assert sum(fig["outcomes"].values()) == fig["n"]
    ranges = record["seed_ranges"]
    assert ranges["eval"][0] in FINAL_EVAL_SEEDS and ranges["eval_range"] == "final evaluation"
    assert ranges["demos"] == [0, 3] and ranges["ppo_seed"] == 4_000_000
    assert set(record["timings_s"]) >= {"demos", "bc", "dagger", "ppo", "eval", "record", "total"}
    assert record["machine"]["cores"] >= 1 and record["versions"]["torch"]
    assert record["command"].startswith("miniground experiment run")
    assert len(record["videos"]) == 1
    assert (Path(record["run_dir"]) / record["videos"][0]).is_file()
    expert = json.loads(
        (results / "imitation_rl" / "baseline__GoToObject__expert.json").read_text()
    )
    assert {f["policy"] for f in expert["figures"]} == {"expert"}
    assert all(f["n"] == 1 for f in expert["figures"])

    stamps = {p: p.stat().st_mtime_ns for p in (results / "imitation_rl").glob("*.json")}
    assert cli_main(argv) == 0  # a second sitting redoes nothing
    assert "3 runs: 3 done, 0 left" in capsys.readouterr().out
    assert stamps == {p: p.stat().st_mtime_ns for p in (results / "imitation_rl").glob("*.json")}
    # smoke records never reach RESULTS.md
    report = ["experiment", "report", "--results", str(results), "--experiments", str(EXPERIMENTS)]
    assert cli_main(report) == 0
    text = (results / "RESULTS.md").read_text()
    assert "## 5. Imitation then RL" in text and "Records: 0 of 4 planned runs" in text


def test_bad_command_lines_are_clear_errors(tmp_path: Path, capsys) -> None:
    run = ["experiment", "run"]
    assert cli_main([*run, str(tmp_path / "nope.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli_main([*run, str(EXPERIMENTS / "ppo_easy.toml"), "--dry-run"]) == 2
    assert "not an experiment file" in capsys.readouterr().err
    families = str(EXPERIMENTS / "task_families.toml")
    assert cli_main([*run, families, "--only", "GoTo", "--dry-run"]) == 2
    assert "unknown variant(s) GoTo" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli_main([*run, families, "--budget", "huge"])
    assert "invalid choice" in capsys.readouterr().err


def test_dry_run_lists_the_plan(tmp_path: Path, capsys) -> None:
    families = str(EXPERIMENTS / "task_families.toml")
    argv = ["experiment", "run", families, "--dry-run", "--results", str(tmp_path),
            "--only", "PutNext,Sequence"]  # fmt: skip
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    assert "task_families (full): 6 runs: 0 done, 6 left" in out
    assert "PutNext__seed0" in out and "baseline__Sequence__random" in out
    assert "GoToObject__seed0" not in out
