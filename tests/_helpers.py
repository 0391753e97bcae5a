"""Helpers shared by test modules (pytest puts this folder on sys.path); fixtures live in conftest.py."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

DECISIVE = {0: "the strap broke", 1: "the strap is okay", 2: "the strap is perfect"}


def planted_reviews(n: int, seed: int, filler: list[str], n_filler: tuple[int, int]) -> tuple[list[str], list[int]]:
    """Filler sentences around one decisive clause; label = which clause (what a tiny model must learn)."""
    rng = random.Random(seed)
    texts, labels = [], []
    for i in range(n):
        y = i % 3
        parts = rng.sample(filler, rng.randint(*n_filler))
        parts.insert(rng.randint(0, len(parts)), DECISIVE[y])
        texts.append(". ".join(parts) + ".")
        labels.append(y)
    return texts, labels


def serve_db(monkeypatch: pytest.MonkeyPatch, path: Path) -> Path:
    """Point the app at `path` with the demo switched off, as a merchant's own database."""
    monkeypatch.setenv("STORELENS_DB", str(path))
    monkeypatch.setenv("STORELENS_NO_DEMO", "1")
    return path


def no_exception(at: AppTest) -> None:
    """The page ran without an uncaught exception (the message lists them when it did not)."""
    assert not at.exception, [e.value for e in at.exception]
