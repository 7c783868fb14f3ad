"""Behaviour cloning: whole-episode sequence batches through the recurrent agent.

``miniground train bc --demos DIR [--config FILE] [--field value ...] [--resume RUN_DIR]``.
Losses: cross-entropy on the expert's action, plus auxiliary losses on the privileged labels
recorded with the demos (weight ``aux_weight``). Truncated BPTT: memory is carried across
``bptt``-step chunks of an episode with the gradient cut between chunks. The agent's config gets
the task's inventory (colours, shapes, the split's words) and reads proprioception when the demos
carry it (``-v1`` tasks) unless ``agent.proprioception`` says otherwise.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from tqdm import tqdm

from agent.data.demos import load_demos, read_manifest
from agent.data.episodes import Episodes
from agent.data.sampler import Batch, EpisodeSampler
from agent.learn.checkpoint import latest_checkpoint, load_training_state, save_checkpoint
from agent.learn.inventory import resolve_agent_config
from agent.learn.schedules import warmup_cosine
from agent.model.agent import Agent
from agent.model.aux import aux_losses, masked_mean
from agent.model.config import AgentConfig
from agent.model.dense import cell_accuracy, dense_losses
from agent.model.proprio import MISSING_PROPRIO
from agent.rollout.learner import RolloutResult, run_learner
from agent.utils.configs import check_bounds, config_to_dict
from agent.utils.device import check_device_name
from agent.utils.io import atomic_write_json
from agent.utils.runs import make_run_dir
from agent.utils.seeding import seed_everything
from agent.utils.versions import versions


@dataclass
class BCConfig:
    """Behaviour-cloning settings (also the base of DAgger's)."""

    demos: str = ""
    """Directory of expert demonstrations (``miniground demos``)."""
    out: str = ""
    """Run directory; default runs/<name>__<seed>__<timestamp>."""
    name: str = "bc"
    """Experiment name used in the default run directory."""
    seed: int = 0
    """Seed of python, numpy, torch and batch sampling."""
    device: str = "cpu"
    """'cpu', 'cuda' or 'auto'."""
    threads: int = 2
    """torch intra-op threads (the machine's cores)."""
    updates: int = 2000
    """Gradient updates."""
    batch_episodes: int = 16
    """Whole episodes per batch."""
    bptt: int = 40
    """Truncated-BPTT chunk length in steps."""
    lr: float = 1e-3
    """Peak learning rate (Adam)."""
    lr_final_ratio: float = 0.1
    """Cosine decay ends at lr * this ratio."""
    warmup: int = 50
    """Linear warm-up updates."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    grad_clip: float = 1.0
    """Global gradient-norm clip."""
    aux_weight: float = 0.5
    """Weight of the auxiliary losses on privileged labels (0 disables them)."""
    hflip: float = 0.5
    """Probability of mirroring an episode (left/right turns swapped)."""
    dense_weight: float = 1.0
    """Weight of the compositional fusion's dense losses: per-cell colour and shape, the
    instruction's queries and the target map (needs demos with exact labels; 0 disables)."""
    word_dropout: float = 0.0
    """Probability of replacing each mission word that names no colour or shape by an unknown
    word (trains [UNK]; the attribute words are kept)."""
    eval_interval: int = 500
    """Updates between periodic evaluations (0: only at the end)."""
    eval_episodes: int = 30
    """Episodes of each periodic evaluation and of ``train bc``'s final one (held-out seeds;
    0: none)."""
    eval_seed: int = 1_000_000
    """First env seed of periodic evaluations (disjoint from demo seeds)."""
    checkpoint_interval: int = 500
    """Updates between checkpoints."""
    log_interval: int = 25
    """Updates between TensorBoard scalars."""
    ground_weight: float = 0.0
    """Weight of the grounding loss on captioned frames (``agent.learn.grounding``) added to every
    update (0: off). Frames come from ``BCTrainer.set_grounding``, else are captured once with
    the default ``GroundingConfig``."""
    ground_batch: int = 64
    """Captioned frames (one instruction each) per update for the grounding loss."""
    agent: AgentConfig = field(default_factory=AgentConfig)
    """The network."""

    BOUNDS: ClassVar[dict[str, str]] = {
        "seed": ">=0", "threads": ">=1", "updates": ">=1", "batch_episodes": ">=1", "bptt": ">=1",
        "lr": ">0", "lr_final_ratio": "0..1", "warmup": ">=0", "weight_decay": ">=0",
        "grad_clip": ">0", "aux_weight": ">=0", "hflip": "0..1", "dense_weight": ">=0",
        "word_dropout": "0..1", "eval_interval": ">=0", "eval_episodes": ">=0",
        "eval_seed": ">=0", "checkpoint_interval": ">=1", "log_interval": ">=1",
        "ground_weight": ">=0", "ground_batch": ">=1",
    }  # fmt: skip
    """Allowed range of each numeric field (checked when the config is built)."""

    def __post_init__(self) -> None:
        check_bounds(self)
        check_device_name(self.device)


def lr_at(config: BCConfig, step: int, total: int, peak: float | None = None) -> float:
    """Warm-up then cosine decay from ``peak`` (default ``lr``) to ``peak * lr_final_ratio``."""
    peak = config.lr if peak is None else peak
    return warmup_cosine(step, total, peak, config.warmup, config.lr_final_ratio)


class BCTrainer:
    """Holds the agent, optimizer, sampler and run directory of one imitation run."""

    def __init__(self, config: BCConfig, episodes: Episodes, manifest: dict[str, Any]) -> None:
        from agent.utils.device import resolve_device

        self.config = config
        self.manifest = manifest
        torch.set_num_threads(config.threads)
        seed_everything(config.seed)
        self.device = resolve_device(config.device)
        split = str(manifest.get("env_kwargs", {}).get("split", "train"))
        config.agent = resolve_agent_config(config.agent, split, episodes.proprio is not None)
        self.agent = Agent(config.agent).to(self.device)
        self.optimizer = torch.optim.AdamW(
            self.agent.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.rng = np.random.default_rng(config.seed)
        self.teacher = str(manifest.get("teacher", "expert"))
        self.sampler = self._sampler(episodes)
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.run_dir = Path(config.out) if config.out else make_run_dir(config.name, config.seed)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._env: Any = None
        self._writer: Any = None
        self.grounding: Any = None

    # ------------------------------------------------------------------ infrastructure
    @property
    def writer(self) -> Any:
        """TensorBoard writer (created on first use)."""
        if self._writer is None:
            from torch.utils.tensorboard import SummaryWriter

            self._writer = SummaryWriter(str(self.run_dir / "tb"))
        return self._writer

    def env(self) -> Any:
        """This process's single evaluation env."""
        if self._env is None:
            import envs

            self._env = envs.make(self.manifest["task"], **self.manifest["env_kwargs"])
        return self._env

    def _sampler(self, episodes: Episodes) -> EpisodeSampler:
        # A scanning teacher's left turns stay left turns in mirrored episodes.
        flip_scans = self.teacher != "scan"
        agent_cfg = self.agent.config
        if agent_cfg.proprioception and episodes.proprio is None:
            raise ValueError(
                f"these episodes have no proprioception (recorded on a -v0 task): {MISSING_PROPRIO}"
            )
        cells = None
        if agent_cfg.fusion == "compositional" and self.config.dense_weight > 0:
            if "semantic_map" not in episodes.labels:
                raise ValueError(
                    "the compositional fusion's dense losses need demos recorded with exact "
                    "labels (semantic maps); regenerate them with `miniground demos`, or set "
                    "dense_weight = 0"
                )
            cells = (self.agent.perception.grid_shape, agent_cfg.total_stride)
        return EpisodeSampler(
            episodes, self.config.batch_episodes, self.rng, flip_scans, cells=cells,
            word_dropout=self.config.word_dropout,
            keep_words=frozenset(agent_cfg.colors + agent_cfg.shapes),
        )  # fmt: skip

    def set_episodes(self, episodes: Episodes) -> None:
        """Train on a new episode set from now on (DAgger aggregation)."""
        self.sampler = self._sampler(episodes)

    def set_grounding(self, frames: dict[str, np.ndarray]) -> None:
        """Captioned frames for the grounding loss (from :func:`generate_frames` of
        :mod:`agent.data.grounding_frames`)."""
        from agent.data.grounding_frames import GroundingBatcher

        cells = None
        if self.config.agent.fusion == "compositional" and "semantic" in frames:
            cells = (self.agent.perception.grid_shape, self.config.agent.total_stride)
        self.grounding = GroundingBatcher(
            frames, "train", np.random.default_rng(self.config.seed), cells=cells
        )

    def grounding_loss(self) -> dict[str, float]:
        """Backward the weighted grounding loss of one batch of captioned frames."""
        from agent.learn.grounding import grounding_losses

        cfg = self.config
        if self.grounding is None:  # frames of the demos' task with the default settings
            from agent.data.grounding_frames import GroundingConfig, generate_frames

            kwargs = {k: v for k, v in self.manifest["env_kwargs"].items() if k != "split"}
            self.set_grounding(generate_frames(self.manifest["task"], GroundingConfig(), kwargs))
        batch = self.grounding.sample(cfg.ground_batch, cfg.hflip)
        losses = grounding_losses(self.agent, *batch)
        (cfg.ground_weight * sum(losses.values())).backward()
        return {f"ground/{k}": float(v.detach()) for k, v in losses.items()}

    def save(self) -> Path:
        """Checkpoint agent, optimizer and RNG state; write the run's config."""
        atomic_write_json(
            self.run_dir / "config.json",
            {"train": config_to_dict(self.config), "demos": self.manifest, "versions": versions()},
        )
        return save_checkpoint(
            self.run_dir, self.agent, self.optimizer, self.step, self.rng,
            {"history": self.history},
        )  # fmt: skip

    def resume(self, run_dir: str | Path) -> None:
        """Continue from the latest checkpoint of ``run_dir``."""
        ckpt = latest_checkpoint(run_dir)
        loaded = Agent.from_pretrained(ckpt, device=self.device)
        self.agent.load_state_dict(loaded.state_dict())
        self.step, extra = load_training_state(ckpt, self.optimizer, self.rng)
        self.history = extra.get("history", [])
        self.run_dir = Path(run_dir)

    # ------------------------------------------------------------------ training
    def loss(self, batch: Batch) -> dict[str, float]:
        """Forward/backward one batch chunk by chunk; return the logged scalars."""
        agent, cfg = self.agent, self.config
        t_len, b = batch.actions.shape
        memory = agent.initial_memory(b)
        total_steps = batch.mask.sum().clamp(min=1)
        logs: dict[str, float] = {}
        correct = 0
        for t0 in range(0, t_len, cfg.bptt):
            sl = slice(t0, min(t_len, t0 + cfg.bptt))
            mask = batch.mask[sl].to(self.device)
            proprio = None if batch.proprio is None else batch.proprio[sl].to(self.device)
            out = agent.evaluate_sequence(
                batch.images[sl].to(self.device), batch.missions,
                batch.actions[sl].to(self.device), batch.starts[sl].to(self.device),
                memory.detach(), proprio,
            )  # fmt: skip
            memory = out.memory
            weight = mask.sum() / total_steps
            policy = masked_mean(-out.log_prob, mask)
            loss = policy
            parts = {"policy": policy}
            labels = {k: v[sl].to(self.device) for k, v in batch.labels.items()}
            if cfg.aux_weight > 0:
                for name, value in aux_losses(out.aux, labels, mask).items():
                    parts[f"aux/{name}"] = value
                    loss = loss + cfg.aux_weight * value
            if cfg.dense_weight > 0 and "cell_colors" in out.aux and "cell_codes" in labels:
                for name, value in dense_losses(out.aux, labels, mask).items():
                    parts[f"dense/{name}"] = value
                    loss = loss + cfg.dense_weight * value
                for name, value in cell_accuracy(out.aux, labels, mask).items():
                    logs[f"dense/{name}"] = logs.get(f"dense/{name}", 0.0) + value * float(weight)
            (loss * weight).backward()
            pred = out.logits.argmax(-1)
            correct += int(((pred == batch.actions[sl].to(self.device)) & mask).sum())
            for k, v in parts.items():
                logs[k] = logs.get(k, 0.0) + float(v.detach()) * float(weight)
        logs["accuracy"] = correct / float(total_steps)
        return logs

    def update(self, total: int, start: int = 0, peak: float | None = None) -> dict[str, float]:
        """One gradient update; the schedule runs from update ``start`` to ``total``."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(self.config, self.step - start, total - start, peak)
        self.agent.train()
        self.optimizer.zero_grad(set_to_none=True)
        logs = self.loss(self.sampler.sample(self.config.hflip))
        if self.config.ground_weight > 0:
            logs.update(self.grounding_loss())
        logs["grad_norm"] = float(
            torch.nn.utils.clip_grad_norm_(self.agent.parameters(), self.config.grad_clip)
        )
        self.optimizer.step()
        self.step += 1
        logs["lr"] = self.optimizer.param_groups[0]["lr"]
        return logs

    def evaluate(self, episodes: int, seed: int, tag: str = "eval") -> RolloutResult:
        """Greedy success on held-out seeds in this process's env; logged to TensorBoard."""
        result = run_learner(self.env(), self.agent, [seed + i for i in range(episodes)])
        self.writer.add_scalar(f"{tag}/success_rate", result.success_rate, self.step)
        self.writer.add_scalar(
            f"{tag}/wrong_object", result.outcome_rate("wrong_object"), self.step
        )
        self.writer.add_scalar(f"{tag}/spl", float(np.mean(result.spl_terms)), self.step)
        self.history.append(
            {"step": self.step, "tag": tag, "success_rate": result.success_rate,
             "wrong_object": result.outcome_rate("wrong_object"), "episodes": episodes}
        )  # fmt: skip
        return result

    def fit(
        self, updates: int, desc: str = "bc", start: int = 0, peak: float | None = None
    ) -> None:
        """Run updates up to ``updates`` in total (continuing from ``self.step``).

        Args:
            updates: the step count to stop at.
            desc: progress-bar label.
            start: step at which this phase's learning-rate schedule began.
            peak: this phase's peak learning rate (default: ``config.lr``).
        """
        cfg = self.config
        bar = tqdm(total=updates, initial=self.step, desc=desc, unit="upd")
        t0, frames = time.perf_counter(), 0
        while self.step < updates:
            logs = self.update(updates, start, peak)
            frames += cfg.batch_episodes
            if self.step % cfg.log_interval == 0 or self.step == updates:
                for k, v in logs.items():
                    self.writer.add_scalar(f"train/{k}", v, self.step)
                bar.set_postfix(
                    loss=f"{logs['policy']:.3f}", acc=f"{logs['accuracy']:.2f}", refresh=False
                )
            periodic = cfg.eval_interval and cfg.eval_episodes
            if periodic and self.step % cfg.eval_interval == 0 and self.step < updates:
                result = self.evaluate(cfg.eval_episodes, cfg.eval_seed)
                bar.write(f"update {self.step}: success {result.success_rate:.2f}")
            if self.step % cfg.checkpoint_interval == 0 or self.step == updates:
                self.save()
            bar.update(1)
        bar.close()
        rate = frames / max(time.perf_counter() - t0, 1e-9)
        self.writer.add_scalar("train/episodes_per_s", rate, self.step)

    def close(self) -> None:
        """Release the env and flush logs."""
        if self._writer is not None:
            self._writer.close()
        if self._env is not None:
            self._env.close()


def prepare(config: BCConfig) -> tuple[Episodes, dict[str, Any]]:
    """Load the demos and fit the agent's action count, frame size, inventory and
    proprioception to their task."""
    if not config.demos:
        raise ValueError("no demonstrations given: pass --demos DIR (see `miniground demos`)")
    manifest = read_manifest(config.demos)
    episodes = load_demos(config.demos)
    import envs

    env = envs.make(manifest["task"], **manifest["env_kwargs"])
    config.agent = dataclasses.replace(
        config.agent,
        num_actions=int(env.action_space.n),
        obs_height=int(episodes.images.shape[1]),
        obs_width=int(episodes.images.shape[2]),
    )
    env.close()
    split = str(manifest.get("env_kwargs", {}).get("split", "train"))
    config.agent = resolve_agent_config(config.agent, split, episodes.proprio is not None)
    return episodes, manifest
