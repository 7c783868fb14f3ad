"""The PPO-from-scratch learning curve of issue 13 as committed figures: JSON and PNG.

Reads a ``miniground train ppo`` run directory (its ``curve.json``: training success of the sampled
policy per bin of env steps, with wall time) and a ``miniground eval`` directory that evaluated the
run's checkpoints greedily (``eval_info.json``), and writes ``OUT.json`` and ``OUT.png``:

    python experiments/plot_ppo_scratch.py RUN EVAL_DIR experiments/results/ppo_scratch_curve
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any


def checkpoint_points(eval_info: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Greedy success per split at each evaluated checkpoint (agent rows only), by env step."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in eval_info["results"]:
        if row["control"]:
            continue
        match = re.search(r"step_(\d+)", row["label"])
        if not match:
            continue
        agg = row["aggregated"]
        out.setdefault(row["split"], []).append({
            "step": int(match.group(1)),
            "episodes": agg["episodes"],
            "success_rate": agg["success_rate"],
            "success_ci95": agg["success_ci95"],
        })  # fmt: skip
    for points in out.values():
        points.sort(key=lambda p: p["step"])
    return out


def plot(curve: list[dict[str, Any]], greedy: dict[str, list[dict[str, Any]]], path: Path,
         title: str) -> None:  # fmt: skip
    """Training success (band) and greedy checkpoint success per split (error bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [p for p in curve if p["episodes"]]
    fig, ax = plt.subplots(figsize=(7, 4))
    x = [p["step"] for p in pts]
    ax.plot(x, [p["success_rate"] for p in pts], color="grey", label="training (sampled actions)")
    ax.fill_between(x, [p["success_ci95"][0] for p in pts], [p["success_ci95"][1] for p in pts],
                    color="grey", alpha=0.2)  # fmt: skip
    for split, points in sorted(greedy.items()):
        xs = [p["step"] for p in points]
        ys = [p["success_rate"] for p in points]
        err = [[y - p["success_ci95"][0] for y, p in zip(ys, points, strict=True)],
               [p["success_ci95"][1] - y for y, p in zip(ys, points, strict=True)]]  # fmt: skip
        ax.errorbar(xs, ys, yerr=err, marker="o", ms=4, capsize=3, label=f"greedy, {split}")
    if pts and "wall_s" in pts[-1]:
        minutes = pts[-1]["wall_s"] / 60
        ax.set_title(f"{title}\n{pts[-1]['step']:,} env steps in {minutes:.0f} min")
    else:
        ax.set_title(title)
    ax.set(xlabel="env steps", ylabel="success rate", ylim=(0, 1))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _text(command: str | list[str]) -> str:
    return command if isinstance(command, str) else " ".join(command)


def main(argv: list[str]) -> None:
    """``RUN EVAL_DIR OUT`` (OUT without suffix)."""
    if len(argv) != 3:
        sys.exit(__doc__)
    run, eval_dir, out = (Path(a) for a in argv)
    curve = json.loads((run / "curve.json").read_text())
    eval_info = json.loads((eval_dir / "eval_info.json").read_text())
    greedy = checkpoint_points(eval_info)
    config = json.loads((run / "config.json").read_text())
    record = {
        "task": curve["task"], "env": curve["env"], "seed": curve["seed"],
        "train_command": _text(config["command"]), "eval_command": _text(eval_info["command"]),
        "eval_seed_range": eval_info.get("seed_range"), "training_curve": curve["points"],
        "greedy_checkpoints": greedy,
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    plot(curve["points"], greedy, out.with_suffix(".png"), f"PPO from scratch, {curve['task']}")
    print(f"wrote {out.with_suffix('.json')} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main(sys.argv[1:])
