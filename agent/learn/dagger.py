"""DAgger: roll out the learner, label every visited state with the expert, aggregate, retrain.

``miniground train dagger --demos DIR [--init-from CKPT] [--rounds R] [--episodes-per-round N]``.
Round r executes the expert's action with probability ``beta0 * beta_decay**r`` (else the
learner's), labels every state with the expert's action, adds the episodes to the dataset and
fine-tunes for ``updates_per_round`` updates at ``round_lr``. Success is reported after each round.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar

from tqdm import tqdm

from agent.data.episodes import Episodes
from agent.learn.bc import BCConfig, BCTrainer
from agent.utils.configs import check_bounds


@dataclass
class DAggerConfig:
    """The DAgger rounds (shared by ``train dagger`` and the quickstart)."""

    rounds: int = 2
    """DAgger rounds."""
    episodes_per_round: int = 200
    """Learner episodes collected (and expert-labelled) per round."""
    beta0: float = 0.5
    """Probability of executing the expert's action in round 0."""
    beta_decay: float = 0.5
    """Multiplier of beta after each round."""
    updates_per_round: int = 400
    """Fine-tuning updates after each round's aggregation."""
    round_lr: float = 3e-4
    """Peak learning rate of each round's fine-tuning."""
    sample: bool = True
    """Sample the learner's actions while collecting (else act greedily)."""
    rollout_seed: int = 3_000_000
    """First env seed of DAgger rollouts (disjoint from demos and evaluation)."""

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


def run_dagger(
    trainer: BCTrainer,
    config: DAggerConfig,
    demos: Episodes,
    eval_episodes: int | None = None,
) -> list[dict[str, Any]]:
    """Run the DAgger rounds on a trainer whose agent is already initialised.

    Success is measured before the first round and after each round on ``eval_episodes``
    held-out seeds (default: the trainer's ``eval_episodes``).
    """
    dataset = demos
    report = []
    episodes = trainer.config.eval_episodes if eval_episodes is None else eval_episodes
    evals = max(episodes, 1), trainer.config.eval_seed
    base = trainer.evaluate(*evals, tag="dagger")
    report.append({"round": 0, "beta": None, "success_rate": base.success_rate, "frames": 0})
    print(f"before DAgger: success {base.success_rate:.2f} on {evals[0]} seeds")
    for r in range(config.rounds):
        beta = config.beta0 * config.beta_decay**r
        seeds = [
            config.rollout_seed + r * config.episodes_per_round + i
            for i in range(config.episodes_per_round)
        ]
        with tqdm(total=len(seeds), desc=f"dagger round {r + 1} collect", unit="ep") as bar:
            collected = run_learner_collect(trainer, seeds, beta, config.sample, bar)
        dataset = Episodes.concatenate([dataset, collected])
        trainer.set_episodes(dataset)
        start = trainer.step
        trainer.fit(start + config.updates_per_round, f"dagger round {r + 1} train", start,
                    config.round_lr)  # fmt: skip
        result = trainer.evaluate(*evals, tag="dagger")
        row = {
            "round": r + 1,
            "beta": beta,
            "success_rate": result.success_rate,
            "frames": int(collected.num_frames),
            "learner_success_while_collecting": float((collected.outcomes == "success").mean()),
        }
        report.append(row)
        print(
            f"DAgger round {r + 1}: beta {beta:.2f}, +{collected.num_frames} labelled frames, "
            f"success {result.success_rate:.2f}"
        )
    return report


def dagger_or_bc(
    trainer: BCTrainer, cfg: DAggerConfig, episodes: Episodes, validation_episodes: int
) -> tuple[list[dict[str, Any]], bool]:
    """Run DAgger, kept unless it lowered success on the validation episodes (then the BC
    weights come back). Returns (DAgger's report, whether DAgger was kept)."""
    snapshot = copy.deepcopy(trainer.agent.state_dict())
    report = run_dagger(trainer, cfg, episodes, eval_episodes=validation_episodes)
    before, after = report[0]["success_rate"], report[-1]["success_rate"]
    if validation_episodes and after < before:
        trainer.agent.load_state_dict(snapshot)
        print(f"DAgger lowered validation success ({before:.2f} -> {after:.2f}): keeping BC")
        return report, False
    return report, True


def run_learner_collect(
    trainer: BCTrainer, seeds: list[int], beta: float, sample: bool, bar: Any
) -> Episodes:
    """Collect expert-labelled learner episodes in the trainer's env."""
    from agent.rollout.learner import run_learner

    result = run_learner(
        trainer.env(), trainer.agent, seeds, beta=beta, sample=sample, collect=True,
        rng=trainer.rng, progress=bar, teacher=trainer.teacher,
    )  # fmt: skip
    assert result.episodes is not None
    return result.episodes
