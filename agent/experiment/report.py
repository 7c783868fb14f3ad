"""RESULTS.md and its plots, rebuilt from the committed result records alone.

Figures come only from records (``--budget full``, final-evaluation seeds). The experiment files
add what is still missing (planned runs without a record) and each experiment's hand-written
``<results>/<name>/notes.md`` (headline findings) is quoted under its tables.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from agent.experiment import plots
from agent.experiment.labels import STAGES, split_key, stage_label
from agent.experiment.per_target import per_target_tables
from agent.experiment.records import load_records
from agent.utils.io import atomic_write, atomic_write_bytes

HEADER = """# Results

Rebuilt by `miniground experiment report` from the records in `experiments/results/<experiment>/`
(one JSON per run, made by `miniground experiment run experiments/<experiment>.toml --budget
full`); do not edit by hand: notes live in `experiments/results/<experiment>/notes.md`. Every
figure is a success rate in % with its Wilson 95% interval and n (episodes), on
final-evaluation env seeds (2,000,000..) that nothing was tuned on; `control` is the same agent
on the same layouts reading "go to the object" (the instruction-free control). Seeds: `train s`
is the training seed (demos on env seeds s x 100,000 ..); the eval seeds are listed per
experiment. `stage` is the training stage the agent was evaluated after; `dagger (BC kept)` means
the DAgger round lowered success on the validation episodes and the BC weights were kept.
"""


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _cell(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    low, high = row["success_ci95"]
    return f"{_pct(row['success_rate'])} [{_pct(low)}, {_pct(high)}] n={row['n']}"


def _rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every figure row, with its record's variant, x, seed and task."""
    out = []
    for rec in records:
        for fig in rec["figures"]:
            out.append({**fig, "variant": rec["variant"], "x": rec.get("x"), "seed": rec["seed"],
                        "task": rec["task"], "kind": rec["kind"],
                        "record_policy": rec["policy"], "kept": rec.get("kept"),
                        "variant_index": rec.get("variant_index")})  # fmt: skip
    return out


def _outcomes(row: dict[str, Any]) -> str:
    n = max(row["n"], 1)
    return " / ".join(_pct(row["outcomes"].get(k, 0) / n)
                      for k in ("success", "wrong_object", "timeout"))  # fmt: skip


def _planned(experiments_dir: Path, name: str) -> tuple[list[str], dict[str, Any]] | None:
    """Run ids an experiment file plans at its own seed count, and its header."""
    from agent.experiment.plan import plan_runs
    from agent.experiment.spec import is_experiment_file, load_experiment

    path = experiments_dir / f"{name}.toml"
    if not path.is_file() or not is_experiment_file(path):
        return None
    experiment = load_experiment(path)
    return [r.run_id for r in plan_runs(experiment)], experiment.meta()


