"""DAgger: roll out the learner, label every visited state with the teacher, aggregate, retrain.

``miniground train dagger --demos DIR [--init-from CKPT] [--rounds R] [--episodes-per-round N]``.
Round r executes the teacher's action with probability ``beta0 * beta_decay**r`` (else the
learner's), labels every state with the teacher's action, adds the episodes to the dataset (every
round's data is kept: aggregation) and fine-tunes for ``updates_per_round`` updates at ``round_lr``.

With ``beta0 = 0`` and ``sample = False`` (the quickstart's recipe) the learner acts alone and
greedily, as it does in evaluation: the states it reaches there (pressing into a wall or an
object, circling) are the ones the teacher labels, so the data shows how to recover from the
learner's own mistakes. Every round reports how the collected episodes ended (the failure
taxonomy of :mod:`agent.rollout.failures`): with beta 0 that is the learner's own greedy behaviour
before the round's update; validation success and failures are measured before the first round
and after the last (``eval_every_round`` adds the rounds between).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

from tqdm import tqdm

from agent.data.episodes import Episodes
from agent.learn.bc import BCConfig, BCTrainer
from agent.rollout.episode import Record
from agent.rollout.failures import failure_counts as all_failure_counts
from agent.utils.configs import check_bounds


@dataclass
class DAggerConfig:
    """The DAgger rounds (shared by ``train dagger``, the quickstart and experiments)."""

    rounds: int = 2
    """DAgger rounds."""
    episodes_per_round: int = 200
    """Learner episodes collected (and teacher-labelled) per round."""
    beta0: float = 0.5
    """Probability of executing the teacher's action in round 0 (0: the learner acts alone)."""
    beta_decay: float = 0.5
    """Multiplier of beta after each round."""
    updates_per_round: int = 400
    """Fine-tuning updates after each round's aggregation."""
    round_lr: float = 3e-4
    """Peak learning rate of each round's fine-tuning."""
    sample: bool = True
    """Sample the learner's actions while collecting (False: greedy, as in evaluation)."""
    rollout_seed: int = 3_000_000
    """First env seed of DAgger rollouts (disjoint from demos and evaluation)."""
    eval_every_round: bool = False
    """Measure validation success after every round (else only before the first and after the
    last: the keep-or-drop check needs no more)."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "rounds": ">=0", "episodes_per_round": ">=1", "beta0": "0..1", "beta_decay": "0..1",
        "updates_per_round": ">=0", "round_lr": ">0", "rollout_seed": ">=0",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        check_bounds(self)


@dataclass
class DAggerTrainConfig(DAggerConfig, BCConfig):
    """``miniground train dagger``: behaviour cloning's settings plus the rounds."""

    name: str = "dagger"
    """Experiment name used in the default run directory."""
    init_from: str = ""
    """Checkpoint to start from; empty: first train BC on the demos for ``updates`` updates."""

    def __post_init__(self) -> None:
        BCConfig.__post_init__(self)  # the ranges of both bases (check_bounds walks the MRO)


def failure_counts(records: list[Record]) -> dict[str, int]:
    """How episodes ended: the kinds that occurred (:func:`agent.rollout.failures.failure_counts`
    without the zero counts)."""
    return {kind: n for kind, n in all_failure_counts(records).items() if n}


def _stuck(counts: dict[str, int]) -> int:
    return int(counts.get("timeout_stuck", 0))


