"""``miniground envs``: list the task ids with a one-line description each."""

from __future__ import annotations

import argparse
import json

from envs.registration import TASKS


def main(argv: list[str] | None = None) -> int:
    """Print every task id with its description."""
    parser = argparse.ArgumentParser(prog="miniground envs", description="List the task ids.")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps({k: v.description for k, v in TASKS.items()}, indent=2))
        return 0
    width = max(len(k) for k in TASKS)
    for task_id, spec in TASKS.items():
        print(f"{task_id:<{width}}  {spec.description}")
    return 0
