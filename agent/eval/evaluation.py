"""Seeded evaluation episodes of a policy, in-process, in spawned worker processes or on Ray.

Episode ``i`` always runs with env seed ``seed + i`` and the same policy seed, whatever the number
of workers or the backend (:mod:`agent.backend`): jobs are disjoint chunks of episode indices,
each run with one MiniWorld env in a worker process (``spawn``, never ``fork``, or a Ray task),
and records come back sorted by index. A worker that dies or fails is reported with a clear
error, never waited on (Ray retries a task whose worker was lost). Policy specs live in
:mod:`agent.eval.policies`, the episode loop in :mod:`agent.rollout.episode`; :func:`run_eval`
adds the aggregate metrics.

Envs are built with the cheap ``labels="seen"`` (only whether the target has been in view, which
the failure taxonomy reads) unless the caller sets ``labels``: evaluation reads no other label.
``domain_rand`` evaluates under MiniWorld's domain randomisation too, or instead
(:func:`domain_rand_modes`); those rows carry ``"domain_rand": True``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from tqdm import tqdm

from agent.backend import Backend, LocalBackend, WorkerError
from agent.backend.files import files_digest, pack_dir, unpack_dir
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
from agent.utils.threads import one_torch_thread
from envs.language import check_split
from envs.registration import check_task

EVAL_CHUNK = 25
"""Most episodes of one policy x split in one job on a backend that spreads work (Ray)."""

EVAL_LABELS = "seen"
"""The env label mode evaluation uses unless told otherwise: the cheapest that still says
whether the target was in view (``target_seen``)."""

DomainRand = bool | Literal["off", "on", "both"]
"""Evaluate plainly (False / "off"), under domain randomisation (True / "on") or both ("both")."""

_WORKER_AGENTS: dict[tuple[str, str], Any] = {}
"""Agents a worker process loaded, by (checkpoint digest or path, device): loaded once."""


class EvaluationWorkerError(WorkerError):
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


@dataclasses.dataclass(frozen=True)
class _Chunk:
    """Episodes ``indices`` of job number ``job``: one backend job."""

    job: int
    indices: tuple[int, ...]


@dataclasses.dataclass
class _Shared:
    """What every chunk reads: the jobs, and per checkpoint a loaded Agent (in-process), its
    directory (workers on this machine) or its files (workers elsewhere)."""

    jobs: list[_Job]
    agents: dict[Any, Any]


def domain_rand_modes(value: DomainRand) -> tuple[bool, ...]:
    """The ``domain_rand`` env settings to evaluate: (False,), (True,) or (False, True)."""
    modes = {False: (False,), "off": (False,), True: (True,), "on": (True,),
             "both": (False, True)}  # fmt: skip
    if isinstance(value, (bool, str)) and value in modes:
        return modes[value]
    raise ValueError(f"domain_rand must be off, on or both (or a bool), got {value!r}")


def with_eval_labels(env_kwargs: dict[str, Any]) -> dict[str, Any]:
    """``env_kwargs`` with ``labels=EVAL_LABELS`` unless the caller chose a mode (or the envs do
    not offer it yet)."""
    if "labels" in env_kwargs:
        return dict(env_kwargs)
    from envs.world import LABEL_MODES

    return {**env_kwargs, "labels": EVAL_LABELS} if EVAL_LABELS in LABEL_MODES else dict(env_kwargs)


def _run_episodes(job: _Job, indices: Sequence[int], agent: Any = None) -> Iterator[Record]:
    """Records of episodes ``indices`` of ``job``, in order, with one env (closed after)."""
    env = make_env(job.task, job.split, **with_eval_labels(job.env_kwargs))
    if job.control:
        from envs.wrappers import FixedMission

        env = FixedMission(env)
    try:
        policy = make_policy(job.spec, env, job.sample, job.device, agent)
        for i in indices:
            yield run_episode(env, policy, i, job.seed + i)
    finally:
        env.close()


def _agent_of(shared: _Shared, job: _Job) -> Any:
    """The job's learned agent (None for a baseline), loaded at most once per process."""
    source = shared.agents.get(job.spec)
    if source is None or not isinstance(source, (Path, dict)):
        return source
    from agent.model.agent import Agent

    key = (files_digest(source) if isinstance(source, dict) else str(source), job.device)
    if key not in _WORKER_AGENTS:
        path = unpack_dir(source) if isinstance(source, dict) else source
        _WORKER_AGENTS[key] = Agent.from_pretrained(path, job.device)
    return _WORKER_AGENTS[key]


def _eval_chunk(shared: _Shared, chunk: _Chunk) -> list[Record]:
    """A backend job: the records of one chunk of episodes of one policy x split."""
    job = shared.jobs[chunk.job]
    agent = _agent_of(shared, job)
    with one_torch_thread(agent is not None):  # a worker's arithmetic: exact invariance
        return list(_run_episodes(job, chunk.indices, agent))


