"""Model cards: ``README.md`` next to ``config.json`` and ``model.safetensors`` in a checkpoint.

As on Hugging Face model repositories: YAML metadata, how to load and evaluate the agent, its
architecture (every ``AgentConfig`` field), the training data and seeds, and the evaluation
figures. Data and figures come from the run the checkpoint sits in, when there is one: the run's
``config.json`` (training settings and the demos manifest) and ``eval/eval_info.json`` rows whose
policy is this checkpoint. :func:`write_card` may be called again after an evaluation to add them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from agent.model.config import AgentConfig
from agent.utils.io import atomic_write

CARD_FILE = "README.md"
TRAIN_KEYS: tuple[str, ...] = (
    "seed", "updates", "lr", "batch_episodes", "grad_clip", "threads", "name",
)  # fmt: skip


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def find_run(checkpoint: Path) -> tuple[Path | None, dict[str, Any] | None]:
    """The run directory holding ``checkpoint`` and its config.json (the one naming demos)."""
    for folder in (checkpoint, *checkpoint.resolve().parents[:2]):
        config = _read_json(folder / "config.json")
        if isinstance(config, dict) and isinstance(config.get("demos"), dict):
            return folder, config
    return None, None


def evaluations_of(checkpoint: Path, run: Path | None) -> list[dict[str, Any]]:
    """Rows of the run's eval_info.json(s) that evaluated this checkpoint (controls included)."""
    if run is None:
        return []
    rows = []
    me = checkpoint.resolve()
    for path in (run / "eval" / "eval_info.json", run / "eval_info.json"):
        info = _read_json(path)
        if not isinstance(info, dict):
            continue
        for r in info.get("results", []):
            try:
                mine = Path(str(r["policy"])).resolve() == me
            except (KeyError, OSError):
                mine = False
            if mine:
                rows.append({**r, "seed": info.get("seed"), "range": info.get("seed_range")})
    return rows


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def _data_section(run_config: dict[str, Any] | None) -> str:
    if not run_config:
        return (
            "No run directory with a training config was found next to this checkpoint, so the "
            "training data and seeds are not recorded here.\n"
        )
    demos = run_config.get("demos", {})
    train = run_config.get("train", {})
    lines = []
    if demos:
        first = int(demos.get("seed", 0))
        episodes = int(demos.get("episodes", 0))
        lines += [
            f"- Task: `{demos.get('task', '?')}`, split `{demos.get('split', '?')}`, env kwargs "
            f"`{json.dumps(demos.get('env_kwargs', {}), sort_keys=True)}`",
            f"- Demonstrations: {episodes} episodes by the `{demos.get('teacher', '?')}` teacher "
            f"({demos.get('frames', '?')} frames, {demos.get('successes', '?')} successes), "
            f"env seeds {first}..{first + episodes - 1}",
        ]
    picked = {k: train[k] for k in TRAIN_KEYS if k in train}
    if picked:
        lines.append(
            "- Training: " + ", ".join(f"`{k}` = {json.dumps(v)}" for k, v in picked.items())
        )
    versions = run_config.get("versions")
    if isinstance(versions, dict):
        lines.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    return "\n".join(lines) + "\n"


def _eval_section(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return (
            "Not evaluated in this run yet. Measure it with "
            "`miniground eval --checkpoint <this directory> --split train,heldout_combos`.\n"
        )
    out = [
        "| policy | split | episodes | success % [95% CI] | SPL | wrong-object % | env seeds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        agg = r["aggregated"]
        low, high = agg["success_ci95"]
        spl = "-" if agg.get("spl") is None else f"{agg['spl']:.3f}"
        seeds = "-" if r.get("seed") is None else f"{r['seed']}.. ({r.get('range') or '?'})"
        out.append(
            f"| {r['label']} | {r['split']}{' [domain_rand]' * bool(r.get('domain_rand'))} "
            f"| {agg['episodes']} | {_pct(agg['success_rate'])} "
            f"[{_pct(low)}, {_pct(high)}] | {spl} | {_pct(agg.get('wrong_object_rate'))} "
            f"| {seeds} |"
        )
    out.append(
        "\nRows marked `[control]` are the same agent reading a mission that names nothing, on "
        "the same layouts: what it earns without grounding."
    )
    return "\n".join(out) + "\n"


def _proprio_note(config: AgentConfig) -> str:
    """The card's words on proprioception."""
    if not config.proprioception:
        return ""
    return "; it also reads proprioception (`prev_action`, `moved`: a `-v1` task)"


def render_card(checkpoint: Path, config: AgentConfig, num_parameters: int | None = None) -> str:
    """The card's Markdown for a checkpoint directory."""
    run, run_config = find_run(checkpoint)
    demos = (run_config or {}).get("demos", {})
    task = demos.get("task")
    fields = "\n".join(f"| `{k}` | `{json.dumps(v)}` |" for k, v in config.to_dict().items())
    size = "" if num_parameters is None else f" ({num_parameters:,} parameters)"
    meta = [
        "---",
        "library_name: miniground",
        "tags:",
        *(
            f"- {t}"
            for t in (
                "reinforcement-learning",
                "imitation-learning",
                "miniworld",
                "language-grounding",
                "instruction-following",
            )
        ),  # fmt: skip
    ]
    if task:
        meta.append(f"env: {task}")
    meta.append("---")
    return f"""{chr(10).join(meta)}

# miniground agent{f": {task}" if task else ""}

A language-grounded agent for MiniWorld: it reads an instruction and egocentric camera
frames and acts{size}. Text encoder `{config.text_encoder}`, `{config.fusion}` fusion,
`{config.memory}` memory, {config.num_actions} actions, frames of
{config.obs_width}x{config.obs_height} pixels{_proprio_note(config)}. Trained on the colours
{", ".join(config.colors)} and the shapes {", ".join(config.shapes)}.

## Use

```python
from agent.model.agent import Agent

agent = Agent.from_pretrained("{checkpoint.name}")
```

```bash
miniground eval --checkpoint {checkpoint.name} --task {task or "MiniGround/GoToObject-v1"} \\
    --split train,heldout_combos --episodes 200
```

## Training data and seeds

{_data_section(run_config)}
## Evaluation

{_eval_section(evaluations_of(checkpoint, run))}
## Configuration (`config.json`)

| field | value |
|---|---|
{fields}

Files: `config.json` (this table), `model.safetensors` (weights; no pickle), the tokenizer files.
"""


def write_card(
    checkpoint: str | os.PathLike,
    config: AgentConfig | None = None,
    num_parameters: int | None = None,
) -> Path:
    """Write ``checkpoint/README.md`` (the config read from ``config.json`` when not given)."""
    path = Path(checkpoint)
    if config is None:
        config = AgentConfig.from_dict(json.loads((path / "config.json").read_text()))
    return atomic_write(path / CARD_FILE, render_card(path, config, num_parameters))
