"""``miniground bench agent``: parameter counts and per-step latency of every fusion x text encoder.

Each combination acts (no grad, steady state: instruction encodings cached as in a rollout) on
batches of 1 and 16 frames; one environment step is measured in the same run. ``ratio`` is the
default configuration's cost per env at batch 16 divided by one env step (target <= 0.5 on the CPU:
the simulator, not the agent, should set the pace of acting). Latencies are medians.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from agent.model.config import FUSIONS, AgentConfig
from agent.utils.device import DEVICE_CHOICES, resolve_device

TEXT_ENCODERS = ("transformer", "gru", "pretrained:minilm")
ENV_ID = "MiniGround/GoToObject-v1"
FALLBACK_ENV_ID = "MiniWorld-OneRoom-v0"
TARGET_RATIO = 0.5


def _median_ms(fn: Callable[[], Any], repeats: int, sync: Callable[[], None]) -> float:
    """Median wall time of ``fn`` in milliseconds, after a short warm-up."""
    for _ in range(max(3, repeats // 10)):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def measure_env_step(steps: int, seed: int = 0) -> dict[str, Any]:
    """Median time of one env step (resets excluded), on the MiniGround go-to task if registered."""
    import gymnasium as gym

    try:
        import envs  # noqa: F401  (headless rendering + MiniGround registration)
    except Exception:  # the env package is optional for this benchmark
        os.environ.setdefault("PYGLET_HEADLESS", "true")
    env_id = ENV_ID if ENV_ID in gym.registry else FALLBACK_ENV_ID
    if env_id == FALLBACK_ENV_ID:
        import miniworld  # noqa: F401  (registers MiniWorld-* ids)
    with contextlib.redirect_stdout(sys.stderr):  # miniworld prints GL notes to stdout
        env = gym.make(env_id)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        times = []
        for _ in range(steps):
            action = int(rng.integers(3))
            start = time.perf_counter()
            _, _, terminated, truncated, _ = env.step(action)
            times.append(time.perf_counter() - start)
            if terminated or truncated:
                with contextlib.redirect_stdout(sys.stderr):
                    env.reset()
    finally:
        env.close()
    return {"id": env_id, "step_ms": 1e3 * statistics.median(times), "steps": steps}


def measure_agent(config: AgentConfig, device: torch.device, repeats: int) -> dict[str, Any]:
    """Parameter counts and act() latency at batch 1 and 16 for one configuration."""
    from agent.model.agent import Agent
    from envs.language import COLORS, SHAPES

    torch.manual_seed(0)
    agent = Agent(config).to(device).eval()
    missions = [f"go to the {c} {s}" for c in COLORS for s in SHAPES]
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    row: dict[str, Any] = {
        "fusion": config.fusion,
        "text_encoder": config.text_encoder,
        "params": agent.num_parameters(),
        "trainable_params": agent.num_parameters(trainable_only=True),
    }
    rng = np.random.default_rng(0)
    for batch in (1, 16):
        images = rng.integers(0, 256, (batch, config.obs_height, config.obs_width, 3), np.uint8)
        state = {"memory": agent.initial_memory(batch)}
        starts = torch.zeros(batch, dtype=torch.bool)
        batch_missions = missions[:batch]

        def step(images=images, state=state, starts=starts, batch_missions=batch_missions):
            with torch.no_grad():
                state["memory"] = agent.act(images, batch_missions, state["memory"], starts).memory

        row[f"batch{batch}_ms"] = _median_ms(step, repeats, sync)
    row["batch16_per_env_ms"] = row["batch16_ms"] / 16
    return row


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure the env step and every combination; return the report."""
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    default = AgentConfig()
    load_before = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    env = measure_env_step(args.env_steps)
    rows: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    for text_encoder in TEXT_ENCODERS:
        for fusion in FUSIONS:
            config = AgentConfig(fusion=fusion, text_encoder=text_encoder)
            try:
                rows.append(measure_agent(config, device, args.repeats))
            except FileNotFoundError as exc:  # pretrained encoder not installed
                skipped.append({"fusion": fusion, "text_encoder": text_encoder, "reason": str(exc)})
    for row in rows:
        row["default"] = (row["fusion"], row["text_encoder"]) == (
            default.fusion,
            default.text_encoder,
        )
    best = next(r for r in rows if r["default"])
    return {
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "load_average_1min": load_before,
        "env": env,
        "default": {"fusion": default.fusion, "text_encoder": default.text_encoder},
        "ratio": best["batch16_per_env_ms"] / env["step_ms"],
        "ratio_batch1": best["batch1_ms"] / env["step_ms"],
        "target_ratio": TARGET_RATIO,
        "combinations": rows,
        "skipped": skipped,
    }


def format_report(report: dict[str, Any]) -> str:
    """A readable table of the report."""
    head = f"{'fusion':<16}{'text encoder':<19}{'params':>10}{'trainable':>11}"
    head += f"{'b1 ms':>8}{'b16 ms':>8}{'b16/env ms':>11}"
    lines = [
        f"device {report['device']}, torch threads {report['torch_threads']} "
        f"(cpu count {report['cpu_count']}, load average {report['load_average_1min']} "
        "before the run), latencies are medians of act() under no_grad",
        head,
        "-" * len(head),
    ]
    for r in report["combinations"]:
        mark = " *" if r["default"] else ""
        lines.append(
            f"{r['fusion']:<16}{r['text_encoder']:<19}{r['params']:>10,}{r['trainable_params']:>11,}"
            f"{r['batch1_ms']:>8.2f}{r['batch16_ms']:>8.2f}{r['batch16_per_env_ms']:>11.3f}{mark}"
        )
    for s in report["skipped"]:
        lines.append(f"{s['fusion']:<16}{s['text_encoder']:<19}skipped: {s['reason']}")
    env = report["env"]
    ok = "OK" if report["ratio"] <= report["target_ratio"] else "ABOVE TARGET"
    lines += [
        f"env step ({env['id']}): {env['step_ms']:.3f} ms (median of {env['steps']})",
        f"ratio (default * = {report['default']['fusion']} + {report['default']['text_encoder']},"
        f" batch 16 per env / env step): {report['ratio']:.3f} "
        f"(target <= {report['target_ratio']}: {ok}); batch 1: {report['ratio_batch1']:.3f}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``miniground bench agent``."""
    parser = argparse.ArgumentParser(prog="miniground bench agent", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    parser.add_argument("--repeats", type=int, default=100, help="timed act() calls per batch")
    parser.add_argument("--env-steps", type=int, default=300, help="timed env steps")
    parser.add_argument("--device", default="cpu", choices=DEVICE_CHOICES)
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch CPU threads (default: all cores)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.env_steps < 1 or args.threads < 1:
        parser.error("--repeats, --env-steps and --threads must be >= 1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars would break the table
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
