"""Rollouts for PPO: subprocess vector envs, rollout storage, collection and GAE.

One MiniWorld env per worker process (``AsyncVectorEnv`` with a forkserver/spawn context: only one
MiniWorld env per process renders correctly, and "fork" hangs once miniworld is imported).

Autoreset: the vector env runs Gymnasium's ``SAME_STEP`` mode. The step that ends an episode
returns the *next* episode's first observation (the final one is in ``info["final_obs"]``, the
final info in ``info["final_info"]``), so every stored step ``t`` is a real transition
``(obs_t, a_t, r_t, done_t)`` and no transition crosses an episode boundary: ``done_t`` cuts the
GAE recursion and marks step ``t + 1`` as an episode start, where the recurrent memory is reset.
A time-out counts as terminal (no bootstrap): the time limit is part of the task (reward decays
with steps, and a time-out is a failure).

Gymnasium 1.4 defect worked around: with ``shared_memory=True`` a ``Text`` observation comes
back as garbage ("aaaa..."), so observations travel through the pipes (``shared_memory=False``).
"""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, VectorEnv
from gymnasium.vector.async_vector_env import AsyncState

WORKER_POLL_S = 0.2
"""How often a waiting learner checks that every env worker is still alive."""


class EnvWorkerError(RuntimeError):
    """An env worker process died, hung or raised; the message names the worker."""


@dataclass(frozen=True)
class EnvFactory:
    """Picklable env constructor run inside a worker process (MiniWorld's chatter silenced)."""

    task: str
    env_kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self) -> gym.Env:
        import envs  # headless rendering set-up + registration, in the worker

        with contextlib.redirect_stdout(io.StringIO()):
            return envs.make(self.task, **self.env_kwargs)


def make_vector_env(
    task: str,
    num_envs: int,
    env_kwargs: dict[str, Any] | None = None,
    context: str = "forkserver",
    env_fn: Any = None,
) -> AsyncVectorEnv:
    """``num_envs`` worker processes with one env each, in SAME_STEP autoreset mode.

    Args:
        task: a MiniGround id (ignored when ``env_fn`` is given).
        num_envs: number of worker processes.
        env_kwargs: ``envs.make`` keyword arguments.
        context: multiprocessing start method, "forkserver" or "spawn" (never "fork").
        env_fn: a picklable zero-argument env constructor replacing :class:`EnvFactory`.
    """
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    if context not in ("forkserver", "spawn"):
        raise ValueError(f"context must be 'forkserver' or 'spawn', got {context!r}")
    fn = env_fn if env_fn is not None else EnvFactory(task, dict(env_kwargs or {}))
    return AsyncVectorEnv(
        [fn] * num_envs,
        context=context,
        shared_memory=False,
        daemon=True,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )


# ------------------------------------------------------------------------------ worker health
def _dead_workers(envs: AsyncVectorEnv, grace: float = 0.0) -> list[str]:
    """'worker i (pid p, exit code c)' for every worker process that is no longer alive.

    ``grace``: seconds to wait for a death to be reported (a dead worker's pipe can hit EOF
    before its exit is visible, e.g. through the forkserver).
    """
    deadline = time.monotonic() + grace
    while True:
        dead = [
            f"worker {i} (pid {proc.pid}, exit code {proc.exitcode})"
            for i, proc in enumerate(envs.processes)
            if not proc.is_alive()
        ]
        if dead or time.monotonic() >= deadline:
            return dead
        time.sleep(0.02)


def _worker_died(envs: AsyncVectorEnv, dead: list[str]) -> EnvWorkerError:
    envs._state = AsyncState.DEFAULT  # let close() terminate the others instead of waiting
    return EnvWorkerError(f"env {', '.join(dead)} died; training stopped")


