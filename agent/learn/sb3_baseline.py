"""Stable-Baselines3's PPO on a MiniGround task, set up like ours, for ``bench ppo --against sb3``.

The same task and env kwargs, the same number of worker processes (SB3's ``SubprocVecEnv``, one
MiniGround env each, the mission as word ids through :class:`envs.tokens.MissionTokens`), the same
rollout length, epochs, minibatch size, learning rate, clip, GAE and loss weights. SB3's policy is
its ``MultiInputPolicy`` (NatureCNN on the frame, the word ids flattened, no memory; on a ``-v1``
task the proprioception's ``prev_action`` and ``moved``, ``Discrete`` spaces that
:class:`~envs.tokens.MissionTokens` passes through, one-hot encoded): not our network, so both
models' parameter counts and FLOPs per frame are reported next to the speeds.
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from agent.learn.ppo_config import PPOConfig

INSTALL_HINT = 'pip install "miniground[sb3]"  (Stable-Baselines3)'


def require_sb3() -> Any:
    """The ``stable_baselines3`` module, or an ImportError that says how to install it."""
    try:
        import stable_baselines3
    except ImportError as exc:
        raise ImportError(
            f"--against sb3 needs Stable-Baselines3, which is not installed: {INSTALL_HINT}"
        ) from exc
    return stable_baselines3


@dataclass(frozen=True)
class TokenEnvFactory:
    """Picklable constructor of a MiniGround env with word-id missions (runs in SB3's workers)."""

    task: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self) -> Any:
        import envs
        from envs.tokens import MissionTokens

        with contextlib.redirect_stdout(io.StringIO()):
            return MissionTokens(envs.make(self.task, **self.env_kwargs))


def flops_per_frame(forward: Any) -> int:
    """FLOPs that ``forward()`` (one frame through a policy) counts in torch's FLOP counter."""
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        forward()
    return int(counter.get_total_flops())


def make_sb3(cfg: PPOConfig) -> tuple[Any, Any]:
    """SB3's vector env and PPO model with ``cfg``'s settings (the caller closes the env)."""
    sb3 = require_sb3()
    from stable_baselines3.common.vec_env import SubprocVecEnv

    venv = SubprocVecEnv(
        [TokenEnvFactory(cfg.task, {**cfg.env_kwargs(), "labels": "none"})] * cfg.num_envs,
        start_method=cfg.context,
    )
    model = sb3.PPO(
        "MultiInputPolicy",
        venv,
        n_steps=cfg.num_steps,
        batch_size=cfg.batch_steps // cfg.num_minibatches,
        n_epochs=cfg.update_epochs,
        learning_rate=cfg.lr,
        gamma=cfg.gamma,
        gae_lambda=cfg.gae_lambda,
        clip_range=cfg.clip_coef,
        normalize_advantage=cfg.norm_adv,
        ent_coef=cfg.ent_coef,
        vf_coef=cfg.vf_coef,
        max_grad_norm=cfg.grad_clip,
        target_kl=cfg.target_kl,
        seed=cfg.seed,
        device="cpu",
        verbose=0,
    )
    return venv, model


def sb3_steps_per_second(cfg: PPOConfig, iterations: int) -> dict[str, Any]:
    """SB3 PPO env-steps/s over ``iterations`` whole iterations (rollout + update), after one
    warm-up iteration; plus its parameter count and FLOPs per frame."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(max(cfg.threads, cfg.update_threads))
    venv, model = make_sb3(cfg)
    try:
        model.learn(total_timesteps=cfg.batch_steps)  # warm-up: first-touch costs
        start = time.perf_counter()
        model.learn(total_timesteps=iterations * cfg.batch_steps, reset_num_timesteps=False)
        seconds = time.perf_counter() - start
        policy = model.policy
        obs = {k: v[:1] for k, v in venv.reset().items()}
        tensor, _ = policy.obs_to_tensor(obs)
        flops = flops_per_frame(lambda: policy(tensor))
    finally:
        venv.close()
    return {
        "steps_per_second": iterations * cfg.batch_steps / seconds,
        "num_parameters": sum(p.numel() for p in policy.parameters()),
        "flops_per_frame": flops,
        "policy": "SB3 MultiInputPolicy (NatureCNN + flattened word ids, MLP heads, no memory)",
        "version": require_sb3().__version__,
    }


def our_flops_per_frame(agent: Any, env_kwargs: dict[str, Any]) -> int:
    """FLOPs of one frame through our agent (perception, fusion, memory, heads; the mission's
    encoding comes from the cache, as on every step of a rollout)."""
    import numpy as np

    cfg_h, cfg_w = env_kwargs.get("obs_height", 60), env_kwargs.get("obs_width", 80)
    image = np.zeros((1, cfg_h, cfg_w, 3), dtype=np.uint8)
    mission = ["go to the red ball"]
    memory = agent.initial_memory(1)
    proprio = np.zeros((1, 2), dtype=np.int64)  # ignored by an agent without proprioception
    with torch.no_grad():  # fill the text cache (used without grad): a step pays no encoding
        agent.act(image, mission, memory, [True], proprio=proprio)
    return flops_per_frame(lambda: agent.act(image, mission, memory, [True], proprio=proprio))
