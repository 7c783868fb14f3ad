"""The plan of an experiment: its runs (variant x training seed, baselines per task), budgets.

``--budget smoke`` shrinks every count (and the network) so the same code runs in seconds;
``--budget full`` is the experiment as written. ``--on validation`` moves the evaluation to
validation seeds for development (such records are never reported).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from agent.experiment.spec import BUDGETS, Experiment, RunConfig, task_short
from agent.utils.configs import config_to_dict
from agent.utils.seeds import LEVER_SEED


@dataclass
class PlannedRun:
    """One unit of work: a variant with a training seed, or a baseline on a task."""

    experiment: Experiment
    kind: Literal["agent", "baseline"]
    variant: str
    seed: int
    config: RunConfig
    budget: str
    policy: str = "agent"

    @property
    def run_id(self) -> str:
        """File stem of the record."""
        if self.kind == "baseline":
            return f"baseline__{task_short(self.config.task)}__{self.policy}"
        return f"{self.variant}__seed{self.seed}"

    def identity(self) -> dict[str, Any]:
        """What makes two runs the same work (with the code hash)."""
        if self.kind == "baseline":
            ev = self.config.eval
            conf: dict[str, Any] = {"task": self.config.task, "episodes": ev.episodes,
                                    "splits": list(ev.splits), "seed": ev.seed}  # fmt: skip
        else:
            conf = config_to_dict(self.config)
            for volatile in ("workers",):  # how many processes ran it does not change figures
                conf["demos"].pop(volatile, None)
                conf["eval"].pop(volatile, None)
        return {"kind": self.kind, "policy": self.policy, "seed": self.seed,
                "budget": self.budget, "config": conf}  # fmt: skip

    def config_hash(self) -> str:
        """Short SHA-256 of :meth:`identity`."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


SMOKE_AGENT: dict[str, Any] = {
    "cnn_channels": (8, 16, 16),
    "text_size": 16,
    "text_layers": 1,
    "state_size": 32,
    "memory_size": 16,
    "head_hidden": 16,
}
"""The network of ``--budget smoke`` (the fusion and the rest of the recipe are kept)."""


def smoke(config: RunConfig) -> RunConfig:
    """The same recipe with every count shrunk so a run takes seconds."""
    c = copy.deepcopy(config)
    c.demos = dataclasses.replace(c.demos, episodes=4, workers=1, episodes_per_shard=2)
    small = dataclasses.replace(c.bc.agent, **SMOKE_AGENT)
    c.bc = dataclasses.replace(c.bc, updates=2, batch_episodes=2, threads=1, eval_episodes=1,
                               checkpoint_interval=2, agent=small)  # fmt: skip
    c.dagger = dataclasses.replace(c.dagger, rounds=min(c.dagger.rounds, 1), episodes_per_round=1,
                                   updates_per_round=1)  # fmt: skip
    c.ppo = dataclasses.replace(c.ppo, total_steps=32, num_envs=2, num_steps=8, seq_len=8,
                                num_minibatches=1, update_epochs=1,
                                critic_warmup=min(c.ppo.critic_warmup, 1))  # fmt: skip
    c.eval = dataclasses.replace(
        c.eval, episodes=1, workers=1, validation_episodes=min(c.eval.validation_episodes, 1)
    )
    c.record = dataclasses.replace(c.record, episodes=min(c.record.episodes, 1))
    return c


def on_validation(config: RunConfig) -> RunConfig:
    """The recipe evaluated on validation seeds (for development; reports never show these)."""
    c = copy.deepcopy(config)
    c.eval = dataclasses.replace(c.eval, seed=LEVER_SEED)
    return c


def plan_runs(
    experiment: Experiment, seeds: int | None = None, budget: str = "full",
    on: str = "final",
) -> list[PlannedRun]:  # fmt: skip
    """Every run of the experiment: each variant x training seed, then each baseline x task."""
    if budget not in BUDGETS:
        raise ValueError(f"unknown budget {budget!r}; choose one of {', '.join(BUDGETS)}")
    if on not in ("final", "validation"):
        raise ValueError(f"unknown seed range {on!r}; choose final or validation")
    count = experiment.header.seeds if seeds is None else seeds
    if count < 1:
        raise ValueError(f"--seeds must be >= 1, got {count}")
    runs: list[PlannedRun] = []
    tasks: dict[str, RunConfig] = {}
    for seed in range(count):
        for variant in experiment.variants:
            config = smoke(variant.config) if budget == "smoke" else copy.deepcopy(variant.config)
            if on == "validation":
                config = on_validation(config)
            runs.append(PlannedRun(experiment, "agent", variant.name, seed, config, budget))
            tasks.setdefault(config.task, config)
    for config in tasks.values():
        for policy in experiment.header.baselines:
            runs.append(PlannedRun(experiment, "baseline", f"baseline {policy}", 0, config, budget,
                                   policy))  # fmt: skip
    return runs
