"""Demos, evaluation and PPO rollouts on a local Ray instance (2 CPUs), against the local backend.

One Ray instance serves the module. Its workers find the test helpers (``fakes``, ``ray_fakes``)
through PYTHONPATH, as a cluster's nodes find the installed package.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

ray = pytest.importorskip("ray")

from fakes import ChoiceEnv, tiny_ppo_config  # noqa: E402
from ray_fakes import KillOnce, first_episode, first_seed  # noqa: E402

from agent.backend.ray_backend import RayBackend  # noqa: E402
from agent.eval.evaluation import _chunks, _eval_chunk, _Shared, evaluate_many  # noqa: E402
from agent.rollout.demos import _make_shard, generate_demos  # noqa: E402
from agent.rollout.vector_env import EnvWorkerError  # noqa: E402

TASK = "MiniGround/GoToObject-v0"
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    """A local Ray instance with 2 CPUs for the whole module."""
    path = [str(HERE.parents[2]), str(HERE.parent), str(HERE), os.environ.get("PYTHONPATH", "")]
    env = {"PYTHONPATH": os.pathsep.join(p for p in path if p), "PYGLET_HEADLESS": "true"}
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": env})  # fmt: skip
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def local_demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local_demos")
    generate_demos(TASK, 6, out, seed=0, workers=1, episodes_per_shard=2, progress=False)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {f.name: f.read_bytes() for f in sorted(folder.iterdir())}


def test_demos_on_ray_are_byte_identical(ray_cluster, local_demos: Path, tmp_path: Path) -> None:
    generate_demos(TASK, 6, tmp_path, seed=0, workers=2, episodes_per_shard=2, progress=False,
                   backend=RayBackend())  # fmt: skip
    assert _files(tmp_path) == _files(local_demos)  # shards, sidecars and manifest


def test_a_killed_demo_worker_is_retried(ray_cluster, local_demos: Path, tmp_path: Path) -> None:
    specs = [{"task": TASK, "env_kwargs": {"split": "train"}, "seeds": [2 * i, 2 * i + 1],
              "path": "", "teacher": "expert"} for i in range(3)]  # fmt: skip
    marker = tmp_path / "killed"
    fn = KillOnce(_make_shard, victim=2, marker=str(marker), key=first_seed)
    results = list(RayBackend(retries=2).run(fn, specs, what="demonstration", fresh_process=True))
    assert marker.exists()  # the task for shard 1 lost its worker once
    assert sorted(i for i, _ in results) == [0, 1, 2]  # every shard once: none lost or doubled
    for i, (data, counts) in results:
        assert data == (local_demos / f"shard_{i:05d}.npz").read_bytes()
        assert counts["seeds"] == [2 * i, 2 * i + 2]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fakes import TINY_AGENT

    from agent.model.agent import Agent
    from agent.model.config import AgentConfig

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("ckpt") / "tiny"
    Agent(AgentConfig(num_actions=3, **TINY_AGENT)).save_pretrained(path)
    return path


@pytest.mark.slow
def test_eval_on_ray_gives_the_local_records(ray_cluster, checkpoint: Path) -> None:
    """A checkpoint (shipped to the workers as files), its control and a baseline."""
    kwargs = dict(episodes=3, seed=2_000_000, env_kwargs={"max_steps": 12}, progress=False,
                  controls=True)  # fmt: skip
    specs, splits = [checkpoint, "random"], ["heldout_combos"]
    local = evaluate_many(specs, TASK, splits, workers=1, **kwargs)
    on_ray = evaluate_many(specs, TASK, splits, workers=2, backend=RayBackend(), **kwargs)
    assert on_ray == local
    assert [r["episode"] for r in on_ray[0]] == [0, 1, 2]


def test_a_killed_eval_worker_loses_no_episode(ray_cluster, tmp_path: Path) -> None:
    from agent.eval.evaluation import _Job

    backend = RayBackend(retries=2)
    job = _Job("expert", TASK, "train", 2_000_000, {"max_steps": 20}, False, "cpu")
    chunks = _chunks(1, 6, backend)  # 2 CPUs: chunks of 3 episodes
    marker = tmp_path / "killed"
    fn = KillOnce(_eval_chunk, victim=3, marker=str(marker), key=first_episode)
    got = list(backend.run(fn, chunks, _Shared([job], {}), "evaluation"))
    assert marker.exists()
    episodes = sorted(r["episode"] for _, records in got for r in records)
    assert episodes == [0, 1, 2, 3, 4, 5]
    local = evaluate_many(["expert"], TASK, ["train"], 6, 2_000_000, 1, {"max_steps": 20},
                          progress=False)[0]  # fmt: skip
    assert sorted((r for _, records in got for r in records), key=lambda r: r["episode"]) == local


@pytest.mark.slow
def test_rollout_actors_join_segments_and_a_dead_actor_is_named(ray_cluster) -> None:
    from agent.model.agent import Agent
    from agent.rollout.ray_actors import RayRolloutPool

    cfg = tiny_ppo_config(num_envs=2, num_steps=8)
    pool = RayRolloutPool("fake", 2, 8, actors=2, env_fn=ChoiceEnv, step_timeout=60)
    try:
        assert pool.num_actions == 3 and pool.offsets == [0, 1, 2]
        pool.load_agent(Agent(cfg.agent))
        pool.reset([11, 12])
        rollout, episodes = pool.collect(Agent(cfg.agent))
        assert rollout.images.shape[:2] == (8, 2) and len(rollout.missions[0]) == 2
        assert rollout.memories.shape[:2] == (8, 2) and rollout.last_value.shape == (2,)
        assert {e["env"] for e in episodes} == {0, 1}  # 8 steps of episodes of <= 4 steps
        ray.kill(pool.actors[1])
        with pytest.raises(EnvWorkerError, match=r"rollout actor 1 \(host .*envs 1..1\) died"):
            pool.collect(Agent(cfg.agent))
    finally:
        pool.close(failed=True)


@pytest.mark.slow
def test_ppo_on_ray_actors_trains_and_checkpoints(ray_cluster, tmp_path: Path) -> None:
    from agent.learn.checkpoint import latest_checkpoint
    from agent.learn.ppo_run import train
    from agent.model.agent import Agent

    cfg = tiny_ppo_config(num_envs=2, num_steps=8, seq_len=4, num_minibatches=2,
                          total_steps=2 * 8 * 4, checkpoint_interval=32, backend="ray",
                          ray_actors=2, out=str(tmp_path / "run"))  # fmt: skip
    torch.manual_seed(cfg.seed)
    summary = train(cfg, progress=False, env_fn=ChoiceEnv)
    assert summary["steps"] == 64
    ckpt = latest_checkpoint(tmp_path / "run")
    assert ckpt.name == "step_00000064"
    trained = Agent.from_pretrained(ckpt)
    torch.manual_seed(cfg.seed)
    fresh = Agent(cfg.agent)
    assert not torch.equal(trained.policy.core.weight_hh, fresh.policy.core.weight_hh)
    assert ray.is_initialized()  # the run did not shut down an instance it did not start


def test_an_env_failure_inside_an_actor_stops_the_run(ray_cluster, tmp_path: Path) -> None:
    from agent.learn.ppo_run import train

    cfg = tiny_ppo_config(num_envs=2, num_steps=8, seq_len=4, num_minibatches=2,
                          total_steps=64, backend="ray", out=str(tmp_path / "run"))  # fmt: skip
    with pytest.raises(EnvWorkerError, match=r"rollout actor 0 .* failed to collect a segment: "
                       r"EnvWorkerError: env workers 0, 1 raised RuntimeError"):  # fmt: skip
        train(cfg, progress=False, env_fn=functools.partial(ChoiceEnv, crash_at=12))
