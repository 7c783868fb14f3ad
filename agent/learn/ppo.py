"""Recurrent PPO (CleanRL's ppo.py is the model): clipped objective, GAE, entropy bonus, advantage
normalisation, gradient clipping and learning-rate annealing, over subprocess MiniWorld envs.

From scratch, or fine-tuning an imitation checkpoint (``init_from``) with an optional
KL(pi || pi_init) penalty (``kl_coef``) so RL does not forget what it imitated. The rollout is
cut into sequences of ``seq_len`` steps whose first memory is the one stored during the rollout.
This module is the algorithm: :func:`ppo_update` and :class:`PPOTrainer` (one rollout, GAE, one
update); a whole run (logging, checkpoints, final evaluation) is :func:`agent.learn.ppo_run.train`.
"""

from __future__ import annotations

import collections
import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from agent.learn.inventory import resolve_agent_config
from agent.learn.ppo_config import PPOConfig
from agent.learn.schedules import linear_to_zero
from agent.model.agent import Agent
from agent.model.aux import aux_losses
from agent.model.proprio import MISSING_PROPRIO
from agent.rollout.collector import RolloutCollector
from agent.rollout.storage import Rollout, compute_gae
from agent.utils.device import resolve_device
from agent.utils.seeds import online_training_seed

AUX_LABELS: tuple[str, ...] = (
    "target_visible", "target_bearing", "target_distance", "visible_colors", "visible_shapes",
)  # fmt: skip
"""Env info keys collected as auxiliary-loss targets when ``aux_weight`` > 0."""


def _sequences(x: torch.Tensor | np.ndarray, seq_len: int) -> Any:
    """(T, B, ...) -> (seq_len, T // seq_len * B, ...); sequence k = chunk k // B of env k % B."""
    t_len, batch = x.shape[:2]
    x = x.reshape(t_len // seq_len, seq_len, batch, *x.shape[2:])
    x = x.swapaxes(0, 1) if isinstance(x, np.ndarray) else x.transpose(0, 1)
    return x.reshape(seq_len, -1, *x.shape[3:])


def rollout_sequences(rollout: Rollout, seq_len: int) -> tuple[Any, ...]:
    """The rollout as (seq_len, sequences, ...) images, missions, actions and episode starts,
    each sequence's first memory (the one stored during the rollout), and the proprioception
    (None when the env has none)."""
    return (
        _sequences(rollout.images, seq_len),
        _sequences(np.asarray(rollout.missions, dtype=object), seq_len),
        _sequences(rollout.actions, seq_len),
        _sequences(rollout.episode_starts, seq_len),
        rollout.memories[::seq_len].reshape(-1, rollout.memories.shape[-1]),
        None if rollout.proprio is None else _sequences(rollout.proprio, seq_len),
    )


def minibatches(seqs: tuple[Any, ...], num_minibatches: int, rng: np.random.Generator) -> Any:
    """One epoch's minibatches of sequence indices: a random permutation, cut evenly."""
    num_seq = seqs[2].shape[1]
    order, per_batch = rng.permutation(num_seq), num_seq // num_minibatches
    for first in range(0, num_seq, per_batch):
        yield order[first : first + per_batch]


def score_minibatch(agent: Agent, seqs: tuple[Any, ...], idx: np.ndarray) -> Any:
    """``agent.evaluate_sequence`` on sequences ``idx`` of :func:`rollout_sequences`' output."""
    images, missions, actions, starts, memory0, proprio = seqs
    mb, dev = torch.as_tensor(idx), agent.device
    return agent.evaluate_sequence(
        images[:, mb], missions[:, idx].tolist(), actions[:, mb].to(dev), starts[:, mb].to(dev),
        memory0[mb].to(dev), None if proprio is None else proprio[:, mb].to(dev),
    )  # fmt: skip


def kl_to_init(logits: torch.Tensor, ref_logits: torch.Tensor) -> torch.Tensor:
    """KL(pi || pi_init) averaged over the visited states: keeps fine-tuning near the start."""
    log_p = F.log_softmax(logits, -1)
    log_q = F.log_softmax(ref_logits, -1)
    return (log_p.exp() * (log_p - log_q)).sum(-1).mean()


def auxiliary_loss(
    aux: Any, labels: dict[str, torch.Tensor], log_prob: torch.Tensor
) -> torch.Tensor:
    """The summed auxiliary losses on privileged labels over every step (``log_prob``'s shape)
    of the minibatch: they shape the perception, as in behaviour cloning."""
    every = torch.ones_like(log_prob, dtype=torch.bool)
    return sum(aux_losses(aux, labels, every).values())


def explained_variance(values: torch.Tensor, returns: torch.Tensor) -> float:
    """1 - Var(returns - values) / Var(returns) (nan when the returns do not vary)."""
    y_pred, y_true = values.flatten(), returns.flatten()
    var_y = float(y_true.var())
    return float("nan") if var_y == 0 else 1 - float((y_true - y_pred).var()) / var_y


def ppo_update(
    agent: Agent,
    optimizer: torch.optim.Optimizer,
    rollout: Rollout,
    cfg: PPOConfig,
    rng: np.random.Generator,
    ref_logits: torch.Tensor | None = None,
) -> dict[str, float]:
    """Clipped-PPO epochs over one rollout (with GAE already computed); returns loss statistics."""
    dev, seq = agent.device, cfg.seq_len

    seqs = rollout_sequences(rollout, seq)
    old_log_probs = _sequences(rollout.log_probs, seq)
    old_values = _sequences(rollout.values, seq)
    advantages = _sequences(rollout.advantages, seq)
    returns = _sequences(rollout.returns, seq)
    refs = None if ref_logits is None else _sequences(ref_logits, seq)
    labels = {k: _sequences(v, seq) for k, v in rollout.labels.items()}

    logs: dict[str, list[float]] = collections.defaultdict(list)
    for _epoch in range(cfg.update_epochs):
        for idx in minibatches(seqs, cfg.num_minibatches, rng):
            mb = torch.as_tensor(idx)
            out = score_minibatch(agent, seqs, idx)
            log_ratio = out.log_prob - old_log_probs[:, mb].to(dev)
            ratio = log_ratio.exp()
            with torch.no_grad():  # http://joschu.net/blog/kl-approx.html
                logs["old_approx_kl"].append(float((-log_ratio).mean()))
                logs["approx_kl"].append(float(((ratio - 1) - log_ratio).mean()))
                logs["clipfrac"].append(float(((ratio - 1).abs() > cfg.clip_coef).float().mean()))

            # Policy loss: the clipped surrogate objective.
            adv = advantages[:, mb].to(dev)
            if cfg.norm_adv:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg_loss1 = -adv * ratio
            pg_loss2 = -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)
            pg_loss = torch.max(pg_loss1, pg_loss2).mean()

            # Value loss, clipped around the rollout's values.
            ret = returns[:, mb].to(dev)
            old_v = old_values[:, mb].to(dev)
            v_loss = (out.value - ret) ** 2
            if cfg.clip_vloss:
                v_clipped = old_v + (out.value - old_v).clamp(-cfg.clip_coef, cfg.clip_coef)
                v_loss = torch.max(v_loss, (v_clipped - ret) ** 2)
            v_loss = 0.5 * v_loss.mean()

            entropy = out.entropy.mean()
            loss = pg_loss - cfg.ent_coef * entropy + cfg.vf_coef * v_loss
            if refs is not None:
                kl_init = kl_to_init(out.logits, refs[:, mb].to(dev))
                loss = loss + cfg.kl_coef * kl_init
                logs["kl_to_init"].append(float(kl_init.detach()))
            if cfg.aux_weight > 0:
                mb_labels = {k: v[:, mb].to(dev) for k, v in labels.items()}
                aux_loss = auxiliary_loss(out.aux, mb_labels, out.log_prob)
                loss = loss + cfg.aux_weight * aux_loss
                logs["aux_loss"].append(float(aux_loss.detach()))

            optimizer.zero_grad()
            loss.backward()
            grad_norm = torch.nn.utils.clip_grad_norm_(agent.parameters(), cfg.grad_clip)
            optimizer.step()

            logs["policy_loss"].append(float(pg_loss.detach()))
            logs["value_loss"].append(float(v_loss.detach()))
            logs["entropy"].append(float(entropy.detach()))
            logs["grad_norm"].append(float(grad_norm))
        if cfg.target_kl is not None and logs["approx_kl"][-1] > cfg.target_kl:
            break

    stats = {name: float(np.mean(values)) for name, values in logs.items()}
    stats["explained_variance"] = explained_variance(rollout.values, rollout.returns)
    return stats


