"""``miniground experiment run|report``: named experiments end to end, and RESULTS.md from records.

``miniground experiment run experiments/NAME.toml [--seeds K] [--budget smoke|full]`` runs every
run of the experiment whose record is missing under ``experiments/results/NAME/`` (same config,
seed and code hash: done work is never redone, so a suite builds up over several sittings).
``miniground experiment report`` rebuilds ``experiments/results/RESULTS.md`` and its plots from
the committed records alone (``--check``: exit 1 when the file is not what the records give).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent.utils.runs import runs_root


def _run_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miniground experiment run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("experiment", help="experiment file, e.g. experiments/task_families.toml")
    p.add_argument("--seeds", type=int, default=None,
                   help="training seeds 0..K-1 (default: the file's `seeds`)")  # fmt: skip
    p.add_argument("--budget", choices=("smoke", "full"), default="full",
                   help="full: the experiment as written (committed records); smoke: every count "
                   "shrunk so the same code runs in seconds")  # fmt: skip
    p.add_argument("--on", choices=("final", "validation"), default="final",
                   help="evaluation seeds: the final range (records) or validation seeds "
                   "1,100,000.. for development (never reported)")  # fmt: skip
    p.add_argument("--only", default="", help="comma-separated variant names to run")
    p.add_argument("--no-baselines", action="store_true", help="skip the expert/random runs")
    p.add_argument("--no-agents", action="store_true",
                   help="run only the expert/random baselines (minutes, not hours)")  # fmt: skip
    p.add_argument("--results", default=None,
                   help="records directory (default experiments/results for full final runs, "
                   "else $MINIGROUND_RUNS/<budget or validation>_results)")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="list the runs and their state only")
    return p


def _report_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miniground experiment report", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--results", default="experiments/results", help="records directory")
    p.add_argument("--experiments", default="experiments", help="experiment files directory")
    p.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 when RESULTS.md differs from what the records give",
    )
    return p


def run_main(argv: list[str]) -> int:
    """``miniground experiment run``."""
    from agent.experiment.runner import run_experiment

    args = _run_parser().parse_args(argv)
    if args.results is None:
        if args.budget == "full" and args.on == "final":
            args.results = "experiments/results"
        else:
            kind = args.budget if args.budget == "smoke" else "validation"
            args.results = str(runs_root() / f"{kind}_results")
    if args.budget == "full" and args.on == "final" and not Path(args.experiment).is_file():
        raise FileNotFoundError(f"experiment file {args.experiment} does not exist")
    only = tuple(n.strip() for n in args.only.split(",") if n.strip())
    command = " ".join(["miniground", "experiment", "run", *argv])
    run_experiment(args.experiment, args.results, args.seeds, args.budget, args.on, only,
                   not args.no_baselines, not args.no_agents, args.dry_run, command)  # fmt: skip
    return 0


def report_main(argv: list[str]) -> int:
    """``miniground experiment report``."""
    from agent.experiment.report import write_results

    args = _report_parser().parse_args(argv)
    changed = write_results(args.results, args.experiments, check=args.check)
    if args.check and changed:
        print(f"{Path(args.results) / 'RESULTS.md'} is not what the records give: run "
              "`miniground experiment report`", file=sys.stderr)  # fmt: skip
        return 1
    return 0