def _chunks(num_jobs: int, episodes: int, backend: Backend) -> list[_Chunk]:
    """Episode chunks of every job: in this process one per job; on local workers one per job
    and worker (worker w runs episodes w, w + K, ...); on Ray up to EVAL_CHUNK episodes each."""
    if backend.in_process:
        return [_Chunk(j, tuple(range(episodes))) for j in range(num_jobs)]
    if backend.shares_files:
        k = min(backend.workers, episodes)
        return [_Chunk(j, tuple(range(w, episodes, k))) for j in range(num_jobs) for w in range(k)]
    size = min(EVAL_CHUNK, -(-episodes // backend.workers))
    return [
        _Chunk(j, tuple(range(first, min(first + size, episodes))))
        for j in range(num_jobs)
        for first in range(0, episodes, size)
    ]


def _rows(
    specs: Sequence[PolicySpec], splits: Sequence[str], controls: bool, domain_rand: DomainRand
) -> list[tuple[int, str, bool, bool]]:
    """(policy index, split, control, domain_rand) of every row, in result order."""
    modes = domain_rand_modes(domain_rand)
    rows = []
    for k, spec in enumerate(specs):
        for control in (False, True) if controls and not is_baseline(spec) else (False,):
            rows += [(k, split, control, dr) for dr in modes for split in splits]
    return rows


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
    backend: Backend | None = None,
    domain_rand: DomainRand = False,
) -> list[list[Record]]:
    """:func:`evaluate` for every policy x split with one set of workers (started once).

    Returns one record list per (policy, split) pair, policy-major: ``[p0/s0, p0/s1, p1/s0, ...]``.
    With ``controls``, each learned policy is followed by its instruction-free control
    (:class:`envs.wrappers.FixedMission`) on the same splits and seeds: ``[p0/s0, p0/s1,
    p0-control/s0, p0-control/s1, p1/s0, ...]``. With ``domain_rand="both"`` every policy (and
    control) runs its splits plainly, then under domain randomisation (same seeds): ``[p0/s0,
    p0/s1, p0-dr/s0, p0-dr/s1, p0-control/s0, ...]``. ``backend`` runs the chunks of episodes
    (default: ``workers`` local processes); the records do not depend on it.
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
    rows = _rows(policy_specs, splits, controls, domain_rand)
    if "domain_rand" in (env_kwargs or {}) and any(row[3] for row in rows):
        raise ValueError("set domain randomisation once: domain_rand=, not also in env_kwargs")
    backend = backend or LocalBackend(min(workers, episodes))
    keys: list[Any] = []
    kwargs: list[dict[str, Any]] = []
    agents: dict[Any, Any] = {}
    for spec in policy_specs:
        agent = check_policy(spec, task, device)  # fail fast: every checkpoint loads first
        key = spec if is_baseline(spec) else Path(spec)
        if agent is not None:
            agents[key] = (agent if backend.in_process else key if backend.shares_files
                           else pack_dir(key))  # fmt: skip
        keys.append(key)
        kwargs.append(env_kwargs_for(agent, env_kwargs))
    jobs = []
    for k, split, control, dr in rows:
        env = {**kwargs[k], "domain_rand": True} if dr else kwargs[k]
        jobs.append(_Job(keys[k], task, split, int(seed), env, sample, device, control))
    what = (
        f"{policy_label(policy_specs[0])} / {splits[0]}"
        if len(jobs) == 1
        else f"{len(policy_specs)} polic{'y' if len(policy_specs) == 1 else 'ies'} x "
        f"{len(splits)} split{'' if len(splits) == 1 else 's'}"
        + (" (+ instruction-free controls)" if any(row[2] for row in rows) else "")
        + (" (+ domain randomisation)" if any(row[3] for row in rows) else "")
    )
    chunks = _chunks(len(jobs), episodes, backend)
    items: list[tuple[int, Record]] = []
    bar = tqdm(total=episodes * len(jobs), desc=what, unit="ep", disable=not progress,
               leave=False)  # fmt: skip
    try:
        with bar:
            for c, records in backend.run(_eval_chunk, chunks, _Shared(jobs, agents), "evaluation"):
                items += [(chunks[c].job, record) for record in records]
                bar.update(len(records))
    except EvaluationWorkerError:
        raise
    except WorkerError as exc:
        raise EvaluationWorkerError(f"{exc}\nnothing was kept from this evaluation") from exc
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
    backend: Backend | None = None,
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
        backend: where the episodes run (default: ``workers`` local processes).

    Raises:
        ValueError: bad task, split, counts or checkpoint (also from inside a worker).
        EvaluationWorkerError: a worker process died or failed unexpectedly.
    """
    return evaluate_many(
        [policy_spec], task, [split], episodes, seed, workers, env_kwargs, sample, device, progress,
        backend=backend,
    )[0]  # fmt: skip


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
    backend: Backend | None = None,
    domain_rand: DomainRand = False,
) -> list[dict[str, Any]]:
    """Evaluate every policy on every split; one result dict per pair (:mod:`agent.eval.report`).

    With ``controls``, every learned policy also gets rows labelled ``"<label> [control]"``: the
    same episodes with a mission that names nothing (``result["control"]`` is True). Every row
    says whether it ran under domain randomisation (``result["domain_rand"]``: set by
    ``domain_rand``, or by ``env_kwargs``).
    """
    labels = [policy_label(s) for s in specs]
    grouped = evaluate_many(specs, task, splits, episodes, seed, workers, env_kwargs, sample,
                            device, progress, controls, backend, domain_rand)  # fmt: skip
    plain_dr = bool((env_kwargs or {}).get("domain_rand", False))
    results = []
    rows = _rows(specs, splits, controls, domain_rand)
    for (k, split, control, dr), records in zip(rows, grouped, strict=True):
        spec, label = specs[k], labels[k]
        unique = label if labels.count(label) == 1 else str(spec)
        results.append({
            "policy": str(spec), "label": f"{unique} [control]" if control else unique,
            "split": split, "control": control, "domain_rand": dr or plain_dr,
            "aggregated": aggregate(records), "per_episode": records,
        })  # fmt: skip
    return results
