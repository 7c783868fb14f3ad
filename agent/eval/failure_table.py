"""How episodes ended, per policy and split: the failure taxonomy as a terminal and an HTML table.

Columns follow :data:`agent.rollout.failures.FAILURE_KINDS`: success; timeouts that ended stuck
(a run of >= ``STUCK_RUN`` blocked moves) or otherwise; wrong objects committed to after the
target had been in view, or with the target never in view. The ``unknown`` kinds (an env without
``moved`` or visibility labels) and any other outcome get a column only where some row has them.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from agent.eval.report import split_label
from agent.rollout.failures import FAILURE_KINDS, STUCK_RUN

Result = dict[str, Any]

TITLES: dict[str, str] = {
    "success": "success",
    "timeout_stuck": "stuck",
    "timeout_other": "other timeout",
    "timeout_unknown": "timeout (?)",
    "wrong_object_seen": "wrong, seen",
    "wrong_object_unseen": "wrong, unseen",
    "wrong_object_unknown": "wrong (?)",
}
"""Short column titles of each kind."""

ALWAYS: tuple[str, ...] = (
    "success", "timeout_stuck", "timeout_other", "wrong_object_seen", "wrong_object_unseen",
)  # fmt: skip
"""Kinds shown even when no row has them."""

LEGEND = (
    f"stuck = a timeout ending in >= {STUCK_RUN} blocked moves in a row;\n"
    "wrong, seen / unseen = a wrong object, the target seen before / never in view"
)


def _counts(result: Result) -> dict[str, int]:
    agg = result["aggregated"]
    return agg.get("failures") or {}


def failure_columns(results: Sequence[Result]) -> list[str]:
    """The kinds to show: :data:`ALWAYS`, plus any other kind some row counted."""
    seen = {k for r in results for k, v in _counts(r).items() if v}
    extra = sorted(seen - set(FAILURE_KINDS))
    return [k for k in FAILURE_KINDS if k in ALWAYS or k in seen] + extra


def _cell(count: int, n: int) -> str:
    return f"{count} ({100 * count / n:.1f}%)" if n else str(count)


def format_failures(results: Sequence[Result]) -> str:
    """A terminal table: one row per policy x split, one column per kind ("count (percent)")."""
    kinds = failure_columns(results)
    rows = [("policy", "split", "n", *(TITLES.get(k, k) for k in kinds))]
    for r in results:
        counts, n = _counts(r), int(r["aggregated"]["episodes"])
        rows.append((r["label"], split_label(r), str(n),
                     *(_cell(counts.get(k, 0), n) for k in kinds)))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(row, widths, strict=True))) for row in rows]  # fmt: skip
    lines.insert(1, "-" * len(lines[0]))
    return "how episodes ended\n" + "\n".join(lines) + "\n" + LEGEND


def failures_html(results: Sequence[Result]) -> str:
    """One HTML table per split (plain and domain-randomised apart): the agent, its control and
    any baselines as rows, each kind as a column ("count (percent)")."""
    kinds = failure_columns(results)
    head = "".join(f"<th>{html.escape(TITLES.get(k, k))}</th>" for k in kinds)
    tables = []
    for split in dict.fromkeys(split_label(r) for r in results):
        rows = []
        for r in results:
            if split_label(r) != split:
                continue
            counts, n = _counts(r), int(r["aggregated"]["episodes"])
            cells = "".join(f"<td>{_cell(counts.get(k, 0), n)}</td>" for k in kinds)
            rows.append(f"<tr><td class=l>{html.escape(r['label'])}</td><td>{n}</td>{cells}</tr>")
        tables.append(
            f"<div class=meta><b>{html.escape(split)}</b></div><table class=failures><tr>"
            f"<th class=l>policy</th><th>n</th>{head}</tr>{''.join(rows)}</table>"
        )
    legend = html.escape(LEGEND.replace(";\n", "; "))
    return f"<p class=meta>{legend}.</p>{''.join(tables)}"
