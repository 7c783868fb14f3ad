"""Instruction language: colours, shapes, templates per task family and the three splits.

Splits are deterministic and disjoint by construction:

- ``train``: training templates, and only target colour-shape pairs outside ``HELDOUT_COMBOS``.
- ``heldout_combos``: training templates, targets drawn only from ``HELDOUT_COMBOS`` (zero-shot
  grounding: every colour and every shape still appears as a target in ``train``).
- ``paraphrase``: templates (verbs, word order, synonyms) never used in ``train``, training targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

COLORS: tuple[str, ...] = ("blue", "green", "grey", "purple", "red", "yellow")
"""MiniWorld's six colour names (``miniworld.entity.COLOR_NAMES``), sorted."""

SHAPES: tuple[str, ...] = ("ball", "box", "key")
"""Object shapes the tasks place."""

SPLITS: tuple[str, ...] = ("train", "heldout_combos", "paraphrase")

HELDOUT_COMBOS: frozenset[tuple[str, str]] = frozenset(
    {("red", "ball"), ("green", "key"), ("blue", "box"), ("yellow", "key"), ("purple", "ball")}
)
"""Colour-shape pairs never named as a target in ``train`` (5 of 18)."""

ALL_COMBOS: tuple[tuple[str, str], ...] = tuple((c, s) for c in COLORS for s in SHAPES)
TRAIN_COMBOS: tuple[tuple[str, str], ...] = tuple(c for c in ALL_COMBOS if c not in HELDOUT_COMBOS)

# Synonyms used only by paraphrase templates (never seen in train).
SHAPE_SYNONYMS: dict[str, str] = {"ball": "sphere", "box": "cube", "key": "key"}

# Templates use {c}/{s} for the (first) target and {c2}/{s2} for the second object.
# Keys "{S}" ask for the paraphrase shape synonym instead of the shape name.
TEMPLATES: dict[str, dict[str, tuple[str, ...]]] = {
    "goto": {
        "train": ("go to the {c} {s}", "reach the {c} {s}", "get to the {c} {s}"),
        "paraphrase": (
            "walk over to the {c} {S}",
            "navigate toward the {s} that is {c}",
            "find the {c} {s} and touch it",
            "move next to the {c} colored {S}",
        ),
    },
    "pickup": {
        "train": ("pick up the {c} {s}", "grab the {c} {s}"),
        "paraphrase": (
            "lift the {c} {S}",
            "take the {s} that is {c}",
            "collect the {c} colored {S}",
        ),
    },
    "putnext": {
        "train": (
            "put the {c} {s} next to the {c2} {s2}",
            "place the {c} {s} next to the {c2} {s2}",
        ),
        "paraphrase": (
            "move the {c} {S} close to the {c2} {S2}",
            "bring the {s} that is {c} beside the {c2} {s2}",
            "next to the {c2} {s2} put the {c} {s}",
        ),
    },
    "sequence": {
        "train": (
            "go to the {c} {s}, then go to the {c2} {s2}",
            "reach the {c} {s}, then reach the {c2} {s2}",
        ),
        "paraphrase": (
            "first walk over to the {c} {S} and after that the {c2} {S2}",
            "go to the {c2} {s2} after you go to the {c} {s}",
            "visit the {c} {s} and later visit the {c2} {s2}",
        ),
    },
}

FAMILIES: tuple[str, ...] = tuple(TEMPLATES)


@dataclass(frozen=True)
class Instruction:
    """A generated instruction and the objects it names, in the order they must be handled."""

    text: str
    objects: tuple[tuple[str, str], ...]
    template: str


def check_split(split: str) -> str:
    """Return ``split`` or raise a ValueError that lists the valid splits."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    return split


def target_combos(split: str) -> tuple[tuple[str, str], ...]:
    """Colour-shape pairs that may be named as the (first) target in ``split``."""
    check_split(split)
    if split == "heldout_combos":
        return tuple(sorted(HELDOUT_COMBOS))
    return TRAIN_COMBOS


def templates(family: str, split: str) -> tuple[str, ...]:
    """Templates of ``family`` used by ``split`` (paraphrase has its own)."""
    check_split(split)
    if family not in TEMPLATES:
        raise ValueError(f"unknown task family {family!r}; choose one of {', '.join(FAMILIES)}")
    return TEMPLATES[family]["paraphrase" if split == "paraphrase" else "train"]


def render(template: str, objects: tuple[tuple[str, str], ...]) -> str:
    """Fill a template with the objects it names."""
    fields: dict[str, str] = {}
    for i, (color, shape) in enumerate(objects):
        suffix = "" if i == 0 else str(i + 1)
        fields["c" + suffix] = color
        fields["s" + suffix] = shape
        fields["S" + suffix] = SHAPE_SYNONYMS[shape]
    return template.format(**fields)


def sample_instruction(
    family: str, split: str, rng: np.random.Generator, objects: tuple[tuple[str, str], ...]
) -> Instruction:
    """Pick a template of ``family`` for ``split`` at random and fill it with ``objects``."""
    choices = templates(family, split)
    template = choices[int(rng.integers(len(choices)))]
    return Instruction(render(template, objects), tuple(objects), template)


def tokenize(text: str) -> list[str]:
    """Split an instruction into lower-case words; punctuation is dropped."""
    return re.findall(r"[a-z]+", text.lower())


def vocabulary(split: str | None = None) -> list[str]:
    """Sorted words of every instruction of ``split`` (all splits when None)."""
    splits = SPLITS if split is None else (check_split(split),)
    words: set[str] = set(COLORS) | set(SHAPES)
    for split_name in splits:
        for family in FAMILIES:
            for template in templates(family, split_name):
                for c in (COLORS[0],):
                    filled = render(template, ((c, "ball"), (c, "box")))
                    filled += " " + render(template, ((c, "box"), (c, "key")))
                    words.update(tokenize(filled))
    if split in (None, "paraphrase"):
        words.update(SHAPE_SYNONYMS.values())
    return sorted(words)


VOCAB: tuple[str, ...] = tuple(vocabulary())
"""Every word of every split; build tokenizers from this."""
