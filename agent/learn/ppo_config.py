"""The settings of a PPO run (task, budget, PPO hyper-parameters, fine-tuning, the network)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from agent.model.config import AgentConfig
from agent.utils.configs import Split, check_bounds, from_values, parse_flags
from agent.utils.device import check_device_name
from agent.utils.machine import cpu_cores, ppo_parallelism
from agent.utils.seeds import LEVER_SEED

RENAMED = {"learning_rate": "lr", "max_grad_norm": "grad_clip", "torch_threads": "threads",
           "run_dir": "out"}  # fmt: skip
"""Old field names in the ``config.json`` of runs saved before the names were unified."""


@dataclass
class PPOConfig:
    """A PPO run: task, budget, PPO hyper-parameters, fine-tuning and the agent's network."""

    task: str = "MiniGround/GoToObject-v1"
    """MiniGround task id."""
    split: Split = "train"
    """Instruction split to train on."""
    num_distractors: int | None = None
    """Distractor objects per episode (None: the task's default)."""
    room_size: float | None = None
    """Room side in metres (None: the task's default)."""
    max_steps: int | None = None
    """Episode step limit (None: the task's default)."""
    seed: int = 1
    """Seed of python, numpy, torch and the envs."""
    total_steps: int = 200_000
    """Env steps to train for (rounded up to whole rollouts)."""
    num_envs: int = 0
    """Parallel envs, one worker process each (0: one per core, 4 to 16; see
    :func:`agent.utils.machine.ppo_parallelism`)."""
    num_steps: int = 128
    """Steps per env in one rollout."""
    seq_len: int = 32
    """Length of the memory-carrying sequences the update backpropagates through."""
    num_minibatches: int = 4
    """Minibatches per epoch (sequences are split evenly)."""
    update_epochs: int = 3
    """Passes over each rollout."""
    lr: float = 5e-4
    """Adam learning rate (start value when annealed)."""
    anneal_lr: bool = True
    """Anneal the learning rate linearly to 0 over the run."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE lambda."""
    clip_coef: float = 0.2
    """PPO ratio clip."""
    clip_vloss: bool = True
    """Clip the value loss around the old values."""
    norm_adv: bool = False
    """Normalise advantages per minibatch (CleanRL does; with sparse rewards it turns the noise of
    reward-free minibatches into unit-size gradients, and entropy collapsed without progress)."""
    ent_coef: float = 0.01
    """Entropy bonus coefficient."""
    vf_coef: float = 0.5
    """Value loss coefficient."""
    grad_clip: float = 0.5
    """Global gradient-norm clip."""
    target_kl: float | None = None
    """Stop an update's epochs early when the approximate KL exceeds this (None: never)."""
    aux_weight: float = 0.0
    """Weight of the auxiliary losses on privileged labels from env info (target visible,
    bearing, distance; colours and shapes in view), as in BC; 0 disables them."""
    init_from: str | None = None
    """Checkpoint directory to start from (e.g. a BC agent); None trains from scratch."""
    kl_coef: float = 0.0
    """Weight of KL(pi || pi_init) against the initial policy (needs init_from)."""
    critic_warmup: int = 0
    """Rollouts at the start in which only the critic head learns (value loss on the initial
    policy's own returns) and the policy stays as it was: a fine-tuned imitation agent's critic
    is untrained, and its advantages would be noise. 0: none. The rollouts count in
    ``total_steps``."""
    critic_warmup_lr: float = 1e-3
    """Adam learning rate of the critic head during the warm-up."""
    time_budget: float = 0.0
    """Wall-clock minutes of training (summed over resumed sessions; evaluation not counted):
    the run checkpoints and stops after the first rollout past it, or at ``total_steps``,
    whichever comes first. 0: no limit. The learning-rate schedule still follows
    ``total_steps``."""
    checkpoint_interval: int = 50_000
    """Env steps between checkpoints (a final one is always written)."""
    eval_episodes: int = 100
    """Greedy evaluation episodes at the end (0: none)."""
    eval_seed: int = LEVER_SEED
    """Env seed of the first evaluation episode (default: validation layouts; report final
    figures with ``miniground eval``, whose default is the final-evaluation range)."""
    out: str = ""
    """Run directory; default runs/ppo__<seed>__<timestamp>."""
    threads: int = 1
    """Learner threads while envs step (the workers need the other cores)."""
    update_threads: int = 0
    """Learner threads during the update (0: the cores, up to 8, but 1 below 4 cores: on a
    loaded 2-core machine, 2 threads made the update 15x slower)."""
    context: Literal["forkserver", "spawn"] = "forkserver"
    """Start method of the env workers: 'forkserver' or 'spawn'."""
    step_timeout: float = 300.0
    """Seconds an env worker may take for one step before it counts as hung."""
    device: str = "cpu"
    """Learner device: 'cpu', 'cuda' or 'auto'."""
    backend: Literal["local", "ray"] = "local"
    """Where the envs run: 'local' (worker processes here) or 'ray' (rollout actors on a Ray
    cluster, one per node, with a CPU copy of the policy; the learner stays here)."""
    address: str = ""
    """Ray cluster address (backend 'ray'); empty: $RAY_ADDRESS, else a local Ray instance."""
    ray_actors: int = 0
    """Rollout actors with backend 'ray' (0: one per node, each with one CPU per env)."""
    agent: AgentConfig = field(default_factory=AgentConfig)
    """The agent's network (ignored with init_from or on resume: the checkpoint's is used)."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "num_distractors": ">=0", "room_size": ">0", "max_steps": ">=1", "seed": ">=0",
        "lr": ">0", "gamma": "0..1", "gae_lambda": "0..1", "clip_coef": ">0", "ent_coef": ">=0",
        "vf_coef": ">=0", "grad_clip": ">0", "target_kl": ">0", "aux_weight": ">=0",
        "kl_coef": ">=0", "critic_warmup": ">=0", "critic_warmup_lr": ">0",
        "eval_episodes": ">=0", "eval_seed": ">=0", "threads": ">=1", "update_threads": ">=1",
        "step_timeout": ">0", "time_budget": ">=0",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        if self.num_envs == 0 or self.update_threads == 0:  # 0: chosen from the machine
            envs, update_threads = ppo_parallelism(cpu_cores())
            self.num_envs = self.num_envs or envs
            self.update_threads = self.update_threads or update_threads
        check_bounds(self)
        check_device_name(self.device)
        for name in ("total_steps", "num_envs", "num_steps", "seq_len", "num_minibatches",
                     "update_epochs", "checkpoint_interval"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.num_steps % self.seq_len:
            raise ValueError(f"num_steps ({self.num_steps}) must be a multiple of seq_len")
        sequences = self.num_steps // self.seq_len * self.num_envs
        if sequences % self.num_minibatches:
            raise ValueError(
                f"num_minibatches ({self.num_minibatches}) must divide the {sequences} sequences "
                "of a rollout (num_steps / seq_len * num_envs)"
            )
        if self.critic_warmup < 0 or self.critic_warmup >= self.num_updates:
            raise ValueError(
                f"critic_warmup must be in [0, {self.num_updates}) (the run's rollouts), "
                f"got {self.critic_warmup}"
            )
        if self.kl_coef and not self.init_from:
            raise ValueError("kl_coef > 0 needs init_from (the policy to stay close to)")

    def env_kwargs(self) -> dict[str, Any]:
        """``envs.make`` keyword arguments of this run."""
        kwargs: dict[str, Any] = {"split": self.split}
        for name in ("num_distractors", "room_size", "max_steps"):
            if getattr(self, name) is not None:
                kwargs[name] = getattr(self, name)
        return kwargs

    def collect_env_kwargs(self) -> dict[str, Any]:
        """:meth:`env_kwargs` of the envs PPO collects in: privileged labels are computed only
        when the auxiliary losses read them (``labels="none"`` else: the id pass is skipped)."""
        return {**self.env_kwargs(), "labels": "exact" if self.aux_weight > 0 else "none"}

    @property
    def batch_steps(self) -> int:
        """Env steps per rollout."""
        return self.num_envs * self.num_steps

    @property
    def num_updates(self) -> int:
        """Rollouts (and updates) in the run."""
        return -(-self.total_steps // self.batch_steps)


def config_from_run(run_dir: str | Path, overrides: list[str]) -> PPOConfig:
    """A run's saved ``config.json``, with command-line overrides on top."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"cannot resume: {path} does not exist")
    saved = json.loads(path.read_text())["config"]
    saved = {RENAMED.get(k, k): v for k, v in saved.items()}
    saved["out"] = str(run_dir)
    return parse_flags(PPOConfig, overrides, from_values(PPOConfig, saved, validate=False))
