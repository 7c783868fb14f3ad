"""Proprioception on the agent side: acting and scoring with [prev_action, moved], clear errors,
and agents without it unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agent.model.agent import Agent
from agent.model.config import AgentConfig
from agent.model.proprio import PROPRIO_SIZE, has_proprio, obs_proprio, require_proprio

HEAD_PARAMETERS = {"gru": 557_905, "compositional": 307_149, "lstm5": 591_059}
"""Parameters of default agents before proprioception existed (counted on the parent commit)."""


def test_agents_without_proprioception_are_unchanged() -> None:
    assert Agent(AgentConfig()).num_parameters() == HEAD_PARAMETERS["gru"]
    compositional = Agent(AgentConfig(fusion="compositional"))
    assert compositional.num_parameters() == HEAD_PARAMETERS["compositional"]
    lstm = Agent(AgentConfig(num_actions=5, memory="lstm", proprioception=False))
    assert lstm.num_parameters() == HEAD_PARAMETERS["lstm5"]
    assert lstm.proprio is None and not any(k.startswith("proprio.") for k in lstm.state_dict())


def test_proprioception_adds_two_embeddings_to_the_core_input(make_config) -> None:
    plain = Agent(make_config(num_actions=5))
    agent = Agent(make_config(num_actions=5, proprioception=True))
    memory = agent.config.memory_size
    extra = (5 + 1 + 2) * PROPRIO_SIZE + 3 * memory * PROPRIO_SIZE  # embeddings + GRU inputs
    assert agent.num_parameters() - plain.num_parameters() == extra
    assert agent.policy.core.input_size == agent.config.state_size + PROPRIO_SIZE


def test_a_proprioceptive_agent_acts_and_scores_sequences(make_config, make_images) -> None:
    torch.manual_seed(0)
    agent = Agent(make_config(proprioception=True)).eval()
    images, missions = make_images(2), ["go to the red ball", "go to the blue key"]
    memory = agent.initial_memory(2)
    start = torch.ones(2, dtype=torch.bool)
    out = agent.act(images, missions, memory, start, proprio=np.array([[3, 0], [0, 1]]))
    assert out.action.shape == (2,) and out.memory.shape == memory.shape
    # The same frame with a different proprioception gives different logits: it is read.
    other = agent.act(images, missions, memory, start, proprio=np.array([[1, 1], [2, 0]]))
    assert not torch.allclose(out.logits, other.logits)
    t_len = 3
    seq = agent.evaluate_sequence(
        make_images(t_len, 2), missions, torch.zeros(t_len, 2, dtype=torch.long),
        torch.zeros(t_len, 2, dtype=torch.bool), memory,
        proprio=torch.tensor([[3, 0], [0, 1], [1, 1]]).expand(2, 3, 2).transpose(0, 1),
    )  # fmt: skip
    assert seq.log_prob.shape == (t_len, 2)


def test_missing_or_malformed_proprio_is_a_clear_error(make_config, make_images) -> None:
    agent = Agent(make_config(proprioception=True))
    args = (make_images(1), ["go to the red ball"], agent.initial_memory(1), [True])
    with pytest.raises(ValueError, match="-v1 task"):
        agent.act(*args)
    with pytest.raises(ValueError, match="shape"):
        agent.act(*args, proprio=np.zeros((1, 3), dtype=np.int64))
    with pytest.raises(ValueError, match="out of range"):
        agent.act(*args, proprio=np.array([[4, 0]]))  # 3 actions: prev_action 0..3
    with pytest.raises(ValueError, match="-v1 task"):
        agent.evaluate_sequence(
            make_images(2, 1), ["go"], torch.zeros(2, 1, dtype=torch.long),
            torch.zeros(2, 1, dtype=torch.bool), agent.initial_memory(1),
        )  # fmt: skip


def test_an_agent_without_proprioception_ignores_it(make_config, make_images) -> None:
    torch.manual_seed(0)
    agent = Agent(make_config()).eval()
    args = (make_images(1), ["go to the red ball"], agent.initial_memory(1), [True])
    with torch.no_grad():
        plain = agent.act(*args, deterministic=True)
        given = agent.act(*args, deterministic=True, proprio=np.array([[1, 1]]))
    assert torch.equal(plain.logits, given.logits)


def test_proprioception_round_trips_through_a_checkpoint(make_config, tmp_path) -> None:
    agent = Agent(make_config(proprioception=True))
    loaded = Agent.from_pretrained(agent.save_pretrained(tmp_path / "ckpt"))
    assert loaded.config.proprioception is True
    assert torch.equal(loaded.proprio.prev_action.weight, agent.proprio.prev_action.weight)


def test_observation_helpers() -> None:
    obs = {"image": None, "mission": "go", "prev_action": 3, "moved": 0}
    assert obs_proprio(obs).tolist() == [3, 0] and require_proprio(obs).tolist() == [3, 0]
    batched = {"prev_action": np.array([0, 1]), "moved": np.array([1, 0])}
    assert obs_proprio(batched).tolist() == [[0, 1], [1, 0]]
    assert obs_proprio({"image": None}) is None
    with pytest.raises(ValueError, match="use a -v1 task"):
        require_proprio({"image": None, "mission": "go"})
    from gymnasium import spaces

    assert has_proprio(
        spaces.Dict({"prev_action": spaces.Discrete(4), "moved": spaces.Discrete(2)})
    )
    assert not has_proprio(spaces.Dict({"image": spaces.Discrete(2)}))