def run_dagger(
    trainer: BCTrainer,
    config: DAggerConfig,
    demos: Episodes,
    eval_episodes: int | None = None,
    keep_states: bool = False,
) -> list[dict[str, Any]]:
    """Run the DAgger rounds on a trainer whose agent is already initialised.

    Success and the failure breakdown are measured on ``eval_episodes`` validation seeds
    (default: the trainer's ``eval_episodes``) before the first round and after the last (after
    every round with ``eval_every_round``). Each row also says how the round's collected episodes
    ended (``collect_failures``); with ``keep_states`` a measured row also holds the learner's
    weights after its round (``state``, for :func:`dagger_or_bc` to choose from).
    """
    dataset = demos
    report: list[dict[str, Any]] = []
    episodes = trainer.config.eval_episodes if eval_episodes is None else eval_episodes
    evals = max(episodes, 1), trainer.config.eval_seed
    base = trainer.evaluate(*evals, tag="dagger")
    base_failures = failure_counts(base.records)
    report.append({"round": 0, "beta": None, "success_rate": base.success_rate, "frames": 0,
                   "failures": base_failures, "stuck_timeouts": _stuck(base_failures)})  # fmt: skip
    print(f"before DAgger: success {base.success_rate:.2f}, stuck timeouts "
          f"{_stuck(base_failures)} of {evals[0]} validation episodes")  # fmt: skip
    for r in range(config.rounds):
        beta = config.beta0 * config.beta_decay**r
        seeds = [
            config.rollout_seed + r * config.episodes_per_round + i
            for i in range(config.episodes_per_round)
        ]
        with tqdm(total=len(seeds), desc=f"dagger round {r + 1} collect", unit="ep") as bar:
            collected, records = run_learner_collect(trainer, seeds, beta, config.sample, bar)
        dataset = Episodes.concatenate([dataset, collected])
        trainer.set_episodes(dataset)
        start = trainer.step
        trainer.fit(start + config.updates_per_round, f"dagger round {r + 1} train", start,
                    config.round_lr)  # fmt: skip
        collect_failures = failure_counts(records)
        row: dict[str, Any] = {
            "round": r + 1,
            "beta": beta,
            "frames": int(collected.num_frames),
            "learner_success_while_collecting": float((collected.outcomes == "success").mean()),
            "collect_failures": collect_failures,
            "collect_stuck_timeouts": _stuck(collect_failures),
        }
        last = r == config.rounds - 1
        if last or config.eval_every_round:
            result = trainer.evaluate(*evals, tag="dagger")
            failures = failure_counts(result.records)
            row.update(success_rate=result.success_rate, failures=failures,
                       stuck_timeouts=_stuck(failures))  # fmt: skip
        if keep_states and "success_rate" in row:
            row["state"] = copy.deepcopy(trainer.agent.state_dict())
        report.append(row)
        measured = (f", validation success {row['success_rate']:.2f}, stuck "
                    f"{row['stuck_timeouts']}" if "success_rate" in row else "")  # fmt: skip
        print(
            f"DAgger round {r + 1}: beta {beta:.2f}, +{collected.num_frames} labelled frames; "
            f"collected episodes {row['learner_success_while_collecting']:.2f} success, "
            f"{row['collect_stuck_timeouts']} of {len(seeds)} stuck{measured}"
        )
    return report


def dagger_or_bc(
    trainer: BCTrainer, cfg: DAggerConfig, episodes: Episodes, validation_episodes: int
) -> tuple[list[dict[str, Any]], bool]:
    """Run DAgger and keep the weights that did best on the validation episodes: the last
    measured round's, unless it lowered success below the agent's before DAgger (then those
    weights come back). Returns (DAgger's report, whether DAgger was kept)."""
    snapshot = copy.deepcopy(trainer.agent.state_dict())
    report = run_dagger(trainer, cfg, episodes, validation_episodes, keep_states=True)
    measured = [row for row in report[1:] if "success_rate" in row]
    states = [row.pop("state") for row in measured]
    before = report[0]["success_rate"]
    if not measured:
        return report, True
    i_best = max(range(len(measured)), key=lambda i: measured[i]["success_rate"])
    best, state = measured[i_best], states[i_best]
    if validation_episodes and best["success_rate"] < before:
        trainer.agent.load_state_dict(snapshot)
        print(f"DAgger lowered validation success ({before:.2f} -> {best['success_rate']:.2f}): "
              "keeping BC")  # fmt: skip
        return report, False
    if best is not measured[-1]:
        trainer.agent.load_state_dict(state)
        print(f"keeping DAgger round {best['round']} (validation {best['success_rate']:.2f})")
    return report, True


def run_learner_collect(
    trainer: BCTrainer, seeds: list[int], beta: float, sample: bool, bar: Any
) -> tuple[Episodes, list[Record]]:
    """Collect teacher-labelled learner episodes in the trainer's env; also their records."""
    from agent.rollout.learner import run_learner

    result = run_learner(
        trainer.env(), trainer.agent, seeds, beta=beta, sample=sample, collect=True,
        rng=trainer.rng, progress=bar, teacher=trainer.teacher,
    )  # fmt: skip
    assert result.episodes is not None
    return result.episodes, result.records
