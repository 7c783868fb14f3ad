"""``miniground bench labels``: exact (id-pass) visibility against the geometric test, and costs.

On random collision-free poses in seeded layouts, every object's visibility from the pixels
(:mod:`envs.masks`, at least 3 pixels) is compared with the floor-plane test of
:mod:`envs.labels`; then one frame, one id pass and one geometric test are timed side by side in
the same process, alternating over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np

from envs.registration import DEFAULT_TASK, check_task


def _random_pose(base: Any, rng: np.random.Generator) -> None:
    """Put the agent at a random collision-free pose inside the floor plan."""
    while True:
        x = rng.uniform(base.min_x + 0.6, base.max_x - 0.6)
        z = rng.uniform(base.min_z + 0.6, base.max_z - 0.6)
        pos = np.array([x, 0.0, z])
        if not base.intersect(base.agent, pos, base.agent.radius):
            break
    base.agent.pos = pos
    base.agent.dir = float(rng.uniform(-np.pi, np.pi))


def bench_labels(
    task: str = DEFAULT_TASK, layouts: int = 60, poses: int = 10, seed: int = 0, rounds: int = 3
) -> dict[str, Any]:
    """Agreement of the two visibility labels, and ms per frame / id pass / geometric test."""
    import envs
    from envs import labels, masks

    check_task(task)
    env = envs.make(task, labels="geometric")
    base = env.unwrapped
    rng = np.random.default_rng(seed)
    counts = {"agree": 0, "geometric_only": 0, "pixels_only": 0, "total": 0}
    for layout in range(layouts):
        env.reset(seed=seed + layout)
        for _ in range(poses):
            _random_pose(base, rng)
            base.render_obs()
            exact = masks.visible_from_ids(masks.object_id_map(base), len(base.objects))
            for e, g in zip(exact, labels.visible_objects(base), strict=True):
                counts["total"] += 1
                counts["agree"] += e == g
                counts["geometric_only"] += g and not e
                counts["pixels_only"] += e and not g
    timings: dict[str, list[float]] = {"frame": [], "id_pass": [], "geometric": []}
    calls = {
        "frame": base.render_obs,
        "id_pass": lambda: masks.object_id_map(base),
        "geometric": lambda: labels.visible_objects(base),
    }
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            for _ in range(300):
                call()
            timings[name].append((time.perf_counter() - start) / 300 * 1000)
    env.close()
    total = counts["total"]
    ms = {k: statistics.median(v) for k, v in timings.items()}
    return {
        "task": task,
        "layout_seeds": [seed, seed + layouts - 1],
        "poses_per_layout": poses,
        "object_frames": total,
        "agreement": counts["agree"] / total,
        "geometric_visible_pixels_not": counts["geometric_only"] / total,
        "pixels_visible_geometric_not": counts["pixels_only"] / total,
        "ms_per_call": ms,
        "id_pass_vs_frame": ms["id_pass"] / ms["frame"],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print a summary or JSON."""
    parser = argparse.ArgumentParser(prog="miniground bench labels", description=__doc__)
    parser.add_argument("--task", default=DEFAULT_TASK, help="MiniGround id to measure")
    parser.add_argument("--layouts", type=int, default=60, help="seeded layouts (from --seed)")
    parser.add_argument("--poses", type=int, default=10, help="random poses per layout")
    parser.add_argument("--seed", type=int, default=0, help="first layout seed")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    if args.layouts < 1 or args.poses < 1:
        raise ValueError("--layouts and --poses must be >= 1")
    report = bench_labels(args.task, args.layouts, args.poses, args.seed)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    ms = report["ms_per_call"]
    print(f"{report['object_frames']} object-frames ({args.layouts} layouts x {args.poses} poses)")
    print(
        f"geometric labels agree with the pixels on {report['agreement']:.1%}: "
        f"{report['geometric_visible_pixels_not']:.1%} visible by geometry only, "
        f"{report['pixels_visible_geometric_not']:.1%} visible in the pixels only"
    )
    print(
        f"ms per call: frame {ms['frame']:.3f}, id pass {ms['id_pass']:.3f} "
        f"({report['id_pass_vs_frame']:.2f} of a frame), geometric test {ms['geometric']:.3f}"
    )
    return 0
