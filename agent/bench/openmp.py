"""``miniground bench openmp``: OpenMP's idle-thread settings, with the cores free and shared.

``import agent`` sets ``OMP_WAIT_POLICY=PASSIVE`` (idle OpenMP threads sleep) unless the user set
it. This benchmark measures what that costs and buys: the BC agent's bare forward/backward +
optimizer step (``miniground bench bc``'s "bare" samples/s) under OpenMP's default, ``PASSIVE``
and a short spin (``GOMP_SPINCOUNT=10000``), for each torch thread count, on a quiet machine
(``--load 0``) and while ``K`` busy processes compete for the cores (``--load K``; env workers or
a second job do this in real runs). Each measurement runs in a fresh process (OpenMP reads its
settings once, when torch loads it); the settings alternate within each round and the median of
the rounds is reported with each setting's ratio to the default. It is slow under load with the
default setting (that is the point): start with ``--updates 3 --rounds 1``.
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

SETTINGS: dict[str, dict[str, str]] = {
    "default": {"OMP_WAIT_POLICY": ""},  # empty: OpenMP's own default (and agent keeps it)
    "PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "spin10k": {"OMP_WAIT_POLICY": "", "GOMP_SPINCOUNT": "10000"},
}
"""Environment of each measured setting: OpenMP's default (GNU OpenMP spins a while, then
sleeps), sleeping at once, and a short spin (10,000 iterations) before sleeping."""


def _spin(stop: Any) -> None:
    """A busy process: the load a competing job puts on a core."""
    while not stop.is_set():
        sum(range(10_000))


def _measure(setting: str, threads: int, updates: int) -> float:
    """Bare forward/backward + step samples/s of the BC agent under ``setting``: ``miniground
    bench bc`` in a fresh process (OpenMP reads its settings when torch loads it)."""
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    env.update(SETTINGS[setting])
    command = [sys.executable, "-m", "agent.cli", "bench", "bc", "--json", "--rounds", "1",
               "--updates", str(updates), "--threads", str(threads)]  # fmt: skip
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True,
                         timeout=1800)  # fmt: skip
    return float(json.loads(out.stdout)["samples_per_s"]["bare"])


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
                runs: dict[str, list[float]] = {p: [] for p in SETTINGS}
                for _ in range(rounds):
                    for setting in SETTINGS:
                        runs[setting].append(_measure(setting, n, updates))
                med = {p: statistics.median(v) for p, v in runs.items()}
                ratios = {p: med[p] / med["default"] for p in SETTINGS if p != "default"}
                rows.append({"load": load, "threads": n, "samples_per_s": med, "all_runs": runs,
                             "over_default": ratios})  # fmt: skip
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
    names = list(SETTINGS)
    print(f"{'load':>4} {'threads':>7} " + " ".join(f"{n:>9}" for n in names)
          + "  " + "  ".join(f"{n}/default" for n in names[1:]))  # fmt: skip
    for r in report["rows"]:
        rates = " ".join(f"{r['samples_per_s'][n]:>9.0f}" for n in names)
        ratios = "  ".join(f"{r['over_default'][n]:>{len(n) + 8}.2f}" for n in names[1:])
        print(f"{r['load']:>4} {r['threads']:>7} {rates}  {ratios}")
    return 0
