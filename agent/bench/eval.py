"""``miniground bench eval``: wall time of a 200-episode evaluation (untrained agent, expert)."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.eval.evaluation import evaluate
from agent.eval.metrics import aggregate
from agent.eval.policies import task_action_names
from envs.registration import DEFAULT_TASK, check_task


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


def main(argv: list[str] | None = None) -> int:
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
