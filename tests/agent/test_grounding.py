"""Grounding pretraining: captioned frames, instruction queries, losses, the joint BC loss."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from agent.data.demos import generate_demos
from agent.data.grounding_frames import (
    GroundingBatcher,
    GroundingSettings,
    capture_frames,
    generate_frames,
)
from agent.eval.grounding_probe import grounding_accuracy
from agent.learn.bc import BCConfig, BCTrainer, prepare
from agent.learn.grounding import grounding_losses, pretrain
from agent.model.agent import Agent
from agent.model.config import AgentConfig
from envs.language import COLORS, HELDOUT_COMBOS, SHAPES, TRAIN_COMBOS, tokenize

TASK = "MiniGround/GoToObject-v0"
SMALL = AgentConfig(cnn_channels=(8, 16), cnn_kernels=(5, 3), cnn_strides=(2, 2), state_size=32,
                    memory_size=32, text_size=32, head_hidden=32)  # fmt: skip


@pytest.fixture(scope="module")
def frames() -> dict[str, np.ndarray]:
    return capture_frames(TASK, {"split": "train"}, [11, 12, 13], poses=8, near_fraction=0.5)


def test_capture_is_deterministic_and_captions_are_consistent(frames) -> None:
    again = capture_frames(TASK, {"split": "train"}, [11, 12, 13], poses=8, near_fraction=0.5)
    for key, value in frames.items():
        np.testing.assert_array_equal(value, again[key])
    assert frames["images"].shape == (24, 60, 80, 3)
    assert frames["color"].shape == frames["visible"].shape == (24, 5)
    # An object in view lies within the horizontal field of view (plus its angular radius).
    in_view = frames["bearing"][frames["visible"]]
    assert np.all(np.abs(in_view) < math.radians(60))
    assert frames["visible"].any() and not frames["visible"].all()
    assert np.all(frames["distance"] > 0.3)


def test_generate_frames_does_not_depend_on_workers() -> None:
    settings = GroundingSettings(layouts=3, poses_per_layout=2, workers=1, seed=5)
    one = generate_frames(TASK, settings)
    settings.workers = 2
    two = generate_frames(TASK, settings)
    for key, value in one.items():
        np.testing.assert_array_equal(value, two[key])


def test_queries_name_train_pairs_and_labels_match_the_frame(frames) -> None:
    batcher = GroundingBatcher(frames, "train", np.random.default_rng(0))
    images, missions, labels = batcher.sample(200)
    assert images.shape == (200, 60, 80, 3) and images.dtype == torch.uint8
    kinds = {"in view": 0, "out of view": 0}
    for mission, visible in zip(missions, labels["target_visible"].tolist(), strict=True):
        words = tokenize(mission)
        color = next(w for w in words if w in COLORS)
        shape = next(w for w in words if w in SHAPES)
        assert (color, shape) in TRAIN_COMBOS
        kinds["in view" if visible else "out of view"] += 1
    assert kinds["in view"] > 40 and kinds["out of view"] > 40
    held = GroundingBatcher(frames, "heldout_combos", np.random.default_rng(0))
    _, missions, _ = held.sample(50)
    for mission in missions:
        words = tokenize(mission)
        pair = (next(w for w in words if w in COLORS), next(w for w in words if w in SHAPES))
        assert pair in HELDOUT_COMBOS


def test_mirroring_flips_the_image_and_the_bearing(frames) -> None:
    plain = GroundingBatcher(frames, "train", np.random.default_rng(3))
    mirrored = GroundingBatcher(frames, "train", np.random.default_rng(3))
    img_a, _, lab_a = plain.sample(32, hflip=0.0)
    # Same draws except the flip coin: with p=1 every frame is mirrored.
    img_b, _, lab_b = mirrored.sample(32, hflip=1.0)
    torch.testing.assert_close(img_b, img_a.flip(2))
    torch.testing.assert_close(lab_b["target_bearing"], -lab_a["target_bearing"])
    torch.testing.assert_close(lab_b["target_visible"], lab_a["target_visible"])


def test_pretraining_lowers_the_grounding_loss(frames) -> None:
    torch.manual_seed(0)
    agent = Agent(SMALL)
    batcher = GroundingBatcher(frames, "train", np.random.default_rng(1))
    fixed = batcher.sample(64)

    def loss() -> float:
        with torch.no_grad():
            return float(sum(grounding_losses(agent, *fixed).values()))

    before = loss()
    logs = pretrain(agent, frames, GroundingSettings(steps=40, batch=32, lr=3e-3), progress=False)
    assert len(logs) == 40 and set(logs[0]) >= {"target_visible", "target_bearing"}
    assert loss() < 0.8 * before
    probe = grounding_accuracy(agent, frames, "train", queries=64)
    assert 0.0 <= probe["balanced_accuracy"] <= 1.0


def test_pretraining_needs_auxiliary_heads(frames) -> None:
    agent = Agent(AgentConfig(**{**SMALL.__dict__, "aux_heads": False}))
    with pytest.raises(ValueError, match="aux_heads"):
        pretrain(agent, frames, GroundingSettings(steps=1), progress=False)


def test_bc_adds_the_grounding_loss_when_weighted(frames, tmp_path: Path) -> None:
    demos = tmp_path / "demos"
    generate_demos(TASK, 2, demos, seed=0, progress=False, env_kwargs={"max_steps": 40})
    config = BCConfig(demos=str(demos), out=str(tmp_path / "run"), updates=2, batch_episodes=2,
                      bptt=8, threads=1, eval_interval=0, checkpoint_interval=100, agent=SMALL,
                      ground_weight=0.5, ground_batch=8)  # fmt: skip
    episodes, manifest = prepare(config)
    trainer = BCTrainer(config, episodes, manifest)
    trainer.set_grounding(frames)
    logs = trainer.update(2)
    assert "ground/target_visible" in logs and logs["ground/target_visible"] > 0
    trainer.close()
