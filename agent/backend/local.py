"""The local backend: jobs in this process (1 worker) or in spawned worker processes.

Worker ``w`` of ``K`` takes jobs ``w, w + K, ...`` in order, in its own process (``spawn``, never
``fork``: the parent may have imported miniworld, and only one MiniWorld env per process renders
correctly), and streams each result back as soon as it is done. A worker that dies or raises is
reported with a clear error naming it (pid, exit code or signal, how far it got), never waited on.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue as queue_mod
import signal
import time
import traceback
from collections.abc import Iterator, Sequence
from typing import Any

from agent.backend.base import Backend, JobFn, WorkerError
from agent.utils.lifeline import tie_to_parent

DEATH_GRACE_S = 1.0
"""Seconds a worker may be seen exited, without "done", before it is reported dead."""


def _worker(wid: int, fn: JobFn, shared: Any, jobs: list[tuple[int, Any]], results: Any) -> None:
    """Spawned worker: stream ("result", wid, (index, result)) messages, then ("done", wid)."""
    tie_to_parent()  # a killed parent takes its workers with it
    try:
        for index, job in jobs:
            results.put(("result", wid, (index, fn(shared, job))))
        results.put(("done", wid))
    except BaseException as exc:  # noqa: BLE001 - report everything, then exit non-zero
        results.put(("error", wid, isinstance(exc, ValueError), str(exc), traceback.format_exc()))
        raise SystemExit(1) from exc


def _death(wid: int, proc: Any, got: int, expected: int, what: str) -> WorkerError:
    code = proc.exitcode
    how = f"exit code {code}"
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            how = f"signal {signal.Signals(-code).name}"
    return WorkerError(
        f"{what} worker {wid} (pid {proc.pid}) died ({how}) after {got} of its {expected} jobs"
    )


def _supervise(
    procs: list[Any], results: Any, expected: list[int], what: str
) -> Iterator[tuple[int, Any]]:
    """Yield results from running workers; raise (never hang) when one dies or fails."""
    got = [0] * len(procs)
    done: set[int] = set()
    dead_since: dict[int, float] = {}
    try:
        while len(done) < len(procs):
            try:
                msg = results.get(timeout=0.5)
            except queue_mod.Empty:
                msg = None
            if msg is not None:
                kind, wid = msg[0], msg[1]
                dead_since.pop(wid, None)
                if kind == "result":
                    got[wid] += 1
                    yield msg[2]
                elif kind == "done":
                    done.add(wid)
                else:
                    _, _, is_value_error, text, trace = msg
                    if is_value_error:
                        raise ValueError(f"{what} worker {wid}: {text}")
                    raise WorkerError(f"{what} worker {wid} failed:\n{trace}")
            now = time.monotonic()
            for wid, proc in enumerate(procs):
                # A worker that exited without "done" is dead once its last messages had time
                # to arrive (they are flushed before a process exits).
                exited = wid not in done and proc.exitcode is not None
                if exited and now - dead_since.setdefault(wid, now) > DEATH_GRACE_S:
                    raise _death(wid, proc, got[wid], expected[wid], what)
    finally:
        for proc in procs:
            if proc.is_alive() and len(done) < len(procs):
                proc.terminate()
            proc.join(timeout=10)


class LocalBackend(Backend):
    """``workers`` spawned processes on this machine (1: jobs run in this process)."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self._workers = workers

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def in_process(self) -> bool:
        return self._workers == 1

    def run(
        self,
        fn: JobFn,
        jobs: Sequence[Any],
        shared: Any = None,
        what: str = "job",
        fresh_process: bool = False,
    ) -> Iterator[tuple[int, Any]]:
        if self._workers == 1 or len(jobs) <= 1:
            for index, job in enumerate(jobs):
                yield index, fn(shared, job)
            return
        ctx = mp.get_context("spawn")  # never fork: the parent may have imported miniworld
        results = ctx.Queue()
        count = min(self._workers, len(jobs))
        shares = [[(i, jobs[i]) for i in range(w, len(jobs), count)] for w in range(count)]
        procs = [
            ctx.Process(target=_worker, args=(w, fn, shared, share, results), daemon=True)
            for w, share in enumerate(shares)
        ]
        for proc in procs:
            proc.start()
        yield from _supervise(procs, results, [len(s) for s in shares], what)
