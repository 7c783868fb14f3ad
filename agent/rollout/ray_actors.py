"""PPO rollouts on Ray: one actor per node holding its envs and a CPU copy of the policy.

The learner stays where the command runs (a GPU if there is one). Each iteration it puts the
policy's weights into Ray's object store once; every actor loads them into its CPU copy, steps
its own envs (one worker process per env, on its node, as :mod:`agent.rollout.vector_env` does
locally) for a fixed-length segment of ``num_steps`` and returns it. The segments are joined
along the env axis, so the learner sees one rollout of ``num_envs`` envs as it would locally:
env ``i`` of the run is env ``i - offset`` of the actor that holds it, and is reset with the
same seed. An actor that dies, or whose envs fail or hang, stops the run with an
:class:`~agent.rollout.vector_env.EnvWorkerError` naming the actor, its node and its envs
(the last checkpoint stays valid; ``--resume`` continues), never a hang.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from agent.backend.files import pack_dir, unpack_dir
from agent.backend.ray_backend import ensure_ray
from agent.model.proprio import has_proprio
from agent.rollout.collector import RolloutCollector
from agent.rollout.storage import Rollout
from agent.rollout.vector_env import EnvWorkerError, close_envs, make_vector_env

START_TIMEOUT_S = 300.0
"""Seconds the actors may take to start their envs (longer: the cluster lacks the CPUs)."""


class RolloutActor:
    """Runs inside a Ray actor: ``num_envs`` env worker processes on its node, a CPU copy of the
    agent (sent once with :meth:`load_agent`, then only its weights) and a collector."""

    def __init__(
        self,
        task: str,
        num_envs: int,
        env_kwargs: dict[str, Any],
        context: str,
        num_steps: int,
        step_timeout: float,
        label_keys: tuple[str, ...],
        threads: int,
        seed: int,
        env_fn: Any = None,
    ) -> None:
        torch.set_num_threads(threads)
        torch.manual_seed(seed)  # the actions this actor samples
        self.envs = make_vector_env(task, num_envs, env_kwargs, context, env_fn)
        self.collector = RolloutCollector(self.envs, num_steps, step_timeout, label_keys)
        self.agent: Any = None

    def describe(self) -> dict[str, Any]:
        """Where the actor runs and what its envs are."""
        import socket

        return {"host": socket.gethostname(), "pid": os.getpid(),
                "num_actions": int(self.envs.single_action_space.n),
                "proprioception": has_proprio(self.envs.single_observation_space)}  # fmt: skip

    def load_agent(self, files: dict[str, bytes]) -> None:
        """The agent from a checkpoint's files (the learner's network, on the CPU)."""
        from agent.model.agent import Agent

        self.agent = Agent.from_pretrained(unpack_dir(files), device="cpu").train()

    def reset(self, seeds: list[int]) -> None:
        """Reset every env (env ``i`` with ``seeds[i]``) and start fresh memory."""
        self.collector.reset(seeds)

    def collect(self, weights: dict[str, torch.Tensor]) -> tuple[Rollout, list[dict[str, Any]]]:
        """Load the learner's weights and run one segment of ``num_steps`` steps."""
        self.agent.load_state_dict(weights)
        return self.collector.collect(self.agent)

    def close(self) -> None:
        """Close the envs (their worker processes exit)."""
        close_envs(self.envs)


def join_rollouts(parts: list[Rollout]) -> Rollout:
    """Segments of the same length from several actors as one rollout (envs side by side)."""
    labels = {k: torch.cat([p.labels[k] for p in parts], dim=1) for k in parts[0].labels}
    return Rollout(
        images=torch.cat([p.images for p in parts], dim=1),
        missions=[sum((p.missions[t] for p in parts), []) for t in range(parts[0].num_steps)],
        actions=torch.cat([p.actions for p in parts], dim=1),
        log_probs=torch.cat([p.log_probs for p in parts], dim=1),
        values=torch.cat([p.values for p in parts], dim=1),
        rewards=torch.cat([p.rewards for p in parts], dim=1),
        dones=torch.cat([p.dones for p in parts], dim=1),
        episode_starts=torch.cat([p.episode_starts for p in parts], dim=1),
        memories=torch.cat([p.memories for p in parts], dim=1),
        last_value=torch.cat([p.last_value for p in parts], dim=0),
        labels=labels,
        proprio=None if parts[0].proprio is None else torch.cat([p.proprio for p in parts], dim=1),
    )


def split_envs(num_envs: int, actors: int) -> list[int]:
    """Envs per actor: as even as possible, the first actors taking one more."""
    return [num_envs // actors + (i < num_envs % actors) for i in range(actors)]


@dataclass
class _Placement:
    """Where one actor goes: a node (or anywhere, ``node_id`` None) and how many envs."""

    node_id: str | None
    address: str
    num_envs: int


def plan_actors(nodes: list[dict[str, Any]], num_envs: int, actors: int = 0) -> list[_Placement]:
    """One actor per alive node with CPUs (``actors`` > 0: that many, spread by Ray), each with
    its share of the envs; an error when a node has fewer CPUs than its share (one per env)."""
    if actors < 0:
        raise ValueError(f"ray_actors must be >= 0, got {actors}")
    alive = [n for n in nodes if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) >= 1]
    if not alive:
        raise EnvWorkerError("the Ray cluster has no alive node with a CPU")
    if actors > 0:
        shares = split_envs(num_envs, min(actors, num_envs))
        return [_Placement(None, "any node", n) for n in shares]
    alive = alive[:num_envs]
    shares = split_envs(num_envs, len(alive))
    placements = []
    for node, share in zip(alive, shares, strict=True):
        cpus = int(node["Resources"]["CPU"])
        if cpus < share:
            raise EnvWorkerError(
                f"Ray node {node['NodeManagerAddress']} has {cpus} CPUs but its rollout actor "
                f"needs {share} (one per env): lower num_envs or add nodes"
            )
        placements.append(_Placement(node["NodeID"], node["NodeManagerAddress"], share))
    return placements


