"""``report.html``: one self-contained page per evaluation, for people to look at.

The page holds the summary table (success with Wilson 95% intervals, SPL, outcomes, grounding
accuracy), the instruction-free control next to each agent, how episodes ended (the failure
taxonomy, one table per split; rows under domain randomisation are split apart as
``train [domain_rand]``), success per target pair as a
colour-by-shape grid, what the wrong objects shared with the target, the plot, and a few rollout
videos, successes beside failures. Everything is inline (CSS, the PNG and the videos as base64
data URIs: H.264 MP4s from imageio-ffmpeg, which Chromium, Firefox and Safari play), so the file
can be mailed or attached as it is. No script runs on the page.
"""

from __future__ import annotations

import base64
import html
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.eval.failure_table import failures_html
from agent.eval.metrics import CONFUSIONS
from agent.eval.report import DOMAIN_RAND_TAG, plot_png, split_label
from agent.utils.io import atomic_write
from envs.language import COLORS, HELDOUT_COMBOS, SHAPES

REPORT_FILE = "report.html"
VIDEOS_PER_KIND = 2
"""Successes and failures each shown by default."""

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1180px;padding:0 16px;color:#1d2330;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde;
padding-bottom:4px}.meta{color:#5a6272;font-size:12.5px}code{background:#eef0f4;padding:1px 4px;
border-radius:3px}table{border-collapse:collapse;margin:6px 0 10px;background:#fff}
th,td{border:1px solid #d8dce4;padding:4px 9px;text-align:right}th{background:#f0f2f6}
td.l,th.l{text-align:left}.ci{color:#6b7383;font-size:12px}.grids{display:flex;flex-wrap:wrap;
gap:18px}.grid td{width:74px;text-align:center;font-weight:600}.grid td small{display:block;
font-weight:400;font-size:11px}.grid td.held{outline:2px dashed #334;outline-offset:-4px}
.grid td.none{background:#eceef2;color:#8a90a0}.bar{display:inline-block;height:10px;
background:#c0504d;vertical-align:middle;margin-left:6px}.videos{display:grid;
grid-template-columns:1fr 1fr;gap:14px}.videos h3{font-size:14px;margin:4px 0}
figure{margin:0 0 12px}video{width:100%;border:1px solid #ccd;background:#000}
figcaption{font-size:12.5px;color:#444}.good{color:#237a3b}.bad{color:#b03a2e}
img.plot{max-width:100%;border:1px solid #dde;background:#fff}
"""


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _summary(results: Sequence[dict[str, Any]]) -> str:
    head = ("policy", "split", "n", "success %", "95% interval", "SPL", "wrong %", "timeout %",
            "grounding %", "steps")  # fmt: skip
    rows = []
    for r in results:
        agg = r["aggregated"]
        low, high = agg["success_ci95"]
        spl = "-" if agg["spl"] is None else f"{agg['spl']:.3f}"
        steps = "-" if agg["mean_steps"] is None else f"{agg['mean_steps']:.1f}"
        rows.append(
            f"<tr><td class=l>{_esc(r['label'])}</td><td class=l>{_esc(split_label(r))}</td>"
            f"<td>{agg['episodes']}</td><td><b>{_pct(agg['success_rate'])}</b></td>"
            f"<td class=ci>[{_pct(low)}, {_pct(high)}]</td><td>{spl}</td>"
            f"<td>{_pct(agg['outcome_rates'].get('wrong_object'))}</td>"
            f"<td>{_pct(agg['outcome_rates'].get('timeout'))}</td>"
            f"<td>{_pct(agg['grounding_accuracy'])}</td><td>{steps}</td></tr>"
        )
    cells = "".join(f"<th{' class=l' if i < 2 else ''}>{h}</th>" for i, h in enumerate(head))
    return f"<table><tr>{cells}</tr>{''.join(rows)}</table>"


def _control(results: Sequence[dict[str, Any]]) -> str:
    by_key = {(r["label"], split_label(r)): r for r in results}
    rows = []
    for r in results:
        if r.get("control"):
            continue
        ctrl = by_key.get((f"{r['label']} [control]", split_label(r)))
        if ctrl is None:
            continue
        a, c = r["aggregated"], ctrl["aggregated"]
        gain = 100 * (a["success_rate"] - c["success_rate"])
        rows.append(
            f"<tr><td class=l>{_esc(r['label'])}</td><td class=l>{_esc(split_label(r))}</td>"
            f"<td>{_pct(a['success_rate'])} <span class=ci>[{_pct(a['success_ci95'][0])}, "
            f"{_pct(a['success_ci95'][1])}]</span></td><td>{_pct(c['success_rate'])} "
            f"<span class=ci>[{_pct(c['success_ci95'][0])}, {_pct(c['success_ci95'][1])}]"
            f"</span></td><td class={'good' if gain > 0 else 'bad'}><b>{gain:+.1f}</b></td></tr>"
        )
    if not rows:
        return "<p class=meta>No control rows (baselines only, or <code>--no-control</code>).</p>"
    return (
        "<p class=meta>The same agent on the same layouts, reading a mission that names nothing "
        "(&ldquo;go to the object&rdquo;): what it earns without grounding.</p><table><tr>"
        "<th class=l>agent</th><th class=l>split</th><th>success % with the instruction</th>"
        "<th>without (control)</th><th>points the instruction buys</th></tr>"
        f"{''.join(rows)}</table>"
    )


def _domain_rand_note(results: Sequence[dict[str, Any]]) -> str:
    if not any(r.get("domain_rand") for r in results):
        return ""
    return (
        f"<p class=meta><code>{DOMAIN_RAND_TAG.strip()}</code>: the same seeds under MiniWorld's "
        "domain randomisation (lighting, colours, camera and motion perturbed).</p>"
    )


def _cell_colour(rate: float) -> str:
    """Red (0) through amber to green (1), light enough for dark text."""
    return f"hsl({round(120 * rate)},62%,{78 - round(10 * rate)}%)"


def _grid(result: dict[str, Any]) -> str:
    per = result["aggregated"].get("per_target", {})
    head = "".join(f"<th>{s}</th>" for s in SHAPES)
    rows = []
    for color in COLORS:
        cells = []
        for shape in SHAPES:
            held = " held" if (color, shape) in HELDOUT_COMBOS else ""
            cell = per.get(f"{color} {shape}")
            if not cell:
                cells.append(f"<td class='none{held}'>&ndash;</td>")
                continue
            rate = cell["success_rate"]
            cells.append(
                f"<td class='{held.strip()}' style='background:{_cell_colour(rate)}' "
                f"title='{color} {shape}: {cell['successes']}/{cell['episodes']}'>"
                f"{_pct(rate)}<small>{cell['successes']}/{cell['episodes']}</small></td>"
            )
        rows.append(f"<tr><th class=l>{color}</th>{''.join(cells)}</tr>")
    title = f"{_esc(result['label'])} / {_esc(split_label(result))}"
    return (
        f"<div><div class=meta><b>{title}</b></div><table class=grid><tr><th></th>{head}</tr>"
        f"{''.join(rows)}</table></div>"
    )


def _confusion(results: Sequence[dict[str, Any]]) -> str:
    names = {"same_color": "same colour", "same_shape": "same shape", "neither": "neither"}
    rows = []
    for r in results:
        conf = r["aggregated"]["confusion"]
        wrong = sum(conf.get(k, 0) for k in CONFUSIONS)
        cells = []
        for k in CONFUSIONS:
            share = conf.get(k, 0) / wrong if wrong else 0.0
            cells.append(
                f"<td>{conf.get(k, 0)} <span class=ci>({_pct(share) if wrong else '-'}%)</span>"
                f"<span class=bar style='width:{round(60 * share)}px'></span></td>"
            )
        rows.append(
            f"<tr><td class=l>{_esc(r['label'])}</td><td class=l>{_esc(split_label(r))}</td>"
            f"<td>{wrong}</td>{''.join(cells)}</tr>"
        )
    head = "".join(f"<th>{names[k]}</th>" for k in CONFUSIONS)
    return (
        "<p class=meta>Of the wrong objects the agent walked into (or picked up), what each "
        "shared with the named target.</p><table><tr><th class=l>policy</th><th class=l>split"
        f"</th><th>wrong objects</th>{head}</tr>{''.join(rows)}</table>"
    )


def _data_uri_bytes(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


def _data_uri(path: str | os.PathLike, mime: str) -> str:
    return _data_uri_bytes(Path(path).read_bytes(), mime)


def _videos(videos: Sequence[dict[str, Any]]) -> str:
    if not videos:
        return "<p class=meta>No videos (recording was turned off).</p>"
    columns = []
    for title, wanted in (("successes", True), ("failures", False)):
        figures = [
            f"<figure><video controls muted loop playsinline preload=auto "
            f"src='{_data_uri(v['path'], 'video/mp4')}'></video><figcaption>seed {v['seed']}: "
            f"&ldquo;{_esc(v['mission'])}&rdquo; &rarr; <b class="
            f"{'good' if v['success'] else 'bad'}>{_esc(v['outcome'])}</b></figcaption></figure>"
            for v in videos
            if v["success"] == wanted
        ]
        body = "".join(figures) or f"<p class=meta>No {title} among the evaluated episodes.</p>"
        columns.append(f"<div><h3>{title}</h3>{body}</div>")
    first = videos[0]
    return (
        f"<p class=meta>{_esc(first['label'])} on {_esc(first['split'])}, episodes of the "
        "table above (same seeds): camera view, attention, top-down map with the path.</p>"
        f"<div class=videos>{''.join(columns)}</div>"
    )


def render_html(info: dict[str, Any], videos: Sequence[dict[str, Any]] = ()) -> str:
    """The page for an ``eval_info`` document and recorded videos (see :func:`record_videos`)."""
    results = info["results"]
    if not results:
        raise ValueError("eval_info has no results to report")
    task = info.get("task", "")
    seeds = f"seeds {info['seed']}.." if "seed" in info else ""
    if info.get("seed_range"):
        seeds += f" ({info['seed_range']} range)"
    grids = "".join(_grid(r) for r in results)
    plot = _data_uri_bytes(plot_png(results), "image/png")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>miniground evaluation: {_esc(task)}</title><style>{CSS}</style></head>
<body>
<h1>{_esc(task)} &mdash; evaluation</h1>
<div class=meta>{_esc(info.get("episodes", ""))} episodes per row, {_esc(seeds)};
created {_esc(info.get("created", ""))}; <code>{_esc(info.get("command", ""))}</code></div>
<h2>Summary</h2>{_summary(results)}
<p class=meta>Success with its Wilson 95% interval; SPL weighs each success by shortest path over
path taken; grounding % = successes / (successes + wrong objects).</p>
<h2>Instruction-free control</h2>{_control(results)}
<h2>How episodes ended</h2>{failures_html(results)}{_domain_rand_note(results)}
<h2>Success per target pair</h2>
<p class=meta>Rows are colours, columns shapes; cell colour runs from red (0%) to green (100%).
Dashed cells are the pairs held out of <code>train</code>; &ndash; means never named here.</p>
<div class=grids>{grids}</div>
<h2>Attribute confusion</h2>{_confusion(results)}
<h2>Plot</h2><img class=plot alt="success and wrong-object rate per split" src="{plot}">
<h2>Rollouts</h2>{_videos(videos)}
</body></html>
"""


def pick_episodes(
    info: dict[str, Any], per_kind: int = VIDEOS_PER_KIND
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The first non-control result and up to ``per_kind`` successes and failures of it."""
    result = next((r for r in info["results"] if not r.get("control")), None)
    if result is None or per_kind < 1:
        return result, []
    wins = [e for e in result["per_episode"] if e["outcome"] == "success"][:per_kind]
    losses = [e for e in result["per_episode"] if e["outcome"] != "success"][:per_kind]
    return result, wins + losses


def record_videos(
    info: dict[str, Any],
    out_dir: str | os.PathLike,
    per_kind: int = VIDEOS_PER_KIND,
    env_kwargs: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Record the picked episodes (same seeds as the table) into ``out_dir``, in a fresh process.

    Returns one dict per video: path, seed, outcome, success, mission, label, split.
    """
    from agent.eval.video import record_episodes

    result, episodes = pick_episodes(info, per_kind)
    if result is None or not episodes:
        return []
    seeds = [int(e["seed"]) for e in episodes]
    if result.get("domain_rand"):
        env_kwargs = {**(env_kwargs or {}), "domain_rand": True}
    paths = record_episodes(
        result["policy"], info["task"], len(seeds), out_dir, split=result["split"],
        env_kwargs=env_kwargs, seeds=seeds, sample=bool(info.get("sample", False)), grid=False,
        progress=False, subprocess=True,
    )  # fmt: skip
    videos = []
    for path, e in zip(paths, episodes, strict=True):
        # The recording's own outcome (the file name ends with it): the same as the table's for
        # a greedy agent, which replays its evaluation episode exactly.
        outcome = Path(path).stem.split(f"_seed{e['seed']}_", 1)[-1]
        videos.append({
            "path": str(path), "seed": e["seed"], "outcome": outcome,
            "success": outcome == "success", "mission": e.get("mission", ""),
            "label": result["label"], "split": split_label(result),
        })  # fmt: skip
    return videos


def write_html_report(
    out_dir: str | os.PathLike,
    info: dict[str, Any],
    per_kind: int = VIDEOS_PER_KIND,
    env_kwargs: dict[str, Any] | None = None,
) -> Path:
    """Record the videos (``per_kind`` 0: none) and write ``out_dir/report.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".report-videos-", dir=out) as tmp:
        videos = record_videos(info, tmp, per_kind, env_kwargs) if per_kind > 0 else []
        page = render_html(info, videos)
    return atomic_write(out / REPORT_FILE, page)
