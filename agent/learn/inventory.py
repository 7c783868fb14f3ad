"""What a trainer writes into a new agent's config before building it: the task's attribute
inventory (colours, shapes, the training split's words) and whether the agent reads
proprioception. A checkpoint then carries its own inventory (``agent.model`` never reads
``envs``)."""

from __future__ import annotations

import dataclasses

from agent.model.config import AgentConfig
from agent.model.proprio import MISSING_PROPRIO


def resolve_agent_config(config: AgentConfig, split: str, proprioception: bool) -> AgentConfig:
    """``config`` with the task's colours and shapes, the words of ``split`` (when ``vocab`` is
    empty and the tokenizer is word-level) and proprioception decided.

    Args:
        config: the agent's settings (``proprioception`` None: follow the data).
        split: the instruction split the agent is trained on.
        proprioception: whether the training data (demos or env) carries proprioception.

    Raises:
        ValueError: the config asks for proprioception that the data lacks.
    """
    from envs.language import COLORS, SHAPES, vocabulary

    if config.proprioception and not proprioception:
        raise ValueError(f"agent.proprioception is set but the training data has none: "
                         f"{MISSING_PROPRIO} (or set agent.proprioception = false)")  # fmt: skip
    vocab = config.vocab
    if not vocab and not config.is_pretrained:
        vocab = tuple(vocabulary(split))
    wanted = proprioception if config.proprioception is None else config.proprioception
    return dataclasses.replace(
        config, colors=tuple(COLORS), shapes=tuple(SHAPES), vocab=vocab, proprioception=wanted
    )
