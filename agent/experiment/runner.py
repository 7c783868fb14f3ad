"""``experiment run``: every planned run of an experiment whose record is missing, in order, with
a progress line (done, left, time spent); records of the same work made by another experiment
are reused. The stages themselves are :mod:`agent.experiment.stages`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from agent.experiment.plan import plan_runs
from agent.experiment.progress import Progress
from agent.experiment.provenance import code_hash
from agent.experiment.records import find_done, reuse, write_record
from agent.experiment.spec import load_experiment
from agent.experiment.stages import execute


def run_experiment(
    path: str | Path,
    results: str | Path,
    seeds: int | None = None,
    budget: str = "full",
    on: str = "final",
    only: tuple[str, ...] = (),
    baselines: bool = True,
    agents: bool = True,
    dry_run: bool = False,
    command: str = "",
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Run every run of an experiment whose record is missing; return each run's state."""
    experiment = load_experiment(path)
    runs = plan_runs(experiment, seeds, budget, on)
    names = {v.name for v in experiment.variants}
    unknown = sorted(set(only) - names)
    if unknown:
        raise ValueError(f"unknown variant(s) {', '.join(unknown)} in {path}; "
                         f"variants: {', '.join(v.name for v in experiment.variants)}")  # fmt: skip
    if only:
        tasks = {r.config.task for r in runs if r.kind == "agent" and r.variant in only}
        runs = [r for r in runs if (r.variant in only if r.kind == "agent" else
                                    r.config.task in tasks)]  # fmt: skip
    runs = [r for r in runs if (baselines if r.kind == "baseline" else agents)]
    code = code_hash()
    states = [find_done(results, run, code) for run in runs]
    label = budget if on == "final" else f"{budget}, validation seeds"
    tracker = Progress(experiment.name, label, runs, [s for s, _ in states])
    print(tracker.line())
    if dry_run:
        print(tracker.listing())
        return tracker.summary()
    for i, (run, (state, where)) in enumerate(zip(runs, states, strict=True)):
        if state == "done":
            continue
        if state == "elsewhere":
            assert where is not None
            reuse(where, run, results, command)
            print(f"{run.run_id}: same work recorded in {where}: reused")
            tracker.finish(i, 0.0)
            print(tracker.line())
            continue
        print(f"\n=== {experiment.name}: {run.run_id} ({run.config.task}) ===")
        t0 = time.perf_counter()
        body = execute(run, command, code, progress)
        out = write_record(results, run, code, body)
        tracker.finish(i, time.perf_counter() - t0)
        print(f"record: {out}")
        print(tracker.line())
    return tracker.summary()
