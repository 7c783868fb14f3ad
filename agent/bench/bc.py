"""``miniground bench bc``: does the data pipeline starve the learner?

Measures, in one run and alternating, (a) the trainer's full update (batch sampling, gathering,
mirroring, forward/backward, optimizer step) and (b) the bare forward/backward + optimizer step of
the same model on a batch prepared once, and reports samples/s of each and their ratio (a)/(b).
Target: >= 0.85. Episodes are synthetic (random frames of realistic lengths): no env is needed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import numpy as np
import torch

from agent.data.episodes import LABEL_KEYS, Episodes
from agent.learn.bc import BCConfig, BCTrainer
from agent.model.config import AgentConfig


def synthetic_episodes(n: int = 64, mean_len: int = 35, seed: int = 0) -> Episodes:
    """Random episodes shaped like GoToObject demos (frames, actions, labels)."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(mean_len // 2, 2 * mean_len, size=n)
    total = int(lengths.sum())
    labels = {
        "target_visible": rng.random(total) < 0.5,
        "target_seen": rng.random(total) < 0.7,
        "target_bearing": rng.uniform(-np.pi, np.pi, total).astype(np.float32),
        "target_distance": rng.uniform(0, 8, total).astype(np.float32),
        "visible_colors": (rng.random((total, 6)) < 0.3).astype(np.float32),
        "visible_shapes": (rng.random((total, 3)) < 0.3).astype(np.float32),
        "target_code": rng.integers(1, 19, total).astype(np.uint8),
        "semantic_map": rng.integers(0, 19, (total, 60, 80)).astype(np.uint8),
    }
    assert set(labels) == set(LABEL_KEYS)
    return Episodes(
        images=rng.integers(0, 256, (total, 60, 80, 3), dtype=np.uint8),
        actions=rng.integers(0, 3, total),
        rewards=np.zeros(total, dtype=np.float32),
        labels=labels,
        starts=np.concatenate([[0], np.cumsum(lengths)[:-1]]),
        lengths=lengths,
        missions=np.asarray(["go to the red ball"] * n),
        outcomes=np.asarray(["success"] * n),
        seeds=np.arange(n),
    )


def bare_rate(trainer: BCTrainer, batch: Any, updates: int) -> float:
    """Samples/s of ``updates`` forward/backward + optimizer steps on one prepared batch."""
    samples = int(batch.mask.sum())
    t0 = time.perf_counter()
    for _ in range(updates):
        trainer.optimizer.zero_grad(set_to_none=True)
        trainer.loss(batch)
        trainer.optimizer.step()
    return updates * samples / (time.perf_counter() - t0)


def bench_bc(updates: int = 20, rounds: int = 3, threads: int = 2) -> dict[str, Any]:
    """Samples/s of full trainer updates and of bare forward/backward, side by side."""
    import tempfile

    episodes = synthetic_episodes()
    with tempfile.TemporaryDirectory() as tmp:
        config = BCConfig(out=tmp, threads=threads, eval_interval=0, agent=AgentConfig())
        manifest = {"task": "MiniGround/GoToObject-v0", "env_kwargs": {}, "teacher": "expert"}
        trainer = BCTrainer(config, episodes, manifest)
        fixed = trainer.sampler.sample(config.hflip)

        def full() -> float:
            total, t0 = 0, time.perf_counter()
            for _ in range(updates):
                trainer.optimizer.zero_grad(set_to_none=True)
                batch = trainer.sampler.sample(config.hflip)
                trainer.loss(batch)
                trainer.optimizer.step()
                total += int(batch.mask.sum())
            return total / (time.perf_counter() - t0)

        def bare() -> float:
            return bare_rate(trainer, fixed, updates)

        full(), bare()  # warm-up
        runs: dict[str, list[float]] = {"trainer": [], "bare": []}
        for _ in range(rounds):
            runs["trainer"].append(full())
            runs["bare"].append(bare())
        trainer.close()
    med = {k: statistics.median(v) for k, v in runs.items()}
    return {
        "samples_per_s": med,
        "all_runs": runs,
        "ratio": med["trainer"] / med["bare"],
        "target": 0.85,
        "batch_episodes": config.batch_episodes,
        "threads": torch.get_num_threads(),
        "updates_per_measurement": updates,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and print the report."""
    parser = argparse.ArgumentParser(prog="miniground bench bc", description=__doc__)
    parser.add_argument("--updates", type=int, default=20, help="updates per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (median)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads")
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    args = parser.parse_args(argv)
    report = bench_bc(args.updates, args.rounds, args.threads)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    sps = report["samples_per_s"]
    print(f"trainer (sample + gather + flip + fwd/bwd + step): {sps['trainer']:8.0f} samples/s")
    print(f"bare fwd/bwd + step on a fixed batch:             {sps['bare']:8.0f} samples/s")
    print(f"ratio {report['ratio']:.2f} (target >= 0.85), threads {report['threads']}")
    return 0
