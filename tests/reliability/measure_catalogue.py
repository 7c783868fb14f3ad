"""Measure the bad-input catalogue as issue 16 did: every case in a fresh process, classified.

    python tests/reliability/measure_catalogue.py [--root DIR] [--timeout S]

prints one line per case and the counts (clear / unclear / silent); see ``catalogue.py``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))

from catalogue import CASES, Paths, classify, run_api  # noqa: E402
from catalogue_fixtures import make_fixtures  # noqa: E402


def measure(paths: Paths, timeout: float = 120.0) -> dict[str, str]:
    """Run every case in a fresh process; its class per case name."""
    here = Path(__file__).resolve()
    env = {**os.environ, "PYGLET_HEADLESS": "true", "MINIGROUND_RUNS": str(paths.root / "runs")}
    found = {}
    for case in CASES:
        if case.api is not None:
            command = [sys.executable, str(here), "--root", str(paths.root), "--api", case.name]
        else:
            command = [sys.executable, "-m", "agent.cli", *case.args(paths)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  env=env, cwd=paths.root)  # fmt: skip
            code, output = done.returncode, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            code, output = None, ""
        found[case.name] = classify(case, code, output)
        print(f"{found[case.name]:>8}  {case.name}", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="/tmp/miniground-catalogue", help="fixtures folder")
    parser.add_argument("--api", default=None, help="(internal) run one API case and print")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per case")
    args = parser.parse_args()
    root = Path(args.root)
    if args.api:
        paths = Paths(root, root / "demos", root / "ckpt", root / "tiny.toml")
        print(run_api(next(c for c in CASES if c.name == args.api), paths))
        return
    paths = make_fixtures(root)
    found = measure(paths, args.timeout)
    counts = {k: sum(v == k for v in found.values()) for k in ("clear", "unclear", "silent")}
    print(f"{len(found)} kinds: {counts['clear']} clear, {counts['unclear']} unclear, "
          f"{counts['silent']} silent")  # fmt: skip


if __name__ == "__main__":
    os.environ.setdefault("PYGLET_HEADLESS", "true")
    main()
