"""``miniground bench ppo``: PPO end-to-end env-steps/s next to raw env-steps/s, in one run.

Both use the same vector env, so the same worker processes. Raw: random actions through the same
pipes (measured before and after PPO, averaged, as the machine's load drifts). PPO: whole
iterations (rollout with the agent acting, GAE, the PPO update) with the configured model, after
one warm-up iteration. ``ratio`` = PPO / raw (target >= 0.5 on the CPU).

``--against sb3`` also runs Stable-Baselines3's PPO with the same settings
(:mod:`agent.learn.sb3_baseline`), alternating with ours over ``--rounds`` rounds (target: ours
>= 1.0x SB3's env-steps/s), and every run reports the learner's samples/s against a bare
forward/backward of the same model and batches (:mod:`agent.learn.ppo_speed`, target >= 0.9).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np
import torch

from agent.learn.ppo import PPOTrainer, build_agent
from agent.learn.ppo_config import PPOConfig
from agent.model.proprio import has_proprio
from agent.rollout.vector_env import close_envs, make_vector_env, step_envs
from agent.utils.configs import load_config

TARGET_RATIO = 0.5
WARMUP_RESETS = 10
"""Layouts each worker visits before a raw measurement."""


def raw_steps_per_second(envs: Any, steps: int, seed: int = 0) -> float:
    """Env-steps/s of random actions (all envs together), after a warm-up.

    The warm-up visits several layouts per worker: MiniWorld parses each coloured mesh on first
    use (about 0.1 s), which would otherwise land inside the timed window of the first measure.
    """
    rng = np.random.default_rng(seed)
    for warm in range(WARMUP_RESETS):
        envs.reset(seed=[10_000 + (seed * WARMUP_RESETS + warm) * envs.num_envs + i
                         for i in range(envs.num_envs)])  # fmt: skip
    envs.reset(seed=[seed + i for i in range(envs.num_envs)])
    n_actions = int(envs.single_action_space.n)
    rounds = max(steps // envs.num_envs, 1)
    for _ in range(10):
        step_envs(envs, rng.integers(n_actions, size=envs.num_envs))
    start = time.perf_counter()
    for _ in range(rounds):
        step_envs(envs, rng.integers(n_actions, size=envs.num_envs))
    return rounds * envs.num_envs / (time.perf_counter() - start)


def ppo_steps_per_second(cfg: PPOConfig, envs: Any, iterations: int) -> dict[str, float]:
    """End-to-end PPO env-steps/s over ``iterations`` timed iterations (plus one warm-up)."""
    torch.manual_seed(cfg.seed)
    proprio = has_proprio(envs.single_observation_space)
    agent, ref = build_agent(cfg, int(envs.single_action_space.n), proprioception=proprio)
    trainer = PPOTrainer(cfg, envs, agent, ref)
    trainer.reset_envs()
    trainer.iteration()  # warm-up: allocator, text cache, first-touch costs
    collect = update = 0.0
    start = time.perf_counter()
    for _ in range(iterations):
        stats, _ = trainer.iteration()
        collect, update = collect + stats["collect_s"], update + stats["update_s"]
    seconds = time.perf_counter() - start
    steps = iterations * cfg.batch_steps
    from agent.learn.sb3_baseline import our_flops_per_frame

    return {
        "steps_per_second": steps / seconds,
        "collect_share": collect / seconds,
        "update_share": update / seconds,
        "num_parameters": agent.num_parameters(),
        "flops_per_frame": our_flops_per_frame(agent, cfg.env_kwargs()),
    }


def run(
    cfg: PPOConfig, raw_steps: int, iterations: int, against: str = "raw", rounds: int = 1
) -> dict[str, Any]:
    """Measure raw and PPO env-steps/s on one vector env (and SB3's PPO when ``against`` is
    "sb3", alternating with ours over ``rounds``); return the figures."""
    from agent.learn.ppo_speed import learner_efficiency

    if against == "sb3":
        from agent.learn.sb3_baseline import require_sb3, sb3_steps_per_second

        require_sb3()  # fail before any measurement
    torch.set_num_threads(cfg.threads)
    envs = make_vector_env(cfg.task, cfg.num_envs, cfg.collect_env_kwargs(), cfg.context)
    ours, theirs = [], []
    try:
        raw_before = raw_steps_per_second(envs, raw_steps, cfg.seed)
        for _ in range(rounds):
            ours.append(ppo_steps_per_second(cfg, envs, iterations))
            if against == "sb3":
                theirs.append(sb3_steps_per_second(cfg, iterations))
        learner = learner_efficiency(cfg, envs)
        torch.set_num_threads(cfg.threads)
        raw_after = raw_steps_per_second(envs, raw_steps, cfg.seed + 1)
    finally:
        close_envs(envs)
    raw = (raw_before + raw_after) / 2
    ppo = dict(ours[0], steps_per_second=float(np.median([o["steps_per_second"] for o in ours])))
    result = _result(cfg, raw, raw_before, raw_after, ppo)
    result.update(learner, rounds=rounds, ppo_rounds=[o["steps_per_second"] for o in ours])
    if theirs:
        sps = float(np.median([t["steps_per_second"] for t in theirs]))
        result["sb3"] = dict(theirs[0], steps_per_second=sps,
                             rounds=[t["steps_per_second"] for t in theirs])  # fmt: skip
        result["ratio_vs_sb3"] = ppo["steps_per_second"] / sps
        result["target_ratio_vs_sb3"] = 1.0
    return result


def _result(
    cfg: PPOConfig, raw: float, raw_before: float, raw_after: float, ppo: dict[str, Any]
) -> dict[str, Any]:
    """The figures of one run, without the optional comparisons."""
    return {
        "task": cfg.task,
        "env": cfg.env_kwargs(),
        "num_envs": cfg.num_envs,
        "rollout": f"{cfg.num_envs} x {cfg.num_steps} steps",
        "update": f"{cfg.update_epochs} epochs x {cfg.num_minibatches} minibatches, "
        f"seq_len {cfg.seq_len}",
        "raw_steps_per_second": raw,
        "raw_before_after": [raw_before, raw_after],
        "ppo_steps_per_second": ppo["steps_per_second"],
        "ratio": ppo["steps_per_second"] / raw,
        "target_ratio": TARGET_RATIO,
        "collect_share": ppo["collect_share"],
        "update_share": ppo["update_share"],
        "num_parameters": ppo["num_parameters"],
        "flops_per_frame": ppo["flops_per_frame"],
        "torch_threads": [cfg.threads, cfg.update_threads],
    }


def format_report(r: dict[str, Any]) -> str:
    """The one-screen table of a :func:`run` result."""
    verdict = "meets" if r["ratio"] >= r["target_ratio"] else "misses"
    rows = [
        ("task", f"{r['task']} {r['env']}"),
        ("worker processes", r["num_envs"]),
        ("model parameters", f"{r['num_parameters']:,}"),
        ("PPO iteration", f"rollout {r['rollout']}; {r['update']}"),
        (
            "raw env-steps/s",
            f"{r['raw_steps_per_second']:.0f}  (before {r['raw_before_after'][0]:.0f}"
            f", after {r['raw_before_after'][1]:.0f})",
        ),  # fmt: skip
        (
            "PPO env-steps/s",
            f"{r['ppo_steps_per_second']:.0f}  (time: collect "
            f"{r['collect_share']:.0%}, update {r['update_share']:.0%})",
        ),  # fmt: skip
        ("ratio PPO / raw", f"{r['ratio']:.2f}  ({verdict} the target >= {r['target_ratio']})"),
        ("model FLOPs per frame", f"{r['flops_per_frame'] / 1e6:.1f} M"),
        (
            "learner samples/s",
            f"{r['learner_samples_per_second']:.0f} against {r['bare_samples_per_second']:.0f} "
            f"for a bare forward/backward: {r['learner_ratio']:.2f} (target >= "
            f"{r['learner_target_ratio']})",
        ),  # fmt: skip
    ]
    if "sb3" in r:
        sb3 = r["sb3"]
        rows += [
            (f"SB3 {sb3['version']} env-steps/s", f"{sb3['steps_per_second']:.0f}  "
             f"(ours {r['ppo_steps_per_second']:.0f}; medians of {r['rounds']} rounds)"),
            ("SB3 policy", f"{sb3['policy']}: {sb3['num_parameters']:,} parameters, "
             f"{sb3['flops_per_frame'] / 1e6:.1f} M FLOPs per frame"),
            ("ratio ours / SB3", f"{r['ratio_vs_sb3']:.2f}  (target >= "
             f"{r['target_ratio_vs_sb3']})"),
        ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """``miniground bench ppo [--config TOML] [--raw-steps N] [--iterations I] [--field value]``."""
    parser = argparse.ArgumentParser(
        prog="miniground bench ppo",
        description="PPO end-to-end env-steps/s next to raw env-steps/s (same worker processes).",
        epilog="Any PPO config field too (--field value): see `miniground train ppo --help`.",
    )
    parser.add_argument("--config", help="TOML experiment file (default: PPOConfig defaults)")
    parser.add_argument("--raw-steps", type=int, default=2000, help="raw env steps per measure")
    parser.add_argument("--iterations", type=int, default=3, help="timed PPO iterations")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON here")
    parser.add_argument(
        "--against",
        choices=("raw", "sb3"),
        default="raw",
        help="sb3: also run Stable-Baselines3's PPO with the same settings",
    )
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds of ours and SB3 (medians)")  # fmt: skip
    args, overrides = parser.parse_known_args(argv)
    if args.rounds < 1 or args.iterations < 1 or args.raw_steps < 1:
        parser.error("--rounds, --iterations and --raw-steps must be >= 1")
    cfg = load_config(PPOConfig, args.config, overrides)
    rounds = args.rounds if args.against == "sb3" else 1
    result = run(cfg, args.raw_steps, args.iterations, args.against, rounds)
    print(format_report(result))
    if args.json:
        from agent.utils.io import atomic_write_json
        from agent.utils.versions import versions

        atomic_write_json(args.json, {**result, "versions": versions(), "command": sys.argv})
    else:
        print(json.dumps({k: result[k] for k in ("raw_steps_per_second", "ppo_steps_per_second",
                                                 "ratio")}))  # fmt: skip
    return 0
