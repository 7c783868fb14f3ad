"""``miniground train ppo``: recurrent PPO on parallel envs, from scratch or a checkpoint.

``miniground train ppo --config experiments/ppo_easy.toml --num_envs 2 --total_steps 200000``
``miniground train ppo --resume runs/ppo__1__20250101-120000``
"""

from __future__ import annotations

import argparse
import sys

from agent.learn.ppo_config import PPOConfig, config_from_run
from agent.learn.ppo_run import train
from agent.rollout.vector_env import EnvWorkerError
from agent.utils.configs import describe_fields, load_config


def main(argv: list[str] | None = None) -> int:
    """``miniground train ppo [--config TOML] [--resume RUN_DIR] [--field value ...]``."""
    parser = argparse.ArgumentParser(
        prog="miniground train ppo",
        description="Recurrent PPO on parallel MiniWorld envs, from scratch or a checkpoint.",
        epilog="config fields (--field value, --agent.field value; dashes work too):\n"
        + describe_fields(PPOConfig),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="TOML experiment file (e.g. experiments/ppo_easy.toml)")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue from the last checkpoint")
    args, overrides = parser.parse_known_args(argv)
    if args.resume:
        cfg = config_from_run(args.resume, overrides)
        cfg.run_dir = str(args.resume)
    else:
        cfg = load_config(PPOConfig, args.config, overrides)
    try:
        train(cfg, resume=bool(args.resume))
    except EnvWorkerError as exc:
        print(f"miniground train ppo: error: {exc}", file=sys.stderr)
        return 1
    return 0
