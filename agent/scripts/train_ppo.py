"""``miniground train ppo``: recurrent PPO on parallel envs, from scratch or a checkpoint.

``miniground train ppo --config experiments/ppo_easy.toml --num_envs 2 --total_steps 200000``
``miniground train ppo --resume runs/ppo__1__20250101-120000``
"""

from __future__ import annotations

import sys

from agent.learn.ppo_config import PPOConfig, config_from_run
from agent.learn.ppo_run import train
from agent.rollout.vector_env import EnvWorkerError
from agent.utils.configs import parse_command, pop_option
from agent.utils.runs import check_out

DESCRIPTION = """Recurrent PPO on parallel MiniWorld envs, from scratch or a checkpoint.

--resume RUN_DIR: continue a run from its last checkpoint (its saved config; flags override it)."""


def main(argv: list[str] | None = None) -> int:
    """``miniground train ppo [--config TOML] [--resume RUN_DIR] [--field value ...]``."""
    resume, rest = pop_option(list(sys.argv[1:] if argv is None else argv), "--resume")
    prog = "miniground train ppo"
    if resume:
        cfg = config_from_run(resume, rest)
    else:
        cfg = parse_command(PPOConfig, rest, prog, DESCRIPTION)
        check_out(cfg.out, fresh=True)
    try:
        train(cfg, resume=bool(resume))
    except EnvWorkerError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    return 0
