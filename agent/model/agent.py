"""The agent: perception + actor-critic policy, built from an :class:`AgentConfig`.

A checkpoint is a directory (Hugging Face / LeRobot style, no pickle anywhere)::

    config.json          AgentConfig.to_dict()
    model.safetensors    every weight, except a *frozen* pretrained text encoder's (those are
                         reloaded from the directory named in ``config.text_encoder``)
    tokenizer.json, tokenizer_config.json, ...   the tokenizer

Each file is written to a temporary name and moved into place with ``os.replace``; other files in
the directory (e.g. a trainer's ``training_state``) are left alone.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import safetensors.torch
import torch
from torch import nn
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from agent.model.aux import aux_widths
from agent.model.card import write_card
from agent.model.config import AgentConfig
from agent.model.perception import Perception
from agent.model.proprio import PROPRIO_SIZE, ProprioEncoder
from agent.model.text import TextEncoding, tokenizer_words
from agent.utils.device import resolve_device
from policies.actor_critic import ActorCritic, reset_memory

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer_config.json"
FROZEN_PREFIX = "perception.text.encoder.model."
"""State-dict prefix of a pretrained encoder's weights (left out of checkpoints when frozen)."""

Images = np.ndarray | torch.Tensor
Proprio = np.ndarray | torch.Tensor | None


class CheckpointError(ValueError):
    """A checkpoint directory is missing, incomplete, corrupt or does not match its config."""


class ActOutput(NamedTuple):
    """One step of acting on a batch."""

    action: torch.Tensor
    """(B,) long."""
    log_prob: torch.Tensor
    """(B,)."""
    entropy: torch.Tensor
    """(B,)."""
    value: torch.Tensor
    """(B,)."""
    memory: torch.Tensor
    """(B, memory_dim) memory after the step."""
    logits: torch.Tensor
    """(B, A)."""
    attention: torch.Tensor | None
    """(B, h, w) spatial gate/attention map over the CNN grid."""


class SequenceOutput(NamedTuple):
    """Given actions scored over (T, B) sequences."""

    log_prob: torch.Tensor
    """(T, B)."""
    entropy: torch.Tensor
    """(T, B)."""
    value: torch.Tensor
    """(T, B)."""
    logits: torch.Tensor
    """(T, B, A)."""
    memory: torch.Tensor
    """(B, memory_dim) memory after the last step."""
    aux: dict[str, torch.Tensor]
    """Auxiliary predictions, leading dims (T, B); empty when aux_heads is False. The
    compositional fusion adds its dense outputs (``cell_colors``, ``query_color``, ...)."""


