"""The Ray backend: one Ray task per job, one CPU each, retried when its worker is lost.

Ray is imported lazily (``pip install "miniground[ray]"``). Without ``address`` a local Ray
instance is started (and shut down by :meth:`RayBackend.close`); with one, the driver joins that
cluster (``ray start --head`` on one machine, ``ray start --address HEAD:6379`` on the others).
Every node needs this package and the EGL libraries installed: jobs import ``envs`` there.
Tasks ask for one CPU each (MiniWorld renders with single-threaded llvmpipe); a task whose worker
process or node dies is retried ``retries`` times, so no job is lost, and since results come back
to the driver (nothing is written on the worker's node), a retried job never duplicates one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from typing import Any

from agent.backend.base import Backend, BackendError, JobFn, WorkerError

INSTALL_HINT = 'pip install "miniground[ray]"'
"""How to get Ray, named in every error about its absence."""

_STARTED: list[bool] = []
"""Whether this process started the running Ray instance (then it shuts it down)."""


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`BackendError` naming the install command."""
    try:
        import ray
    except ImportError as exc:
        raise BackendError(
            f"--backend ray needs Ray, which is not installed here: {INSTALL_HINT} "
            "(on every node of the cluster)"
        ) from exc
    return ray


def ensure_ray(address: str | None = None, num_cpus: int | None = None) -> Any:
    """Connect to the cluster at ``address`` (or ``$RAY_ADDRESS``) or start a local Ray instance
    with ``num_cpus`` CPUs; a Ray instance this process already joined is reused as it is.
    Returns the ``ray`` module."""
    ray = import_ray()
    if ray.is_initialized():
        return ray
    options: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING}
    # Jobs import envs on the workers, which sets up headless rendering there.
    if address:
        try:
            ray.init(address=address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise BackendError(
                f"cannot join the Ray cluster at {address!r} ({exc}); start it with "
                "`ray start --head` and pass the address it prints"
            ) from exc
    elif os.environ.get("RAY_ADDRESS"):  # Ray's own way to name a cluster
        ray.init(**options)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, **options)
        _STARTED.append(True)
    return ray


def shutdown_ray() -> None:
    """Shut down the Ray instance if this process started it."""
    if _STARTED:
        import ray

        ray.shutdown()
        _STARTED.clear()


def _call(fn: JobFn, shared: Any, job: Any) -> Any:
    """The body of every Ray task."""
    return fn(shared, job)


def _cause(exc: BaseException) -> BaseException:
    """The exception a Ray task raised (a RayTaskError wraps it as ``cause``)."""
    return getattr(exc, "cause", None) or exc


class RayBackend(Backend):
    """One Ray task per job on a Ray cluster (or a local instance it starts)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None,
                 retries: int = 3) -> None:  # fmt: skip
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.ray = ensure_ray(address, workers)
        self.retries = retries

    @property
    def workers(self) -> int:
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    @property
    def shares_files(self) -> bool:
        return False

    def run(
        self,
        fn: JobFn,
        jobs: Sequence[Any],
        shared: Any = None,
        what: str = "job",
        fresh_process: bool = False,
    ) -> Iterator[tuple[int, Any]]:
        ray = self.ray
        if not ray.cluster_resources().get("CPU"):  # every task asks for one: none would start
            raise BackendError("the Ray cluster has no CPUs; start nodes with `ray start`")
        task = ray.remote(
            num_cpus=1, max_retries=self.retries, max_calls=1 if fresh_process else 0
        )(_call).options(name=f"miniground:{what}")
        shared_ref = ray.put(shared)
        index = {task.remote(fn, shared_ref, job): i for i, job in enumerate(jobs)}
        pending = list(index)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                for ref in ready:
                    yield index[ref], self._result(ref, index[ref], len(jobs), what)
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def _result(self, ref: Any, i: int, total: int, what: str) -> Any:
        """The result of job ``i``, or the error that explains why there is none."""
        ray = self.ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = _cause(exc)
            if isinstance(cause, ValueError):
                raise ValueError(f"{what} task {i} of {total} (Ray): {cause}") from exc
            raise WorkerError(f"{what} task {i} of {total} failed on Ray:\n{exc}") from exc
        except ray.exceptions.RayError as exc:  # worker or node lost more often than retried
            raise WorkerError(
                f"{what} task {i} of {total} was lost on Ray ({type(exc).__name__}) after "
                f"{self.retries} retries: {exc}"
            ) from exc

    def close(self) -> None:
        shutdown_ray()
