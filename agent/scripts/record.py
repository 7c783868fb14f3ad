"""``miniground record``: rollout videos (MP4/GIF) of a checkpoint or a baseline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent.eval.policies import BASELINES, PolicySpec, is_baseline
from agent.eval.video import FPS, record_episodes
from agent.utils.runs import check_out, make_run_dir
from envs.registration import DEFAULT_TASK


def main(argv: list[str] | None = None) -> int:
    """``miniground record``: write rollout videos of a checkpoint or a baseline."""
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(
        prog="miniground record",
        description="Record rollout videos: one MP4 per episode (camera, attention heat-map, "
        "top-down map with trajectory and target, instruction, step, action, outcome), a grid "
        "MP4 of up to four episodes, and GIFs with --gif. Episode i uses env seed --seed + i.",
    )
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--checkpoint", metavar="DIR", help="checkpoint directory")
    who.add_argument("--policy", choices=BASELINES, help="a baseline instead of a checkpoint")
    p.add_argument("--task", default=DEFAULT_TASK, help="MiniGround task id")
    p.add_argument("--split", default="train", help="instruction split")
    p.add_argument("--episodes", type=int, default=4, help="number of episodes")
    p.add_argument("--seed", type=int, default=0, help="env seed of episode 0")
    p.add_argument("--out", default=None, help="output folder (default runs/record__<time>)")
    p.add_argument("--gif", action="store_true", help="also write half-size GIFs")
    p.add_argument("--sample", action="store_true", help="sample agent actions (default argmax)")
    p.add_argument("--no-attention", action="store_true", help="no attention heat-map panel")
    p.add_argument("--no-grid", action="store_true", help="no grid video")
    p.add_argument("--fps", type=int, default=FPS, help="frames per second")
    p.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    p.add_argument("--device", default="cpu", help="torch device of a learned agent")
    args = p.parse_args(argv)
    spec: PolicySpec = args.policy if args.policy else Path(args.checkpoint)
    assert is_baseline(spec) or isinstance(spec, Path)
    if args.fps < 1:
        raise ValueError(f"--fps must be >= 1, got {args.fps}")
    if args.episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    check_out(args.out)
    out = Path(args.out) if args.out else make_run_dir("record")
    env_kwargs = {} if args.max_steps is None else {"max_steps": args.max_steps}
    paths = record_episodes(
        spec, args.task, args.episodes, out, args.seed, args.split, args.gif,
        not args.no_attention, env_kwargs, args.sample, not args.no_grid, args.fps, args.device,
    )  # fmt: skip
    for path in paths:
        print(f"{path}  ({path.stat().st_size / 1024:.0f} KiB)")
    return 0
