"""The ``miniground`` command line: a thin dispatcher to each command module's ``main(argv)``.

Commands live in ``agent.scripts`` (and ``agent.bench`` for ``bench ...``), named here by string
only: importing this module imports none of them. Every command module parses its own arguments,
so ``miniground CMD --help`` is that module's help.
"""

from __future__ import annotations

import importlib
import os
import sys

COMMANDS: dict[str, tuple[str, str]] = {
    "quickstart": (
        "agent.scripts.quickstart:main",
        "the main job: demos -> BC -> DAgger -> eval -> videos",
    ),
    "envs": ("agent.scripts.envs:main", "list the task ids with a one-line description each"),
    "expert": ("agent.scripts.expert:main", "run the privileged expert and report its figures"),
    "bench envs": ("agent.bench.envs:main", "env steps/s next to raw MiniWorld and the expert"),
    "bench agent": ("agent.bench.agent:main", "agent parameter counts and inference latency"),
    "eval": (
        "agent.scripts.eval:main",
        "success, SPL and grounding metrics of checkpoints/baselines",
    ),
    "record": (
        "agent.scripts.record:main",
        "rollout videos (MP4/GIF) of a checkpoint or a baseline",
    ),
    "bench bc": ("agent.bench.bc:main", "BC trainer samples/s next to bare forward/backward"),
    "bench eval": ("agent.bench.eval:main", "wall time of a 200-episode evaluation"),
    "bench openmp": (
        "agent.bench.openmp:main",
        "torch fwd/bwd samples/s under OpenMP idle-thread settings, on free and shared cores",
    ),
    "bench backend": (
        "agent.bench.backend:main",
        "demos/s and eval episodes/s on local processes vs Ray, side by side",
    ),
    "bench labels": (
        "agent.bench.labels:main",
        "exact (id-pass) visibility against the geometric test, and their cost",
    ),
    "bench sensor": (
        "agent.bench.sensor:main",
        "per pitch: is the target in view in the last steps before each commit",
    ),
    "demos": ("agent.scripts.demos:main", "generate sharded expert demonstrations"),
    "export minari": (
        "agent.scripts.export_minari:main",
        "write a demos directory as a Minari dataset (minari.load_dataset opens it)",
    ),
    "train ppo": (
        "agent.scripts.train_ppo:main",
        "recurrent PPO on parallel envs, from scratch or a checkpoint",
    ),
    "bench ppo": (
        "agent.bench.ppo:main",
        "PPO env-steps/s next to raw stepping (and SB3's PPO: --against sb3)",
    ),
    "train bc": ("agent.scripts.train_bc:main", "behaviour cloning on demonstrations"),
    "train dagger": (
        "agent.scripts.train_dagger:main",
        "DAgger rounds on top of behaviour cloning",
    ),
    "experiment run": (
        "agent.scripts.experiment:run_main",
        "run a named experiment's missing runs",
    ),
    "experiment report": (
        "agent.scripts.experiment:report_main",
        "rebuild RESULTS.md from records",
    ),
}
"""Command words -> "module:function" taking ``argv`` and returning an exit code."""


def _usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = ["usage: miniground COMMAND [options]   (miniground COMMAND --help for options)", ""]
    lines += [f"  {name:<{width}}  {desc}" for name, (_, desc) in COMMANDS.items()]
    return "\n".join(lines)


def _resolve(argv: list[str]) -> tuple[str, list[str]] | None:
    """Longest command-word prefix of ``argv`` that names a command."""
    for n in (2, 1):
        name = " ".join(argv[:n])
        if len(argv) >= n and name in COMMANDS:
            return name, argv[n:]
    return None


GROUPS: tuple[str, ...] = tuple(sorted({name.split()[0] for name in COMMANDS if " " in name}))
"""First words of two-word commands (``bench``, ``train``): alone they print their commands."""


def _group_usage(group: str) -> str:
    names = {n: d for n, (_, d) in COMMANDS.items() if n.split()[0] == group}
    width = max(len(n) for n in names)
    lines = [f"usage: miniground {group} WHAT [options]   (miniground {group} WHAT --help)", ""]
    return "\n".join(lines + [f"  {n:<{width}}  {d}" for n, d in names.items()])


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``miniground`` console script."""
    from agent.utils.errors import run_command

    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    found = _resolve(argv)
    if found is None and argv[0] in GROUPS:
        asked = len(argv) == 1 or argv[1] in ("-h", "--help", "help")
        if not asked:
            print(f"miniground: unknown command {' '.join(argv[:2])!r}", file=sys.stderr)
        print(_group_usage(argv[0]), file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    if found is None:
        print(f"miniground: unknown command {' '.join(argv[:2])!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    name, rest = found
    if not sys.stderr.isatty():  # a log file: a progress line every 30 s, not one per tick
        os.environ.setdefault("TQDM_MININTERVAL", "30")
        os.environ.setdefault("TQDM_MAXINTERVAL", "30")  # tqdm's monitor redraws after this
    module_name, func_name = COMMANDS[name][0].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    return run_command(name, func, rest)


if __name__ == "__main__":
    sys.exit(main())