def critic_update(
    agent: Agent,
    optimizer: torch.optim.Optimizer,
    rollout: Rollout,
    cfg: PPOConfig,
    rng: np.random.Generator,
) -> dict[str, float]:
    """Value-only epochs over one rollout: the critic head regresses the GAE returns while every
    other parameter (so the policy) stays frozen. The critic warm-up of a fine-tuning run."""
    seqs = rollout_sequences(rollout, cfg.seq_len)
    returns = _sequences(rollout.returns, cfg.seq_len)
    trainable = {n: p.requires_grad for n, p in agent.named_parameters()}
    agent.requires_grad_(False)
    agent.policy.critic.requires_grad_(True)
    losses: list[float] = []
    try:
        for _epoch in range(cfg.update_epochs):
            for idx in minibatches(seqs, cfg.num_minibatches, rng):
                out = score_minibatch(agent, seqs, idx)
                target = returns[:, torch.as_tensor(idx)].to(agent.device)
                v_loss = 0.5 * ((out.value - target) ** 2).mean()
                optimizer.zero_grad()
                v_loss.backward()
                optimizer.step()
                losses.append(float(v_loss.detach()))
    finally:
        for name, param in agent.named_parameters():
            param.requires_grad_(trainable[name])
    return {
        "value_loss": float(np.mean(losses)),
        "explained_variance": explained_variance(rollout.values, rollout.returns),
        "critic_warmup": 1.0,
    }


