"""``miniground bench sensor``: can the camera see what the agent commits to?

For each task and camera pitch, the scanning teacher (``policies.teacher``) runs fresh validation
episodes (the one episode loop, ``agent.rollout.episode``). After every step an id render pass
(:mod:`envs.masks`, exact) tells which objects the frame shows. A *commit* is the step that ends
the episode with success, or that advances the stage (put-next's pickup, a sequence's first
subgoal); its object is the target before that step. Per commit kind and target shape the bench
reports the share of the last ``K`` frames before the commit action in which the object was in
view, and the median (over commits) of the closest distance (agent centre to object centre) at
which it was still in view during that stage. Per task and pitch it also reports how often the
first target is in view at the start, whether the scan finds it within a full turn, the median
distance at which it is first seen (a camera that looks down must not hide far objects), success,
and while carrying (put-next) the share of frames that show the carried object.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from typing import Any

from agent.utils.seeds import LEVER_SEED
from envs.registration import V1_CAM_PITCH, check_task

DEFAULT_TASKS = ("MiniGround/GoToObject-v1",)
DEFAULT_PITCHES = (0.0, V1_CAM_PITCH)
COMMIT_NAMES = {"goto": ("bump",), "pickup": ("pickup",), "putnext": ("pickup", "drop next to"),
                "sequence": ("first", "second")}  # fmt: skip
"""What a commit is called, per family and stage."""
SCAN_FRAMES = 25
"""Frames of a full scan (24 turns of 15 degrees, and the start)."""


def _trace(env: Any, task: str, seed: int, episode: int) -> tuple[list[dict[str, Any]], dict]:
    """Run one teacher episode; per frame (reset, then after each step): objects in view, the
    distance to each object, the target's index, the stage and the carried object's index."""
    from agent.rollout.episode import TeacherPolicy, run_episode
    from envs import masks

    base = env.unwrapped
    frames: list[dict[str, Any]] = []

    def look(obs: Any, action: int | None, info: dict[str, Any], policy: Any) -> None:
        objects = base.objects
        visible = masks.visible_from_ids(masks.object_id_map(base), len(objects))
        ax, az = float(base.agent.pos[0]), float(base.agent.pos[2])
        carried = base.agent.carrying
        frames.append(
            {
                "visible": visible,
                "distance": [
                    math.hypot(float(e.pos[0]) - ax, float(e.pos[2]) - az) for e in objects
                ],
                "target": objects.index(base.target),
                "stage": int(info["stage"]),
                "carried": None if carried is None else objects.index(carried),
                "success": bool(info["is_success"]),
            }
        )

    record = run_episode(env, TeacherPolicy(env, "scan"), episode, seed, callback=look)
    return frames, record


def _commits(frames: list[dict[str, Any]]) -> list[tuple[int, int, int]]:
    """(frame index of the commit step, its object, the stage it ended) for each commit."""
    out = []
    for i in range(1, len(frames)):
        prev, now = frames[i - 1], frames[i]
        if now["stage"] > prev["stage"] or (now["success"] and i == len(frames) - 1):
            out.append((i, prev["target"], prev["stage"]))
    return out


def measure_episode(frames: list[dict[str, Any]], last: int) -> dict[str, Any]:
    """The sensor's figures for one traced episode (see the module docstring)."""
    commits = []
    start = 0
    for step, obj, stage in _commits(frames):
        window = frames[max(start, step - last) : step]
        seen = [f["distance"][obj] for f in frames[start:step] if f["visible"][obj]]
        commits.append(
            {
                "stage": stage,
                "object": obj,
                "share": sum(f["visible"][obj] for f in window) / max(len(window), 1),
                "closest": min(seen) if seen else None,
            }
        )
        start = step
    first = frames[0]["target"]
    first_seen = next((f["distance"][first] for f in frames if f["visible"][first]), None)
    carrying = [f for f in frames if f["carried"] is not None]
    return {
        "commits": commits,
        "start_visible": bool(frames[0]["visible"][first]),
        "found_in_scan": any(f["visible"][first] for f in frames[:SCAN_FRAMES]),
        "first_seen_distance": first_seen,
        "carried_frames": len(carrying),
        "carried_visible": sum(f["visible"][f["carried"]] for f in carrying),
    }


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def bench_sensor(task: str, pitch: float, episodes: int, last: int, seed: int) -> dict[str, Any]:
    """The sensor's figures of ``task`` with the camera pitched ``pitch`` degrees."""
    from agent.rollout.episode import make_env

    env = make_env(check_task(task), "train", cam_pitch=pitch, labels="seen")
    base = env.unwrapped
    family, per_row, summary = base.family, {}, []
    try:
        for i in range(episodes):
            frames, record = _trace(env, task, seed + i, i)
            shapes = [e.shape for e in base.objects]
            figures = measure_episode(frames, last)
            figures["success"] = record["outcome"] == "success"
            summary.append(figures)
            for c in figures["commits"]:
                name = COMMIT_NAMES.get(family, ("commit",))[min(c["stage"], 1)]
                for shape in (shapes[c["object"]], "all"):
                    per_row.setdefault((c["stage"], name, shape == "all", shape), []).append(c)
    finally:
        env.close()
    rows = {
        f"{name}/{shape}": {
            "n": len(cs),
            "share_last": statistics.fmean(c["share"] for c in cs),
            "closest_visible_median": _median([c["closest"] for c in cs if c["closest"]]),
            "never_visible": sum(c["closest"] is None for c in cs),
        }
        for (_, name, _, shape), cs in sorted(per_row.items())
    }
    carried = sum(s["carried_frames"] for s in summary)
    return {
        "task": task,
        "pitch": pitch,
        "episodes": episodes,
        "seeds": [seed, seed + episodes - 1],
        "last": last,
        "rows": rows,
        "start_visible": statistics.fmean(s["start_visible"] for s in summary),
        "found_in_scan": statistics.fmean(s["found_in_scan"] for s in summary),
        "first_seen_distance_median": _median(
            [s["first_seen_distance"] for s in summary if s["first_seen_distance"] is not None]
        ),
        "success": statistics.fmean(s["success"] for s in summary),
        "carried_visible": None
        if not carried
        else sum(s["carried_visible"] for s in summary) / carried,
    }