def step_envs(
    envs: VectorEnv, actions: np.ndarray, timeout: float = 300.0
) -> tuple[dict[str, Any], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """``envs.step(actions)`` that raises :class:`EnvWorkerError` instead of hanging.

    For an :class:`AsyncVectorEnv`, the learner waits on each worker's pipe while checking that
    every worker process is alive; a dead worker, one silent for ``timeout`` seconds, or an
    exception inside a worker raises an error naming it.
    """
    if not isinstance(envs, AsyncVectorEnv):
        return envs.step(actions)
    try:
        envs.step_async(actions)
    except (BrokenPipeError, ConnectionResetError) as exc:  # a worker died before this step
        envs._state = AsyncState.DEFAULT
        raise _worker_died(envs, _dead_workers(envs, grace=5.0) or ["worker (unknown)"]) from exc
    deadline = time.monotonic() + timeout
    for i, pipe in enumerate(envs.parent_pipes):
        while pipe is not None and not pipe.poll(WORKER_POLL_S):
            if dead := _dead_workers(envs):
                raise _worker_died(envs, dead)
            if time.monotonic() > deadline:
                envs._state = AsyncState.DEFAULT
                pid = envs.processes[i].pid
                raise EnvWorkerError(
                    f"env worker {i} (pid {pid}) did not answer in {timeout:.0f} s"
                )
    if dead := _dead_workers(envs):  # a dead worker's pipe polls ready (EOF)
        raise _worker_died(envs, dead)
    try:
        return envs.step_wait()
    except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
        raise _worker_died(envs, _dead_workers(envs, grace=5.0) or ["worker (unknown)"]) from exc
    except Exception as exc:  # re-raised by gymnasium from inside a worker (now shut down)
        failed = [str(i) for i, p in enumerate(envs.parent_pipes) if p is None]
        plural = "s" if len(failed) > 1 else ""
        who = f"env worker{plural} {', '.join(failed)}" if failed else "an env worker"
        raise EnvWorkerError(f"{who} raised {type(exc).__name__}: {exc}") from exc


def close_envs(envs: VectorEnv, failed: bool = False) -> None:
    """Close a vector env; after a failure, terminate the workers instead of waiting on them."""
    if isinstance(envs, AsyncVectorEnv) and failed:
        envs._state = AsyncState.DEFAULT
        for proc in envs.processes:
            if proc.is_alive():
                proc.terminate()
        envs.parent_pipes = [p for p in envs.parent_pipes if p is not None and not p.closed]
        with contextlib.suppress(Exception):
            envs.close(terminate=True)
        return
    envs.close()


# ------------------------------------------------------------------------------------ storage
@dataclass
class Rollout:
    """T steps of B envs. Step ``t`` holds the observation acted on and what followed."""

    images: torch.Tensor
    """(T, B, H, W, 3) uint8 observations."""
    missions: list[list[str]]
    """T lists of B instructions (an episode, and so its instruction, may change inside)."""
    actions: torch.Tensor
    """(T, B) long actions taken."""
    log_probs: torch.Tensor
    """(T, B) log-probabilities of the actions under the acting policy."""
    values: torch.Tensor
    """(T, B) value estimates of the acting policy."""
    rewards: torch.Tensor
    """(T, B) rewards."""
    dones: torch.Tensor
    """(T, B) bool: the episode ended with this step (terminated or timed out)."""
    episode_starts: torch.Tensor
    """(T, B) bool: this step starts an episode (memory is zeroed before it)."""
    memories: torch.Tensor
    """(T, B, D) memory before step t (before its episode-start reset)."""
    last_value: torch.Tensor
    """(B,) value of the observation after the last step."""
    labels: dict[str, torch.Tensor] = field(default_factory=dict)
    """Privileged per-step labels from env info, leading dims (T, B) (when asked for)."""
    advantages: torch.Tensor | None = None
    """(T, B) GAE advantages (set by :func:`compute_gae`)."""
    returns: torch.Tensor | None = None
    """(T, B) value targets: advantages + values."""

    @property
    def num_steps(self) -> int:
        """T."""
        return int(self.actions.shape[0])

    @property
    def num_envs(self) -> int:
        """B."""
        return int(self.actions.shape[1])


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation over (T, B) tensors.

    ``dones[t]`` means the episode ended with step ``t``: neither the next value nor the next
    advantage crosses it. Returns (advantages, returns = advantages + values).
    """
    t_len = rewards.shape[0]
    advantages = torch.zeros_like(values)
    last_gae = torch.zeros_like(last_value)
    for t in reversed(range(t_len)):
        next_value = last_value if t == t_len - 1 else values[t + 1]
        not_done = 1.0 - dones[t].to(values.dtype)
        delta = rewards[t] + gamma * next_value * not_done - values[t]
        last_gae = delta + gamma * gae_lambda * not_done * last_gae
        advantages[t] = last_gae
    return advantages, advantages + values


# ---------------------------------------------------------------------------------- collection
def _final_info(info: dict[str, Any], i: int) -> dict[str, Any]:
    """Env ``i``'s info of the step that ended its episode (SAME_STEP: ``info['final_info']``)."""
    final = info.get("final_info")
    if final is None:
        return {}
    return {k: v[i] for k, v in final.items() if not k.startswith("_") and final[f"_{k}"][i]}


class RolloutCollector:
    """Steps a vector env with an agent, carrying observations and memory across rollouts.

    Args:
        envs: a vector env in SAME_STEP autoreset mode (see :func:`make_vector_env`).
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
            dead = _dead_workers(self.envs, grace=5.0) or ["worker (unknown)"]
            raise _worker_died(self.envs, dead) from exc
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
        for t in range(t_len):
            images[t] = torch.from_numpy(np.asarray(self.obs["image"]))
            missions.append([str(m) for m in self.obs["mission"]])
            memories[t] = self.memory.cpu()
            starts[t] = torch.from_numpy(self.episode_start)
            for k, v in self.labels.items():
                labels[k].append(v)
            out = agent.act(images[t], missions[t], self.memory, starts[t])
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
        last = agent.act(
            self.obs["image"], [str(m) for m in self.obs["mission"]], self.memory,
            self.episode_start,
        )  # fmt: skip
        rollout = Rollout(
            images, missions, actions, log_probs, values, rewards, dones, starts, memories,
            last_value=last.value.cpu(),
            labels={k: torch.from_numpy(np.stack(v)) for k, v in labels.items()},
        )  # fmt: skip
        return rollout, episodes
