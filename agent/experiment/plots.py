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
    return [
        [max(0.0, r["success_rate"] - r["success_ci95"][0]) for r in rows],
        [max(0.0, r["success_ci95"][1] - r["success_rate"]) for r in rows],
    ]


def _bar(rows: list[Row]) -> tuple[float, float, float]:
    """(height, low, high): one run's success and Wilson interval, or the mean of several seeds
    with whiskers from the lowest to the highest seed."""
    rates = [r["success_rate"] for r in rows]
    if len(rows) == 1:
        return rates[0], rows[0]["success_ci95"][0], rows[0]["success_ci95"][1]
    return sum(rates) / len(rates), min(rates), max(rates)


def bars(rows: list[Row], variants: list[str], splits: list[str], title: str) -> bytes:
    """One group of bars per variant, one bar per split (several seeds: their mean, whiskers
    from the lowest to the highest seed); crosses mark the instruction-free control."""
    fig, ax = _canvas(max(6.0, 1.3 * len(variants) + 2), 3.6)
    width = 0.8 / max(len(splits), 1)
    for k, split in enumerate(splits):
        xs, heights, lows, highs, cx, cy = [], [], [], [], [], []
        for i, variant in enumerate(variants):
            mine = [r for r in rows if r["variant"] == variant and r["split"] == split]
            agent = [r for r in mine if not r["control"]]
            if not agent:
                continue
            x = i - 0.4 + width * (k + 0.5)
            height, low, high = _bar(agent)
            xs.append(x)
            heights.append(height)
            lows.append(max(0.0, height - low))
            highs.append(max(0.0, high - height))
            control = [r for r in mine if r["control"]]
            if control:
                cx.append(x)
                cy.append(_bar(control)[0])
        if not xs:
            continue
        ax.bar(xs, heights, width, yerr=[lows, highs], capsize=3, label=split)
        ax.scatter(cx, cy, marker="x", color="black", zorder=3,
                   label="control" if k == 0 and cx else None)  # fmt: skip
    ax.set_xticks(range(len(variants)), variants, fontsize=8, rotation=15)
    ax.set(ylim=(0, 1.05), ylabel="success rate", title=title)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, frameon=False, ncol=4)
    return _png(fig)


def _along_x(rows: list[Row], split: str, control: bool) -> list[Row]:
    """The agent's (or its control's) rows of ``split``, in order of x then seed."""
    mine = (r for r in rows if r["split"] == split and r["control"] == control)
    return sorted(mine, key=lambda r: (r["x"], r["seed"]))


def curve(
    rows: list[Row], splits: list[str], x_label: str, title: str, baselines: list[Row] | None = None
) -> bytes:
    """The PNG of :func:`curve_axes`."""
    return _png(curve_axes(rows, splits, x_label, title, baselines).figure)


def curve_axes(
    rows: list[Row], splits: list[str], x_label: str, title: str, baselines: list[Row] | None = None
) -> Any:
    """Success against each variant's x (log scale), one line per split with Wilson 95% bars; the
    instruction-free control dashed in the split's colour; each baseline policy (a row with a
    ``policy`` key, e.g. expert, random) a horizontal line per split (dotted, dash-dot...)."""
    _, ax = _canvas(7.6, 3.6)
    styles = iter([":", "-.", (0, (1, 4)), (0, (3, 1, 1, 1, 1, 1))])
    line_of: dict[str, Any] = {}
    for split in splits:
        picked = _along_x(rows, split, control=False)
        if not picked:
            continue
        xs, ys = [r["x"] for r in picked], [r["success_rate"] for r in picked]
        drawn = ax.errorbar(xs, ys, yerr=_err(picked), marker="o", ms=4, capsize=3, label=split)
        colour = drawn.lines[0].get_color()
        control = _along_x(rows, split, control=True)
        if control:
            ax.plot([r["x"] for r in control], [r["success_rate"] for r in control], "--",
                    marker="x", ms=4, color=colour, alpha=0.8,
                    label=f"{split}: control")  # fmt: skip
        for base in (b for b in baselines or [] if b["split"] == split):
            policy = base["policy"]
            if policy not in line_of:
                line_of[policy] = next(styles, ":")
            ax.axhline(base["success_rate"], linestyle=line_of[policy], color=colour,
                       linewidth=1, alpha=0.7, label=f"{split}: {policy}")  # fmt: skip
    ax.set_xscale("log")
    ax.set(xlabel=x_label, ylabel="success rate (Wilson 95%)", ylim=(0, 1.05), title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
