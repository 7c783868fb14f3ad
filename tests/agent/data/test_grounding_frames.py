"""Captioned grounding frames: capture, worker invariance, instruction queries, mirroring."""

import math

import numpy as np
import torch

from agent.data.grounding_frames import (
    GroundingBatcher,
    GroundingConfig,
    capture_frames,
    generate_frames,
)
from envs.language import COLORS, HELDOUT_COMBOS, SHAPES, TRAIN_COMBOS, tokenize

TASK = "MiniGround/GoToObject-v0"


def test_capture_is_deterministic_and_captions_are_consistent(captioned_frames) -> None:
    again = capture_frames(TASK, {"split": "train"}, [11, 12, 13], poses=8, near_fraction=0.5)
    for key, value in captioned_frames.items():
        np.testing.assert_array_equal(value, again[key])
    assert captioned_frames["images"].shape == (24, 60, 80, 3)
    assert captioned_frames["color"].shape == captioned_frames["visible"].shape == (24, 5)
    # An object in view lies within the horizontal field of view (plus its angular radius).
    in_view = captioned_frames["bearing"][captioned_frames["visible"]]
    assert np.all(np.abs(in_view) < math.radians(60))
    assert captioned_frames["visible"].any() and not captioned_frames["visible"].all()
    assert np.all(captioned_frames["distance"] > 0.3)


def test_generate_frames_does_not_depend_on_workers() -> None:
    settings = GroundingConfig(layouts=3, poses_per_layout=2, workers=1, seed=5)
    one = generate_frames(TASK, settings)
    settings.workers = 2
    two = generate_frames(TASK, settings)
    for key, value in one.items():
        np.testing.assert_array_equal(value, two[key])


def test_queries_name_train_pairs_and_labels_match_the_frame(captioned_frames) -> None:
    batcher = GroundingBatcher(captioned_frames, "train", np.random.default_rng(0))
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
    held = GroundingBatcher(captioned_frames, "heldout_combos", np.random.default_rng(0))
    _, missions, _ = held.sample(50)
    for mission in missions:
        words = tokenize(mission)
        pair = (next(w for w in words if w in COLORS), next(w for w in words if w in SHAPES))
        assert pair in HELDOUT_COMBOS


def test_mirroring_flips_the_image_and_the_bearing(captioned_frames) -> None:
    plain = GroundingBatcher(captioned_frames, "train", np.random.default_rng(3))
    mirrored = GroundingBatcher(captioned_frames, "train", np.random.default_rng(3))
    img_a, _, lab_a = plain.sample(32, hflip=0.0)
    # Same draws except the flip coin: with p=1 every frame is mirrored.
    img_b, _, lab_b = mirrored.sample(32, hflip=1.0)
    torch.testing.assert_close(img_b, img_a.flip(2))
    torch.testing.assert_close(lab_b["target_bearing"], -lab_a["target_bearing"])
    torch.testing.assert_close(lab_b["target_visible"], lab_a["target_visible"])
