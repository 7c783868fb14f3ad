"""Evaluation outputs: eval_info.json, CSVs, a PNG plot and the terminal table (atomic writes)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.eval.metrics import CONFUSIONS
from agent.rollout.failures import FAILURE_KINDS, failure_of
from agent.utils.io import atomic_write
from agent.utils.versions import versions

Result = dict[str, Any]
"""One policy x split: {"policy", "label", "split", "control", "domain_rand", "aggregated",
"per_episode"}."""

DOMAIN_RAND_TAG = " [domain_rand]"
"""Appended to the split of rows evaluated under MiniWorld's domain randomisation."""

SCHEMA_VERSION = 1

CSV_FIELDS: tuple[str, ...] = (
    "label", "policy", "split", "episodes", "success_rate", "success_ci95_low",
    "success_ci95_high", "spl", "wrong_object_rate", "timeout_rate", "grounding_accuracy",
    "same_color", "same_shape", "neither", "mean_steps", "domain_rand",
    *(k for k in FAILURE_KINDS if k != "success"),
)  # fmt: skip
EPISODE_FIELDS: tuple[str, ...] = (
    "label", "split", "episode", "seed", "mission", "target", "outcome", "steps",
    "path_length", "shortest_path_length", "reached", "return", "domain_rand", "failure",
    "blocked_run", "target_seen",
)  # fmt: skip


def split_label(result: Result) -> str:
    """The split as tables show it: ``"train [domain_rand]"`` under domain randomisation."""
    return str(result["split"]) + (DOMAIN_RAND_TAG if result.get("domain_rand") else "")


