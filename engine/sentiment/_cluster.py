"""Sentiment scoring and prediction on Ray (`--ray`): the rows cut into the same blocks the in-process path scores
one at a time, so each block is scored by the same code on the same texts and the answers are the same; the scores
are written back in one transaction."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.models import Engine, Progress, map_blocks, no_progress
from engine.store import Store, compose_text

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ._model import SentimentModel

READ_BATCH = 8192  # rows fetched from DuckDB per Arrow batch


def _load(folder: Path) -> "SentimentModel":
    """A worker's copy of the version (imported there: torch loads in the worker, not before)."""
    from ._model import SentimentModel

    return SentimentModel.load(folder)


def _score_block(model: "SentimentModel", block: "pa.Table") -> "pd.DataFrame":
    """label and p_negative/p_neutral/p_positive of one block's texts (the in-process `predict_frame`)."""
    from ._scoring import predict_frame

    return predict_frame(model, block.column("text").to_pylist())


def _folder(model: Any) -> Path:
    """Where the workers' copy comes from: a registered version's folder."""
    if getattr(model, "path", None) is None:
        raise ValueError("only a saved model version can be scored on Ray (it travels to the workers as its files)")
    return Path(model.path)


def predict_on_ray(engine: Engine, model: "SentimentModel", texts: Sequence[str], progress: Progress = no_progress,
                   batch_size: int = 2048) -> "pd.DataFrame":
    """`predict_frame` of non-empty texts on Ray, in input order; `attrs["workers"]` is the pool size."""
    import pyarrow as pa

    blocks = [pa.table({"text": pa.array(list(texts[lo:lo + batch_size]), pa.string())})
              for lo in range(0, len(texts), batch_size)]
    out, workers = map_blocks(engine, _folder(model), _load, _score_block, blocks, len(texts), progress, "texts")
    frame = out.to_pandas()
    frame.attrs["workers"] = workers
    return frame


def _read_rows(store: Store, sql: str, params: list, batch_size: int) -> tuple[list[str], list["pa.Table"]]:
    """(review ids, blocks of model text) read from DuckDB in Arrow batches; the cursor is released before Ray
    starts. A review id met twice is scored once, as in-process; blocks have `batch_size` rows like its chunks."""
    import pyarrow as pa

    ids: list[str] = []
    texts: list[str] = []
    last = None
    cur = store.cursor()
    try:
        reader = cur.sql(sql, params=params).to_arrow_reader(READ_BATCH)
        for batch in reader:
            for rid, title, text in zip(*(batch.column(c).to_pylist() for c in ("review_id", "title", "text"))):
                if rid == last and ids:
                    continue
                last = rid
                ids.append(rid)
                texts.append(compose_text(title, text))
    finally:
        cur.close()
    blocks = [pa.table({"text": pa.array(texts[lo:lo + batch_size], pa.string())})
              for lo in range(0, len(texts), batch_size)]
    return ids, blocks


def score_on_ray(store: Store, model: "SentimentModel", engine: Engine, sql: str, params: list,
                 progress: Progress = no_progress, batch_size: int = 2048) -> dict:
    """Score the reviews `sql` selects on Ray and upsert them keyed by review id in one transaction: a run that
    fails or is stopped part-way writes nothing, so running it again scores them all."""
    import pyarrow as pa

    from ._scoring import write_scores

    start = time.monotonic()
    version = model.version or "unversioned"
    ids, blocks = _read_rows(store, sql, params, batch_size)
    workers = 0
    if ids:
        scored, workers = map_blocks(engine, _folder(model), _load, _score_block, blocks, len(ids), progress,
                                     "reviews")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        table = pa.table({
            "review_id": pa.array(ids, pa.string()), "label": scored.column("label"),
            "p_negative": scored.column("p_negative"), "p_neutral": scored.column("p_neutral"),
            "p_positive": scored.column("p_positive"), "model_version": pa.array([version] * len(ids), pa.string()),
            "scored_at": pa.array([now] * len(ids), pa.timestamp("us"))})
        write_scores(store, table)
        progress(1.0, f"{len(ids):,}/{len(ids):,} reviews scored and written")
    seconds = time.monotonic() - start
    n = len(ids)
    return {"model_version": version, "n_scored": n, "reviews_per_second": round(n / seconds, 1) if n else 0.0,
            "engine": "ray", "workers": workers}
