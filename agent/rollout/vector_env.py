"""Subprocess vector envs for PPO, and supervision of their worker processes.

One MiniWorld env per worker process (``AsyncVectorEnv`` with a forkserver/spawn context: only one
MiniWorld env per process renders correctly, and "fork" hangs once miniworld is imported). The
vector env runs Gymnasium's ``SAME_STEP`` autoreset mode (see :mod:`agent.rollout.collector`). A
worker that dies, hangs or raises stops the learner with an :class:`EnvWorkerError` naming it.

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
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, VectorEnv
from gymnasium.vector.async_vector_env import AsyncState

from agent.utils.lifeline import Tied

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
        [Tied(fn)] * num_envs,  # each worker dies with its parent
        context=context,
        shared_memory=False,
        daemon=True,
        autoreset_mode=AutoresetMode.SAME_STEP,
    )


# ------------------------------------------------------------------------------ worker health
def dead_workers(envs: AsyncVectorEnv, grace: float = 0.0) -> list[str]:
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


def worker_died(envs: AsyncVectorEnv, dead: list[str]) -> EnvWorkerError:
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
        raise worker_died(envs, dead_workers(envs, grace=5.0) or ["worker (unknown)"]) from exc
    deadline = time.monotonic() + timeout
    for i, pipe in enumerate(envs.parent_pipes):
        while pipe is not None and not pipe.poll(WORKER_POLL_S):
            if dead := dead_workers(envs):
                raise worker_died(envs, dead)
            if time.monotonic() > deadline:
                envs._state = AsyncState.DEFAULT
                pid = envs.processes[i].pid
                raise EnvWorkerError(
                    f"env worker {i} (pid {pid}) did not answer in {timeout:.0f} s"
                )
    # A dead worker's pipe polls ready (EOF); one that raised reported its error before exiting.
    if (dead := dead_workers(envs)) and envs.error_queue.empty():
        raise worker_died(envs, dead)
    try:
        return envs.step_wait()
    except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
        raise worker_died(envs, dead_workers(envs, grace=5.0) or ["worker (unknown)"]) from exc
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