def format_table(reports: list[dict[str, Any]]) -> str:
    """One table per task: a row per commit kind and shape, a column per pitch."""
    lines = []
    for task in dict.fromkeys(r["task"] for r in reports):
        runs = [r for r in reports if r["task"] == task]
        first = runs[0]
        lines.append(
            f"{task}: {first['episodes']} episodes (seeds {first['seeds'][0]}..), scanning "
            f"teacher; per pitch: share of the last {first['last']} frames before the commit "
            "with the target in view, median closest distance still in view"
        )
        head = f"{'commit/shape':<20} {'n':>4}" + "".join(f" {r['pitch']:>+12g}" for r in runs)
        lines.append(head)
        for row in dict.fromkeys(k for r in runs for k in r["rows"]):
            cells = []
            for r in runs:
                x = r["rows"].get(row)
                closest = x and x["closest_visible_median"]
                cells.append(
                    "-"
                    if x is None
                    else f"{x['share_last']:.2f} " + ("  -  " if not closest else f"{closest:.2f}m")
                )
            n = max(r["rows"].get(row, {}).get("n", 0) for r in runs)
            lines.append(f"{row:<20} {n:>4}" + "".join(f" {c:>12}" for c in cells))
        for key, label, fmt in (
            ("start_visible", "in view at start", "{:.2f}"),
            ("found_in_scan", "found by the scan", "{:.2f}"),
            ("first_seen_distance_median", "first seen at (m)", "{:.2f}"),
            ("success", "success", "{:.2f}"),
            ("carried_visible", "carried in view", "{:.2f}"),
        ):
            values = [r[key] for r in runs]
            if any(v is not None for v in values):
                cells = "".join(f" {'-' if v is None else fmt.format(v):>12}" for v in values)
                lines.append(f"{label:<20} {'':>4}" + cells)
        lines.append("")
    return "\n".join(lines).rstrip()


def _pitches(text: str) -> list[float]:
    try:
        return [float(p) for p in text.split(",") if p.strip()]
    except ValueError as exc:
        raise ValueError(f"--pitch must be comma-separated degrees, got {text!r}") from exc


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the measurement for every task and pitch, print tables or JSON."""
    p = argparse.ArgumentParser(prog="miniground bench sensor", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--task", nargs="+", default=list(DEFAULT_TASKS), help="MiniGround ids")
    p.add_argument("--episodes", type=int, default=60, help="episodes per task and pitch")
    pitches = ",".join(f"{x:g}" for x in DEFAULT_PITCHES)
    p.add_argument("--pitch", default=pitches, help="pitches (degrees, down < 0), comma-separated")
    p.add_argument("--last", type=int, default=10, help="frames before each commit (K)")
    p.add_argument("--seed", type=int, default=LEVER_SEED, help="first (validation) seed")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    args = p.parse_args(argv)
    for task in args.task:
        check_task(task)
    if args.episodes < 1 or args.last < 1:
        raise ValueError("--episodes and --last must be >= 1")
    reports = [
        bench_sensor(task, pitch, args.episodes, args.last, args.seed)
        for task in args.task
        for pitch in _pitches(args.pitch)
    ]
    print(json.dumps(reports, indent=2) if args.json else format_table(reports))
    return 0
