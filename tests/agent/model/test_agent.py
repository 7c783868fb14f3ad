"""Agent: acting, sequence evaluation, memory, grounding wiring, checkpoints, config."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import PreTrainedTokenizerFast

from agent.model.agent import Agent, CheckpointError
from agent.model.aux import AUX_HEADS
from agent.model.config import FUSIONS, AgentConfig

MISSIONS = ["go to the red ball", "pick up the blue key", "go to the zorblax thing"]


def _act(agent: Agent, images, missions=MISSIONS, memory=None, start=True, **kwargs):
    batch = len(missions)
    memory = agent.initial_memory(batch) if memory is None else memory
    starts = torch.full((batch,), start, dtype=torch.bool)
    with torch.no_grad():
        return agent.act(images, missions, memory, starts, **kwargs)


@pytest.mark.parametrize("memory", ["gru", "lstm"])
@pytest.mark.parametrize("fusion", FUSIONS)
def test_act_shapes(make_config, make_images, fusion, memory) -> None:
    agent = Agent(make_config(fusion=fusion, memory=memory, num_actions=5))
    out = _act(agent, make_images(3))
    assert out.action.shape == out.log_prob.shape == out.entropy.shape == out.value.shape == (3,)
    assert out.action.dtype == torch.long and ((out.action >= 0) & (out.action < 5)).all()
    assert out.logits.shape == (3, 5)
    assert out.memory.shape == (3, 16 * (2 if memory == "lstm" else 1))
    assert out.attention.shape == (3, 8, 10)
    greedy = _act(agent, make_images(3), deterministic=True)
    assert torch.equal(greedy.action, greedy.logits.argmax(-1))


@pytest.mark.parametrize("encoder", ["transformer", "gru", "pretrained"])
@pytest.mark.parametrize("fusion", FUSIONS)
def test_evaluate_sequence_matches_act_and_trains(make_config, make_images, fusion, encoder):
    agent = Agent(make_config(fusion=fusion, text_encoder=encoder))
    images = make_images(4, 3)
    starts = torch.zeros(4, 3, dtype=torch.bool)
    starts[0] = True
    memory, acted = agent.initial_memory(3), []
    for t in range(4):
        step = _act(agent, images[t], memory=memory, start=bool(starts[t, 0]))
        memory = step.memory
        acted.append(step)
    actions = torch.stack([s.action for s in acted])
    out = agent.evaluate_sequence(images, MISSIONS, actions, starts, agent.initial_memory(3))
    assert out.log_prob.shape == out.entropy.shape == out.value.shape == (4, 3)
    assert out.logits.shape == (4, 3, 3)
    assert torch.allclose(out.log_prob, torch.stack([s.log_prob for s in acted]), atol=1e-5)
    assert torch.allclose(out.value, torch.stack([s.value for s in acted]), atol=1e-5)
    assert torch.allclose(out.memory, memory, atol=1e-5)
    assert {k: tuple(out.aux[k].shape) for k in AUX_HEADS} == {
        k: (4, 3) if w == 1 else (4, 3, w) for k, w in AUX_HEADS.items()
    }
    dense = set(out.aux) - set(AUX_HEADS)
    if fusion == "compositional":
        h, w = agent.perception.grid_shape
        assert out.aux["cell_colors"].shape == (4, 3, 7, h, w)
        assert out.aux["query_shape"].shape == (4, 3, 3)
        assert out.aux["target_map"].shape == (4, 3, h, w)
    else:
        assert not dense
    (out.log_prob.mean() + out.value.square().mean()).backward()
    assert all(p.grad is not None for p in agent.perception.vision.parameters())


def test_no_aux_heads(make_config, make_images) -> None:
    agent = Agent(make_config(aux_heads=False))
    acts, starts = torch.zeros(2, 3, dtype=torch.long), torch.ones(2, 3, dtype=torch.bool)
    out = agent.evaluate_sequence(
        make_images(2, 3), MISSIONS, acts, starts, agent.initial_memory(3)
    )
    assert out.aux == {}


def test_per_step_missions_in_a_sequence(make_config, make_images) -> None:
    agent = Agent(make_config())
    images, acts = make_images(2, 3), torch.zeros(2, 3, dtype=torch.long)
    starts = torch.tensor([[True] * 3, [False, True, False]])
    rows = [MISSIONS, [MISSIONS[0], "grab the yellow box", MISSIONS[2]]]
    out = agent.evaluate_sequence(images, rows, acts, starts, agent.initial_memory(3))
    same = agent.evaluate_sequence(images, MISSIONS, acts, starts, agent.initial_memory(3))
    assert torch.allclose(out.logits[0], same.logits[0], atol=1e-6)
    assert not torch.allclose(out.logits[1, 1], same.logits[1, 1])
    with pytest.raises(ValueError, match="missions"):
        agent.evaluate_sequence(images, MISSIONS[:2], acts, starts, agent.initial_memory(3))


@pytest.mark.parametrize("memory", ["gru", "lstm"])
def test_memory_resets_at_episode_start(make_config, make_images, memory) -> None:
    agent = Agent(make_config(memory=memory))
    images = make_images(3)
    stale = torch.randn(3, agent.policy.memory_dim)
    fresh = _act(agent, images, deterministic=True)
    reset = _act(agent, images, memory=stale, start=True, deterministic=True)
    carried = _act(agent, images, memory=stale, start=False, deterministic=True)
    assert torch.allclose(reset.logits, fresh.logits) and torch.allclose(reset.memory, fresh.memory)
    assert not torch.allclose(carried.logits, fresh.logits), "memory must matter when carried"
    # Inside a sequence: a reset at t=2 makes steps 2..3 independent of steps 0..1.
    seq_images, acts = make_images(4, 3, seed=1), torch.zeros(4, 3, dtype=torch.long)
    starts = torch.zeros(4, 3, dtype=torch.bool)
    starts[0] = starts[2] = True
    full = agent.evaluate_sequence(seq_images, MISSIONS, acts, starts, stale)
    tail = agent.evaluate_sequence(seq_images[2:], MISSIONS, acts[2:], starts[2:], stale)
    assert torch.allclose(full.logits[2:], tail.logits, atol=1e-6)


@pytest.mark.parametrize("fusion", FUSIONS)
def test_both_modalities_are_connected(make_config, make_images, fusion) -> None:
    agent = Agent(make_config(fusion=fusion))
    images = make_images(1).repeat(2, axis=0)
    red_out = _act(agent, images, ["go to the red ball"] * 2)
    blue_out = _act(agent, images, ["go to the blue key"] * 2)
    red, blue = red_out.logits, blue_out.logits
    if fusion == "compositional":  # an untrained target map is nearly flat: look at it directly
        assert (red_out.attention - blue_out.attention).abs().max() > 1e-6
        assert (red - blue).abs().max() > 0, "the instruction does not reach the action"
    else:
        assert (red - blue).abs().max() > 1e-6, "the instruction does not reach the action"
    other_image = _act(agent, make_images(2, seed=5), ["go to the red ball"] * 2).logits
    assert (red - other_image).abs().max() > 1e-6, "the image does not reach the action"
    starts = torch.ones(1, 2, dtype=torch.bool)
    out = agent.evaluate_sequence(
        images[None], MISSIONS[:2], torch.zeros(1, 2, dtype=torch.long), starts,
        agent.initial_memory(2),
    )  # fmt: skip
    out.log_prob.sum().backward()
    for name, module in (("vision", agent.perception.vision), ("text", agent.perception.text)):
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert any(g is not None and g.abs().sum() > 0 for g in grads), f"no gradient to {name}"


def test_load_state_dict_refreshes_cached_instructions(make_config, make_images) -> None:
    agent, other = Agent(make_config()), Agent(make_config())
    images = make_images(3)
    _act(agent, images)  # fills the instruction cache with agent's encodings
    agent.load_state_dict(other.state_dict())
    assert torch.allclose(_act(agent, images).logits, _act(other, images).logits, atol=1e-6)


def test_unknown_words_never_crash(make_config, make_images) -> None:
    agent = Agent(make_config())
    out = _act(agent, make_images(3), ["", "!!!", "xyzzy plugh " * 50])
    assert torch.isfinite(out.logits).all()


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"text_encoder": "gru", "memory": "lstm", "fusion": "cross_attention"},
        {"text_encoder": "pretrained", "fusion": "gated"},
        {"text_encoder": "pretrained", "freeze_pretrained": False, "aux_heads": False},
    ],
)
def test_save_load_round_trip(make_config, make_images, tmp_path, overrides) -> None:
    agent = Agent(make_config(**overrides)).eval()
    for p in agent.parameters():  # trained (non-initial) weights are what must be restored
        if p.requires_grad:  # a frozen pretrained encoder is reloaded from its directory
            p.data.add_(0.01 * torch.randn_like(p))
    agent.perception.text.clear_cache()
    agent.save_pretrained(tmp_path / "ckpt")
    (tmp_path / "ckpt" / "training_state").write_text("kept")
    agent.save_pretrained(tmp_path / "ckpt")  # overwrite in place
    files = sorted(f.name for f in (tmp_path / "ckpt").iterdir())
    assert "config.json" in files and "model.safetensors" in files and "training_state" in files
    assert not [f for f in files if f.startswith(".")], "temporary files left behind"
    loaded = Agent.from_pretrained(tmp_path / "ckpt", device="cpu")
    assert loaded.config == agent.config
    assert isinstance(loaded.tokenizer, PreTrainedTokenizerFast)
    memory = torch.randn(3, agent.policy.memory_dim)
    a = _act(agent, make_images(3), memory=memory, start=False)
    b = _act(loaded, make_images(3), memory=memory, start=False)
    assert torch.equal(a.logits, b.logits) and torch.equal(a.value, b.value)
    assert (
        loaded.tokenizer("go to the red ball")["input_ids"]
        == agent.tokenizer("go to the red ball")["input_ids"]
    )


def test_frozen_pretrained_weights_stay_out_of_the_checkpoint(make_config, tmp_path) -> None:
    from safetensors.torch import load_file

    Agent(make_config(text_encoder="pretrained")).save_pretrained(tmp_path)
    keys = load_file(tmp_path / "model.safetensors").keys()
    assert not [k for k in keys if k.startswith("perception.text.encoder.model.")]
    assert "perception.text.encoder.proj.weight" in keys


def test_checkpoint_errors_name_the_problem(make_config, tmp_path) -> None:
    with pytest.raises(CheckpointError, match="does not exist"):
        Agent.from_pretrained(tmp_path / "missing")
    ckpt = tmp_path / "ckpt"
    Agent(make_config()).save_pretrained(ckpt)
    weights = (ckpt / "model.safetensors").read_bytes()

    (ckpt / "model.safetensors").write_bytes(weights[: len(weights) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors is truncated or corrupt"):
        Agent.from_pretrained(ckpt)
    (ckpt / "model.safetensors").write_bytes(weights)

    config = json.loads((ckpt / "config.json").read_text())
    (ckpt / "config.json").write_text(json.dumps({**config, "state_size": 48, "memory": "lstm"}))
    with pytest.raises(CheckpointError, match="do not match") as info:
        Agent.from_pretrained(ckpt)
    assert "shape mismatches" in str(info.value) and "policy.core" in str(info.value)

    (ckpt / "config.json").write_text(json.dumps({**config, "fusion": "gated"}))
    with pytest.raises(CheckpointError, match="missing keys: perception.fusion.gate"):
        Agent.from_pretrained(ckpt)

    (ckpt / "config.json").write_text(json.dumps({**config, "bogus": 1}))
    with pytest.raises(CheckpointError, match="bogus"):
        Agent.from_pretrained(ckpt)
    (ckpt / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="config.json is malformed"):
        Agent.from_pretrained(ckpt)
    (ckpt / "config.json").write_text(json.dumps(config))
    assert isinstance(Agent.from_pretrained(ckpt), Agent)

    for name in ("config.json", "model.safetensors", "tokenizer_config.json"):
        moved = ckpt / name
        moved.rename(tmp_path / name)
        with pytest.raises(CheckpointError, match=f"missing the file {name}"):
            Agent.from_pretrained(ckpt)
        (tmp_path / name).rename(moved)


def test_missing_pretrained_encoder_dir_on_load(make_config, tmp_path) -> None:
    Agent(make_config()).save_pretrained(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["text_encoder"] = f"pretrained:{tmp_path / 'gone'}"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="text encoder"):
        Agent.from_pretrained(tmp_path)


def test_config_round_trip_and_validation() -> None:
    config = AgentConfig(
        fusion="gated", cnn_channels=(8, 8), cnn_kernels=(3, 3), cnn_strides=(2, 1)
    )
    data = json.loads(json.dumps(config.to_dict()))
    assert AgentConfig.from_dict(data) == config
    assert AgentConfig().fusion == "film" and AgentConfig().text_encoder == "transformer"
    bad = [
        ({"nope": 1}, "unknown agent config field"),
        ({"fusion": "sum"}, "unknown fusion"),
        ({"memory": "rnn"}, "unknown memory"),
        ({"text_encoder": "bow"}, "unknown text_encoder"),
        ({"obs_height": "60"}, "obs_height"),
        ({"aux_heads": 1}, "aux_heads"),
        ({"num_actions": 0}, "num_actions"),
        ({"cnn_channels": [8], "cnn_kernels": [3, 3], "cnn_strides": [2]}, "same length"),
        ({"text_size": 30, "text_heads": 4}, "divisible"),
    ]
    for fields, message in bad:
        with pytest.raises(ValueError, match=message):
            AgentConfig.from_dict(fields)
    with pytest.raises(ValueError, match="JSON object"):
        AgentConfig.from_dict([1, 2])
