"""Result records: one small JSON per run under ``experiments/results/<experiment>/``.

A record holds the figures (n, successes, Wilson 95% interval, SPL, outcome breakdown, grounding
accuracy) of every evaluated stage x split, for the agent and its instruction-free control, plus
the seed ranges, the command, the code hash and commit, package versions, the machine and the
wall time of each stage. A run is done when its record exists with the same config hash, seed
and code hash; such a record made by another experiment is reused (copied) rather than redone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.experiment.plan import PlannedRun
from agent.utils.io import atomic_write_json

SCHEMA_VERSION = 1
RESULTS_DIR = Path("experiments") / "results"
"""Where committed records live (relative to the repository root)."""


def record_path(results: str | Path, run: PlannedRun) -> Path:
    """``<results>/<experiment>/<run id>.json``."""
    return Path(results) / run.experiment.name / f"{run.run_id}.json"


def read_record(path: str | Path) -> dict[str, Any]:
    """A record, with a clear error when it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"result record {path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path} is not a result record (schema_version {SCHEMA_VERSION})")
    return data


def matches(record: dict[str, Any], run: PlannedRun, code: str) -> bool:
    """Whether ``record`` is the result of ``run`` with the code of hash ``code``."""
    key = record.get("key", {})
    return key == {"config_hash": run.config_hash(), "seed": run.seed, "code_hash": code}


def find_done(results: str | Path, run: PlannedRun, code: str) -> tuple[str, Path | None]:
    """('done', path) when this run's record matches; ('elsewhere', path) when another
    experiment's record of the same work matches; ('stale', path) when the record exists for
    other code or settings; ('todo', None) otherwise."""
    own = record_path(results, run)
    if own.is_file():
        try:
            if matches(read_record(own), run, code):
                return "done", own
        except ValueError:
            pass
    root = Path(results)
    for other in sorted(root.glob(f"*/{run.run_id}.json")):
        if other.parent == own.parent:
            continue
        try:
            if matches(read_record(other), run, code):
                return "elsewhere", other
        except ValueError:
            continue
    return ("stale", own) if own.is_file() else ("todo", None)


def reuse(source: Path, run: PlannedRun, results: str | Path, command: str) -> Path:
    """Copy another experiment's record of the same work into this experiment's directory."""
    record = read_record(source)
    record.update(_naming(run))
    record["reused_from"] = str(source.relative_to(Path(results)))
    record["command"] = command
    return atomic_write_json(record_path(results, run), record)


def _naming(run: PlannedRun) -> dict[str, Any]:
    variant = next((v for v in run.experiment.variants if v.name == run.variant), None)
    return {
        "experiment": run.experiment.meta(),
        "run_id": run.run_id,
        "kind": run.kind,
        "variant": run.variant,
        "variant_index": run.experiment.variants.index(variant) if variant else None,
        "x": variant.x if variant else None,
        "policy": run.policy,
        "task": run.config.task,
    }


def summarize(result: dict[str, Any], stage: str) -> dict[str, Any]:
    """One evaluation result (``run_eval``'s dict) as a compact record row."""
    agg = result["aggregated"]
    per_target = {name: [cell["successes"], cell["episodes"]]
                  for name, cell in sorted(agg.get("per_target", {}).items())}  # fmt: skip
    return {
        "stage": stage,
        "policy": "control" if result.get("control") else result["label"],
        "split": result["split"],
        "control": bool(result.get("control")),
        "n": agg["episodes"],
        "successes": agg["successes"],
        "success_rate": agg["success_rate"],
        "success_ci95": list(agg["success_ci95"]),
        "spl": agg["spl"],
        "outcomes": agg["outcomes"],
        "grounding_accuracy": agg["grounding_accuracy"],
        "confusion": agg["confusion"],
        "mean_steps": agg["mean_steps"],
        "per_target": per_target,
        **({"failures": agg["failures"]} if "failures" in agg else {}),  # how episodes ended
    }


def write_record(
    results: str | Path, run: PlannedRun, code: str, body: dict[str, Any]
) -> Path:  # fmt: skip
    """Write ``run``'s record (atomically): naming, key, then ``body`` (figures, provenance)."""
    record = {
        "schema_version": SCHEMA_VERSION,
        **_naming(run),
        "seed": run.seed,
        "budget": run.budget,
        "key": {"config_hash": run.config_hash(), "seed": run.seed, "code_hash": code},
        **body,
    }
    return atomic_write_json(record_path(results, run), record)


def load_records(results: str | Path, budget: str = "full") -> dict[str, list[dict[str, Any]]]:
    """Every record of ``budget`` under ``results``, by experiment name (sorted by file)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(results).glob("*/*.json")):
        try:
            record = read_record(path)
        except ValueError:
            continue  # other JSON files (older hand-made results) are not records
        if record.get("budget") != budget:
            continue
        out.setdefault(record["experiment"]["name"], []).append(record)
    return out
