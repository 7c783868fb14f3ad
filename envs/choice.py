"""Choosing the episode's mission: ``env.reset(options={...})``.

Options (every key optional; an unknown key is an error):

- ``"target": (colour, shape)``: the (first) object the instruction names.
- ``"targets": [(colour, shape), ...]``: every named object, in instruction order (two for
  put-next and sequence tasks, one otherwise).
- ``"mission": text``: the instruction itself; it must be a phrasing of the task's family in
  the env's split (e.g. ``"go to the red ball"`` needs ``split="heldout_combos"``).

The layout (positions, distractors, start pose) is still drawn from the seed. A choice the env's
split cannot make (a held-out pair in ``train``, a paraphrase phrasing outside ``paraphrase``, two
identical named objects) is a ValueError that says which split or value would work.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from envs.language import (
    COLORS,
    FAMILIES,
    SHAPE_SYNONYMS,
    SHAPES,
    SPLITS,
    TEMPLATES,
    Instruction,
    target_combos,
    templates,
)

OPTION_KEYS: tuple[str, ...] = ("target", "targets", "mission")
Pair = tuple[str, str]


@dataclass(frozen=True)
class MissionChoice:
    """What ``reset(options=...)`` fixed: named objects (a prefix, maybe all) and the text."""

    objects: tuple[Pair, ...]
    instruction: Instruction | None = None


def _check_pair(value: Any, what: str) -> Pair:
    """A (colour, shape) pair, or a ValueError naming the valid words."""
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(isinstance(v, str) for v in value)
    ):
        raise ValueError(f"{what} must be a (colour, shape) pair of strings, got {value!r}")
    color, shape = value[0].lower(), value[1].lower()
    if color not in COLORS:
        raise ValueError(f"{what}: unknown colour {value[0]!r}; choose one of {', '.join(COLORS)}")
    if shape not in SHAPES:
        raise ValueError(f"{what}: unknown shape {value[1]!r}; choose one of {', '.join(SHAPES)}")
    return color, shape


@cache
def _patterns(family: str) -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """(regex, template, split name) for every template of ``family``."""
    colors = "|".join(COLORS)
    shapes = "|".join(SHAPES)
    synonyms = "|".join(sorted(set(SHAPE_SYNONYMS.values())))
    out = []
    for split_name, group in TEMPLATES[family].items():
        for template in group:
            pattern = re.escape(template)
            for field, alternatives in (("c", colors), ("s", shapes), ("S", synonyms)):
                for suffix in ("", "2"):
                    name = re.escape("{" + field + suffix + "}")
                    group_name = f"{field}{suffix or '1'}"
                    pattern = pattern.replace(name, f"(?P<{group_name}>{alternatives})")
            out.append((re.compile(pattern + r"\Z"), template, split_name))
    return tuple(out)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def parse_mission(family: str, text: str) -> tuple[tuple[Pair, ...], str, str]:
    """Objects, template and template group (``train``/``paraphrase``) of a mission text.

    Raises:
        ValueError: the text is no phrasing of ``family`` (the message lists some that are).
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown task family {family!r}; choose one of {', '.join(FAMILIES)}")
    if not isinstance(text, str):
        raise ValueError(f"mission must be a string, got {text!r}")
    norm = _normalise(text)
    synonym_to_shape = {v: k for k, v in SHAPE_SYNONYMS.items()}
    for pattern, template, group in _patterns(family):
        match = pattern.match(norm)
        if match is None:
            continue
        fields = match.groupdict()
        objects: list[Pair] = []
        for index in ("1", "2"):
            color = fields.get(f"c{index}")
            shape = fields.get(f"s{index}") or synonym_to_shape.get(fields.get(f"S{index}") or "")
            if color is None and shape is None:
                continue
            if color is None or shape is None:  # a template naming half an object: not ours
                break
            objects.append((color, shape))
        else:
            return tuple(objects), template, group
    examples = "; ".join(repr(t) for t in TEMPLATES[family]["train"])
    raise ValueError(
        f"mission {text!r} is not a {family} instruction; phrasings look like {examples} "
        "with {c}/{s} a colour and a shape"
    )


def _check_in_split(pair: Pair, split: str, what: str) -> None:
    if pair in target_combos(split):
        return
    where = [s for s in SPLITS if pair in target_combos(s)]
    raise ValueError(
        f"{what} {pair[0]} {pair[1]} is never named as a target in split {split!r}; "
        f"make the env with split={where[0]!r}"
        if where
        else f"{what} {pair} is not a target of any split"
    )


def resolve(
    options: dict[str, Any] | None, family: str, split: str, num_named: int
) -> MissionChoice | None:
    """Check ``reset`` options against a task; None when they choose nothing.

    Raises:
        ValueError: an unknown key, a malformed or impossible choice, or options that disagree.
    """
    if not options:
        return None
    if not isinstance(options, dict):
        raise ValueError(f"reset options must be a dict, got {options!r}")
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown:
        raise ValueError(
            f"unknown reset option(s) {unknown}; MiniGround envs take {', '.join(OPTION_KEYS)}"
        )
    chosen: list[tuple[tuple[Pair, ...], str]] = []
    if "target" in options:
        chosen.append(((_check_pair(options["target"], "target"),), "target"))
    if "targets" in options:
        raw = options["targets"]
        if not isinstance(raw, Sequence) or isinstance(raw, str) or not 1 <= len(raw) <= num_named:
            raise ValueError(
                f"targets must be a list of 1 to {num_named} (colour, shape) pairs for this "
                f"task, got {raw!r}"
            )
        pairs = tuple(_check_pair(p, f"targets[{i}]") for i, p in enumerate(raw))
        chosen.append((pairs, "targets"))
    instruction = None
    if "mission" in options:
        objects, template, group = parse_mission(family, options["mission"])
        wanted = "paraphrase" if split == "paraphrase" else "train"
        if group != wanted:
            fit = "'paraphrase'" if group == "paraphrase" else "'train' or 'heldout_combos'"
            raise ValueError(
                f"mission {options['mission']!r} is a {group}-split phrasing, which split "
                f"{split!r} never uses; make the env with split={fit}"
            )
        instruction = Instruction(_normalise(options["mission"]), objects, template)
        chosen.append((objects, "mission"))
    objects = max((c[0] for c in chosen), key=len)
    for other, name in chosen:
        if objects[: len(other)] != other:
            raise ValueError(
                f"reset options disagree: {name} names {other}, another names {objects}"
            )
    if len(set(objects)) != len(objects):
        raise ValueError(f"the named objects must differ, got {objects}")
    for i, pair in enumerate(objects):
        _check_in_split(pair, split, "target" if i == 0 else "second object")
    _ = templates(family, split)  # the family exists for this split
    return MissionChoice(objects, instruction)
