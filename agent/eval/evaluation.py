"""Seeded evaluation episodes of a policy, in-process or in spawned worker processes.

Episode ``i`` always runs with env seed ``seed + i`` and the same policy seed, whatever the number
of workers: workers take disjoint episode indices, each in its own process with one MiniWorld env
(``spawn``, never ``fork``), and records come back sorted by index. A worker that dies or fails is
reported with a clear error, never waited on. Policy specs live in :mod:`agent.eval.policies`,
the episode loop in :mod:`agent.rollout.episode`; :func:`run_eval` adds the aggregate metrics.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing as mp
import queue as queue_mod
import signal
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from tqdm import tqdm

from agent.eval.metrics import aggregate
from agent.eval.policies import (
    PolicySpec,
    check_policy,
    env_kwargs_for,
    is_baseline,
    make_policy,
    policy_label,
)
from agent.rollout.episode import Record, make_env, run_episode
from agent.utils.lifeline import tie_to_parent
from agent.utils.threads import one_torch_thread
from envs.language import check_split
from envs.registration import check_task

DEATH_GRACE_S = 1.0
"""Seconds a worker may be seen exited, without "done", before it is reported dead."""


class EvaluationWorkerError(RuntimeError):
    """An evaluation worker process died or raised an unexpected error."""


@dataclasses.dataclass(frozen=True)
class _Job:
    spec: PolicySpec
    task: str
    split: str
    seed: int
    env_kwargs: dict[str, Any]
    sample: bool
    device: str
    control: bool = False


def _run_episodes(job: _Job, indices: list[int], agent: Any = None) -> Iterator[Record]:
    """Records of episodes ``indices`` of ``job``, in order, with one env (closed after)."""
    env = make_env(job.task, job.split, **job.env_kwargs)
    if job.control:
        from envs.wrappers import FixedMission

        env = FixedMission(env)
    try:
        policy = make_policy(job.spec, env, job.sample, job.device, agent)
        for i in indices:
            yield run_episode(env, policy, i, job.seed + i)
    finally:
        env.close()


def _run_jobs(
    jobs: list[_Job], indices: list[int], agents: dict[Any, Any]
) -> Iterator[tuple[int, Record]]:
    """(job number, record) for episodes ``indices`` of every job, one env at a time."""
    for j, job in enumerate(jobs):
        for record in _run_episodes(job, indices, agents.get(job.spec)):
            yield j, record


def _worker(wid: int, jobs: list[_Job], indices: list[int], results: Any) -> None:
    """Spawned worker: stream ("record", wid, (job, rec)) messages, then ("done", wid)."""
    tie_to_parent()
    try:
        learned = [job for job in jobs if not is_baseline(job.spec)]
        agents: dict[Any, Any] = {}
        if learned:
            from agent.model.agent import Agent

            agents = {job.spec: Agent.from_pretrained(job.spec, job.device) for job in learned}
        with one_torch_thread(bool(learned)):
            for item in _run_jobs(jobs, indices, agents):
                results.put(("record", wid, item))
        results.put(("done", wid))
    except BaseException as exc:  # noqa: BLE001 - report everything, then exit non-zero
        results.put(("error", wid, isinstance(exc, ValueError), str(exc), traceback.format_exc()))
        raise SystemExit(1) from exc


def _death(wid: int, proc: Any, got: int, expected: int, what: str) -> EvaluationWorkerError:
    code = proc.exitcode
    how = f"exit code {code}"
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            how = f"signal {signal.Signals(-code).name}"
    return EvaluationWorkerError(
        f"evaluation worker {wid} (pid {proc.pid}) died ({how}) after {got} of its {expected} "
        f"episodes of {what}; nothing was kept from this evaluation"
    )


def _supervise(
    procs: list[Any], results: Any, expected: list[int], what: str, progress: bool = True
) -> list[Record]:
    """Collect records from running workers; raise (never hang) when one dies or fails."""
    records: list[Record] = []
    got = [0] * len(procs)
    done: set[int] = set()
    dead_since: dict[int, float] = {}
    bar = tqdm(total=sum(expected), desc=what, unit="ep", disable=not progress, leave=False)
    try:
        while len(done) < len(procs):
            try:
                msg = results.get(timeout=0.5)
            except queue_mod.Empty:
                msg = None
            if msg is not None:
                kind, wid = msg[0], msg[1]
                dead_since.pop(wid, None)
                if kind == "record":
                    records.append(msg[2])
                    got[wid] += 1
                    bar.update(1)
                elif kind == "done":
                    done.add(wid)
                else:
                    _, _, is_value_error, text, trace = msg
                    if is_value_error:
                        raise ValueError(f"evaluation worker {wid}: {text}")
                    raise EvaluationWorkerError(
                        f"evaluation worker {wid} ({what}) failed:\n{trace}"
                    )
            now = time.monotonic()
            for wid, proc in enumerate(procs):
                # A worker that exited without "done" is dead once its last messages had time
                # to arrive (they are flushed before a process exits).
                exited = wid not in done and proc.exitcode is not None
                if exited and now - dead_since.setdefault(wid, now) > DEATH_GRACE_S:
                    raise _death(wid, proc, got[wid], expected[wid], what)
    finally:
        bar.close()
        for proc in procs:
            if proc.is_alive() and len(done) < len(procs):
                proc.terminate()
            proc.join(timeout=10)
    return records


def evaluate_many(
    policy_specs: Sequence[PolicySpec],
    task: str,
    splits: Sequence[str],
    episodes: int = 100,
    seed: int = 0,
    workers: int = 1,
    env_kwargs: dict[str, Any] | None = None,
    sample: bool = False,
    device: str = "cpu",
    progress: bool = True,
    controls: bool = False,
) -> list[list[Record]]:
    """:func:`evaluate` for every policy x split with one set of workers (started once).

    Returns one record list per (policy, split) pair, policy-major: ``[p0/s0, p0/s1, p1/s0, ...]``.
    With ``controls``, each learned policy is followed by its instruction-free control
    (:class:`envs.wrappers.FixedMission`) on the same splits and seeds: ``[p0/s0, p0/s1,
    p0-control/s0, p0-control/s1, p1/s0, ...]``.
    """
    check_task(task)
    for split in splits:
        check_split(split)
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if not policy_specs or not splits:
        raise ValueError("give at least one policy and one split")
    jobs: list[_Job] = []
    agents: dict[Any, Any] = {}
    for spec in policy_specs:
        agent = check_policy(spec, task, device)  # fail fast: every checkpoint loads first
        key = spec if is_baseline(spec) else Path(spec)
        if agent is not None:
            agents[key] = agent
        kwargs = env_kwargs_for(agent, env_kwargs)
        jobs += [_Job(key, task, split, int(seed), kwargs, sample, device) for split in splits]
        if controls and agent is not None:
            jobs += [
                _Job(key, task, split, int(seed), kwargs, sample, device, control=True)
                for split in splits
            ]
    what = (
        f"{policy_label(policy_specs[0])} / {splits[0]}"
        if len(jobs) == 1
        else f"{len(policy_specs)} policies x {len(splits)} splits"
    )
    workers = min(workers, episodes)
    items: list[tuple[int, Record]] = []
    if workers == 1:
        bar = tqdm(total=episodes * len(jobs), desc=what, unit="ep", disable=not progress,
                   leave=False)  # fmt: skip
        with bar, one_torch_thread(bool(agents)):  # a worker's arithmetic: exact invariance
            for item in _run_jobs(jobs, list(range(episodes)), agents):
                items.append(item)
                bar.update(1)
    else:
        ctx = mp.get_context("spawn")  # never fork: the parent may have imported miniworld
        results = ctx.Queue()
        shards = [list(range(w, episodes, workers)) for w in range(workers)]
        procs = [
            ctx.Process(target=_worker, args=(w, jobs, shard, results), daemon=True)
            for w, shard in enumerate(shards)
        ]
        for proc in procs:
            proc.start()
        items = _supervise(procs, results, [len(s) * len(jobs) for s in shards], what, progress)
    grouped: list[list[Record]] = [[] for _ in jobs]
    for j, record in items:
        grouped[j].append(record)
    return [sorted(records, key=lambda r: r["episode"]) for records in grouped]


def evaluate(
    policy_spec: PolicySpec,
    task: str,
    split: str = "train",
    episodes: int = 100,
    seed: int = 0,
    workers: int = 1,
    env_kwargs: dict[str, Any] | None = None,
    sample: bool = False,
    device: str = "cpu",
    progress: bool = True,
) -> list[Record]:
    """Run ``episodes`` seeded episodes of a policy on ``task``/``split``; records by episode.

    Args:
        policy_spec: "expert", "random" or a checkpoint directory.
        task: a MiniGround id.
        split: "train", "heldout_combos" or "paraphrase".
        episodes: number of episodes (env seeds ``seed .. seed + episodes - 1``).
        seed: seed of episode 0.
        workers: 1 runs in this process (one env); K > 1 spawns K processes, one env each.
        env_kwargs: extra ``envs.make`` kwargs (a checkpoint's frame size is filled in).
        sample: sample a learned agent's actions instead of taking the argmax.
        device: torch device of a learned agent.
        progress: show a progress bar.

    Raises:
        ValueError: bad task, split, counts or checkpoint (also from inside a worker).
        EvaluationWorkerError: a worker process died or failed unexpectedly.
    """
    return evaluate_many(
        [policy_spec], task, [split], episodes, seed, workers, env_kwargs, sample, device, progress
    )[0]


def run_eval(
    specs: list[PolicySpec],
    task: str,
    splits: list[str],
    episodes: int,
    seed: int = 0,
    workers: int = 1,
    env_kwargs: dict[str, Any] | None = None,
    sample: bool = False,
    device: str = "cpu",
    progress: bool = True,
    controls: bool = False,
) -> list[dict[str, Any]]:
    """Evaluate every policy on every split; one result dict per pair (:mod:`agent.eval.report`).

    With ``controls``, every learned policy also gets rows labelled ``"<label> [control]"``: the
    same episodes with a mission that names nothing (``result["control"]`` is True).
    """
    labels = [policy_label(s) for s in specs]
    grouped = evaluate_many(specs, task, splits, episodes, seed, workers, env_kwargs, sample,
                            device, progress, controls)  # fmt: skip
    results = []
    rows: list[tuple[PolicySpec, str, str, bool]] = []
    for spec, label in zip(specs, labels, strict=True):
        unique = label if labels.count(label) == 1 else str(spec)
        rows += [(spec, unique, split, False) for split in splits]
        if controls and not is_baseline(spec):
            rows += [(spec, f"{unique} [control]", split, True) for split in splits]
    for (spec, label, split, control), records in zip(rows, grouped, strict=True):
        results.append({"policy": str(spec), "label": label, "split": split, "control": control,
                        "aggregated": aggregate(records), "per_episode": records})  # fmt: skip
    return results
