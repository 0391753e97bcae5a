"""Train-and-register, load-active and the all-customers export of the recommend family (what the CLI and the
app call)."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.models import Engine, Progress, Registry, map_blocks, no_progress

from ._model import FAMILY, RecommendModel

if TYPE_CHECKING:
    import pandas as pd

    from engine.store import Store

REGISTRY = Registry(FAMILY, RecommendModel.load, train_hint="storelens recommend train")


def train(store: "Store", config: Any = None, progress: Progress = no_progress) -> RecommendModel:
    """Fit on the store's orders, evaluate on the time split, register the new version as the active one."""
    model = RecommendModel(config)
    report = model.fit(store, progress=progress)

    def save(folder: Path, version: str, _created: datetime) -> None:
        model.version = version
        model.save(folder)

    model.version, model.path = REGISTRY.register(store, save, report)
    return model


def load_active(store: "Store") -> RecommendModel:
    """The active recommender (ModelNotFoundError with the train command when there is none)."""
    return REGISTRY.load_active(store)


def _recommend_block(model: RecommendModel, block: Any, k: int, mode: str) -> "pd.DataFrame":
    """A Ray worker's part of `top_k_all`: the top-k of one block of customers."""
    return model.recommend(block.column("customer_id").to_pylist(), k, mode)


def top_k_all(model: RecommendModel, k: int, mode: str = "discovery", progress: Progress = no_progress,
              chunk: int = 512, engine: Engine | None = None) -> "pd.DataFrame":
    """Top-k for every customer the model knows (customer_id, rank, product_id, score, product_name, cold_start);
    with a Ray `engine` the customers' blocks are ranked on its workers (`attrs["workers"]` says how many)."""
    import pandas as pd

    customers = model.customer_ids
    if engine is not None and engine.distributed:
        import pyarrow as pa

        if model.path is None:
            raise ValueError("only a saved recommender version can rank on Ray (it travels as its files)")
        blocks = [pa.table({"customer_id": customers[lo:lo + chunk]}) for lo in range(0, len(customers), chunk)]
        work = functools.partial(_recommend_block, k=k, mode=mode)
        out, workers = map_blocks(engine, model.path, RecommendModel.load, work, blocks, len(customers), progress,
                                  "customers", one_to_one=False)
        frame = out.to_pandas()
        frame.attrs["workers"] = workers
        progress(1.0, "done")
        return frame
    parts = []
    for start in range(0, len(customers), chunk):
        progress(start / max(len(customers), 1), f"scoring customers {start + 1}-{min(start + chunk, len(customers))}")
        parts.append(model.recommend(customers[start:start + chunk], k, mode))
    progress(1.0, "done")
    return pd.concat(parts, ignore_index=True)
