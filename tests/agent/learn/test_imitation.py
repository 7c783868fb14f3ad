"""Behaviour cloning and DAgger: end to end on a tiny dataset, resume, expert labels."""

from pathlib import Path

import numpy as np
import pytest
import torch

import envs
from agent.data.demos import load_demos
from agent.learn.bc import BCConfig, BCTrainer, prepare
from agent.learn.dagger import DAggerTrainConfig, run_dagger
from agent.model.agent import Agent
from agent.model.config import AgentConfig
from agent.rollout.demos import generate_demos
from agent.rollout.learner import run_learner
from policies.expert import Expert

TASK = "MiniGround/GoToObject-v0"
SMALL = AgentConfig(cnn_channels=(8, 16), cnn_kernels=(5, 3), cnn_strides=(2, 2), state_size=32,
                    memory_size=32, text_size=32, head_hidden=32)  # fmt: skip


@pytest.fixture(scope="module")
def demos_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demos")
    generate_demos(TASK, 6, out, seed=0, episodes_per_shard=3, progress=False,
                   env_kwargs={"max_steps": 60})  # fmt: skip
    return out


def _config(demos: Path, out: Path, **kw) -> BCConfig:
    base = dict(demos=str(demos), out=str(out), updates=6, batch_episodes=3, bptt=8, threads=1,
                eval_interval=0, eval_episodes=1, checkpoint_interval=3, log_interval=1,
                agent=SMALL)  # fmt: skip
    base.update(kw)
    return BCConfig(**base)


def test_tiny_bc_run_gives_a_loadable_checkpoint(demos_dir: Path, tmp_path: Path) -> None:
    config = _config(demos_dir, tmp_path / "run")
    episodes, manifest = prepare(config)
    trainer = BCTrainer(config, episodes, manifest)
    trainer.fit(config.updates)
    trainer.close()
    ckpt = tmp_path / "run" / "checkpoints" / "step_00000006"
    agent = Agent.from_pretrained(ckpt)
    assert agent.config.num_actions == 3
    out = agent.act(episodes.images[:1], ["go to the red ball"], agent.initial_memory(1),
                    torch.ones(1, dtype=torch.bool))  # fmt: skip
    assert out.logits.shape == (1, 3)
    assert (tmp_path / "run" / "tb").is_dir() and (tmp_path / "run" / "config.json").exists()


@pytest.mark.slow
def test_bc_loss_decreases(demos_dir: Path, tmp_path: Path) -> None:
    config = _config(demos_dir, tmp_path / "run", updates=60, lr=5e-3, warmup=1, hflip=0.0,
                     checkpoint_interval=1000)  # fmt: skip
    episodes, manifest = prepare(config)
    trainer = BCTrainer(config, episodes, manifest)
    first = trainer.loss(trainer.sampler.gather(np.arange(3)))["policy"]
    trainer.fit(config.updates)
    trainer.optimizer.zero_grad()
    last = trainer.loss(trainer.sampler.gather(np.arange(3)))["policy"]
    trainer.close()
    assert last < 0.9 * first


def test_resume_matches_uninterrupted_run(demos_dir: Path, tmp_path: Path) -> None:
    config = _config(demos_dir, tmp_path / "full")
    episodes, manifest = prepare(config)
    full = BCTrainer(config, episodes, manifest)
    full.fit(6)
    full.close()

    part_cfg = _config(demos_dir, tmp_path / "part")
    part = BCTrainer(part_cfg, episodes, manifest)
    part.fit(3)
    part.close()
    resumed = BCTrainer(_config(demos_dir, tmp_path / "other", seed=123), episodes, manifest)
    resumed.resume(tmp_path / "part")
    assert resumed.step == 3
    resumed.fit(6)
    resumed.close()
    for (name, a), (_, b) in zip(full.agent.state_dict().items(),
                                 resumed.agent.state_dict().items(), strict=True):  # fmt: skip
        assert torch.allclose(a, b, atol=1e-5), name