class Agent(nn.Module):
    """Perception (vision + text + fusion) followed by a recurrent actor-critic; with
    ``config.proprioception``, the embedded ``[prev_action, moved]`` joins the fused state
    before the policy's memory (:mod:`agent.model.proprio`).

    Args:
        config: the network's configuration. The agent keeps a resolved copy: proprioception
            None becomes False, and a word-level tokenizer's words are recorded in ``vocab``.
        tokenizer: a tokenizer to use instead of building one (checkpoints pass theirs).
        vocab: words for a new word-level tokenizer instead of ``config.vocab`` (default:
            ``DEFAULT_VOCAB``, the ``train`` split's words).
    """

    def __init__(
        self,
        config: AgentConfig,
        tokenizer: PreTrainedTokenizerFast | None = None,
        vocab: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        config = dataclasses.replace(config, proprioception=bool(config.proprioception))
        self.perception = Perception(config, tokenizer, vocab)
        if not config.is_pretrained:
            config = dataclasses.replace(config, vocab=tokenizer_words(self.tokenizer))
        self.config = self.perception.config = config
        self.proprio = ProprioEncoder(config.num_actions) if config.proprioception else None
        self.policy = ActorCritic(
            config.state_size + (PROPRIO_SIZE if self.proprio is not None else 0),
            config.num_actions, config.memory, config.memory_size, config.head_hidden,
        )  # fmt: skip
        self.aux_widths = aux_widths(config)
        self.aux = (
            nn.Linear(config.state_size, sum(self.aux_widths.values()))
            if config.aux_heads
            else None
        )

    @property
    def tokenizer(self) -> PreTrainedTokenizerFast:
        """The instruction tokenizer (saved with every checkpoint)."""
        return self.perception.text.tokenizer

    @property
    def device(self) -> torch.device:
        """Device of the agent's parameters."""
        return self.policy.core.weight_hh.device

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Number of parameters (optionally only those that require grad)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def initial_memory(self, batch_size: int) -> torch.Tensor:
        """Zero memory (batch_size, memory_dim) on the agent's device (LSTM: h and c packed)."""
        return self.policy.initial_memory(batch_size, self.device)

    def act(
        self,
        images: Images,
        missions: Sequence[str],
        memory: torch.Tensor,
        episode_start: torch.Tensor | np.ndarray | Sequence[bool],
        deterministic: bool = False,
        proprio: Proprio = None,
    ) -> ActOutput:
        """Act on a batch of single steps.

        Args:
            images: (B, H, W, 3) uint8 frames (numpy or torch).
            missions: B instructions. With grad disabled, encodings come from a bounded cache.
            memory: (B, memory_dim) memory from the previous step.
            episode_start: (B,) bool; those rows' memory is zeroed before the step.
            deterministic: take the most likely action instead of sampling.
            proprio: (B, 2) ints ``[prev_action, moved]``; required when the agent reads
                proprioception (ValueError otherwise), ignored when it does not.
        """
        n = len(missions)
        if len(images) != n:
            raise ValueError(f"got {len(images)} images but {n} missions")
        start = _as_bool(episode_start, self.device)
        memory = reset_memory(memory.to(self.device), start.reshape(n))
        pixels = self.perception.preprocess(images)
        text = self.perception.encode_text(missions, cached=not torch.is_grad_enabled())
        fused = self.perception(pixels, text)
        state = self._core_input(fused.state, proprio, (n,))
        out, logits = self.policy.step(state, memory, deterministic=deterministic)
        return ActOutput(*out, logits=logits, attention=fused.attention)

    def evaluate_sequence(
        self,
        images: Images,
        missions: Sequence[str] | Sequence[Sequence[str]],
        actions: torch.Tensor,
        episode_start: torch.Tensor,
        memory0: torch.Tensor,
        proprio: Proprio = None,
    ) -> SequenceOutput:
        """Score given actions over sequences (the single path for BC and PPO updates).

        Args:
            images: (T, B, H, W, 3) uint8 frames.
            missions: B instructions (one per column), or T lists of B (when an episode, and so
                its instruction, changes inside the sequence).
            actions: (T, B) long actions to score.
            episode_start: (T, B) bool; memory is zeroed wherever it is True.
            memory0: (B, memory_dim) memory before the first step.
            proprio: (T, B, 2) ints ``[prev_action, moved]`` (as in :meth:`act`).
        """
        actions = torch.as_tensor(actions, device=self.device).long()
        t_len, batch = actions.shape
        if tuple(images.shape[:2]) != (t_len, batch):
            raise ValueError(f"images {tuple(images.shape)} do not match actions {(t_len, batch)}")
        starts = _as_bool(episode_start, self.device)
        text = self._sequence_text(missions, t_len, batch)
        fused = self.perception(self.perception.preprocess(images), text)
        states = fused.state.view(t_len, batch, -1)
        core_in = self._core_input(states, proprio, (t_len, batch))
        scores = self.policy.evaluate_sequence(core_in, actions, starts, memory0.to(self.device))
        aux = self.aux_predictions(states)
        if fused.dense is not None:
            aux.update({k: v.view(t_len, batch, *v.shape[1:]) for k, v in fused.dense.items()})
        return SequenceOutput(*scores, aux=aux)

    def _core_input(
        self, state: torch.Tensor, proprio: Proprio, lead: tuple[int, ...]
    ) -> torch.Tensor:
        """What the recurrent core reads: the fused state, and the embedded proprioception
        when the agent has it."""
        if self.proprio is None:
            return state
        embedded = self.proprio(self.proprio.check(proprio, lead, state.device))
        return torch.cat([state, embedded.to(state.dtype)], dim=-1)

    def aux_predictions(self, state: torch.Tensor) -> dict[str, torch.Tensor]:
        """Auxiliary predictions from fused states (..., S); width-1 heads are squeezed."""
        if self.aux is None:
            return {}
        parts = self.aux(state).split(list(self.aux_widths.values()), dim=-1)
        return {
            name: part.squeeze(-1) if width == 1 else part
            for (name, width), part in zip(self.aux_widths.items(), parts, strict=True)
        }

    def _sequence_text(self, missions: Sequence, t_len: int, batch: int) -> TextEncoding:
        """Encodings for all T*B steps; each unique instruction is encoded once (with grad)."""
        if len(missions) == batch and all(isinstance(m, str) for m in missions):
            enc = self.perception.text(list(missions))
            idx = torch.arange(batch, device=self.device).repeat(t_len)
            return TextEncoding(enc.tokens[idx], enc.mask[idx], enc.pooled[idx])
        if len(missions) != t_len or any(len(row) != batch for row in missions):
            raise ValueError(f"missions must be {batch} strings or {t_len} lists of {batch}")
        return self.perception.text([m for row in missions for m in row])

    # ----------------------------------------------------------------------------- checkpoints
    def _saved_state(self) -> dict[str, torch.Tensor]:
        """The tensors a checkpoint holds (a frozen pretrained encoder's are left out)."""
        skip = self.config.is_pretrained and self.config.freeze_pretrained
        return {
            k: v.detach().to("cpu").contiguous()
            for k, v in self.state_dict().items()
            if not (skip and k.startswith(FROZEN_PREFIX))
        }

    def save_pretrained(self, path: str | os.PathLike) -> Path:
        """Write config.json, model.safetensors, the tokenizer files and README.md (model card)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tmp = path / f".{WEIGHTS_FILE}.tmp{os.getpid()}"
        safetensors.torch.save_file(self._saved_state(), str(tmp), metadata={"format": "pt"})
        os.replace(tmp, path / WEIGHTS_FILE)
        tok_dir = Path(tempfile.mkdtemp(prefix=".tokenizer-", dir=path))
        try:
            self.tokenizer.save_pretrained(str(tok_dir))
            for f in tok_dir.iterdir():
                os.replace(f, path / f.name)
        finally:
            shutil.rmtree(tok_dir, ignore_errors=True)
        write_card(path, self.config, self.num_parameters())  # README.md: the model card
        tmp = path / f".{CONFIG_FILE}.tmp{os.getpid()}"
        tmp.write_text(json.dumps(self.config.to_dict(), indent=2) + "\n")
        os.replace(tmp, path / CONFIG_FILE)  # last: a complete config marks a complete checkpoint
        return path

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, device: str | torch.device = "cpu") -> Agent:
        """Restore an agent saved by :meth:`save_pretrained` (eval mode, on ``device``).

        Raises:
            CheckpointError: naming the missing directory or file, the corrupt file, or the
                config/weights mismatch.
        """
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise CheckpointError(f"checkpoint {str(path)!r} is a file; pass its directory")
        if not path.is_dir():
            raise CheckpointError(f"checkpoint directory {str(path)!r} does not exist")
        for name in (CONFIG_FILE, WEIGHTS_FILE, TOKENIZER_FILE):
            if not (path / name).is_file():
                raise CheckpointError(f"checkpoint {str(path)!r} is missing the file {name}")
        try:
            config = AgentConfig.from_dict(json.loads((path / CONFIG_FILE).read_text()))
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            raise CheckpointError(f"{path / CONFIG_FILE} is malformed: {exc}") from exc
        try:
            state = safetensors.torch.load_file(str(path / WEIGHTS_FILE))
        except Exception as exc:  # safetensors raises its own error types
            raise CheckpointError(
                f"{path / WEIGHTS_FILE} is truncated or corrupt ({type(exc).__name__}: {exc})"
            ) from exc
        try:
            loader = AutoTokenizer if config.is_pretrained else PreTrainedTokenizerFast
            tokenizer = loader.from_pretrained(str(path), local_files_only=True)
        except Exception as exc:
            raise CheckpointError(
                f"tokenizer files in {str(path)!r} are unreadable: {exc}"
            ) from exc
        try:
            agent = cls(config, tokenizer)
        except FileNotFoundError as exc:
            raise CheckpointError(f"cannot rebuild the text encoder: {exc}") from exc
        _check_state(agent._saved_state(), state, path / WEIGHTS_FILE)
        agent.load_state_dict(state, strict=False)
        return agent.to(resolve_device(device)).eval()


def _as_bool(
    flags: torch.Tensor | np.ndarray | Sequence[bool], device: torch.device
) -> torch.Tensor:
    """Episode-start flags as a bool tensor on ``device``."""
    if isinstance(flags, torch.Tensor):
        return flags.to(device=device, dtype=torch.bool)
    return torch.as_tensor(np.asarray(flags, dtype=bool), device=device)


def _check_state(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor], where: Path):
    """Raise CheckpointError listing missing/unexpected keys and shape mismatches."""
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    shapes = [
        f"{k}: checkpoint {tuple(found[k].shape)} vs config {tuple(expected[k].shape)}"
        for k in sorted(set(expected) & set(found))
        if found[k].shape != expected[k].shape
    ]
    problems = []
    for label, items in (("missing keys", missing), ("unexpected keys", unexpected),
                         ("shape mismatches", shapes)):  # fmt: skip
        if items:
            more = f" (+{len(items) - 5} more)" if len(items) > 5 else ""
            problems.append(f"{label}: {', '.join(items[:5])}{more}")
    if problems:
        raise CheckpointError(f"config.json and {where} do not match: " + "; ".join(problems))
