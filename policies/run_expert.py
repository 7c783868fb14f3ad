"""The report of ``miniground expert``: the expert's success and path efficiency as text.

The figures come from ``agent.rollout.expert.run_expert`` (the episode loop lives in ``agent``).
"""

from __future__ import annotations

from typing import Any


def format_report(report: dict[str, Any]) -> str:
    """The figures of ``run_expert`` as aligned text lines."""
    ratio = report["path_length_ratio"]
    outcomes = ", ".join(f"{k}={v}" for k, v in sorted(report["outcomes"].items()))
    return "\n".join(
        [
            f"task              {report['task']}",
            f"episodes          {report['episodes']} (seeds {report['seed']}..)",
            f"success rate      {100 * report['success_rate']:.1f}%",
            f"outcomes          {outcomes}",
            f"mean steps        {report['mean_steps']:.1f}",
            f"path-length ratio {'n/a' if ratio is None else f'{ratio:.3f}'} (taken / shortest)",
            f"steps/s           {report['steps_per_second']:.0f}",
        ]
    )