def test_dagger_labels_come_from_the_expert_at_visited_states(monkeypatch) -> None:
    env = envs.make(TASK, max_steps=12)
    agent = Agent(SMALL)

    def always_right(images, missions, memory, start, deterministic=False):
        out = Agent.act(agent, images, missions, memory, start, deterministic)
        return out._replace(action=torch.ones_like(out.action))  # spin right: off the path

    monkeypatch.setattr(agent, "act", always_right)
    result = run_learner(env, agent, [5], collect=True)
    collected = result.episodes
    assert collected is not None and collected.num_frames == 12
    # Replay the learner's actions and query the expert at each visited state.
    env.reset(seed=5)
    expert = Expert(env)
    for t in range(collected.num_frames):
        assert collected.actions[t] == expert(), f"label at step {t}"
        env.step(1)
    env.close()


def test_dagger_round_runs_and_reports(demos_dir: Path, tmp_path: Path) -> None:
    config = DAggerTrainConfig(**vars(_config(demos_dir, tmp_path / "dag", updates=2)),
                          rounds=1, episodes_per_round=2, updates_per_round=2)  # fmt: skip
    demos = load_demos(demos_dir)
    config_demos, manifest = prepare(config)
    trainer = BCTrainer(config, config_demos, manifest)
    trainer.fit(2)
    report = run_dagger(trainer, config, demos)
    trainer.close()
    assert [r["round"] for r in report] == [0, 1]
    assert trainer.step == 4
    assert trainer.sampler.ep.num_episodes == demos.num_episodes + 2


def test_compositional_fusion_trains_on_dense_labels_saves_and_reloads(
    demos_dir: Path, tmp_path: Path
) -> None:
    """A tiny run with the compositional fusion: dense losses are computed and fall, the
    checkpoint reloads and acts exactly as the trained agent did."""
    agent_cfg = AgentConfig(**{**SMALL.__dict__, "fusion": "compositional"})
    config = _config(demos_dir, tmp_path / "run", agent=agent_cfg, updates=30, lr=5e-3, warmup=1,
                     checkpoint_interval=30, word_dropout=0.2)  # fmt: skip
    episodes, manifest = prepare(config)
    assert "semantic_map" in episodes.labels and "target_code" in episodes.labels
    trainer = BCTrainer(config, episodes, manifest)
    assert "cell_codes" in trainer.sampler.labels
    batch = trainer.sampler.gather(np.arange(3))
    first = trainer.loss(batch)
    assert {"dense/cell_attributes", "dense/queries", "dense/target_map"} <= set(first)
    trainer.fit(config.updates)
    last = trainer.loss(batch)
    assert last["dense/queries"] < first["dense/queries"]
    assert last["dense/cell_attributes"] < first["dense/cell_attributes"]
    trainer.close()
    agent = Agent.from_pretrained(tmp_path / "run" / "checkpoints" / "step_00000030")
    assert agent.config.fusion == "compositional"
    trained = trainer.agent.eval()
    args = (episodes.images[:2], ["go to the red ball", "go to the blue key"])
    with torch.no_grad():
        a = agent.act(*args, agent.initial_memory(2), torch.ones(2, dtype=torch.bool))
        b = trained.act(*args, trained.initial_memory(2), torch.ones(2, dtype=torch.bool))
    torch.testing.assert_close(a.logits, b.logits)
    torch.testing.assert_close(a.attention, b.attention)


def test_word_dropout_keeps_colour_and_shape_words() -> None:
    from agent.data.sampler import UNKNOWN_WORD, EpisodeSampler
    from envs.language import COLORS, SHAPES

    sampler = EpisodeSampler.__new__(EpisodeSampler)
    sampler.rng = np.random.default_rng(0)
    sampler.word_dropout, sampler.keep_words = 1.0, frozenset(COLORS + SHAPES)
    assert sampler.drop_words("go to the red ball, then reach the blue key") == (
        f"{UNKNOWN_WORD} {UNKNOWN_WORD} {UNKNOWN_WORD} red ball, {UNKNOWN_WORD} {UNKNOWN_WORD} "
        f"{UNKNOWN_WORD} blue key"
    )
