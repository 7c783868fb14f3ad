"""The committed RESULTS.md is exactly what ``miniground experiment report`` builds from the
committed records (and every plot it links exists)."""

from __future__ import annotations

import re
from pathlib import Path

from agent.experiment.records import load_records
from agent.experiment.report import build_results

ROOT = Path(__file__).resolve().parents[3]
RESULTS = ROOT / "experiments" / "results"


def test_results_md_is_what_the_records_give() -> None:
    text, images = build_results(RESULTS, ROOT / "experiments")
    committed = (RESULTS / "RESULTS.md").read_text()
    assert committed == text, (
        "experiments/results/RESULTS.md is not what the records give: run "
        "`miniground experiment report` and commit the result"
    )
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", committed):
        assert (RESULTS / link).is_file(), f"RESULTS.md links a missing plot {link}"
    assert set(images) == set(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", committed))


def test_committed_records_are_full_budget_on_final_seeds() -> None:
    for name, records in load_records(RESULTS).items():
        for record in records:
            where = f"{name}/{record['run_id']}"
            assert record["seed_ranges"]["eval_range"] == "final evaluation", where
            for fig in record["figures"]:
                assert fig["n"] >= 1 and len(fig["success_ci95"]) == 2, where


def test_readme_links_results_md() -> None:
    assert "experiments/results/RESULTS.md" in (ROOT / "README.md").read_text()
