"""The recurrent actor-critic head."""

from __future__ import annotations

import pytest
import torch

from policies.actor_critic import ActorCritic, PolicyOutput, reset_memory


@pytest.mark.parametrize(("memory", "dim"), [("gru", 8), ("lstm", 16)])
def test_forward_unpacks_like_the_design(memory: str, dim: int) -> None:
    policy = ActorCritic(state_size=12, num_actions=5, memory=memory, memory_size=8)
    state = torch.randn(4, 12)
    mem = policy.initial_memory(4)
    assert mem.shape == (4, dim) and policy.memory_dim == dim and not mem.any()
    action, log_prob, entropy, value, new_mem = policy(state, mem)
    assert action.shape == log_prob.shape == entropy.shape == value.shape == (4,)
    assert new_mem.shape == (4, dim) and new_mem.abs().sum() > 0
    assert ((action >= 0) & (action < 5)).all()
    assert torch.allclose(entropy, torch.full((4,), torch.log(torch.tensor(5.0))), atol=1e-2)


def test_given_action_is_scored_not_sampled() -> None:
    policy = ActorCritic(6, 3, memory_size=8)
    state, mem = torch.randn(5, 6), torch.randn(5, 8)
    given = torch.tensor([0, 1, 2, 1, 0])
    out, logits = policy.step(state, mem, action=given)
    assert isinstance(out, PolicyOutput) and torch.equal(out.action, given)
    expected = torch.log_softmax(logits, -1).gather(1, given[:, None]).squeeze(1)
    assert torch.allclose(out.log_prob, expected, atol=1e-6)
    greedy = policy(state, mem, deterministic=True)
    assert torch.equal(greedy.action, logits.argmax(-1))


def test_reset_memory_zeroes_only_started_rows() -> None:
    mem = torch.ones(3, 4)
    out = reset_memory(mem, torch.tensor([True, False, True]))
    assert out[1].eq(1).all() and out[[0, 2]].eq(0).all()
    assert mem.eq(1).all(), "the input memory is not modified in place"


@pytest.mark.parametrize("memory", ["gru", "lstm"])
def test_evaluate_sequence_matches_stepping_with_resets(memory: str) -> None:
    policy = ActorCritic(6, 4, memory=memory, memory_size=8)
    t_len, batch = 5, 3
    states = torch.randn(t_len, batch, 6)
    actions = torch.randint(0, 4, (t_len, batch))
    starts = torch.zeros(t_len, batch, dtype=torch.bool)
    starts[0, :] = True
    starts[3, 1] = True
    mem0 = torch.randn(batch, policy.memory_dim)
    seq = policy.evaluate_sequence(states, actions, starts, mem0)
    mem = mem0
    for t in range(t_len):
        step = policy(states[t], reset_memory(mem, starts[t]), action=actions[t])
        mem = step.memory
        assert torch.allclose(seq.log_prob[t], step.log_prob, atol=1e-6)
        assert torch.allclose(seq.value[t], step.value, atol=1e-6)
    assert torch.allclose(seq.memory, mem, atol=1e-6)
    assert seq.logits.shape == (t_len, batch, 4) and seq.entropy.shape == (t_len, batch)


def test_memory_carries_information_across_steps() -> None:
    policy = ActorCritic(6, 3, memory_size=8)
    state = torch.randn(1, 6)
    first = policy(state, policy.initial_memory(1))
    second = policy(state, first.memory)
    assert not torch.allclose(first.memory, second.memory)
    _, logits_a = policy.step(state, policy.initial_memory(1))
    _, logits_b = policy.step(state, torch.randn(1, 8))
    assert not torch.allclose(logits_a, logits_b)


def test_gradients_reach_core_and_both_heads() -> None:
    policy = ActorCritic(6, 3, memory="lstm", memory_size=8)
    seq = policy.evaluate_sequence(
        torch.randn(4, 2, 6),
        torch.zeros(4, 2, dtype=torch.long),
        torch.zeros(4, 2, dtype=torch.bool),
        policy.initial_memory(2),
    )
    (seq.log_prob.mean() + seq.value.square().mean()).backward()
    for name, param in policy.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_unknown_memory_kind() -> None:
    with pytest.raises(ValueError, match="unknown memory"):
        ActorCritic(6, 3, memory="transformer")
