"""``miniground bench openmp``: OpenMP's wait policy, with the cores free and with the cores shared.

``import agent`` sets ``OMP_WAIT_POLICY=PASSIVE`` (idle OpenMP threads sleep) unless the user set
it. This benchmark measures what that buys: the BC agent's bare forward/backward + optimizer step
(samples/s) under ``ACTIVE`` (threads spin while they wait, OpenMP's default) and ``PASSIVE``, for
each torch thread count, on a quiet machine (``--load 0``) and while ``K`` busy processes compete
for the cores (``--load K``; env workers or a second job do this in real runs). Each measurement
runs in a fresh process (OpenMP reads the policy once, when torch loads it); the policies
alternate within each round and the median of the rounds is reported with the ratio
PASSIVE / ACTIVE.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
from typing import Any

POLICIES = ("ACTIVE", "PASSIVE")


def _spin(stop: Any) -> None:
    """A busy process: the load a competing job puts on a core."""
    while not stop.is_set():
        sum(range(10_000))


def measure_worker(threads: int, updates: int) -> float:
    """Bare forward/backward + step samples/s of the BC agent (run in a fresh process)."""
    import tempfile

    import torch

    from agent.bench.bc import bare_rate, synthetic_episodes
    from agent.learn.bc import BCConfig, BCTrainer
    from agent.model.config import AgentConfig

    with tempfile.TemporaryDirectory() as tmp:
        config = BCConfig(out=tmp, threads=threads, eval_interval=0, agent=AgentConfig())
        manifest = {"task": "MiniGround/GoToObject-v0", "env_kwargs": {}, "teacher": "expert"}
        trainer = BCTrainer(config, synthetic_episodes(), manifest)
        torch.set_num_threads(threads)
        batch = trainer.sampler.sample(config.hflip)
        bare_rate(trainer, batch, 2)  # warm-up
        rate = bare_rate(trainer, batch, updates)
        trainer.close()
    return rate


def _measure(policy: str, threads: int, updates: int) -> float:
    env = {**os.environ, "OMP_WAIT_POLICY": policy}
    code = f"from agent.bench.openmp import measure_worker as m; print(m({threads}, {updates}))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=1800)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def bench_openmp(threads: list[int], loads: list[int], updates: int = 10,
                 rounds: int = 2) -> dict[str, Any]:  # fmt: skip
    """Samples/s per (load, threads, policy), medians of alternating rounds, and the ratios."""
    rows = []
    for load in loads:
        stop = mp.Event()
        spinners = [mp.Process(target=_spin, args=(stop,), daemon=True) for _ in range(load)]
        for p in spinners:
            p.start()
        try:
            for n in threads:
                runs: dict[str, list[float]] = {p: [] for p in POLICIES}
                for _ in range(rounds):
                    for policy in POLICIES:
                        runs[policy].append(_measure(policy, n, updates))
                med = {p: statistics.median(v) for p, v in runs.items()}
                rows.append({"load": load, "threads": n, "samples_per_s": med, "all_runs": runs,
                             "passive_over_active": med["PASSIVE"] / med["ACTIVE"]})  # fmt: skip
        finally:
            stop.set()
            for p in spinners:
                p.join(timeout=5)
    return {"cores": os.cpu_count(), "updates_per_measurement": updates, "rounds": rounds,
            "rows": rows}  # fmt: skip


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and print the report."""
    parser = argparse.ArgumentParser(prog="miniground bench openmp", description=__doc__)
    parser.add_argument("--threads", type=_ints, default=[1, 2], help="torch threads (1,2)")
    parser.add_argument("--load", type=_ints, default=[0, 2],
                        help="busy competing processes during the measurements (0,2)")  # fmt: skip
    parser.add_argument("--updates", type=int, default=10, help="updates per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (median)")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    if min(args.threads, default=0) < 1 or min(args.load, default=0) < 0 or args.updates < 1:
        parser.error("--threads must be >= 1, --load >= 0 and --updates >= 1")
    report = bench_openmp(args.threads, args.load, args.updates, args.rounds)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"BC agent forward/backward + step, samples/s (median of {args.rounds} rounds, "
          f"{report['cores']} cores)")  # fmt: skip
    print(f"{'load':>4} {'threads':>7} {'ACTIVE':>9} {'PASSIVE':>9}  PASSIVE/ACTIVE")
    for r in report["rows"]:
        s = r["samples_per_s"]
        print(f"{r['load']:>4} {r['threads']:>7} {s['ACTIVE']:>9.0f} {s['PASSIVE']:>9.0f}  "
              f"{r['passive_over_active']:.2f}")  # fmt: skip
    return 0
