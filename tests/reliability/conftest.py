"""Fixtures of the reliability suite: a tiny dataset and a tiny BC config file."""

from __future__ import annotations

from pathlib import Path

import pytest

TASK = "MiniGround/GoToObject-v0"

TINY_BC = """\
[bc]
updates = 3
batch_episodes = 2
bptt = 8
threads = 1
eval_interval = 0
eval_episodes = 0
checkpoint_interval = 1
log_interval = 1

[bc.agent]
cnn_channels = [8, 16]
cnn_kernels = [5, 3]
cnn_strides = [2, 2]
text_size = 16
text_layers = 1
state_size = 32
memory_size = 16
head_hidden = 16
"""


@pytest.fixture(scope="session")
def tiny_demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four short expert episodes in two shards."""
    from agent.rollout.demos import generate_demos

    out = tmp_path_factory.mktemp("demos")
    generate_demos(TASK, 4, out, seed=0, episodes_per_shard=2, progress=False,
                   env_kwargs={"max_steps": 40})  # fmt: skip
    return out


@pytest.fixture(scope="session")
def tiny_bc_toml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BC config file for runs of a few seconds (3 updates, a checkpoint after each)."""
    path = tmp_path_factory.mktemp("configs") / "tiny_bc.toml"
    path.write_text(TINY_BC)
    return path
