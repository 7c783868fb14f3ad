"""``miniground eval``: grounding metrics of checkpoints and baselines.

A learned agent acts greedily (argmax) unless ``--sample``. Episode i of every policy and split runs
with env seed ``--seed + i``, so rows of one table see the same layouts and the results do not
depend on ``--workers``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from agent.backend import WorkerError, add_backend_arguments, make_backend
from agent.eval.evaluation import run_eval
from agent.eval.failure_table import format_failures
from agent.eval.html_report import VIDEOS_PER_KIND, write_html_report
from agent.eval.policies import BASELINES, PolicySpec
from agent.eval.report import eval_info, format_table, format_targets, write_report
from agent.utils.runs import check_out, make_run_dir
from agent.utils.seeds import DEFAULT_EVAL_SEED, LEVER_SEED, seed_range_name, warn_if_training_seeds
from envs.language import SPLITS, check_split
from envs.registration import DEFAULT_TASK, check_task

EVAL_HELP = (
    "Evaluate checkpoints and baselines on one task and one or more splits: success rate (Wilson "
    "95% interval), SPL, outcomes, how episodes ended (stuck or other timeout, wrong object after "
    "the target was in view or never in view), grounding accuracy, wrong-object confusion and "
    "episode length, optionally under MiniWorld's domain randomisation too. "
    "Writes eval_info.json, eval.csv, episodes.csv, eval.png and report.html. Learned agents act "
    "greedily (argmax) unless --sample; episode i runs with env seed --seed + i whatever --workers."
)


def parse_splits(values: list[str] | None) -> list[str]:
    """Splits from repeated and/or comma-separated ``--split`` values (default: train)."""
    splits: list[str] = []
    for value in values or ["train"]:
        for name in value.split(","):
            name = name.strip()
            if name and check_split(name) not in splits:
                splits.append(name)
    if not splits:
        raise ValueError(f"--split is empty; choose from {', '.join(SPLITS)}")
    return splits


def _default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="miniground eval", description=EVAL_HELP)
    p.add_argument("--checkpoint", action="append", default=[], metavar="DIR",
                   help="checkpoint directory (repeat to compare several)")  # fmt: skip
    p.add_argument("--policy", action="append", default=[], choices=BASELINES,
                   help="a baseline to evaluate too (repeatable): expert = upper bar, random = "
                   "lower bar")  # fmt: skip
    p.add_argument("--task", default=DEFAULT_TASK, help="MiniGround task id")
    p.add_argument("--split", action="append", metavar="SPLIT",
                   help=f"{'|'.join(SPLITS)}; repeat or comma-list (default train)")  # fmt: skip
    p.add_argument("--episodes", type=int, default=100, help="episodes per policy and split")
    p.add_argument("--seed", type=int, default=DEFAULT_EVAL_SEED,
                   help="env seed of episode 0 (default: the final-evaluation range; choose "
                   f"levers on the validation range, e.g. {LEVER_SEED})")  # fmt: skip
    p.add_argument("--no-control", action="store_true",
                   help="skip the instruction-free control (checkpoints are also evaluated with "
                   "a mission that names nothing, on the same layouts)")  # fmt: skip
    p.add_argument("--workers", type=int, default=_default_workers(),
                   help="worker processes, one env each (1: in this process)")  # fmt: skip
    p.add_argument("--sample", action="store_true", help="sample agent actions (default argmax)")
    p.add_argument("--max-steps", type=int, default=None, help="override the task's step limit")
    p.add_argument("--domain-rand", "--domain_rand", nargs="?", const="on", default="off",
                   choices=("off", "on", "both"),
                   help="evaluate under MiniWorld's domain randomisation (lighting, colours, "
                   "camera and motion perturbed; rows shown as 'SPLIT [domain_rand]'): on (the "
                   "flag alone), or both plain and randomised on the same seeds")  # fmt: skip
    p.add_argument("--device", default="cpu", help="torch device of learned agents")
    p.add_argument("--out", default=None, help="output folder (default runs/eval__<time>)")
    p.add_argument("--report-videos", type=int, default=VIDEOS_PER_KIND, metavar="N",
                   help="successes and failures each shown in report.html (0: none)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_backend_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """``miniground eval``: evaluate, write the run folder, print the table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    specs: list[PolicySpec] = [Path(c) for c in args.checkpoint] + list(args.policy)
    if not specs:
        raise ValueError("nothing to evaluate: give --checkpoint DIR and/or --policy expert|random")
    check_task(args.task)
    splits = parse_splits(args.split)
    if args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    if args.seed < 0:
        raise ValueError(f"--seed must be >= 0, got {args.seed}")
    if args.report_videos < 0:
        raise ValueError(f"--report-videos must be >= 0, got {args.report_videos}")
    if args.episodes < 1:
        raise ValueError(f"--episodes must be >= 1, got {args.episodes}")
    check_out(args.out)
    env_kwargs = {} if args.max_steps is None else {"max_steps": args.max_steps}
    for spec in specs:
        if isinstance(spec, Path):
            warn_if_training_seeds(args.seed, args.episodes, demo_seeds_of(spec))
    start = time.perf_counter()
    try:
        with make_backend(args.backend, args.workers, args.address) as backend:
            results = run_eval(specs, args.task, splits, args.episodes, args.seed, args.workers,
                               env_kwargs, args.sample, args.device, not args.quiet,
                               controls=not args.no_control, backend=backend,
                               domain_rand=args.domain_rand)  # fmt: skip
    except WorkerError as exc:
        print(f"miniground eval: error: {exc}", file=sys.stderr)
        return 1
    out = Path(args.out) if args.out else make_run_dir("eval")
    info = eval_info(
        results, shlex.join(["miniground", "eval", *argv]), task=args.task, splits=splits,
        episodes=args.episodes, seed=args.seed, workers=args.workers, backend=args.backend,
        sample=args.sample, domain_rand=args.domain_rand,
        seed_range=seed_range_name(args.seed, args.episodes),
        env_kwargs=env_kwargs, wall_seconds=round(time.perf_counter() - start, 2),
    )  # fmt: skip
    paths = write_report(out, info)
    paths["html"] = write_html_report(out, info, args.report_videos, env_kwargs)
    print(
        f"{args.task}, {args.episodes} episodes per row, seeds {args.seed}.. "
        f"({seed_range_name(args.seed, args.episodes)} range)"
    )
    print(format_table(results))
    print(format_failures(results))
    print(format_targets(results))
    for line in unknown_word_lines(results):
        print(line)
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def demo_seeds_of(checkpoint: Path) -> tuple[int, int] | None:
    """[first, end) of the demo seeds a checkpoint was trained on, from its run's config.json."""
    import json

    for folder in (checkpoint, *checkpoint.resolve().parents[:3]):
        config = folder / "config.json"
        try:
            demos = json.loads(config.read_text()).get("demos")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(demos, dict) and "seed" in demos and "episodes" in demos:
            return int(demos["seed"]), int(demos["seed"]) + int(demos["episodes"])
    return None


def unknown_word_lines(results: list[dict]) -> list[str]:
    """One line per row whose instructions held words the agent does not know."""
    lines = []
    for r in results:
        agg = r["aggregated"]
        if agg.get("episodes_with_unknown_words"):
            lines.append(
                f"{r['label']} / {r['split']}: {agg['episodes_with_unknown_words']} of "
                f"{agg['episodes']} instructions held words the agent does not know "
                f"({agg['unknown_words']} words in all; read as [UNK])"
            )
    return lines
