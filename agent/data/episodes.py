"""Episodes in memory: frames, actions, rewards, privileged labels, concatenated along time.

Data from a ``-v1`` task also holds each frame's proprioception (``proprio``: what the agent
observed with it, ``[obs["prev_action"], obs["moved"]]``); data from ``-v0`` tasks has none.

:class:`EpisodeBuilder` records steps as an episode loop runs; :class:`Episodes` is what demo
shards hold, what DAgger aggregates and what the batch sampler draws from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

LABEL_DTYPES: dict[str, Any] = {
    "target_visible": bool,
    "target_seen": bool,
    "target_bearing": np.float32,
    "target_distance": np.float32,
    "visible_colors": np.float32,
    "visible_shapes": np.float32,
    "target_code": np.uint8,
    "semantic_map": np.uint8,
}
"""Privileged per-frame labels stored with the demos (auxiliary-loss targets) and their dtypes.
``semantic_map`` (per-pixel object codes, :mod:`envs.masks`) exists only with exact labels."""

LABEL_KEYS: tuple[str, ...] = tuple(LABEL_DTYPES)
OPTIONAL_LABEL_KEYS: tuple[str, ...] = ("semantic_map",)
"""Labels recorded only when the env provides them (``labels="geometric"`` envs do not)."""


class DatasetError(ValueError):
    """A demonstrations directory is missing, incomplete, corrupt or inconsistent."""


def proprio_of(obs: dict[str, Any]) -> np.ndarray | None:
    """``[prev_action, moved]`` (uint8) of one observation, or None when the env has none."""
    if "prev_action" not in obs or "moved" not in obs:
        return None
    return np.asarray([obs["prev_action"], obs["moved"]], dtype=np.uint8)


@dataclass
class Episodes:
    """Episodes concatenated along time; ``starts[e]`` indexes episode e's first frame."""

    images: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    labels: dict[str, np.ndarray]
    starts: np.ndarray
    lengths: np.ndarray
    missions: np.ndarray
    outcomes: np.ndarray
    seeds: np.ndarray
    proprio: np.ndarray | None = None
    """(N, 2) uint8 ``[prev_action, moved]`` per frame, or None (envs without proprioception)."""

    @property
    def num_episodes(self) -> int:
        """Number of episodes."""
        return len(self.lengths)

    @property
    def num_frames(self) -> int:
        """Number of frames (= decisions) over all episodes."""
        return len(self.actions)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Flat name -> array mapping for ``np.savez_compressed``."""
        out = {
            "images": self.images,
            "actions": self.actions,
            "rewards": self.rewards,
            "starts": self.starts,
            "lengths": self.lengths,
            "missions": self.missions,
            "outcomes": self.outcomes,
            "seeds": self.seeds,
        }
        out.update({f"label_{k}": v for k, v in self.labels.items()})
        if self.proprio is not None:
            out["proprio"] = self.proprio
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> Episodes:
        """Inverse of :meth:`to_arrays`."""
        labels = {k[len("label_") :]: v for k, v in arrays.items() if k.startswith("label_")}
        fields = ("images", "actions", "rewards", "starts", "lengths", "missions", "outcomes")
        return cls(
            labels=labels, seeds=arrays["seeds"], proprio=arrays.get("proprio"),
            **{k: arrays[k] for k in fields},
        )  # fmt: skip

    @classmethod
    def concatenate(cls, parts: list[Episodes]) -> Episodes:
        """Join several episode sets (e.g. shards, or demos and DAgger data)."""
        if not parts:
            raise DatasetError("no episodes to concatenate")
        offsets = np.cumsum([0] + [p.num_frames for p in parts[:-1]])
        with_proprio = [p.proprio is not None for p in parts]
        if any(with_proprio) and not all(with_proprio):
            raise DatasetError(
                "cannot join episodes with proprioception (-v1 tasks) and episodes without it "
                "(-v0 tasks)"
            )
        return cls(
            images=np.concatenate([p.images for p in parts]),
            actions=np.concatenate([p.actions for p in parts]),
            rewards=np.concatenate([p.rewards for p in parts]),
            labels={k: np.concatenate([p.labels[k] for p in parts]) for k in parts[0].labels},
            starts=np.concatenate([p.starts + o for p, o in zip(parts, offsets, strict=True)]),
            lengths=np.concatenate([p.lengths for p in parts]),
            missions=np.concatenate([p.missions for p in parts]),
            outcomes=np.concatenate([p.outcomes for p in parts]),
            seeds=np.concatenate([p.seeds for p in parts]),
            proprio=np.concatenate([p.proprio for p in parts]) if all(with_proprio) else None,
        )


class EpisodeBuilder:
    """Accumulates (frame, action, reward, labels) steps into :class:`Episodes`."""

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []
        self.actions: list[int] = []
        self.rewards: list[float] = []
        self.labels: dict[str, list[Any]] = {k: [] for k in LABEL_KEYS}
        self.lengths: list[int] = []
        self.missions: list[str] = []
        self.outcomes: list[str] = []
        self.seeds: list[int] = []
        self.proprio: list[np.ndarray | None] = []
        self._current = 0

    def add_step(
        self,
        image: np.ndarray,
        info: dict[str, Any],
        action: int,
        reward: float,
        proprio: np.ndarray | None = None,
    ) -> None:
        """Record the frame seen (with its info labels and, from a ``-v1`` task, its
        proprioception :func:`proprio_of` the observation), the action taken and the reward."""
        self.images.append(image)
        self.proprio.append(proprio)
        self.actions.append(int(action))
        self.rewards.append(float(reward))
        for k in LABEL_KEYS:
            if k in info or k not in OPTIONAL_LABEL_KEYS:
                self.labels[k].append(info[k])
        self._current += 1

    def end_episode(self, mission: str, outcome: str | None, seed: int) -> None:
        """Close the current episode."""
        self.lengths.append(self._current)
        self.missions.append(mission)
        self.outcomes.append(outcome or "timeout")
        self.seeds.append(int(seed))
        self._current = 0

    def build(self) -> Episodes:
        """The recorded episodes as arrays."""
        lengths = np.asarray(self.lengths, dtype=np.int64)
        proprio = None
        if any(p is not None for p in self.proprio):
            if any(p is None for p in self.proprio):
                raise DatasetError("some recorded steps have proprioception and others do not")
            proprio = np.stack(self.proprio).astype(np.uint8)
        return Episodes(
            images=np.stack(self.images).astype(np.uint8),
            actions=np.asarray(self.actions, dtype=np.int64),
            rewards=np.asarray(self.rewards, dtype=np.float32),
            labels={k: np.asarray(v, dtype=LABEL_DTYPES[k]) for k, v in self.labels.items() if v},
            starts=np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64),
            lengths=lengths,
            missions=np.asarray(self.missions, dtype=np.str_),
            outcomes=np.asarray(self.outcomes, dtype=np.str_),
            seeds=np.asarray(self.seeds, dtype=np.int64),
            proprio=proprio,
        )
