"""``miniground expert``: run the privileged expert and report success and path efficiency."""

from __future__ import annotations

import argparse
import json

import envs
from agent.rollout.expert import run_expert
from policies.run_expert import format_report


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the expert."""
    parser = argparse.ArgumentParser(prog="miniground expert", description=__doc__)
    parser.add_argument("--task", default=envs.registration.DEFAULT_TASK, help="MiniGround id")
    parser.add_argument("--episodes", type=int, default=100, help="number of episodes")
    parser.add_argument("--seed", type=int, default=0, help="first episode seed")
    parser.add_argument("--split", default="train", help="instruction split")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    envs.registration.check_task(args.task)
    report = run_expert(args.task, args.episodes, args.seed, split=args.split)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0