class RayRolloutPool:
    """The learner's side: rollout actors across the cluster behind the collector's interface
    (``reset(seeds)``, ``collect(agent)``), plus ``num_actions``, ``proprioception`` and
    ``close()``.

    Args:
        task: MiniGround id; env_kwargs: ``envs.make`` keyword arguments.
        num_envs: envs in all (split over the actors); num_steps: segment length.
        address: Ray cluster address (None: $RAY_ADDRESS, else a local instance).
        actors: number of actors (0: one per node).
        env_fn: replaces the MiniWorld env constructor (tests); must be importable on the nodes.
    """

    def __init__(
        self,
        task: str,
        num_envs: int,
        num_steps: int,
        env_kwargs: dict[str, Any] | None = None,
        address: str | None = None,
        actors: int = 0,
        context: str = "forkserver",
        step_timeout: float = 300.0,
        label_keys: tuple[str, ...] = (),
        threads: int = 1,
        seed: int = 0,
        env_fn: Any = None,
    ) -> None:
        ray = self.ray = ensure_ray(address, max(num_envs, os.cpu_count() or 1))
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        self.num_envs, self.num_steps, self.step_timeout = num_envs, num_steps, step_timeout
        self.placements = plan_actors(ray.nodes(), num_envs, actors)
        self.offsets = np.cumsum([0] + [p.num_envs for p in self.placements]).tolist()
        remote = ray.remote(RolloutActor)
        self.actors = []
        for i, p in enumerate(self.placements):
            strategy = ("SPREAD" if p.node_id is None
                        else NodeAffinitySchedulingStrategy(p.node_id, soft=False))  # fmt: skip
            actor = remote.options(
                num_cpus=p.num_envs, max_restarts=0, scheduling_strategy=strategy
            ).remote(task, p.num_envs, dict(env_kwargs or {}), context, num_steps, step_timeout,
                     tuple(label_keys), threads, seed + 1_000 * i, env_fn)  # fmt: skip
            self.actors.append(actor)
        self.where = [f"rollout actor {i} ({p.address})" for i, p in enumerate(self.placements)]
        info = self._get([a.describe.remote() for a in self.actors], START_TIMEOUT_S,
                         "start (does the cluster have one CPU per env?)")  # fmt: skip
        self.where = [
            f"rollout actor {i} (host {d['host']}, pid {d['pid']}, envs "
            f"{self.offsets[i]}..{self.offsets[i + 1] - 1})"
            for i, d in enumerate(info)
        ]
        self.num_actions = info[0]["num_actions"]
        self.proprioception = bool(info[0]["proprioception"])
        """Whether the envs' observations carry proprioception."""

    def _get(self, refs: list[Any], timeout: float, doing: str) -> list[Any]:
        """Every actor's answer, or an EnvWorkerError naming the first actor that failed."""
        ray = self.ray
        out = []
        for i, ref in enumerate(refs):
            try:
                out.append(ray.get(ref, timeout=timeout))
            except ray.exceptions.GetTimeoutError as exc:
                raise EnvWorkerError(
                    f"{self.where[i]} did not {doing} within {timeout:.0f} s; training stopped"
                ) from exc
            except ray.exceptions.RayTaskError as exc:
                cause = getattr(exc, "cause", None) or exc
                raise EnvWorkerError(
                    f"{self.where[i]} failed to {doing}: {type(cause).__name__}: {cause}; "
                    "training stopped"
                ) from exc
            except ray.exceptions.RayError as exc:  # the actor's process or node died
                raise EnvWorkerError(
                    f"{self.where[i]} died ({type(exc).__name__}) while asked to {doing}; "
                    "training stopped"
                ) from exc
        return out

    def load_agent(self, agent: Any) -> None:
        """Send the agent (its checkpoint files) to every actor once."""
        with tempfile.TemporaryDirectory(prefix="miniground-actor-agent-") as tmp:
            files = self.ray.put(pack_dir(agent.save_pretrained(tmp)))
        self._get([a.load_agent.remote(files) for a in self.actors], START_TIMEOUT_S,
                  "load the agent")  # fmt: skip

    def reset(self, seeds: list[int]) -> None:
        """Reset env ``i`` of the run with ``seeds[i]``, wherever it lives."""
        o = self.offsets
        refs = [a.reset.remote([int(s) for s in seeds[o[i] : o[i + 1]]])
                for i, a in enumerate(self.actors)]  # fmt: skip
        self._get(refs, self.step_timeout, "reset its envs")

    def collect(self, agent: Any) -> tuple[Rollout, list[dict[str, Any]]]:
        """Broadcast the agent's weights; one segment from every actor, joined."""
        weights = self.ray.put({k: v.detach().cpu() for k, v in agent.state_dict().items()})
        refs = [a.collect.remote(weights) for a in self.actors]
        parts = self._get(refs, self.step_timeout * self.num_steps, "collect a segment")
        episodes = []
        for offset, (_, ended) in zip(self.offsets, parts, strict=False):
            episodes += [{**e, "env": e["env"] + offset} for e in ended]
        return join_rollouts([rollout for rollout, _ in parts]), episodes

    def close(self, failed: bool = False) -> None:
        """Close the actors' envs (after a failure: kill the actors without waiting)."""
        ray = self.ray
        if not failed:
            refs = [a.close.remote() for a in self.actors]
            ray.wait(refs, num_returns=len(refs), timeout=30)
        for actor in self.actors:
            ray.kill(actor)