def _json_ready(value: Any) -> Any:
    """Non-finite floats become None (strict JSON); tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def eval_info(results: Sequence[Result], command: str, **settings: Any) -> dict[str, Any]:
    """The eval_info.json document: settings, command, versions and every result."""
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": versions(),
        **settings,
        "results": list(results),
    }


def _row(result: Result) -> dict[str, Any]:
    agg = result["aggregated"]
    rates = agg["outcome_rates"]
    low, high = agg["success_ci95"]
    row = {
        "label": result["label"],
        "policy": result["policy"],
        "split": result["split"],
        "episodes": agg["episodes"],
        "success_rate": agg["success_rate"],
        "success_ci95_low": low,
        "success_ci95_high": high,
        "spl": agg["spl"],
        "wrong_object_rate": rates["wrong_object"],
        "timeout_rate": rates["timeout"],
        "grounding_accuracy": agg["grounding_accuracy"],
        "mean_steps": agg["mean_steps"],
        "domain_rand": bool(result.get("domain_rand")),
    }
    row.update({k: agg["confusion"][k] for k in CONFUSIONS})
    row.update({k: v for k, v in agg.get("failures", {}).items() if k != "success"})
    return row


def _csv(rows: list[dict[str, Any]], fields: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in fields})
    return buf.getvalue()


def _episode_rows(results: Sequence[Result]) -> list[dict[str, Any]]:
    rows = []
    for result in results:
        for r in result["per_episode"]:
            row = {k: r.get(k) for k in EPISODE_FIELDS}
            row["label"] = result["label"]
            row["domain_rand"] = bool(result.get("domain_rand"))
            row["failure"] = failure_of(r)
            row["target"] = " ".join(r["target"])
            row["reached"] = " ".join(r["reached"]) if r["reached"] else ""
            rows.append(row)
    return rows


def plot_png(results: Sequence[Result]) -> bytes:
    """Success (Wilson 95% bars) and wrong-object rate per split, policies side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = list(dict.fromkeys(r["label"] for r in results))
    splits = list(dict.fromkeys(split_label(r) for r in results))
    by_key = {(r["label"], split_label(r)): r["aggregated"] for r in results}
    fig = Figure(figsize=(max(6.0, 2.4 * len(splits) + 3), 3.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, 2, sharey=True)
    width = 0.8 / len(labels)
    for k, label in enumerate(labels):
        xs, success, wrong, err_lo, err_hi = [], [], [], [], []
        for i, split in enumerate(splits):
            agg = by_key.get((label, split))
            if agg is None:
                continue
            xs.append(i - 0.4 + width * (k + 0.5))
            success.append(agg["success_rate"])
            wrong.append(agg["wrong_object_rate"])
            err_lo.append(max(0.0, agg["success_rate"] - agg["success_ci95"][0]))
            err_hi.append(max(0.0, agg["success_ci95"][1] - agg["success_rate"]))
        axes[0].bar(xs, success, width, yerr=[err_lo, err_hi], capsize=3, label=label)
        axes[1].bar(xs, wrong, width, label=label)
    for ax, title in zip(axes, ("success rate (Wilson 95%)", "wrong-object rate"), strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_xticks(range(len(splits)), splits, fontsize=9)
        ax.set_ylim(0, 1.18)
        ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper center", ncol=min(len(labels), 4), frameon=False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _fmt(value: float | None, pct: bool = True) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}" if pct else f"{value:.3f}"


def format_table(results: Sequence[Result]) -> str:
    """A one-screen table: one row per policy x split (percentages)."""
    head = ("policy", "split", "n", "success% [95% CI]", "SPL", "wrong%", "timeout%",
            "ground%", "conf c/s/n", "steps")  # fmt: skip
    rows = [head]
    for r in results:
        agg = r["aggregated"]
        low, high = agg["success_ci95"]
        conf = agg["confusion"]
        rows.append((
            r["label"], split_label(r), str(agg["episodes"]),
            f"{_fmt(agg['success_rate'])} [{_fmt(low)}, {_fmt(high)}]",
            _fmt(agg["spl"], pct=False), _fmt(agg["outcome_rates"]["wrong_object"]),
            _fmt(agg["outcome_rates"]["timeout"]), _fmt(agg["grounding_accuracy"]),
            "/".join(str(conf[k]) for k in CONFUSIONS), f"{agg['mean_steps']:.1f}",
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(row, widths, strict=True))) for row in rows]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    lines.append("ground% = successes / (successes + wrong objects); conf = wrong objects "
                 "sharing the target's colour / shape / neither")  # fmt: skip
    if any(r.get("domain_rand") for r in results):
        lines.append(f"{DOMAIN_RAND_TAG.strip()}: the same seeds under MiniWorld's domain "
                     "randomisation (lighting, colours, camera and motion perturbed)")  # fmt: skip
    return "\n".join(lines)


def format_targets(results: Sequence[Result]) -> str:
    """Success per named colour-shape pair: one row per pair, one column per policy x split."""
    columns = [(f"{r['label']} / {split_label(r)}", r["aggregated"].get("per_target", {}))
               for r in results]  # fmt: skip
    names = sorted({name for _, per in columns for name in per})
    if not names:
        return ""
    rows = [("target", *(title for title, _ in columns))]
    for name in names:
        cells = []
        for _, per in columns:
            cell = per.get(name)
            cells.append(
                ""
                if cell is None
                else f"{_fmt(cell['success_rate'])} ({cell['successes']}/{cell['episodes']})"
            )
        rows.append((name, *cells))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(row, widths, strict=True))) for row in rows]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    return "success per target pair (successes/episodes)\n" + "\n".join(lines)


def write_report(out_dir: str | os.PathLike, info: dict[str, Any]) -> dict[str, Path]:
    """Write eval_info.json, eval.csv, episodes.csv and eval.png into ``out_dir``."""
    out = Path(out_dir)
    results = info["results"]
    text = json.dumps(_json_ready(info), indent=1, allow_nan=False) + "\n"
    return {
        "eval_info": atomic_write(out / "eval_info.json", text),
        "csv": atomic_write(out / "eval.csv", _csv([_row(r) for r in results], CSV_FIELDS)),
        "episodes_csv": atomic_write(
            out / "episodes.csv", _csv(_episode_rows(results), EPISODE_FIELDS)
        ),
        "plot": atomic_write(out / "eval.png", plot_png(results)),
    }
