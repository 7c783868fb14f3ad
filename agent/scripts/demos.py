"""``miniground demos``: generate sharded expert demonstrations (see :mod:`agent.rollout.demos`)."""

from __future__ import annotations

import argparse
import time

from agent.backend import add_backend_arguments, make_backend
from agent.rollout import demos
from agent.utils.runs import check_output_dir


def main(argv: list[str] | None = None) -> int:
    """``miniground demos``: generate expert demonstrations."""
    import envs

    parser = argparse.ArgumentParser(prog="miniground demos", description=demos.__doc__)
    parser.add_argument("--task", default=envs.registration.DEFAULT_TASK, help="MiniGround id")
    parser.add_argument("--episodes", type=int, required=True, help="number of episodes")
    parser.add_argument("--out", required=True, help="dataset directory")
    parser.add_argument("--workers", type=int, default=1,
                        help="worker processes (with --backend ray and no --address: the local "
                        "Ray instance's CPUs)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=0, help="seed of the first episode")
    parser.add_argument("--split", default="train", help="instruction split")
    parser.add_argument("--episodes-per-shard", type=int, default=50, help="shard size")
    parser.add_argument(
        "--teacher", default="expert", choices=("expert", "scan"),
        help="expert: privileged planner; scan: turns left until the target was seen first",
    )  # fmt: skip
    add_backend_arguments(parser)
    args = parser.parse_args(argv)
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    check_output_dir(args.out)
    start = time.perf_counter()
    with make_backend(args.backend, args.workers, args.address) as backend:
        manifest = demos.generate_demos(
            args.task,
            args.episodes,
            args.out,
            args.seed,
            args.workers,
            args.split,
            args.episodes_per_shard, teacher=args.teacher, backend=backend,
        )  # fmt: skip
    elapsed = time.perf_counter() - start
    print(
        f"{manifest['episodes']} episodes, {manifest['frames']} frames, "
        f"{manifest['successes']} expert successes, {len(manifest['shards'])} shards in "
        f"{args.out} ({elapsed:.1f}s)"
    )
    return 0
