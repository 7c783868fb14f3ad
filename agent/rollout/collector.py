"""Collection of PPO rollouts: a vector env stepped by an agent, observations and memory carried.

Autoreset: the vector env runs Gymnasium's ``SAME_STEP`` mode. The step that ends an episode
returns the *next* episode's first observation (the final one is in ``info["final_obs"]``, the
final info in ``info["final_info"]``), so every stored step ``t`` is a real transition
``(obs_t, a_t, r_t, done_t)`` and no transition crosses an episode boundary. Observations with
proprioception (``-v1`` tasks) have it stored and given to the agent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium.vector import AutoresetMode, VectorEnv

from agent.model.proprio import MISSING_PROPRIO, obs_proprio
from agent.rollout.storage import Rollout
from agent.rollout.vector_env import dead_workers, step_envs, worker_died


def _final_info(info: dict[str, Any], i: int) -> dict[str, Any]:
    """Env ``i``'s info of the step that ended its episode (SAME_STEP: ``info['final_info']``)."""
    final = info.get("final_info")
    if final is None:
        return {}
    return {k: v[i] for k, v in final.items() if not k.startswith("_") and final[f"_{k}"][i]}


class RolloutCollector:
    """Steps a vector env with an agent, carrying observations and memory across rollouts.

    Args:
        envs: a vector env in SAME_STEP autoreset mode (:func:`.vector_env.make_vector_env`).
        num_steps: steps per env in one rollout (T).
        step_timeout: seconds a worker may take for one step before it is declared hung.
        label_keys: env info keys to store per step (the labels of the observation acted on).
    """

    def __init__(
        self,
        envs: VectorEnv,
        num_steps: int,
        step_timeout: float = 300.0,
        label_keys: tuple[str, ...] = (),
    ) -> None:
        mode = envs.metadata.get("autoreset_mode")
        if mode is not None and AutoresetMode(mode) != AutoresetMode.SAME_STEP:
            raise ValueError(f"RolloutCollector needs SAME_STEP autoreset, got {mode}")
        self.envs = envs
        self.num_envs = envs.num_envs
        self.num_steps = num_steps
        self.step_timeout = step_timeout
        self.label_keys = label_keys
        self.labels: dict[str, np.ndarray] = {}
        self.obs: dict[str, Any] | None = None
        self.memory: torch.Tensor | None = None
        self.episode_start = np.ones(self.num_envs, dtype=bool)
        self.episode_return = np.zeros(self.num_envs)
        self.episode_length = np.zeros(self.num_envs, dtype=np.int64)

    def reset(self, seeds: list[int]) -> None:
        """Reset every env (env ``i`` with ``seeds[i]``) and start fresh episodes and memory."""
        try:
            self.obs, info = self.envs.reset(seed=[int(s) for s in seeds])
            self.labels = self._labels(info)
        except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
            dead = dead_workers(self.envs, grace=5.0) or ["worker (unknown)"]
            raise worker_died(self.envs, dead) from exc
        self.memory = None
        self.episode_start[:] = True
        self.episode_return[:] = 0.0
        self.episode_length[:] = 0

    def _labels(self, info: dict[str, Any]) -> dict[str, np.ndarray]:
        """The label keys of a step's info: in SAME_STEP mode they describe the returned obs."""
        missing = [k for k in self.label_keys if k not in info]
        if missing:
            raise KeyError(f"env info lacks the label key(s) {', '.join(missing)}")
        return {k: np.asarray(info[k], dtype=np.float32) for k in self.label_keys}

    @torch.no_grad()
    def collect(self, agent: Any) -> tuple[Rollout, list[dict[str, Any]]]:
        """Run one rollout of T steps; return it and a record of every episode that ended.

        Each record: env, return, length, outcome, is_success (from the env's final info).
        """
        if self.obs is None:
            raise RuntimeError("call reset(seeds) before collect()")
        if self.memory is None:
            self.memory = agent.initial_memory(self.num_envs)
        t_len, n = self.num_steps, self.num_envs
        height, width = self.obs["image"].shape[1:3]
        images = torch.empty((t_len, n, height, width, 3), dtype=torch.uint8)
        missions: list[list[str]] = []
        actions = torch.empty((t_len, n), dtype=torch.long)
        log_probs, values, rewards = (torch.empty((t_len, n)) for _ in range(3))
        dones, starts = (torch.empty((t_len, n), dtype=torch.bool) for _ in range(2))
        memories = torch.empty((t_len, n, self.memory.shape[-1]))
        labels: dict[str, list[np.ndarray]] = {k: [] for k in self.label_keys}
        episodes: list[dict[str, Any]] = []
        proprio = self._proprio_buffer(agent)
        for t in range(t_len):
            images[t] = torch.from_numpy(np.asarray(self.obs["image"]))
            missions.append([str(m) for m in self.obs["mission"]])
            memories[t] = self.memory.cpu()
            starts[t] = torch.from_numpy(self.episode_start)
            for k, v in self.labels.items():
                labels[k].append(v)
            if proprio is not None:
                proprio[t] = torch.from_numpy(obs_proprio(self.obs))
            step_proprio = None if proprio is None else proprio[t]
            out = agent.act(images[t], missions[t], self.memory, starts[t], proprio=step_proprio)
            out = out._replace(action=out.action.cpu())
            action = out.action.numpy()
            self.obs, reward, terminated, truncated, info = step_envs(
                self.envs, action, self.step_timeout
            )
            done = np.logical_or(terminated, truncated)
            self.labels = self._labels(info)
            actions[t], log_probs[t], values[t] = out.action, out.log_prob.cpu(), out.value.cpu()
            rewards[t] = torch.from_numpy(np.asarray(reward, dtype=np.float32))
            dones[t] = torch.from_numpy(done)
            self.episode_return += reward
            self.episode_length += 1
            for i in np.flatnonzero(done):
                final = _final_info(info, i)
                episodes.append({
                    "env": int(i),
                    "return": float(self.episode_return[i]),
                    "length": int(self.episode_length[i]),
                    "outcome": str(final.get("outcome", "timeout" if truncated[i] else "done")),
                    "is_success": bool(final.get("is_success", False)),
                })  # fmt: skip
                self.episode_return[i], self.episode_length[i] = 0.0, 0
            self.memory = out.memory
            self.episode_start = done
        last_proprio = None if proprio is None else obs_proprio(self.obs)
        last = agent.act(
            self.obs["image"], [str(m) for m in self.obs["mission"]], self.memory,
            self.episode_start, proprio=last_proprio,
        )  # fmt: skip
        rollout = Rollout(
            images, missions, actions, log_probs, values, rewards, dones, starts, memories,
            last_value=last.value.cpu(),
            labels={k: torch.from_numpy(np.stack(v)) for k, v in labels.items()},
            proprio=proprio,
        )  # fmt: skip
        return rollout, episodes

    def _proprio_buffer(self, agent: Any) -> torch.Tensor | None:
        """A (T, B, 2) buffer for the observations' proprioception (None when they have none);
        ValueError when the agent reads proprioception and the env gives none."""
        if obs_proprio(self.obs) is None:
            if getattr(getattr(agent, "config", None), "proprioception", False):
                raise ValueError(f"{MISSING_PROPRIO}: the env's observations have none")
            return None
        return torch.empty((self.num_steps, self.num_envs, 2), dtype=torch.long)
