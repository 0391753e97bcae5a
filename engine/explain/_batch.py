"""Attributions of many reviews at once, in this process or on Ray (`--ray`): the word attributions the Drivers page
aggregates, and `storelens explain reviews` (one explanation per review of a CSV). On Ray, the reviews are cut into
blocks that workers explain with their own copy of the model version; the results come back in input order."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.models import Engine, map_blocks

from ._attributions import _Progress, explain_review

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

DRIVER_BLOCK = 16  # reviews per block for drivers (2 x 16 IG steps each: seconds of work per block)
EXPLAIN_BLOCK = 8  # reviews per block for explain reviews (each doubles its steps until it converges)


def _load(folder: Path) -> Any:
    """A worker's copy of the sentiment version."""
    from engine.sentiment import SentimentModel

    return SentimentModel.load(folder)


def _folder(model: Any) -> Path:
    """The saved version's folder: what travels to the workers."""
    if getattr(model, "path", None) is None:
        raise ValueError("only a saved model version can be explained on Ray (it travels to the workers as files)")
    return Path(model.path)


def _blocks(texts: Sequence[str], size: int) -> list["pa.Table"]:
    """Texts as Arrow blocks of `size` rows."""
    import pyarrow as pa

    return [pa.table({"text": pa.array(list(texts[lo:lo + size]), pa.string())}) for lo in range(0, len(texts), size)]


def _words_block(model: Any, block: "pa.Table", targets: Sequence[str], n_steps: int,
                 batch_size: int) -> "pd.DataFrame":
    """A worker's part of `word_attributions`: words per target as JSON, and one delta column per target."""
    import pandas as pd

    from ._drivers import _batch_word_attributions

    per_review, deltas = _batch_word_attributions(model, block.column("text").to_pylist(), targets, n_steps,
                                                  batch_size)
    out = pd.DataFrame({"words": [json.dumps(r) for r in per_review]})
    for j in range(len(targets)):
        out[f"delta_{j}"] = deltas[:, j]
    return out


def word_attributions(model: Any, texts: Sequence[str], targets: Sequence[str], n_steps: int, batch_size: int,
                      progress: _Progress | None, engine: Engine | None
                      ) -> tuple[list[dict[str, list[dict[str, Any]]]], np.ndarray]:
    """Per-review word attributions toward each target and the convergence deltas (reviews x targets), as
    `category_drivers` aggregates them; on Ray when `engine` says so."""
    from ._drivers import _batch_word_attributions

    if engine is None or not engine.distributed or not texts:
        return _batch_word_attributions(model, texts, targets, n_steps, batch_size, progress)
    work = functools.partial(_words_block, targets=tuple(targets), n_steps=n_steps, batch_size=batch_size)
    out, _ = map_blocks(engine, _folder(model), _load, work, _blocks(texts, DRIVER_BLOCK), len(texts),
                        progress or (lambda f, m: None), "reviews")
    words = [json.loads(w) for w in out.column("words").to_pylist()]
    deltas = np.stack([out.column(f"delta_{j}").to_numpy() for j in range(len(targets))], axis=1)
    return words, deltas


def _explain_block(model: Any, block: "pa.Table", target: str | None) -> "pd.DataFrame":
    """A worker's part of `explain_reviews`: each review's explanation as its JSON object."""
    import pandas as pd

    return pd.DataFrame({"explanation": [json.dumps(explain_review(model, t, target=target).as_dict())
                                         for t in block.column("text").to_pylist()]})


def explain_reviews(model: Any, texts: Sequence[str], target: str | None = None, engine: Engine | None = None,
                    progress: _Progress | None = None) -> tuple[list[dict[str, Any]], int | None]:
    """`explain_review(...).as_dict()` of every text, in input order, and the Ray workers used (None in-process)."""
    texts = ["" if t is None else str(t) for t in texts]
    progress = progress or (lambda f, m: None)
    if engine is None or not engine.distributed or not texts:
        out = []
        for i, text in enumerate(texts):
            out.append(explain_review(model, text, target=target).as_dict())
            progress((i + 1) / len(texts), f"{i + 1:,}/{len(texts):,} reviews explained")
        return out, None
    work = functools.partial(_explain_block, target=target)
    table, workers = map_blocks(engine, _folder(model), _load, work, _blocks(texts, EXPLAIN_BLOCK), len(texts),
                                progress, "reviews")
    return [json.loads(e) for e in table.column("explanation").to_pylist()], workers
