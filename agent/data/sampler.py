"""Sequence batches for behaviour cloning, with mirroring augmentation.

Episodes live in memory as one uint8 tensor of frames; a batch is B whole episodes of similar
length (bucketed, so little padding), laid out time-major (T, B) and cut into ``bptt`` chunks by
the trainer. Horizontal flips mirror the frame and swap turn_left/turn_right (and the bearing),
in the expert's actions and in the proprioception's previous action alike.

With a grid (``cells``), the per-pixel semantic maps become per-cell codes once, at construction
(``labels["cell_codes"]``, mirrored episodes get the codes of the mirrored maps). Word dropout
replaces each word of a mission that names no colour or shape with an unknown word, so that the
tokenizer's [UNK] is trained and the attribute words carry the grounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from agent.data.cells import cell_codes_and_mirrored
from agent.data.episodes import Episodes

UNKNOWN_WORD = "unk"
"""A word outside every split's vocabulary: it tokenizes to [UNK]."""

TURN_LEFT, TURN_RIGHT = 0, 1


@dataclass
class Batch:
    """B episodes, time-major and padded to the longest."""

    images: torch.Tensor
    """(T, B, H, W, 3) uint8."""
    actions: torch.Tensor
    """(T, B) long expert actions."""
    mask: torch.Tensor
    """(T, B) bool: True on real (not padded) steps."""
    starts: torch.Tensor
    """(T, B) bool: True at each episode's first step."""
    missions: list[str]
    labels: dict[str, torch.Tensor]
    """Privileged labels, leading dims (T, B)."""
    proprio: torch.Tensor | None = None
    """(T, B, 2) long ``[prev_action, moved]`` per step, or None (data without proprioception)."""


def swap_turns(actions: torch.Tensor) -> torch.Tensor:
    """``actions`` with turn_left and turn_right exchanged (a mirrored world's actions)."""
    return torch.where(
        actions == TURN_LEFT, TURN_RIGHT, torch.where(actions == TURN_RIGHT, TURN_LEFT, actions)
    )


class EpisodeSampler:
    """Samples batches of whole episodes of similar length from an :class:`Episodes` set."""

    def __init__(
        self,
        episodes: Episodes,
        batch_episodes: int,
        rng: np.random.Generator,
        flip_scans: bool = True,
        cells: tuple[tuple[int, int], int] | None = None,
        word_dropout: float = 0.0,
        keep_words: frozenset[str] = frozenset(),
    ) -> None:
        if episodes.num_episodes == 0:
            raise ValueError("no episodes to train on")
        self.ep = episodes
        self.images = torch.from_numpy(episodes.images)
        self.actions = torch.from_numpy(episodes.actions)
        self.proprio = None if episodes.proprio is None else torch.from_numpy(episodes.proprio)
        self.labels = {
            k: torch.from_numpy(v) for k, v in episodes.labels.items() if k != "semantic_map"
        }
        self.flipped_cells: torch.Tensor | None = None
        if cells is not None and "semantic_map" in episodes.labels:
            plain, mirrored = cell_codes_and_mirrored(episodes.labels["semantic_map"], *cells)
            self.labels["cell_codes"] = torch.from_numpy(plain)
            self.flipped_cells = torch.from_numpy(mirrored)
        self.word_dropout = word_dropout
        self.keep_words = keep_words
        self.batch = min(batch_episodes, episodes.num_episodes)
        self.rng = rng
        self.order = np.argsort(episodes.lengths, kind="stable")
        self.flip_scans = flip_scans or "target_seen" not in self.labels

    def sample(self, hflip: float = 0.0) -> Batch:
        """B episodes around a random length quantile (bucketed), each flipped with p=hflip."""
        n = len(self.order)
        lo = int(self.rng.integers(0, max(n - self.batch, 0) + 1))
        window = self.order[lo : min(n, lo + 4 * self.batch)]
        chosen = self.rng.choice(window, size=self.batch, replace=False)
        flips = self.rng.random(self.batch) < hflip
        batch = self.gather(chosen, flips)
        if self.word_dropout > 0:
            batch.missions = [self.drop_words(m) for m in batch.missions]
        return batch

    def drop_words(self, mission: str) -> str:
        """Each word outside ``keep_words`` becomes :data:`UNKNOWN_WORD` with p=word_dropout."""
        words = mission.split()
        drop = self.rng.random(len(words)) < self.word_dropout
        return " ".join(
            UNKNOWN_WORD if d and w.strip(",.").lower() not in self.keep_words else w
            for w, d in zip(words, drop, strict=True)
        )

    def gather(self, episodes: np.ndarray, flips: np.ndarray | None = None) -> Batch:
        """Batch of the given episode indices (optionally flipped)."""
        lengths = self.ep.lengths[episodes]
        t_len = int(lengths.max())
        steps = np.arange(t_len)[:, None]
        mask = steps < lengths[None, :]
        index = torch.from_numpy(self.ep.starts[episodes][None, :] + np.minimum(steps, lengths - 1))
        images = self.images[index]
        actions = self.actions[index].clone()
        labels = {k: v[index].clone() for k, v in self.labels.items()}
        proprio = None if self.proprio is None else self.proprio[index].long()
        if flips is not None and flips.any():
            cols = torch.from_numpy(np.flatnonzero(flips))
            images[:, cols] = images[:, cols].flip(dims=[3])
            a = actions[:, cols]
            swapped = swap_turns(a)
            if not self.flip_scans:
                # A scan (target not yet seen) turns left in the mirrored world too.
                swapped = torch.where(labels["target_seen"][:, cols].bool(), swapped, a)
            actions[:, cols] = swapped
            labels["target_bearing"][:, cols] = -labels["target_bearing"][:, cols]
            if self.flipped_cells is not None:
                labels["cell_codes"][:, cols] = self.flipped_cells[index[:, cols]]
            if proprio is not None:  # the mirrored frames came from the mirrored turn
                proprio[:, cols, 0] = swap_turns(proprio[:, cols, 0])
        starts = torch.zeros(t_len, len(episodes), dtype=torch.bool)
        starts[0] = True
        return Batch(
            images=images,
            actions=actions,
            mask=torch.from_numpy(mask),
            starts=starts,
            missions=[str(m) for m in self.ep.missions[episodes]],
            labels=labels,
            proprio=proprio,
        )
