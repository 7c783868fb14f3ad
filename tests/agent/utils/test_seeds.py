"""Seed ranges: evaluation defaults outside demo and validation seeds, and overlap warnings."""

from __future__ import annotations

import pytest

from agent.utils.seeds import (
    DEFAULT_EVAL_SEED,
    FINAL_EVAL_SEEDS,
    LEVER_SEED,
    VALIDATION_SEEDS,
    seed_range_name,
    warn_if_training_seeds,
)


def test_eval_seeds_default_outside_demo_and_validation_ranges() -> None:
    from agent.scripts.eval import _parser
    from agent.scripts.quickstart import QuickstartConfig

    for first in (_parser().parse_args([]).seed, QuickstartConfig().eval.seed):
        assert first == DEFAULT_EVAL_SEED
        assert first in FINAL_EVAL_SEEDS and first not in VALIDATION_SEEDS
        assert first >= QuickstartConfig().demos.episodes  # demos use seeds 0 .. episodes - 1
    assert LEVER_SEED in VALIDATION_SEEDS
    assert QuickstartConfig().bc.eval_seed in VALIDATION_SEEDS  # DAgger's keep-or-drop check


def test_range_names() -> None:
    assert seed_range_name(2_000_000, 200) == "final evaluation"
    assert seed_range_name(1_100_000, 100) == "validation"
    assert seed_range_name(0, 2000) == "training data"
    assert seed_range_name(1_999_990, 20) == "mixed"


def test_overlap_with_demo_seeds_warns() -> None:
    with pytest.warns(UserWarning, match="overlap the checkpoint's demo seeds"):
        assert warn_if_training_seeds(0, 100, (0, 2000))
    assert not warn_if_training_seeds(2_000_000, 100, (0, 2000))
    assert not warn_if_training_seeds(0, 100, None)


def test_eval_finds_the_demo_seeds_of_a_checkpoint(tmp_path) -> None:
    import json

    from agent.scripts.eval import demo_seeds_of

    run = tmp_path / "run"
    ckpt = run / "checkpoints" / "step_00000010"
    ckpt.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"demos": {"seed": 5, "episodes": 20}}))
    assert demo_seeds_of(ckpt) == (5, 25)
    assert demo_seeds_of(tmp_path / "elsewhere") is None
