"""Plots of RESULTS.md: success per variant (bars) or against a number (curve), Wilson 95% bars."""

from __future__ import annotations

import io
from typing import Any

Row = dict[str, Any]
"""A figure row of a record with its record's ``variant``, ``x`` and ``seed`` added."""


def _canvas(width: float, height: float) -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots()


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    return buf.getvalue()


def _err(rows: list[Row]) -> list[list[float]]:
    return [[max(0.0, r["success_rate"] - r["success_ci95"][0]) for r in rows],
            [max(0.0, r["success_ci95"][1] - r["success_rate"]) for r in rows]]  # fmt: skip


def bars(rows: list[Row], variants: list[str], splits: list[str], title: str) -> bytes:
    """One group of bars per variant, one bar per split; crosses mark the control."""
    fig, ax = _canvas(max(6.0, 1.3 * len(variants) + 2), 3.6)
    width = 0.8 / max(len(splits), 1)
    for k, split in enumerate(splits):
        picked = [(i, r) for i, v in enumerate(variants) for r in rows
                  if r["variant"] == v and r["split"] == split and not r["control"]]  # fmt: skip
        if not picked:
            continue
        xs = [i - 0.4 + width * (k + 0.5) for i, _ in picked]
        ax.bar(xs, [r["success_rate"] for _, r in picked], width,
               yerr=_err([r for _, r in picked]), capsize=3, label=split)  # fmt: skip
        controls = [
            (x, r)
            for x, (i, _) in zip(xs, picked, strict=True)
            for r in rows
            if r["variant"] == variants[i] and r["split"] == split and r["control"]
        ]
        if controls:
            ax.scatter([x for x, _ in controls], [r["success_rate"] for _, r in controls],
                       marker="x", color="black", zorder=3,
                       label="control" if k == 0 else None)  # fmt: skip
    ax.set_xticks(range(len(variants)), variants, fontsize=8, rotation=15)
    ax.set(ylim=(0, 1.05), ylabel="success rate (Wilson 95%)", title=title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, ncol=4)
    return _png(fig)


def curve(rows: list[Row], splits: list[str], x_label: str, title: str) -> bytes:
    """Success against each variant's x (log scale), one line per split, Wilson 95% band."""
    fig, ax = _canvas(6.0, 3.6)
    for split in splits:
        picked = sorted((r for r in rows if r["split"] == split and not r["control"]),
                        key=lambda r: (r["x"], r["seed"]))  # fmt: skip
        if not picked:
            continue
        xs = [r["x"] for r in picked]
        ax.errorbar(xs, [r["success_rate"] for r in picked], yerr=_err(picked), marker="o",
                    ms=4, capsize=3, label=split)  # fmt: skip
    ax.set_xscale("log")
    ax.set(xlabel=x_label, ylabel="success rate (Wilson 95%)", ylim=(0, 1.05), title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)
