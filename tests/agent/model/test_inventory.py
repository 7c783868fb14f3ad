"""A checkpoint carries its own attribute inventory: colours, shapes and words in config.json."""

from __future__ import annotations

import json

import pytest
import torch

from agent.model.agent import Agent
from agent.model.config import DEFAULT_COLORS, DEFAULT_SHAPES, DEFAULT_VOCAB, AgentConfig
from agent.model.dense import code_to_attributes
from envs import language, masks


def test_defaults_equal_the_task_language() -> None:
    assert DEFAULT_COLORS == language.COLORS
    assert DEFAULT_SHAPES == language.SHAPES
    assert tuple(language.vocabulary("train")) == DEFAULT_VOCAB
    config = AgentConfig()
    assert (config.colors, config.shapes, config.vocab) == (DEFAULT_COLORS, DEFAULT_SHAPES, ())


def test_code_table_follows_the_inventory() -> None:
    codes = torch.tensor([0] + [masks.object_code(c, s) for c in language.COLORS
                                for s in language.SHAPES])  # fmt: skip
    color, shape = code_to_attributes(codes, len(language.COLORS), len(language.SHAPES))
    table_color, table_shape = masks.code_tables()
    assert color.tolist() == [len(language.COLORS)] + table_color[1:].tolist()
    assert shape.tolist() == [len(language.SHAPES)] + table_shape[1:].tolist()


def test_config_json_holds_the_inventory(make_config, tmp_path) -> None:
    config = make_config(fusion="compositional", vocab=("go", "to", "the", "red", "ball"))
    path = Agent(config).save_pretrained(tmp_path / "ckpt")
    saved = json.loads((path / "config.json").read_text())
    assert saved["colors"] == list(DEFAULT_COLORS) and saved["shapes"] == list(DEFAULT_SHAPES)
    assert saved["vocab"] == ["ball", "go", "red", "the", "to"]
    assert saved["proprioception"] is False
    loaded = Agent.from_pretrained(path)
    assert loaded.config.vocab == ("ball", "go", "red", "the", "to")
    assert loaded.perception.text.unknown_words("go to the blue ball") == ["blue"]


def test_an_empty_vocab_gives_the_default_words_and_is_recorded(make_config) -> None:
    agent = Agent(make_config())
    assert agent.config.vocab == DEFAULT_VOCAB
    assert agent.config.proprioception is False


def test_the_heads_follow_the_inventory(make_config, make_images) -> None:
    config = make_config(fusion="compositional", colors=("red", "blue"), shapes=("ball",))
    agent = Agent(config)
    assert agent.perception.fusion.color_head.out_channels == 3
    assert agent.perception.fusion.shape_head.out_channels == 2
    out = agent.evaluate_sequence(
        make_images(2, 1), ["go to the red ball"], torch.zeros(2, 1, dtype=torch.long),
        torch.zeros(2, 1, dtype=torch.bool), agent.initial_memory(1),
    )  # fmt: skip
    assert out.aux["visible_colors"].shape == (2, 1, 2)
    assert out.aux["query_shape"].shape == (2, 1, 1)


def test_old_checkpoints_without_the_inventory_still_load(make_config, tmp_path) -> None:
    path = Agent(make_config(fusion="compositional")).save_pretrained(tmp_path / "old")
    saved = json.loads((path / "config.json").read_text())
    for key in ("colors", "shapes", "vocab", "proprioception"):
        del saved[key]
    assert AgentConfig.from_dict(saved).colors == DEFAULT_COLORS
    (path / "config.json").write_text(json.dumps(saved))
    loaded = Agent.from_pretrained(path)
    assert loaded.config.colors == DEFAULT_COLORS and loaded.config.shapes == DEFAULT_SHAPES
    assert loaded.config.vocab == DEFAULT_VOCAB  # read back from its own tokenizer
    assert loaded.config.proprioception is False


@pytest.mark.parametrize(
    ("field", "value"),
    [("colors", ()), ("shapes", ("ball", "ball")), ("vocab", "go"), ("proprioception", 1)],
)
def test_malformed_inventory_is_rejected(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        AgentConfig(**{field: value})
