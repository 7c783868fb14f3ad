"""``miniground eval`` (grounding metrics of checkpoints and baselines) and ``bench eval``.

A learned agent acts greedily (argmax) unless ``--sample``. Episode i of every policy and split runs
with env seed ``--seed + i``, so rows of one table see the same layouts and the results do not
depend on ``--workers``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.eval_report import default_run_dir, eval_info, format_table, write_report
from agent.evaluation import (
    BASELINES,
    EvaluationWorkerError,
    PolicySpec,
    evaluate,
    evaluate_many,
    policy_label,
    task_action_names,
)
from agent.metrics import aggregate
from envs.language import SPLITS, check_split
from envs.registration import DEFAULT_TASK, check_task

EVAL_HELP = (
    "Evaluate checkpoints and baselines on one task and one or more splits: success rate (Wilson "
    "95% interval), SPL, outcomes, grounding accuracy, wrong-object confusion and episode length. "
    "Writes eval_info.json, eval.csv, episodes.csv and eval.png. Learned agents act greedily "
    "(argmax) unless --sample; episode i runs with env seed --seed + i whatever --workers."
)


def parse_splits(values: list[str] | None) -> list[str]:
    """Splits from repeated and/or comma-separated ``--split`` values (default: train)."""
    splits: list[str] = []
    for value in values or ["train"]:
        for name in value.split(","):
            name = name.strip()
            if name and check_split(name) not in splits:
                splits.append(name)
    if not splits:
        raise ValueError(f"--split is empty; choose from {', '.join(SPLITS)}")
    return splits


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miniground eval", description=EVAL_HELP)
    p.add_argument("--checkpoint", action="append", default=[], metavar="DIR",
                   help="checkpoint directory (repeat to compare several)")  # fmt: skip
    p.add_argument("--policy", action="append", default=[], choices=BASELINES,
                   help="a baseline to evaluate too (repeatable): expert = upper bar, random = "
                   "lower bar")  # fmt: skip
    p.add_argument("--task", default=DEFAULT_TASK, help="MiniGround task id")
    p.add_argument("--split", action="append", metavar="SPLIT",
                   help=f"{'|'.join(SPLITS)}; repeat or comma-list (default train)")  # fmt: skip
    p.add_argument("--episodes", type=int, default=100, help="episodes per policy and split")
    p.add_argument("--seed", type=int, default=0, help="env seed of episode 0")
    p.add_argument("--workers", type=int, default=_default_workers(),
                   help="worker processes, one env each (1: in this process)")  # fmt: skip
    p.add_argument("--sample", action="store_true", help="sample agent actions (default argmax)")
    p.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    p.add_argument("--device", default="cpu", help="torch device of learned agents")
    p.add_argument("--out", default=None, help="output folder (default runs/eval__<time>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def run_eval(
    specs: list[PolicySpec],
    task: str,
    splits: list[str],
    episodes: int,
    seed: int = 0,
    workers: int = 1,
    env_kwargs: dict[str, Any] | None = None,
    sample: bool = False,
    device: str = "cpu",
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Evaluate every policy on every split; one result dict per pair (see eval_report)."""
    labels = [policy_label(s) for s in specs]
    grouped = evaluate_many(specs, task, splits, episodes, seed, workers, env_kwargs, sample,
                            device, progress)  # fmt: skip
    results = []
    pairs = [(spec, label, split) for spec, label in zip(specs, labels, strict=True)
             for split in splits]  # fmt: skip
    for (spec, label, split), records in zip(pairs, grouped, strict=True):
        unique = label if labels.count(label) == 1 else str(spec)
        results.append({"policy": str(spec), "label": unique, "split": split,
                        "aggregated": aggregate(records), "per_episode": records})  # fmt: skip
    return results


def main(argv: list[str] | None = None) -> int:
    """``miniground eval``: evaluate, write the run folder, print the table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    specs: list[PolicySpec] = [Path(c) for c in args.checkpoint] + list(args.policy)
    if not specs:
        raise ValueError("nothing to evaluate: give --checkpoint DIR and/or --policy expert|random")
    check_task(args.task)
    splits = parse_splits(args.split)
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    env_kwargs = {} if args.max_steps is None else {"max_steps": args.max_steps}
    start = time.perf_counter()
    try:
        results = run_eval(specs, args.task, splits, args.episodes, args.seed, args.workers,
                           env_kwargs, args.sample, args.device, not args.quiet)  # fmt: skip
    except EvaluationWorkerError as exc:
        print(f"miniground eval: error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else default_run_dir("eval")
    info = eval_info(
        results, shlex.join(["miniground", "eval", *argv]), task=args.task, splits=splits,
        episodes=args.episodes, seed=args.seed, workers=args.workers, sample=args.sample,
        env_kwargs=env_kwargs, wall_seconds=round(time.perf_counter() - start, 2),
    )  # fmt: skip
    paths = write_report(out, info)
    print(f"{args.task}, {args.episodes} episodes per row, seeds {args.seed}..")
    print(format_table(results))
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


# ------------------------------------------------------------------------------------- bench
def bench_eval(task: str = DEFAULT_TASK, episodes: int = 200, workers: int = 2) -> dict[str, Any]:
    """Time ``episodes`` evaluation episodes of an untrained default agent and of the expert."""
    import torch

    from agent.model.agent import Agent
    from agent.model.config import AgentConfig

    report: dict[str, Any] = {"task": task, "episodes": episodes, "workers": workers}
    with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp:
        torch.manual_seed(0)
        Agent(AgentConfig(num_actions=len(task_action_names(task)))).save_pretrained(tmp)
        for name, spec in (("untrained_agent", Path(tmp)), ("expert", "expert")):
            start = time.perf_counter()
            records = evaluate(spec, task, "train", episodes, 0, workers, progress=False)
            wall = time.perf_counter() - start
            steps = sum(r["steps"] for r in records)
            report[name] = {
                "wall_seconds": round(wall, 2),
                "episodes_per_second": round(episodes / wall, 2),
                "steps_per_second": round(steps / wall, 1),
                "mean_steps": round(steps / episodes, 1),
                "success_rate": aggregate(records)["success_rate"],
            }
    return report


def bench_main(argv: list[str] | None = None) -> int:
    """``miniground bench eval``: wall time and episodes/s of a full evaluation."""
    p = argparse.ArgumentParser(prog="miniground bench eval", description=bench_eval.__doc__)
    p.add_argument("--task", default=DEFAULT_TASK, help="MiniGround task id")
    p.add_argument("--episodes", type=int, default=200, help="episodes per policy")
    p.add_argument("--workers", type=int, default=2, help="worker processes")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    args = p.parse_args(argv)
    check_task(args.task)
    if args.episodes < 1 or args.workers < 1:
        raise ValueError("--episodes and --workers must be >= 1")
    report = bench_eval(args.task, args.episodes, args.workers)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{args.task}: {args.episodes} episodes, {args.workers} workers (incl. start-up)")
    print(f"{'policy':<16} {'wall s':>8} {'episodes/s':>11} {'steps/s':>9} {'mean steps':>11}")
    for name in ("untrained_agent", "expert"):
        r = report[name]
        print(f"{name:<16} {r['wall_seconds']:>8.1f} {r['episodes_per_second']:>11.2f} "
              f"{r['steps_per_second']:>9.0f} {r['mean_steps']:>11.1f}")  # fmt: skip
    return 0
