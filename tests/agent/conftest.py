"""Agent test fixtures: tiny configs, a tiny local pretrained encoder, fake and captioned frames."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from transformers import BertConfig, BertModel

from agent.model.config import AgentConfig
from agent.model.text import build_tokenizer


@pytest.fixture(scope="session")
def tiny_pretrained_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised BERT + word-level tokenizer saved locally (no download)."""
    path = tmp_path_factory.mktemp("tiny_bert")
    tokenizer = build_tokenizer(max_length=32)
    torch.manual_seed(123)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        pad_token_id=0,
    )
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture
def make_config(tiny_pretrained_dir: Path) -> Callable[..., AgentConfig]:
    """Factory of small, fast configs; ``text_encoder='pretrained'`` uses the tiny local BERT."""

    def make(**overrides: Any) -> AgentConfig:
        if overrides.get("text_encoder") == "pretrained":
            overrides["text_encoder"] = f"pretrained:{tiny_pretrained_dir}"
        fields: dict[str, Any] = {
            "obs_height": 60,
            "obs_width": 80,
            "cnn_channels": (8, 16, 16),
            "text_size": 16,
            "text_layers": 1,
            "state_size": 32,
            "memory_size": 16,
            "head_hidden": 16,
        }
        fields.update(overrides)
        return AgentConfig(**fields)

    return make


@pytest.fixture
def make_images() -> Callable[..., np.ndarray]:
    """Factory of random uint8 frames of shape (*lead, height, width, 3)."""

    def make(*lead: int, height: int = 60, width: int = 80, seed: int = 0) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return rng.integers(0, 256, (*lead, height, width, 3), dtype=np.uint8)

    return make


@pytest.fixture(scope="module")
def captioned_frames() -> dict[str, np.ndarray]:
    """24 simulator-captioned frames of GoToObject (3 layouts x 8 poses), captured in-process."""
    from agent.data.grounding_frames import capture_frames

    task = "MiniGround/GoToObject-v0"
    return capture_frames(task, {"split": "train"}, [11, 12, 13], poses=8, near_fraction=0.5)
