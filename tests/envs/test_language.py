"""Instruction language: splits, templates and vocabulary."""

import numpy as np
import pytest

from envs import language as L


def test_heldout_combos_never_targets_in_train() -> None:
    train = set(L.target_combos("train"))
    held = set(L.target_combos("heldout_combos"))
    assert len(held) >= 4
    assert not train & held
    assert {c for c, _ in train} == set(L.COLORS)
    assert {s for _, s in train} == set(L.SHAPES)


def test_paraphrase_templates_unseen_in_train() -> None:
    for family in L.FAMILIES:
        train = set(L.templates(family, "train"))
        para = set(L.templates(family, "paraphrase"))
        assert para and not train & para
        assert set(L.templates(family, "heldout_combos")) == train


@pytest.mark.parametrize("split", L.SPLITS)
@pytest.mark.parametrize("family", L.FAMILIES)
def test_every_split_yields_valid_instructions(family: str, split: str) -> None:
    rng = np.random.default_rng(0)
    combos = L.target_combos(split)
    vocab = set(L.vocabulary(split))
    for k in range(20):
        objects = (combos[k % len(combos)], combos[(k + 1) % len(combos)])
        ins = L.sample_instruction(
            family, split, rng, objects[: 1 if family in ("goto", "pickup") else 2]
        )
        words = L.tokenize(ins.text)
        assert set(words) <= vocab <= set(L.VOCAB)
        color, shape = ins.objects[0]
        assert color in words
        assert shape in words or L.SHAPE_SYNONYMS[shape] in words


def test_unknown_split_and_family() -> None:
    with pytest.raises(ValueError, match="heldout_combos"):
        L.check_split("test")
    with pytest.raises(ValueError, match="goto"):
        L.templates("dance", "train")


def test_tokenize_drops_punctuation() -> None:
    assert L.tokenize("Go to the red ball, then GO!") == [
        "go",
        "to",
        "the",
        "red",
        "ball",
        "then",
        "go",
    ]