def _agent_table(records: list[dict[str, Any]]) -> list[str]:
    agents = [r for r in records if r["kind"] == "agent"]
    baselines = {(r["task"], r["policy"], f["split"]): f
                 for r in records if r["kind"] == "baseline" for f in r["figures"]}  # fmt: skip
    order = {r["variant"]: (r["variant_index"], r["variant"]) for r in agents}
    lines = ["| variant | train seed | stage | split | agent success % [95% CI] | control | "
             "expert | random | outcomes s/w/t % | SPL |",
             "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    rows = [f for f in _rows(agents) if not f["control"]]
    controls = {(f["variant"], f["seed"], f["stage"], f["split"]): f
                for f in _rows(agents) if f["control"]}  # fmt: skip
    rows.sort(key=lambda f: (order[f["variant"]], f["seed"], STAGES.index(f["stage"]),
                             split_key(f["split"])))  # fmt: skip
    for f in rows:
        control = controls.get((f["variant"], f["seed"], f["stage"], f["split"]))
        expert = baselines.get((f["task"], "expert", f["split"]))
        random = baselines.get((f["task"], "random", f["split"]))
        lines.append(
            f"| {f['variant']} | {f['seed']} | {stage_label(f)} | {f['split']} | {_cell(f)} | "
            f"{_cell(control)} | {_cell(expert)} | {_cell(random)} | {_outcomes(f)} | "
            f"{f['spl']:.3f} |"
        )
    return lines


def _baseline_table(records: list[dict[str, Any]]) -> list[str]:
    """The expert and random policy on the same episodes as the agents, per task."""
    rows = [(r["task"], r["policy"], f) for r in records if r["kind"] == "baseline"
            for f in r["figures"]]  # fmt: skip
    if not rows:
        return []
    lines = ["", "Baselines on the same episodes:", "",
             "| task | policy | split | success % [95% CI] | outcomes s/w/t % | SPL |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for task, policy, f in sorted(rows, key=lambda t: (t[0], t[1], split_key(t[2]["split"]))):
        lines.append(f"| {task} | {policy} | {f['split']} | {_cell(f)} | {_outcomes(f)} | "
                     f"{f['spl']:.3f} |")  # fmt: skip
    return lines


def _seed_table(records: list[dict[str, Any]]) -> list[str]:
    """Mean and spread across training seeds, next to the range of each run's own interval."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for f in _rows(r for r in records if r["kind"] == "agent"):
        if not f["control"]:
            groups.setdefault((f["variant"], f["stage"], f["split"]), []).append(f)
    multi = {k: v for k, v in groups.items() if len({f["seed"] for f in v}) > 1}
    if not multi:
        return []
    lines = ["", "Across training seeds (sd: sample standard deviation of the seeds' success; "
             "half-width: mean half-width of each run's own 95% interval):", "",
             "| variant | stage | split | seeds | mean % | sd (points) | min..max % | "
             "half-width (points) |", "|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for (variant, stage, split), rows in sorted(multi.items()):
        rates = [f["success_rate"] for f in sorted(rows, key=lambda f: f["seed"])]
        half = statistics.mean((f["success_ci95"][1] - f["success_ci95"][0]) / 2 for f in rows)
        lines.append(
            f"| {variant} | {stage} | {split} | {','.join(str(f['seed']) for f in rows)} | "
            f"{_pct(statistics.mean(rates))} | {100 * statistics.stdev(rates):.1f} | "
            f"{_pct(min(rates))}..{_pct(max(rates))} | {100 * half:.1f} |"
        )
    return lines


def _provenance(records: list[dict[str, Any]]) -> list[str]:
    seconds = sum(r["timings_s"]["total"] for r in records if not r.get("reused_from"))
    codes = sorted({r["key"]["code_hash"] for r in records})
    heads = sorted({(r["code"].get("head") or "?")[:10] for r in records})
    machines = sorted({f"{r['machine']['cores']} cores, {r['machine']['cpu']}, GPU "
                       f"{r['machine']['gpu']}" for r in records})  # fmt: skip
    evals = sorted({tuple(r["seed_ranges"]["eval"]) for r in records})
    demos = sorted({tuple(r["seed_ranges"]["demos"]) for r in records if "demos" in
                    r["seed_ranges"]})  # fmt: skip
    lines = [f"Machine time of these records: {seconds / 3600:.2f} h ({seconds:.0f} s, the sum "
             "of every run's stage wall times; reused records not counted twice).",
             f"Eval seeds: {', '.join(f'{a:,}..{b:,}' for a, b in evals)}."]  # fmt: skip
    if demos:
        lines.append(f"Demo seeds: {', '.join(f'{a:,}..{b:,}' for a, b in demos)}.")
    lines.append(f"Code hash {', '.join(codes)} (commit {', '.join(heads)}); "
                 f"machine: {'; '.join(machines)}.")  # fmt: skip
    return [" ".join(lines)]


def _section(name: str, records: list[dict[str, Any]], results: Path,
             experiments_dir: Path) -> tuple[list[str], dict[str, bytes]]:  # fmt: skip
    planned = _planned(experiments_dir, name)
    meta = {"title": name, "description": ""}
    if records:
        meta = records[0]["experiment"]
    elif planned is not None:
        meta = planned[1]
    lines = [f"## {meta.get('title') or name}", "", meta.get("description", "").strip(), ""]
    have = {r["run_id"] for r in records}
    if planned is not None:
        ids, count = planned[0], planned[1]["seeds"]
        missing = [i for i in ids if i not in have]
        lines.append(f"Records: {len([i for i in ids if i in have])} of {len(ids)} planned runs "
                     f"({count} training seed{'s' * (count > 1)}).")  # fmt: skip
        if missing:
            lines.append(f"Missing ({len(missing)}): {', '.join(missing)} -- "
                         f"`miniground experiment run experiments/{name}.toml`.")  # fmt: skip
        lines.append("")
    if not records:
        return lines + ["No records yet.", ""], {}
    lines += _provenance(records) + [""]
    if any(r["kind"] == "agent" for r in records):
        lines += _agent_table(records) + _seed_table(records)
    lines += _baseline_table(records) + [""]
    agents = [r for r in records if r["kind"] == "agent"]
    agent_rows = _rows(agents)
    lines += per_target_tables(agent_rows)
    images: dict[str, bytes] = {}
    if agents:
        title = meta.get("title") or name
        if meta.get("plot") == "curve":
            rows = [f for f in agent_rows if f["stage"] == _last_stage(agents)]
            splits = list(dict.fromkeys(f["split"] for f in rows))
            bases = _rows(r for r in records if r["kind"] == "baseline")
            png = plots.curve(rows, splits, meta.get("x_label", ""), title, bases)
        else:
            rows = agent_rows
            stages = {f["stage"] for f in rows}
            order = {(r["variant"], s): (r["variant_index"], STAGES.index(s))
                     for r in agents for s in stages}  # fmt: skip
            if len(stages) > 1:  # one bar group per variant x stage
                rows = [{**f, "variant": f"{f['variant']}: {f['stage']}"} for f in rows]
            variants = [f"{v}: {s}" if len(stages) > 1 else v
                        for v, s in sorted(order, key=order.__getitem__)]  # fmt: skip
            variants = list(dict.fromkeys(variants))
            splits = list(dict.fromkeys(f["split"] for f in rows))
            png = plots.bars(rows, variants, splits, title)
        images[f"{name}/{name}.png"] = png
        lines += [f"![{title}]({name}/{name}.png)", ""]
    notes = results / name / "notes.md"
    if notes.is_file():
        lines += [notes.read_text().strip(), ""]
    return lines, images


def _last_stage(records: list[dict[str, Any]]) -> str:
    stages = {f["stage"] for r in records for f in r["figures"]}
    return next(s for s in reversed(STAGES) if s in stages)


def build_results(
    results: str | Path, experiments_dir: str | Path
) -> tuple[str, dict[str, bytes]]:  # fmt: skip
    """RESULTS.md's text and its plots (relative path -> PNG bytes)."""
    results, experiments_dir = Path(results), Path(experiments_dir)
    by_name = load_records(results)
    names = set(by_name) | {p.stem for p in experiments_dir.glob("*.toml")
                            if _planned(experiments_dir, p.stem) is not None}  # fmt: skip

    def order(name: str) -> tuple[int, str]:
        if by_name.get(name):
            return by_name[name][0]["experiment"].get("order", 99), name
        from agent.experiment.spec import load_experiment

        return load_experiment(experiments_dir / f"{name}.toml").header.order, name

    lines = [HEADER]
    images: dict[str, bytes] = {}
    sections: list[str] = []
    planned_total = 0
    for name in sorted(names, key=order):
        records = sorted(by_name.get(name, []), key=lambda r: r["run_id"])
        section, pngs = _section(name, records, results, experiments_dir)
        sections += section
        images.update(pngs)
        planned = _planned(experiments_dir, name)
        planned_total += len(planned[0]) if planned else len(records)
    every = [r for recs in by_name.values() for r in recs]
    seconds = sum(r["timings_s"]["total"] for r in every if not r.get("reused_from"))
    lines += [f"Status: {len(every)} of {planned_total} planned runs recorded (a run shared by two "
              f"experiments counts in each); machine time of the records {seconds / 3600:.2f} h.",
              ""]  # fmt: skip
    lines += sections
    return "\n".join(lines).rstrip() + "\n", images


def write_results(results: str | Path, experiments_dir: str | Path, check: bool = False) -> bool:
    """Write RESULTS.md and its plots (or, with ``check``, only compare); return whether
    RESULTS.md differed from what the records give."""
    text, images = build_results(results, experiments_dir)
    path = Path(results) / "RESULTS.md"
    changed = not path.is_file() or path.read_text() != text
    if check:
        return changed
    atomic_write(path, text)
    for rel, png in images.items():
        atomic_write_bytes(Path(results) / rel, png)
    print(f"wrote {path} ({len(images)} plots)")
    return changed