class PPOTrainer:
    """Envs + agent + optimizer; :meth:`iteration` = one rollout, GAE and one PPO update.

    Args:
        cfg: the run's configuration.
        envs: a SAME_STEP vector env (see :func:`agent.rollout.vector_env.make_vector_env`).
        agent: the agent to train (set to train mode).
        ref_agent: frozen initial policy for the KL term (None: no KL term).
        update: index of the first update (non-zero on resume).
        collector: what collects the rollouts (default: a :class:`RolloutCollector` on ``envs``;
            Ray: :class:`agent.rollout.ray_actors.RayRolloutPool`).
    """

    def __init__(
        self,
        cfg: PPOConfig,
        envs: Any,
        agent: Agent,
        ref_agent: Agent | None = None,
        update: int = 0,
        collector: Any = None,
    ) -> None:
        self.cfg, self.envs, self.agent, self.ref_agent = cfg, envs, agent.train(), ref_agent
        self.optimizer = torch.optim.Adam(agent.parameters(), lr=cfg.lr, eps=1e-5)
        self.critic_optimizer = torch.optim.Adam(
            agent.policy.critic.parameters(), lr=cfg.critic_warmup_lr, eps=1e-5
        )
        self.rng = np.random.default_rng(cfg.seed)
        self.update = update
        keys = AUX_LABELS if cfg.aux_weight > 0 else ()
        self.collector = collector or RolloutCollector(envs, cfg.num_steps, cfg.step_timeout, keys)
        self.ref_memory = None if ref_agent is None else ref_agent.initial_memory(cfg.num_envs)

    @property
    def global_step(self) -> int:
        """Env steps taken so far."""
        return self.update * self.cfg.batch_steps

    def reset_envs(self) -> None:
        """Reset every env with seeds derived from (seed, global_step) (a resume gets new ones),
        in the training range: never a validation or final-evaluation layout."""
        seq = np.random.SeedSequence([self.cfg.seed, self.global_step])
        self.collector.reset(
            [online_training_seed(x) for x in seq.generate_state(self.cfg.num_envs)]
        )

    def iteration(self) -> tuple[dict[str, float], list[dict[str, Any]]]:
        """Collect one rollout and update on it; returns (statistics, ended episodes)."""
        cfg = self.cfg
        if cfg.anneal_lr:
            self.optimizer.param_groups[0]["lr"] = linear_to_zero(
                self.update, cfg.num_updates, cfg.lr
            )
        torch.set_num_threads(cfg.threads)
        start = time.perf_counter()
        rollout, episodes = self.collector.collect(self.agent)
        collect_s = time.perf_counter() - start
        torch.set_num_threads(cfg.update_threads)
        rollout.advantages, rollout.returns = compute_gae(
            rollout.rewards, rollout.values, rollout.dones, rollout.last_value,
            cfg.gamma, cfg.gae_lambda,
        )  # fmt: skip
        ref_logits = None
        if self.ref_agent is not None:
            with torch.no_grad():
                ref = self.ref_agent.evaluate_sequence(
                    rollout.images, rollout.missions, rollout.actions, rollout.episode_starts,
                    self.ref_memory, rollout.proprio,
                )  # fmt: skip
            ref_logits, self.ref_memory = ref.logits, ref.memory
        if self.update < cfg.critic_warmup:  # the policy waits for a critic worth following
            stats = critic_update(self.agent, self.critic_optimizer, rollout, cfg, self.rng)
        else:
            stats = ppo_update(self.agent, self.optimizer, rollout, cfg, self.rng, ref_logits)
        self.update += 1
        stats.update(
            learning_rate=self.optimizer.param_groups[0]["lr"],
            collect_s=collect_s,
            update_s=time.perf_counter() - start - collect_s,
        )
        return stats, episodes


def build_agent(
    cfg: PPOConfig,
    num_actions: int,
    resume_from: Path | None = None,
    proprioception: bool = False,
) -> tuple[Agent, Agent | None]:
    """The agent to train (fresh, from ``init_from`` or a resumed checkpoint) and the frozen
    initial policy for the KL term (None when ``kl_coef`` is 0).

    A fresh agent gets the task's inventory (:func:`agent.learn.inventory.resolve_agent_config`)
    and reads proprioception when the envs give it (``proprioception``) unless
    ``agent.proprioception`` says otherwise.
    """
    device = resolve_device(cfg.device)
    source = resume_from or cfg.init_from
    if source:
        agent = Agent.from_pretrained(source, device=device)
    else:
        config = dataclasses.replace(cfg.agent, num_actions=num_actions)
        agent = Agent(resolve_agent_config(config, cfg.split, proprioception)).to(device)
    if agent.config.num_actions != num_actions:
        raise ValueError(
            f"{source} has {agent.config.num_actions} actions but {cfg.task} has {num_actions}"
        )
    if agent.config.proprioception and not proprioception:
        raise ValueError(f"{source}: {MISSING_PROPRIO} ({cfg.task} has none)")
    if cfg.aux_weight > 0 and not agent.config.aux_heads:
        raise ValueError("aux_weight > 0 needs an agent with aux_heads = true")
    ref = None
    if cfg.kl_coef > 0:
        ref = Agent.from_pretrained(cfg.init_from, device=device).requires_grad_(False)
    return agent, ref
