"""RESULTS.md's success per target pair: one table per split, agent and control side by side."""

from __future__ import annotations

from typing import Any

from agent.experiment.labels import STAGES, split_key, stage_label


def _column(row: dict[str, Any], seeds: bool, stages: bool) -> str:
    """A column's name: the variant, with the seed and the stage where they vary."""
    name = str(row["variant"])
    if seeds:
        name += f" s{row['seed']}"
    if stages:
        name += f" {stage_label(row)}"
    return name


def _cell(agent: list[int] | None, control: list[int] | None) -> str:
    """``k/n (k/n)``: the agent's successes, then the control's; empty where no episode had it."""
    if agent is None:
        return ""
    text = f"{agent[0]}/{agent[1]}"
    return text + (f" ({control[0]}/{control[1]})" if control is not None else "")


def per_target_tables(rows: list[dict[str, Any]]) -> list[str]:
    """Per split, a table of target pair x run: successes/episodes, the control's in brackets.

    ``rows`` are figure rows of agent records (``report._rows``); rows without a ``per_target``
    breakdown are left out.
    """
    rows = [r for r in rows if r.get("per_target")]
    agents = [r for r in rows if not r["control"]]
    if not agents:
        return []
    controls = {(r["variant"], r["seed"], r["stage"], r["split"]): r["per_target"]
                for r in rows if r["control"]}  # fmt: skip
    seeds = len({r["seed"] for r in agents}) > 1
    stages = len({r["stage"] for r in agents}) > 1
    agents.sort(
        key=lambda r: (
            split_key(r["split"]),
            r.get("variant_index") or 0,
            r["seed"],
            STAGES.index(r["stage"]) if r["stage"] in STAGES else 99,
        )
    )
    lines = [
        "<details><summary>Success per target pair (successes/episodes; the "
        "instruction-free control on the same episodes in brackets)</summary>",
        "",
    ]
    for split in sorted({r["split"] for r in agents}, key=split_key):
        in_split = [r for r in agents if r["split"] == split]
        targets = sorted({t for r in in_split for t in r["per_target"]})
        header = [_column(r, seeds, stages) for r in in_split]
        lines += [f"`{split}`:", "", "| target | " + " | ".join(header) + " |",
                  "|---|" + "---|" * len(header)]  # fmt: skip
        for target in targets:
            cells = []
            for r in in_split:
                control = controls.get((r["variant"], r["seed"], r["stage"], split), {})
                cells.append(_cell(r["per_target"].get(target), control.get(target)))
            lines.append(f"| {target} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines + ["</details>", ""]
