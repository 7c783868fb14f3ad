"""Grounding pretraining: its losses, the probe after it, the joint BC loss."""

from pathlib import Path

import numpy as np
import pytest
import torch

from agent.data.grounding_frames import GroundingBatcher, GroundingConfig
from agent.eval.grounding_probe import grounding_accuracy
from agent.learn.bc import BCConfig, BCTrainer, prepare
from agent.learn.grounding import grounding_losses, pretrain
from agent.model.agent import Agent
from agent.model.config import AgentConfig
from agent.rollout.demos import generate_demos

TASK = "MiniGround/GoToObject-v0"
SMALL = AgentConfig(cnn_channels=(8, 16), cnn_kernels=(5, 3), cnn_strides=(2, 2), state_size=32,
                    memory_size=32, text_size=32, head_hidden=32)  # fmt: skip


def test_pretraining_lowers_the_grounding_loss(captioned_frames) -> None:
    torch.manual_seed(0)
    agent = Agent(SMALL)
    batcher = GroundingBatcher(captioned_frames, "train", np.random.default_rng(1))
    fixed = batcher.sample(64)

    def loss() -> float:
        with torch.no_grad():
            return float(sum(grounding_losses(agent, *fixed).values()))

    before = loss()
    logs = pretrain(
        agent, captioned_frames, GroundingConfig(steps=40, batch=32, lr=3e-3), progress=False
    )
    assert len(logs) == 40 and set(logs[0]) >= {"target_visible", "target_bearing"}
    assert loss() < 0.8 * before
    probe = grounding_accuracy(agent, captioned_frames, "train", queries=64)
    assert 0.0 <= probe["balanced_accuracy"] <= 1.0


def test_pretraining_needs_auxiliary_heads(captioned_frames) -> None:
    agent = Agent(AgentConfig(**{**SMALL.__dict__, "aux_heads": False}))
    with pytest.raises(ValueError, match="aux_heads"):
        pretrain(agent, captioned_frames, GroundingConfig(steps=1), progress=False)


def test_bc_adds_the_grounding_loss_when_weighted(captioned_frames, tmp_path: Path) -> None:
    demos = tmp_path / "demos"
    generate_demos(TASK, 2, demos, seed=0, progress=False, env_kwargs={"max_steps": 40})
    config = BCConfig(demos=str(demos), out=str(tmp_path / "run"), updates=2, batch_episodes=2,
                      bptt=8, threads=1, eval_interval=0, checkpoint_interval=100, agent=SMALL,
                      ground_weight=0.5, ground_batch=8)  # fmt: skip
    episodes, manifest = prepare(config)
    trainer = BCTrainer(config, episodes, manifest)
    trainer.set_grounding(captioned_frames)
    logs = trainer.update(2)
    assert "ground/target_visible" in logs and logs["ground/target_visible"] > 0
    trainer.close()


def test_compositional_grounding_loss_includes_dense_terms() -> None:
    """Captioned frames teach the compositional fusion's cell heads and queries too."""
    import numpy as np

    from agent.data.grounding_frames import GroundingBatcher, GroundingConfig, generate_frames
    from agent.learn.grounding import grounding_losses

    frames = generate_frames(
        "MiniGround/GoToObject-v0", GroundingConfig(layouts=2, poses_per_layout=3, workers=1)
    )
    assert frames["semantic"].shape == (6, 60, 80)
    agent = Agent(AgentConfig(**{**SMALL.__dict__, "fusion": "compositional"}))
    cells = (agent.perception.grid_shape, agent.config.total_stride)
    batcher = GroundingBatcher(frames, "train", np.random.default_rng(0), cells=cells)
    losses = grounding_losses(agent, *batcher.sample(4, hflip=0.5))
    assert {"dense_cell_attributes", "dense_queries", "dense_target_map"} <= set(losses)
    sum(losses.values()).backward()
    assert agent.perception.fusion.color_head.weight.grad is not None
