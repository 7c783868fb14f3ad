"""Model cards: each saved agent directory gets a README.md: config, data, seeds, figures."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from agent.eval.metrics import aggregate
from agent.model.agent import Agent
from agent.model.card import CARD_FILE, write_card
from agent.model.config import AgentConfig

CONFIG = AgentConfig(cnn_channels=(8, 16, 16), text_size=16, text_layers=1, state_size=32,
                     memory_size=16, head_hidden=16)  # fmt: skip


def record(outcome: str) -> dict:
    return {"outcome": outcome, "is_success": outcome == "success", "steps": 10,
            "path_length": 2.0, "shortest_path_length": 2.0, "target": ["red", "box"],
            "reached": ["red", "box"] if outcome == "success" else None}  # fmt: skip


def test_bare_checkpoint_card_has_config_and_says_what_is_missing(tmp_path: Path) -> None:
    torch.manual_seed(0)
    agent = Agent(CONFIG)
    path = agent.save_pretrained(tmp_path / "ckpt")
    card = (path / CARD_FILE).read_text()
    assert card.startswith("---\nlibrary_name: miniground\n")
    assert f"({agent.num_parameters():,} parameters)" in card
    assert "| `text_size` | `16` |" in card and "| `cnn_channels` | `[8, 16, 16]` |" in card
    assert "training data and seeds are not recorded" in card
    assert "Not evaluated in this run yet" in card
    assert Agent.from_pretrained(path).config.text_size == 16  # the card does not disturb loading
    assert sorted(p.name for p in path.iterdir() if p.name.startswith(".")) == []


def test_run_checkpoint_card_has_data_seeds_and_its_own_figures(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    demos = {
        "task": "MiniGround/PickupObject-v0",
        "split": "train",
        "env_kwargs": {},
        "seed": 100,
        "episodes": 50,
        "teacher": "expert",
        "frames": 1234,
        "successes": 50,
    }
    train = {"seed": 7, "updates": 300, "lr": 0.0003, "unrelated": 1}  # fmt: skip
    (run / "config.json").write_text(json.dumps({"train": train, "demos": demos}))
    agent_dir = Agent(CONFIG).save_pretrained(run / "agent")
    card = (agent_dir / CARD_FILE).read_text()
    assert "env: MiniGround/PickupObject-v0" in card
    assert "50 episodes by the `expert` teacher" in card and "env seeds 100..149" in card
    assert "`seed` = 7" in card and "`updates` = 300" in card and "unrelated" not in card
    mine = [record("success")] * 3 + [record("timeout")]
    other = [record("timeout")] * 4
    results = [
        {"policy": str(agent_dir), "label": "agent", "split": "train",
         "aggregated": aggregate(mine)},
        {"policy": str(agent_dir), "label": "agent [control]", "split": "train",
         "aggregated": aggregate(other)},
        {"policy": str(run / "elsewhere"), "label": "someone else", "split": "train",
         "aggregated": aggregate(other)},
    ]  # fmt: skip
    (run / "eval").mkdir()
    info = {"seed": 2_000_000, "seed_range": "final evaluation", "results": results}
    (run / "eval" / "eval_info.json").write_text(json.dumps(info))
    card = write_card(agent_dir).read_text()  # refreshed after the evaluation
    assert "| agent | train | 4 | 75.0 [30.1, 95.4] |" in card
    assert "| agent [control] | train | 4 | 0.0 [0.0, 49.0] |" in card
    assert "2000000.. (final evaluation)" in card
    assert "someone else" not in card
