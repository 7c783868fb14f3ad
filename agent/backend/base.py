"""The one interface for "run these seeded jobs somewhere" (local processes or a Ray cluster).

A job is a picklable value; a job function is a module-level ``fn(shared, job) -> result``.
``shared`` is sent once (to each local worker, or once into Ray's object store), the jobs one by
one. Results come back as ``(job index, result)`` pairs in completion order; callers sort them.
Everything that makes a result reproducible (env seeds, policy seeds) lives in the job, so the
results do not depend on the backend, the number of workers or the order they finish in.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Sequence
from typing import Any

BACKENDS: tuple[str, ...] = ("local", "ray")
"""Names accepted by ``--backend``."""

JobFn = Callable[[Any, Any], Any]
"""``fn(shared, job) -> result``: a module-level (picklable) function."""


class BackendError(ValueError):
    """A backend that cannot be used as asked (unknown name, Ray not installed, bad address)."""


class WorkerError(RuntimeError):
    """A worker died or raised an unexpected error; the message names the worker and the job."""


def check_backend(name: str) -> str:
    """``name`` if it names a backend, else a :class:`BackendError` listing the choices."""
    if name not in BACKENDS:
        raise BackendError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")
    return name


class Backend(abc.ABC):
    """Runs job functions over lists of jobs; use as a context manager (``close`` on exit)."""

    name: str = ""

    @property
    @abc.abstractmethod
    def workers(self) -> int:
        """How many jobs can run at once (local processes, or the Ray cluster's CPUs)."""

    @property
    def in_process(self) -> bool:
        """Whether jobs run in this process (then ``shared`` may hold unpicklable objects)."""
        return False

    @property
    def shares_files(self) -> bool:
        """Whether workers see this machine's files (false for a Ray cluster: ship them)."""
        return True

    @abc.abstractmethod
    def run(
        self,
        fn: JobFn,
        jobs: Sequence[Any],
        shared: Any = None,
        what: str = "job",
        fresh_process: bool = False,
    ) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, fn(shared, jobs[index]))`` for every job as each one finishes.

        Args:
            fn: the job function (module-level, picklable).
            jobs: the jobs, picklable.
            shared: one value every job reads (sent once per worker / once to the object store).
            what: the kind of worker, for error messages ("evaluation", "demonstration").
            fresh_process: run every job in a fresh worker process (Ray; locally each worker
                process is fresh when it starts and runs its share of jobs in order).

        Raises:
            ValueError: a job raised ValueError (bad input, reported as such).
            WorkerError: a worker died (after any retries) or a job raised another error.
        """

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release what the backend started (a local Ray instance)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
