"""Missions as fixed-length word ids, for RL libraries that cannot take a ``Text`` space.

:class:`MissionTokens` turns ``obs["mission"]`` into a ``Box`` of ``max_words`` integer ids, so a
MiniGround env becomes a ``Dict`` of two Boxes that Stable-Baselines3's ``MultiInputPolicy`` (and
most libraries) accept. The vocabulary is the project's word-level tokenizer's
(``agent.model.text.build_tokenizer``): ``[PAD]`` = 0, ``[UNK]`` = 1, then the sorted words of the
``train`` split; words outside it (paraphrase synonyms) become ``[UNK]``. Ids are padded with 0
after the last word. ``info["mission"]`` keeps the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from envs.language import TEMPLATES, render, tokenize, vocabulary

PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
DEFAULT_MAX_WORDS = 16
"""Room for the longest instruction of every family and split (13 words), with spare."""


def mission_vocabulary(words: Sequence[str] | None = None) -> tuple[str, ...]:
    """``[PAD]``, ``[UNK]``, then the sorted words (default: the ``train`` split's words)."""
    words = vocabulary("train") if words is None else words
    return (PAD_TOKEN, UNK_TOKEN, *sorted({w.lower() for w in words} - {PAD_TOKEN, UNK_TOKEN}))


def longest_mission(family: str) -> int:
    """Most words in any instruction of ``family`` (every split)."""
    longest = 0
    for group in TEMPLATES[family].values():
        for template in group:
            objects = (("purple", "ball"), ("yellow", "box"))
            longest = max(longest, len(tokenize(render(template, objects))))
    return longest


class MissionTokens(gym.ObservationWrapper):
    """Replace ``obs["mission"]`` with a ``(max_words,)`` int64 ``Box`` of word ids.

    Args:
        env: a MiniGround env (or any env whose observation is a Dict with a text ``mission``).
        max_words: length of the id vector; must hold the task's longest instruction.
        vocab: words to give ids (default: the ``train`` split's, as the project's tokenizer).

    Attributes:
        vocab: the id -> word table (``vocab[0] == "[PAD]"``, ``vocab[1] == "[UNK]"``).
        word_to_id: its inverse.
    """

    def __init__(
        self,
        env: gym.Env,
        max_words: int = DEFAULT_MAX_WORDS,
        vocab: Sequence[str] | None = None,
    ) -> None:
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, spaces.Dict) or "mission" not in space.spaces:
            raise ValueError(
                f"MissionTokens needs a Dict observation space with a 'mission', got {space}"
            )
        if not isinstance(max_words, (int, np.integer)) or max_words < 1:
            raise ValueError(f"max_words must be a positive integer, got {max_words!r}")
        family = getattr(env.unwrapped, "family", None)
        if family in TEMPLATES and longest_mission(family) > max_words:
            raise ValueError(
                f"max_words={max_words} is shorter than the longest {family} instruction "
                f"({longest_mission(family)} words); raise max_words"
            )
        self.max_words = int(max_words)
        self.vocab: tuple[str, ...] = mission_vocabulary(vocab)
        self.word_to_id: dict[str, int] = {w: i for i, w in enumerate(self.vocab)}
        self.observation_space = spaces.Dict(
            {
                **{k: v for k, v in space.spaces.items() if k != "mission"},
                "mission": spaces.Box(
                    0, len(self.vocab) - 1, shape=(self.max_words,), dtype=np.int64
                ),
            }
        )

    def encode(self, mission: str) -> np.ndarray:
        """Word ids of ``mission``, padded with 0.

        Raises:
            ValueError: the mission has more than ``max_words`` words.
        """
        words = tokenize(mission)
        if len(words) > self.max_words:
            raise ValueError(
                f"mission {mission!r} has {len(words)} words, more than max_words="
                f"{self.max_words}; wrap the env with a larger max_words"
            )
        ids = np.zeros(self.max_words, dtype=np.int64)
        unk = self.word_to_id[UNK_TOKEN]
        ids[: len(words)] = [self.word_to_id.get(w, unk) for w in words]
        return ids

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The words of an id vector (padding dropped; unknown words read ``[UNK]``)."""
        return " ".join(self.vocab[int(i)] for i in ids if int(i) != 0)

    def observation(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The observation with the mission as word ids."""
        return {**observation, "mission": self.encode(observation["mission"])}
