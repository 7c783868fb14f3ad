"""``miniground bench backend``: demos/s and evaluation episodes/s, local processes vs Ray.

Both backends run the same work side by side in one process: expert demonstrations (shards)
and a greedy evaluation of an untrained default agent (its checkpoint shipped to the Ray
workers as files), with the same number of CPUs (``--workers`` local processes; a local Ray
instance with ``--workers`` CPUs, or the cluster at ``--address``). Ray's start-up is timed
apart; each throughput includes the workers' start (fresh processes). The outputs must match:
the bench checks that the demo files are byte-identical and the evaluation records equal.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.backend import ADDRESS_HELP, LocalBackend
from agent.eval.evaluation import evaluate
from agent.eval.policies import task_action_names
from agent.rollout.demos import generate_demos
from envs.registration import DEFAULT_TASK, check_task


def _files(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


def bench_backend(
    task: str = DEFAULT_TASK,
    demos: int = 200,
    eval_episodes: int = 100,
    workers: int = 2,
    address: str | None = None,
    episodes_per_shard: int = 25,
    max_steps: int | None = None,
) -> dict[str, Any]:
    """Time demos and evaluation on the local backend and on Ray; compare their outputs."""
    import torch

    from agent.backend.ray_backend import RayBackend, shutdown_ray
    from agent.model.agent import Agent
    from agent.model.config import AgentConfig

    report: dict[str, Any] = {"task": task, "demos": demos, "eval_episodes": eval_episodes,
                              "workers": workers, "address": address or "local Ray instance",
                              "episodes_per_shard": episodes_per_shard,
                              "eval_max_steps": max_steps}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-backend-") as tmp:
        root = Path(tmp)
        torch.manual_seed(0)
        ckpt = root / "untrained"
        Agent(AgentConfig(num_actions=len(task_action_names(task)))).save_pretrained(ckpt)
        start = time.perf_counter()
        ray_backend = RayBackend(address=address, workers=workers)
        report["ray_start_seconds"] = round(time.perf_counter() - start, 2)
        report["ray_cpus"] = ray_backend.workers
        outputs: dict[str, Any] = {}
        env_kwargs = {} if max_steps is None else {"max_steps": max_steps}
        try:
            for name, backend in (("local", LocalBackend(workers)), ("ray", ray_backend)):
                out = root / f"demos_{name}"
                start = time.perf_counter()
                manifest = generate_demos(task, demos, out, seed=0, workers=workers,
                                          episodes_per_shard=episodes_per_shard,
                                          progress=False, backend=backend)  # fmt: skip
                demo_s = time.perf_counter() - start
                start = time.perf_counter()
                records = evaluate(ckpt, task, "train", eval_episodes, 2_000_000, workers,
                                   env_kwargs, progress=False, backend=backend)  # fmt: skip
                eval_s = time.perf_counter() - start
                outputs[name] = (_files(out), records)
                report[name] = {
                    "demos_seconds": round(demo_s, 2),
                    "demos_per_second": round(demos / demo_s, 2),
                    "demo_frames_per_second": round(manifest["frames"] / demo_s, 1),
                    "eval_seconds": round(eval_s, 2),
                    "eval_episodes_per_second": round(eval_episodes / eval_s, 2),
                    "eval_steps_per_second": round(sum(r["steps"] for r in records) / eval_s, 1),
                }
        finally:
            shutdown_ray()
    report["demos_identical"] = outputs["local"][0] == outputs["ray"][0]
    report["eval_records_identical"] = outputs["local"][1] == outputs["ray"][1]
    for key in ("demos_per_second", "eval_episodes_per_second"):
        report[f"ray_over_local_{key}"] = round(report["ray"][key] / report["local"][key], 3)
    return report


def main(argv: list[str] | None = None) -> int:
    """``miniground bench backend``: the Ray backend's overhead next to local processes."""
    p = argparse.ArgumentParser(prog="miniground bench backend", description=__doc__)
    p.add_argument("--task", default=DEFAULT_TASK, help="MiniGround task id")
    p.add_argument("--demos", type=int, default=200, help="expert demonstration episodes")
    p.add_argument("--episodes-per-shard", type=int, default=25, help="demo shard size")
    p.add_argument("--eval-episodes", type=int, default=100, help="evaluation episodes")
    p.add_argument("--workers", type=int, default=2, help="local processes = Ray CPUs")
    p.add_argument("--max-steps", type=int, default=None, help="evaluation episodes' step limit")
    p.add_argument("--address", default=None, metavar="ADDR", help=ADDRESS_HELP)
    p.add_argument("--json", action="store_true", help="print a JSON object")
    args = p.parse_args(argv)
    check_task(args.task)
    if min(args.demos, args.eval_episodes, args.workers, args.episodes_per_shard) < 1:
        raise ValueError(
            "--demos, --eval-episodes, --episodes-per-shard and --workers must be >= 1"
        )
    report = bench_backend(args.task, args.demos, args.eval_episodes, args.workers, args.address,
                           args.episodes_per_shard, args.max_steps)  # fmt: skip
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    r = report
    print(f"{args.task}: {args.demos} demos ({args.episodes_per_shard}/shard), "
          f"{args.eval_episodes} eval episodes (untrained agent), {args.workers} workers; "
          f"Ray start-up {r['ray_start_seconds']:.1f}s ({r['ray_cpus']} CPUs)")  # fmt: skip
    print(f"{'backend':<8} {'demos/s':>9} {'demo frames/s':>14} {'eval ep/s':>10} "
          f"{'eval steps/s':>13}")  # fmt: skip
    for name in ("local", "ray"):
        b = report[name]
        print(f"{name:<8} {b['demos_per_second']:>9.2f} {b['demo_frames_per_second']:>14.0f} "
              f"{b['eval_episodes_per_second']:>10.2f} "
              f"{b['eval_steps_per_second']:>13.0f}")  # fmt: skip
    print(f"ray / local: demos {r['ray_over_local_demos_per_second']:.2f}, eval "
          f"{r['ray_over_local_eval_episodes_per_second']:.2f}; outputs identical: demos "
          f"{r['demos_identical']}, eval records {r['eval_records_identical']}")  # fmt: skip
    return 0
