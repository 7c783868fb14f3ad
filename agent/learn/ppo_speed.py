"""The PPO learner's samples/s against a bare forward/backward of the same model and batches.

One rollout is collected; then :func:`agent.learn.ppo.ppo_update` runs on it (every epoch, no early
stop), and so does a bare loop over the same minibatch shapes: the forward pass
(``evaluate_sequence``), a plain loss, backward, gradient clipping and the optimizer step, with
none of the PPO arithmetic around them. The ratio says what the PPO bookkeeping costs.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import torch

from agent.learn.ppo import (
    PPOTrainer,
    build_agent,
    minibatches,
    ppo_update,
    rollout_sequences,
    score_minibatch,
)
from agent.learn.ppo_config import PPOConfig
from agent.model.proprio import has_proprio
from agent.rollout.storage import compute_gae

TARGET_RATIO = 0.9


def bare_update(agent: Any, optimizer: Any, rollout: Any, cfg: PPOConfig) -> None:
    """Forward/backward/step over the rollout's minibatches, as many as a PPO update makes."""
    seqs = rollout_sequences(rollout, cfg.seq_len)
    rng = np.random.default_rng(0)
    for _epoch in range(cfg.update_epochs):
        for idx in minibatches(seqs, cfg.num_minibatches, rng):
            out = score_minibatch(agent, seqs, idx)
            loss = -out.log_prob.mean() + out.value.pow(2).mean() - 0.01 * out.entropy.mean()
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(agent.parameters(), cfg.grad_clip)
            optimizer.step()


def learner_efficiency(cfg: PPOConfig, envs: Any, repeats: int = 2) -> dict[str, Any]:
    """Samples/s of the PPO update and of the bare loop on one rollout (best of ``repeats``)."""
    cfg = dataclasses.replace(cfg, target_kl=None, kl_coef=0.0)
    torch.manual_seed(cfg.seed)
    proprio = has_proprio(envs.single_observation_space)
    agent, _ = build_agent(cfg, int(envs.single_action_space.n), proprioception=proprio)
    trainer = PPOTrainer(cfg, envs, agent)
    trainer.reset_envs()
    torch.set_num_threads(cfg.threads)
    rollout, _ = trainer.collector.collect(agent)
    rollout.advantages, rollout.returns = compute_gae(
        rollout.rewards, rollout.values, rollout.dones, rollout.last_value, cfg.gamma,
        cfg.gae_lambda,
    )  # fmt: skip
    torch.set_num_threads(cfg.update_threads)
    samples = cfg.update_epochs * cfg.batch_steps
    rng = np.random.default_rng(cfg.seed)
    times: dict[str, list[float]] = {"ppo": [], "bare": []}
    for _ in range(repeats):  # alternate, so that load changes hit both alike
        start = time.perf_counter()
        ppo_update(agent, trainer.optimizer, rollout, cfg, rng)
        times["ppo"].append(time.perf_counter() - start)
        start = time.perf_counter()
        bare_update(agent, trainer.optimizer, rollout, cfg)
        times["bare"].append(time.perf_counter() - start)
    ppo_sps, bare_sps = samples / min(times["ppo"]), samples / min(times["bare"])
    return {
        "learner_samples_per_second": ppo_sps,
        "bare_samples_per_second": bare_sps,
        "learner_ratio": ppo_sps / bare_sps,
        "learner_target_ratio": TARGET_RATIO,
    }
